import { z } from "@hono/zod-openapi";
import { Auth } from "./auth";
import { Headers, HttpUrl } from "./http-fields";

/** A bulk sync: page through an origin's list endpoint and publish each record as an event. */

const SyncExpression = z.string().min(1).max(2000);

export const SyncPagination = z
  .discriminatedUnion("type", [
    z.object({
      type: z.literal("cursor"),
      param: z.string().min(1).max(100).default("cursor"),
      next: SyncExpression.default("next_cursor"),
    }),
    z.object({
      type: z.literal("page"),
      param: z.string().min(1).max(100).default("page"),
      start: z.number().int().min(0).default(1),
    }),
    z.object({ type: z.literal("none") }),
  ])
  .default({ type: "none" });
export type SyncPagination = z.infer<typeof SyncPagination>;

export const SyncInput = z
  .object({
    list_url: HttpUrl,
    headers: Headers,
    auth: Auth.optional().openapi({ description: "defaults to the source's fetch.auth" }),
    pagination: SyncPagination,
    items: SyncExpression.default("data").openapi({ description: "JSONata: the records in a page's body" }),
    id: SyncExpression.default("id").openapi({ description: "JSONata: a record's id (the event's subject)" }),
    event_type: z
      .string()
      .min(1)
      .max(200)
      .optional()
      .openapi({ description: "defaults to the source's fetch.event_type" }),
    max_pages: z.number().int().min(1).max(1_000_000).default(100_000),
  })
  .openapi("SyncInput");
export type SyncInput = z.infer<typeof SyncInput>;

/** What a sync pages through, as stored (`syncs.config`); `auth_enc` is the origin credential, sealed like every other. */
export interface StoredSyncConfig {
  list_url: string;
  headers: Record<string, string>;
  pagination: SyncPagination;
  items: string;
  id: string;
  event_type: string;
  max_pages: number;
  auth_enc: string;
}
