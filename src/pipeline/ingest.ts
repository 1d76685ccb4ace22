import { Validator } from "@cfworker/json-schema";
import { insertEvents } from "../db/events";
import { INLINE_BODY_LIMIT, payloadKey } from "../db/payloads";
import { type EventTypeRow, listEventTypes, type SourceRow } from "../db/sources";
import type { CloudEvent } from "../domain/cloudevent";
import type { RouteMessage } from "../domain/messages";
import { newId } from "../lib/ids";
import { logStep } from "../lib/log";
import { type FieldError, invalid } from "../lib/problem";
import type { IncomingEvent } from "./formats";

export interface PublishResult {
  accepted: number;
  duplicates: number;
  ids: string[];
}

/** Compiled validators by the schema's JSON text: an edited schema is a new key by itself. */
const validators = new Map<string, Validator>();

function validatorFor(schema: Record<string, unknown>): Validator {
  const key = JSON.stringify(schema);
  let validator = validators.get(key);
  if (!validator) {
    if (validators.size > 200) validators.clear();
    validator = new Validator(schema, "2020-12", false);
    validators.set(key, validator);
  }
  return validator;
}

/** Strict sources accept registered types only; a registered schema is enforced on `data`. */
export function checkEventTypes(source: SourceRow, types: EventTypeRow[], events: IncomingEvent[]): FieldError[] {
  const byCode = new Map(types.map((type) => [type.code, type]));
  const errors: FieldError[] = [];
  events.forEach((event, i) => {
    const registered = byCode.get(event.type);
    if (!registered) {
      if (source.strict) errors.push({ path: `/${i}/type`, message: `event type "${event.type}" is not registered` });
      return;
    }
    if (!registered.schema) return;
    const result = validatorFor(registered.schema).validate(event.data ?? null);
    for (const error of result.errors.slice(0, 5)) {
      errors.push({ path: `/${i}/data${error.instanceLocation.replace(/^#/, "")}`, message: error.error });
    }
  });
  return errors;
}

/**
 * Stores the events (one D1 transaction) and rings the route queue. The 202 rests on the D1 commit alone: a queue
 * send that fails is logged and left to the sweeper. `eventTypes`, when the caller already read them with the source
 * (POST /v1/events does, in the same round trip as the key lookup), saves a read.
 */
export async function publishEvents(
  env: Env,
  source: SourceRow,
  events: IncomingEvent[],
  eventTypes?: EventTypeRow[],
): Promise<PublishResult> {
  const started = Date.now();
  const types = eventTypes ?? (await listEventTypes(env.DB, source.id));
  const errors = checkEventTypes(source, types, events);
  if (errors.length) throw invalid(errors);

  const now = Date.now();
  const rows = await Promise.all(
    events.map(async (event) => {
      const id = newId("evt", now);
      const cloudEvent: CloudEvent = {
        specversion: "1.0",
        id,
        source: event.source ?? `/sources/${source.id}`,
        type: event.type,
        time: event.time ? new Date(event.time).toISOString() : new Date(now).toISOString(),
        ...(event.subject !== null ? { subject: event.subject } : {}),
        datacontenttype: "application/json",
        ...event.extensions,
        ...(event.externalId !== null ? { originid: event.externalId } : {}),
        data: event.data,
      };
      const body = JSON.stringify(cloudEvent);
      const large = body.length > INLINE_BODY_LIMIT;
      if (large) await env.BUCKET.put(payloadKey(id), body, { httpMetadata: { contentType: "application/json" } });
      return {
        id,
        source_id: source.id,
        external_id: event.externalId ?? id,
        type: event.type,
        subject: event.subject,
        time: cloudEvent.time,
        received_at: now,
        body: large ? null : body,
        body_key: large ? payloadKey(id) : null,
      };
    }),
  );

  const stored = await insertEvents(env.DB, source.id, rows);
  const ids = rows.map((row) => stored.get(row.external_id) ?? row.id);
  const fresh = rows.filter((row) => stored.get(row.external_id) === row.id).map((row) => row.id);
  const duplicates = rows.length - fresh.length;
  const orphans = rows.filter((row) => row.body_key && !fresh.includes(row.id));
  if (orphans.length) await env.BUCKET.delete(orphans.map((row) => row.body_key!));

  if (fresh.length) {
    try {
      await env.ROUTE_QUEUE.send({ kind: "events", event_ids: fresh } satisfies RouteMessage);
    } catch (error) {
      logStep({
        stage: "ingest",
        outcome: "queue_send_failed",
        source_id: source.id,
        events: fresh.length,
        error: String(error),
      });
    }
  }
  logStep({
    stage: "ingest",
    outcome: "stored",
    source_id: source.id,
    accepted: fresh.length,
    duplicates,
    duration_ms: Date.now() - started,
  });
  return { accepted: fresh.length, duplicates, ids };
}
