import { z } from "zod";
import { sha256Hex } from "../auth/secrets";
import type { CloudEvent } from "../domain/cloudevent";
import { type FieldError, fieldErrors } from "../lib/problem";
import { ATTRIBUTE_NAME, decodeHeaderValue, isJsonMediaType, mediaType } from "./cloudevent-framing";

/** One event as parsed from any accepted body shape, before Syndic gives it an id. */
export interface IncomingEvent {
  externalId: string | null;
  type: string;
  source: string | null;
  subject: string | null;
  time: string | null;
  data: unknown;
  extensions: Record<string, unknown>;
}

const ATTRIBUTE_NAME_RULE = "CloudEvents attribute names are lowercase letters and digits";
const Rfc3339 = z.string().refine((value) => !Number.isNaN(Date.parse(value)), "must be an RFC 3339 time");
const Type = z.string().min(1).max(200);

const CloudEventSchema = z
  .object({
    specversion: z.literal("1.0", { message: 'must be "1.0"' }),
    id: z.string().min(1).max(256),
    source: z.string().min(1).max(1024),
    type: Type,
    time: Rfc3339.optional(),
    subject: z.string().max(1024).optional(),
    datacontenttype: z.string().max(200).optional(),
    dataschema: z.string().max(2048).optional(),
    data: z.unknown().optional(),
  })
  .catchall(z.unknown())
  .superRefine((event, ctx) => {
    if ("data_base64" in event)
      ctx.addIssue({ code: "custom", message: "data_base64 is not supported; send JSON data", path: ["data_base64"] });
    for (const key of Object.keys(event)) {
      if (!ATTRIBUTE_NAME.test(key) && key !== "data_base64") {
        ctx.addIssue({ code: "custom", message: ATTRIBUTE_NAME_RULE, path: [key] });
      }
    }
  });

const EnvelopeSchema = z.object({
  type: Type,
  id: z.string().min(1).max(256).optional(),
  time: Rfc3339.optional(),
  subject: z.string().max(1024).optional(),
  data: z.unknown(),
});

const UbxIdentifier = z.object({ name: z.string().min(1).max(200), value: z.string().max(1024) });
const UbxEvent = z.object({
  code: Type,
  timestamp: Rfc3339,
  channel: z.string().max(200).optional(),
  attributes: z
    .array(z.object({ name: z.string().min(1).max(200), value: z.unknown(), type: z.string().max(50).optional() }))
    .max(500)
    .default([]),
});
const UbxSimple = z.object({
  channel: z.string().max(200).optional(),
  identifiers: z.array(UbxIdentifier).min(1).max(50),
  events: z.array(UbxEvent).min(1),
});
const UbxCompound = z.object({
  channel: z.string().max(200).optional(),
  eventbatch: z
    .array(z.object({ identifiers: z.array(UbxIdentifier).min(1).max(50), events: z.array(UbxEvent).min(1) }))
    .min(1),
});

export type ParseResult = { ok: true; events: IncomingEvent[] } | { ok: false; errors: FieldError[] };

const CE_KNOWN = new Set([
  "specversion",
  "id",
  "source",
  "type",
  "time",
  "subject",
  "datacontenttype",
  "dataschema",
  "data",
]);

function fromCloudEvent(event: z.infer<typeof CloudEventSchema>): IncomingEvent {
  const extensions = Object.fromEntries(Object.entries(event).filter(([key]) => !CE_KNOWN.has(key)));
  return {
    externalId: event.id,
    type: event.type,
    source: event.source,
    subject: event.subject ?? null,
    time: event.time ?? null,
    data: event.data ?? null,
    extensions,
  };
}

function fromEnvelope(event: z.infer<typeof EnvelopeSchema>): IncomingEvent {
  return {
    externalId: event.id ?? null,
    type: event.type,
    source: null,
    subject: event.subject ?? null,
    time: event.time ?? null,
    data: event.data,
    extensions: {},
  };
}

/**
 * UBX events carry no id: the content hash stands in for one, so an origin that retries a publish does not
 * store the same interaction twice.
 */
