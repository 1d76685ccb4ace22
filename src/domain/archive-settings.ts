import { z } from "@hono/zod-openapi";
import { HttpUrl } from "./http-fields";

/** A subscriber's archive settings (CONTRACT §3 Subscribers, §7). */

export const ArchiveSchedule = z.enum(["daily", "weekly", "off"]);
export type ArchiveSchedule = z.infer<typeof ArchiveSchedule>;

export const ArchiveFormat = z.enum(["json", "ndjson", "csv", "tsv", "files"]);
export type ArchiveFormat = z.infer<typeof ArchiveFormat>;

export const DEFAULT_RETENTION_DAYS = 90;

export const ArchiveSettings = z.object({
  schedule: ArchiveSchedule.default("off"),
  format: ArchiveFormat.default("json"),
  link_ttl: z.number().int().min(1).max(2_592_000).default(604_800),
  notify_url: HttpUrl.optional(),
  retention_days: z.number().int().min(1).max(3650).default(DEFAULT_RETENTION_DAYS),
  csv_escape_formulas: z.boolean().default(true).openapi({
    description:
      "csv and tsv: a cell or header starting with = + - @ tab or CR gets a leading ' (spreadsheet formula injection)",
  }),
});
export type ArchiveSettings = z.infer<typeof ArchiveSettings>;

/** The settings a subscriber created without any get. */
export const DEFAULT_ARCHIVE_SETTINGS = {
  schedule: "off",
  format: "json",
  link_ttl: 604_800,
  retention_days: DEFAULT_RETENTION_DAYS,
  csv_escape_formulas: true,
} as const satisfies ArchiveSettings;

/** As stored (`subscribers.archive`): rows written before a setting existed lack it, and readers use its default. */
export type StoredArchiveSettings = Omit<ArchiveSettings, "retention_days" | "csv_escape_formulas"> &
  Partial<Pick<ArchiveSettings, "retention_days" | "csv_escape_formulas">>;

export const Timezone = z
  .string()
  .max(64)
  .refine((zone) => {
    try {
      new Intl.DateTimeFormat("en-US", { timeZone: zone });
      return true;
    } catch {
      return false;
    }
  }, "must be an IANA timezone such as Europe/Paris");
