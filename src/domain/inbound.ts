import { z } from "@hono/zod-openapi";
import { parseCidr } from "../lib/cidr";

/** A source's inbound checks (CONTRACT §3): an IP allowlist and an HMAC of the raw body. */

const InboundHmac = z.object({
  header: z.string().min(1).max(200),
  secret: z.string().min(1).max(4096),
  algorithm: z.enum(["sha256", "sha1"]).default("sha256"),
  encoding: z.enum(["hex", "base64"]).default("hex"),
  prefix: z.string().max(50).optional(),
  timestamp_header: z.string().max(200).optional(),
  tolerance_s: z.number().int().min(1).max(86400).optional(),
});

export const Inbound = z.object({
  ip_allowlist: z
    .array(
      z
        .string()
        .max(64)
        .refine((value) => parseCidr(value) !== null, "must be an IP address or CIDR range"),
    )
    .max(100)
    .optional(),
  hmac: InboundHmac.optional(),
});
export type Inbound = z.infer<typeof Inbound>;

/** An HMAC rule as stored and checked: its secret is sealed apart, with the source's other secrets. */
export type InboundHmacRule = Omit<z.infer<typeof InboundHmac>, "secret">;

/** The inbound checks as stored (`sources.inbound`) and applied. */
export interface InboundRules {
  ip_allowlist?: string[];
  hmac?: InboundHmacRule;
}
