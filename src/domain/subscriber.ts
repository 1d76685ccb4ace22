import { z } from "@hono/zod-openapi";
import { ArchiveSettings, DEFAULT_ARCHIVE_SETTINGS, Timezone } from "./archive-settings";

/** A receiving organisation (CONTRACT §3 Subscribers). */
export const SubscriberInput = z
  .object({
    name: z.string().min(1).max(200),
    timezone: Timezone.default("UTC"),
    archive: ArchiveSettings.default(DEFAULT_ARCHIVE_SETTINGS),
  })
  .openapi("SubscriberInput");
export type SubscriberInput = z.infer<typeof SubscriberInput>;