async function fromUbx(
  channel: string | undefined,
  identifiers: z.infer<typeof UbxIdentifier>[],
  event: z.infer<typeof UbxEvent>,
): Promise<IncomingEvent> {
  const eventChannel = event.channel ?? channel ?? null;
  const attributes = Object.fromEntries(event.attributes.map((attribute) => [attribute.name, attribute.value]));
  const data = { channel: eventChannel, identifiers, attributes };
  const externalId = `ubx:${(await sha256Hex(JSON.stringify([event.code, event.timestamp, data]))).slice(0, 40)}`;
  return {
    externalId,
    type: event.code,
    source: null,
    subject: identifiers[0]?.value ?? null,
    time: event.timestamp,
    data,
    extensions: {},
  };
}

/** A CloudEvent when it says `specversion`, else a plain envelope; errors' paths start with `path`. */
export function parseSingle(item: unknown, path: PropertyKey[]): ParseResult {
  if (isObject(item) && "specversion" in item) {
    const result = CloudEventSchema.safeParse(item);
    return result.success
      ? { ok: true, events: [fromCloudEvent(result.data)] }
      : { ok: false, errors: fieldErrors(result.error, path) };
  }
  const result = EnvelopeSchema.safeParse(item);
  return result.success
    ? { ok: true, events: [fromEnvelope(result.data)] }
    : { ok: false, errors: fieldErrors(result.error, path) };
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** Recognises the body's shape (CloudEvents, plain envelopes, UBX simple or compound) and validates every event. */
export async function parsePublishBody(body: unknown): Promise<ParseResult> {
  if (Array.isArray(body)) {
    if (!body.length) return { ok: false, errors: [{ path: "/", message: "the batch is empty" }] };
    const results = body.map((item, i) => parseSingle(item, [i]));
    const errors = results.flatMap((result) => (result.ok ? [] : result.errors));
    return errors.length ? { ok: false, errors } : { ok: true, events: results.flatMap((r) => (r.ok ? r.events : [])) };
  }
  if (!isObject(body)) return { ok: false, errors: [{ path: "/", message: "must be a JSON object or array" }] };
  if ("eventbatch" in body) {
    const result = UbxCompound.safeParse(body);
    if (!result.success) return { ok: false, errors: fieldErrors(result.error) };
    const events: IncomingEvent[] = [];
    for (const group of result.data.eventbatch) {
      for (const event of group.events) events.push(await fromUbx(result.data.channel, group.identifiers, event));
    }
    return { ok: true, events };
  }
  if ("events" in body && "identifiers" in body) {
    const result = UbxSimple.safeParse(body);
    if (!result.success) return { ok: false, errors: fieldErrors(result.error) };
    const events = await Promise.all(
      result.data.events.map((event) => fromUbx(result.data.channel, result.data.identifiers, event)),
    );
    return { ok: true, events };
  }
  return parseSingle(body, []);
}

/**
 * The CloudEvent Syndic stores for an incoming event: its own `id`, the publisher's id kept as `originid`, the
 * source's path when the event names no source, and the time it was received when it names no time.
 */
export function toCloudEvent(event: IncomingEvent, id: string, defaultSource: string, now: number): CloudEvent {
  return {
    specversion: "1.0",
    id,
    source: event.source ?? defaultSource,
    type: event.type,
    time: event.time ? new Date(event.time).toISOString() : new Date(now).toISOString(),
    ...(event.subject !== null ? { subject: event.subject } : {}),
    datacontenttype: "application/json",
    ...event.extensions,
    ...(event.externalId !== null ? { originid: event.externalId } : {}),
    data: event.data,
  };
}

/** The attributes a binary-mode request must carry; any one of them as a `ce-` header marks the request binary. */
const BINARY_REQUIRED = ["specversion", "id", "source", "type"] as const;
/** Attributes binary mode carries elsewhere (HTTP binding §3.1.1–3.1.2): a `ce-` header for one is refused. */
const NOT_A_HEADER = new Map([
  ["data", "the data is the request body in binary mode"],
  ["data_base64", "the data is the request body in binary mode"],
  ["datacontenttype", "datacontenttype is the Content-Type header in binary mode; ce-datacontenttype must not be sent"],
]);
const BAD_ENCODING = "is not valid percent-encoded UTF-8 (HTTP binding §3.1.3.2)";
const UTF8_CHARSETS = new Set(["utf-8", "utf8", "us-ascii"]);

/** A request refused with its status: 415 for the data's media type, 400 for a body that does not parse, else 422. */
export type Refusal = { ok: false; status: 400 | 415 | 422; errors: FieldError[] };
export type ParsedRequest = { ok: true; events: IncomingEvent[] } | Refusal;

/**
 * Binary content mode (CloudEvents HTTP binding 1.0 §3.1): a request whose content type is not a CloudEvents format
 * and that carries one of the required `ce-` headers. Structured and batched mode are told by their content type.
 */
export function isBinaryMode(headers: Headers): boolean {
  if (mediaType(headers.get("content-type") ?? "").startsWith("application/cloudevents")) return false;
  return BINARY_REQUIRED.some((name) => headers.has(`ce-${name}`));
}

/** Where a binary-mode attribute came from, for errors[].path. */
function binaryPath(attribute: PropertyKey): string {
  if (attribute === "datacontenttype") return "/headers/content-type";
  return attribute === "data" ? "/body" : `/headers/ce-${String(attribute)}`;
}

/**
 * Syndic keeps data as JSON: a JSON body (`application/json`, `+json`) is parsed, a text body (`text/*`, UTF-8)
 * becomes a JSON string, and an empty body is an event without data. Anything else would need base64, which Syndic
 * refuses in structured mode too (`data_base64`), so it is a 415.
 */
function binaryData(contentType: string | null, raw: Uint8Array): { data: unknown } | Refusal {
  if (!raw.length) return { data: undefined };
  const type = contentType ? mediaType(contentType) : "";
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(contentType ?? "")?.[1]?.toLowerCase();
  const json = isJsonMediaType(type);
  if ((!json && !type.startsWith("text/")) || (charset && !UTF8_CHARSETS.has(charset))) {
    const message = contentType
      ? `binary mode accepts JSON (application/json, +json) or UTF-8 text data, not ${contentType}`
      : "a binary-mode request with a body needs a Content-Type (its datacontenttype)";
    return { ok: false, status: 415, errors: [{ path: "/headers/content-type", message }] };
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(raw);
  } catch {
    return { ok: false, status: 400, errors: [{ path: "/body", message: "the body is not valid UTF-8" }] };
  }
  if (!json) return { data: text };
  try {
    return { data: JSON.parse(text) };
  } catch (error) {
    const message = `the body is not valid JSON: ${(error as Error).message}`;
    return { ok: false, status: 400, errors: [{ path: "/body", message }] };
  }
}

/**
 * A binary-mode CloudEvent: its attributes and extensions from the percent-decoded `ce-` headers, checked by the same
 * schema (and attribute-name rule) as structured mode, its data from the body. Errors name the header.
 */
export function parseBinaryCloudEvent(headers: Headers, raw: Uint8Array): ParsedRequest {
  const contentType = headers.get("content-type");
  const body = binaryData(contentType, raw);
  if ("ok" in body) return body;

  const errors: FieldError[] = [];
  const attributes: Record<string, unknown> = {};
  for (const [header, value] of headers) {
    if (!header.startsWith("ce-")) continue;
    const name = header.slice(3);
    const refusal = NOT_A_HEADER.get(name) ?? (ATTRIBUTE_NAME.test(name) ? null : ATTRIBUTE_NAME_RULE);
    const decoded = refusal ? null : decodeHeaderValue(value);
    if (decoded !== null) attributes[name] = decoded;
    else errors.push({ path: `/headers/${header}`, message: refusal ?? BAD_ENCODING });
  }
  for (const name of BINARY_REQUIRED) {
    if (!headers.has(`ce-${name}`)) errors.push({ path: `/headers/ce-${name}`, message: "is required in binary mode" });
  }
  if (contentType !== null) attributes.datacontenttype = contentType;
  if (body.data !== undefined) attributes.data = body.data;

  const result = CloudEventSchema.safeParse(attributes);
  // A header already refused above is not reported a second time as a missing or mistyped attribute.
  for (const issue of result.success ? [] : result.error.issues) {
    const path = binaryPath(issue.path[0] ?? "");
    if (!errors.some((error) => error.path === path)) errors.push({ path, message: issue.message });
  }
  if (!result.success || errors.length) return { ok: false, status: 422, errors };
  return { ok: true, events: [fromCloudEvent(result.data)] };
}
