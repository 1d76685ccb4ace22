import { z } from "@hono/zod-openapi";

/** Shapes several resources share. Credentials inside them are write-only: see `publicAuth`. */

export const HttpUrl = z
  .string()
  .max(2048)
  .refine((value) => URL.canParse(value) && /^https?:$/.test(new URL(value).protocol), "must be an http(s) URL")
  .openapi({ example: "https://crm.example/api/events" });

/** RFC 9110 field names: a token. A space, a colon or a line break would be refused by fetch only at send time. */
export const HeaderName = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, "must be a valid HTTP header name (letters, digits and !#$%&'*+.^_`|~-)")
  .refine((name) => !FRAMING_HEADERS.has(name.toLowerCase()), "is set by Syndic itself and cannot be configured");

/** Headers that frame the request or carry Syndic's signature: a configured value would break or forge them. */
const FRAMING_HEADERS = new Set([
  "host",
  "content-length",
  "transfer-encoding",
  "connection",
  "keep-alive",
  "upgrade",
  "te",
  "trailer",
  "webhook-id",
  "webhook-timestamp",
  "webhook-signature",
]);

/** RFC 9110 field values: visible ASCII or Latin-1, spaces and tabs inside, no line breaks, no padding. */
export const HeaderValue = z
  .string()
  .max(8192)
  .regex(
    /^(?:[\x21-\x7e\x80-\xff](?:[\t\x20-\x7e\x80-\xff]*[\x21-\x7e\x80-\xff])?)?$/,
    "must be a valid HTTP header value: printable characters, no line breaks, no leading or trailing spaces",
  );

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

/** Why a URL change to another origin needs the credentials again: a stored secret never follows a new host. */
export const CREDENTIALS_STAY_HOME =
  "is required again when the URL moves to another origin (scheme, host or port): stored credentials only go where they were given for";

/** What an auth config reads back as: its type and the names that are not secrets. */
export function publicAuth(auth: Auth): Record<string, unknown> {
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

export const Headers = z.record(HeaderName, HeaderValue.max(4096)).default({});

export const Id = (prefix: string) =>
  z
    .string()
    .regex(new RegExp(`^${prefix}_[0-9a-z]{26}$`), `must be a ${prefix}_ id`)
    .openapi({ example: `${prefix}_01jfq3zv7k8m2n4p6r8s0t2v4w` });

export const ListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(50),
  cursor: z.string().max(200).optional(),
});

export const listOf = <T extends z.ZodTypeAny>(item: T) =>
  z.object({ data: z.array(item), next_cursor: z.string().nullable() });

export const ProblemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number(),
    detail: z.string(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })),
  })
  .openapi("Problem");

const problem = (description: string) => ({
  description,
  content: { "application/problem+json": { schema: ProblemSchema } },
});

/** The error answers every authenticated JSON route can give. */
export const errorResponses = {
  400: problem("malformed request"),
  401: problem("missing or invalid credentials"),
  404: problem("not found"),
  413: problem("body over 1 MiB"),
  415: problem("not JSON"),
  422: problem("a field is invalid; `errors` names it"),
} as const;

export const jsonBody = <T extends z.ZodTypeAny>(schema: T) => ({
  required: true,
  content: { "application/json": { schema } },
});
