import { z } from "@hono/zod-openapi";

/** The URL and header shapes every outbound config shares. */

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

/** Extra headers of an outbound request, by name. */
export const Headers = z.record(HeaderName, HeaderValue.max(4096)).default({});
