import { z } from "@hono/zod-openapi";
import { Auth, type PublicAuth } from "./auth";
import { Headers, HttpUrl } from "./http-fields";

/** How an ID-only notification is resolved (CONTRACT §5): the origin URL with `{id}`, and what the record becomes. */
export const SourceFetch = z.object({
  url: HttpUrl.refine((url) => url.includes("{id}"), "must contain {id}"),
  method: z.enum(["GET", "POST"]).default("GET"),
  headers: Headers,
  auth: Auth.default({ type: "none" }),
  event_type: z.string().min(1).max(200),
});
export type SourceFetch = z.infer<typeof SourceFetch>;

/** As stored (`sources.fetch_config`): the auth's readable part only; the credentials are sealed apart. */
export type StoredFetch = Omit<SourceFetch, "auth"> & { auth: PublicAuth };
