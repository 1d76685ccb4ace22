import { z } from "zod";
import { sha256Hex } from "../auth/secrets";
import { type FieldError, fieldErrors } from "../lib/problem";

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
      if (!/^[a-z0-9]{1,20}$/.test(key) && key !== "data_base64") {
        ctx.addIssue({
          code: "custom",
          message: "CloudEvents attribute names are lowercase letters and digits",
          path: [key],
        });
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

/** A CloudEvent when it says `specversion`, else a plain envelope. */
function parseSingle(item: unknown, path: PropertyKey[]): ParseResult {
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
