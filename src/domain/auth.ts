import { z } from "@hono/zod-openapi";
import { HeaderName, HeaderValue, HttpUrl } from "./http-fields";

/** Outbound authentication (CONTRACT §3 AUTH). Credentials inside are write-only: see `publicAuth`. */

const ApiKeyAuth = z.union([
  z.object({ type: z.literal("api_key"), header: HeaderName, value: HeaderValue.min(1).max(4096) }),
  z.object({ type: z.literal("api_key"), query: z.string().min(1).max(200), value: z.string().min(1).max(4096) }),
]);

export const Auth = z
  .union([
    z.object({ type: z.literal("none") }),
    ApiKeyAuth,
    z.object({ type: z.literal("basic"), username: z.string().max(1024), password: z.string().max(4096) }),
    z.object({ type: z.literal("bearer"), token: HeaderValue.min(1).max(8192) }),
    z.object({
      type: z.literal("oauth2"),
      token_url: HttpUrl,
      client_id: z.string().min(1).max(1024),
      client_secret: z.string().min(1).max(4096),
      scope: z.string().max(2048).optional(),
      audience: z.string().max(2048).optional(),
    }),
    z.object({
      type: z.literal("oauth1"),
      consumer_key: z.string().min(1).max(1024),
      consumer_secret: z.string().min(1).max(4096),
      token: z.string().max(4096).optional(),
      token_secret: z.string().max(4096).optional(),
      signature_method: z.enum(["HMAC-SHA1", "HMAC-SHA256"]).default("HMAC-SHA1"),
    }),
    z.object({
      type: z.literal("jwt"),
      algorithm: z.enum(["HS256", "RS256", "ES256"]),
      key: z.string().min(1).max(16384),
      claims: z.record(z.string(), z.unknown()).default({}),
      ttl: z.number().int().min(1).max(86400).default(300),
    }),
  ])
  .openapi("Auth", { description: "Outbound authentication. Credentials are write-only: never returned." });
export type Auth = z.infer<typeof Auth>;

export type AuthOf<T extends Auth["type"]> = Extract<Auth, { type: T }>;

/** What an auth config reads back as (and is stored as, beside its sealed original): its type and non-secret names. */
export type PublicAuth = Record<string, unknown>;

export function publicAuth(auth: Auth): PublicAuth {
  switch (auth.type) {
    case "api_key":
      return "header" in auth ? { type: auth.type, header: auth.header } : { type: auth.type, query: auth.query };
    case "oauth2":
      return { type: auth.type, token_url: auth.token_url, scope: auth.scope, audience: auth.audience };
    case "oauth1":
      return { type: auth.type, signature_method: auth.signature_method };
    case "jwt":
      return { type: auth.type, algorithm: auth.algorithm, claims: auth.claims, ttl: auth.ttl };
    default:
      return { type: auth.type };
  }
}
