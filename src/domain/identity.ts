import { z } from "@hono/zod-openapi";
import { isDotSegment } from "../lib/url-template";
import { DestinationMethod } from "./destination";
import { Expression } from "./expressions";
import { HttpUrl } from "./http-fields";

/**
 * A step's identity mapping (CONTRACT §3 Subscriptions): the origin's id for a person (`local_id`, JSONata over the
 * event), the subscriber's (`remote_id`, JSONata over a create's response), and where a known person is updated.
 */
export const IdentityConfig = z.object({
  namespace: z.string().min(1).max(100),
  local_id: Expression,
  remote_id: Expression,
  update: z.object({
    url: HttpUrl.refine((url) => url.includes("{remote_id}"), "must contain {remote_id}"),
    method: DestinationMethod.default("PUT"),
  }),
});
export type IdentityConfig = z.infer<typeof IdentityConfig>;

/** A namespace, local id or remote id of a known identity (also a list filter). */
export const IdentityField = z.string().min(1).max(256);

/** One known identity: the subscriber's id (remote_id) for an origin id (local_id). */
export const IdentityRecord = z
  .object({
    namespace: IdentityField,
    local_id: IdentityField,
    // It fills update.url's {remote_id}: `..` there would send updates to the CRM's parent resource.
    remote_id: IdentityField.refine((id) => !isDotSegment(id), "must not be . or .. (a path segment of its own)"),
  })
  .openapi("Identity", { description: "the subscriber's id (remote_id) for an origin id (local_id)" });
export type IdentityRecord = z.infer<typeof IdentityRecord>;
