import { z } from "@hono/zod-openapi";
import { Auth } from "./auth";
import { EventType } from "./event-type";
import { HttpUrl } from "./http-fields";
import { Inbound } from "./inbound";
import { SourceFetch } from "./source-fetch";

/** An origin platform (CONTRACT §3 Sources). */
export const SourceInput = z
  .object({
    name: z.string().min(1).max(200),
    event_types: z.array(EventType).max(500).default([]),
    strict: z.boolean().default(false),
    inbound: Inbound.optional(),
    fetch: SourceFetch.optional(),
    subscription_notify_url: HttpUrl.optional().openapi({
      description:
        "POSTed a notice, signed with the source's signing_secret (Standard Webhooks), whenever a subscription to " +
        "this source is created, changed or deleted",
      example: "https://origin.example/hooks/subscriptions",
    }),
  })
  .openapi("SourceInput");
export type SourceInput = z.infer<typeof SourceInput>;

/** What a source keeps sealed under SECRETS_KEY (`sources.secrets_enc`). */
export const SourceSecrets = z.object({
  hmac_secret: z.string().optional(),
  fetch_auth: Auth.optional(),
});
export type SourceSecrets = z.infer<typeof SourceSecrets>;
