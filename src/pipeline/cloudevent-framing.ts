/**
 * The CloudEvents HTTP binding 1.0, both ways: how a pushed CloudEvent is put on the wire for a destination's
 * `cloudevents_mode`, and the header and media-type rules that publishing in binary content mode reads with.
 * Pure: no I/O, so every rule is unit-tested without a runtime.
 */

export interface FramedBody {
  headers: Record<string, string>;
  body: string;
}

const STRUCTURED_CONTENT_TYPE = "application/cloudevents+json";
const JSON_CONTENT_TYPE = "application/json";
/** Attribute names per CloudEvents 1.0 §3.1.1: a name that is not one cannot be a `ce-` header either. */
export const ATTRIBUTE_NAME = /^[a-z0-9]{1,20}$/;
/** Attributes that binary mode carries outside the `ce-` headers: the data is the body, its type the Content-Type. */
const NOT_HEADERS = new Set(["data", "data_base64", "datacontenttype"]);

/** The media type without parameters, lowercased: `application/json; charset=utf-8` → `application/json`. */
export function mediaType(contentType: string): string {
  return contentType.split(";")[0].trim().toLowerCase();
}

/** `application/json` and every `+json` structured-syntax type (RFC 6839), such as `application/vnd.acme+json`. */
export function isJsonMediaType(contentType: string): boolean {
  const type = mediaType(contentType);
  return type === JSON_CONTENT_TYPE || /^[a-z0-9][a-z0-9!#$&^_.-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*\+json$/.test(type);
}

/**
 * HTTP binding §3.1.3.2: space, `"`, `%` and everything outside printable ASCII are percent-encoded, byte by byte
 * of the UTF-8, upper-case hex; control characters too, as the binding recommends.
 */
export function encodeHeaderValue(value: string): string {
  let out = "";
  for (const char of value) {
    const code = char.codePointAt(0)!;
    if (code >= 0x21 && code <= 0x7e && char !== '"' && char !== "%") {
      out += char;
      continue;
    }
    for (const byte of new TextEncoder().encode(char)) out += `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

/**
 * The reverse: a quoted-string is unquoted first (older senders quote instead of encoding), then one round of
 * percent-decoding. Null when an encoded sequence is not valid UTF-8 (an overlong one included), which the binding
 * says must be refused rather than guessed at. A `%` that starts no `%XX` is kept as it is: the official JavaScript
 * SDK sends values unencoded, so "50% off" arrives as written.
 */
export function decodeHeaderValue(value: string): string | null {
  let text = value.trim();
  if (text.length >= 2 && text.startsWith('"') && text.endsWith('"')) text = text.slice(1, -1).replace(/\\(.)/gs, "$1");
  try {
    return text.replace(/(?:%[0-9a-fA-F]{2})+/g, (encoded) => decodeURIComponent(encoded));
  } catch {
    return null;
  }
}

/** An attribute's canonical string (CloudEvents type system): Boolean and Integer as written, others as JSON. */
function canonicalString(value: unknown): string {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return JSON.stringify(value);
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * The pushed body is this delivery's CloudEvent (no transform made it) when it is one, with the event's own id.
 * Deciding from the body actually sent, not from the subscription as it is now, keeps a deliver-stage replay framed
 * by what its copied payload is.
 */
function asCloudEvent(eventId: string, body: string): Record<string, unknown> | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return null;
  }
  if (!isObject(parsed) || parsed.specversion !== "1.0" || parsed.id !== eventId) return null;
  return typeof parsed.type === "string" && typeof parsed.source === "string" ? parsed : null;
}

/**
 * Binary mode: the data alone is the body, in its content type. JSON types get the data as JSON and a text type keeps
 * its string as is; data a non-JSON type cannot hold (an object under `text/plain`) goes as JSON, labelled so. An event
 * without data has an empty body.
 */
function binaryFraming(event: Record<string, unknown>): FramedBody {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(event)) {
    if (NOT_HEADERS.has(name) || value === null || value === undefined || !ATTRIBUTE_NAME.test(name)) continue;
    headers[`ce-${name}`] = encodeHeaderValue(canonicalString(value));
  }
  const { data } = event;
  const declared = typeof event.datacontenttype === "string" ? event.datacontenttype : JSON_CONTENT_TYPE;
  const asText = !isJsonMediaType(declared) && typeof data === "string";
  const keepsType = isJsonMediaType(declared) || asText || data == null;
  headers["content-type"] = keepsType ? declared : JSON_CONTENT_TYPE;
  const body = data == null ? "" : asText ? data : JSON.stringify(data);
  return { headers, body };
}

/**
 * The content type, extra headers and body of a push. `json` (and any body that is not the delivery's CloudEvent, such
 * as a transform's output) is the body as built, as `application/json`; `structured` is the same CloudEvent JSON as
 * `application/cloudevents+json`; `binary` puts every attribute and extension in a `ce-` header and the data alone in
 * the body. The Standard Webhooks signature is computed by the caller over the body returned here.
 */
export function frameCloudEvent(mode: string, eventId: string, body: string): FramedBody {
  const plain = { headers: { "content-type": JSON_CONTENT_TYPE }, body };
  if (mode !== "structured" && mode !== "binary") return plain;
  const event = asCloudEvent(eventId, body);
  if (!event) return plain;
  if (mode === "structured") return { headers: { "content-type": STRUCTURED_CONTENT_TYPE }, body };
  return binaryFraming(event);
}
