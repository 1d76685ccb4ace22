import { Validator } from "@cfworker/json-schema";
import { commitEventGroups, type EventGroup, type StoredGroup } from "../db/events";
import { INLINE_BODY_LIMIT, payloadKey } from "../db/payloads";
import { type EventTypeRow, listEventTypes, type SourceRow } from "../db/sources";
import { type Commit, groupCommitter } from "../engine/group-commit";
import { newId } from "../lib/ids";
import { logStep } from "../lib/log";
import { type FieldError, invalid } from "../lib/problem";
import { ringEvents } from "../queues/ring";
import { type IncomingEvent, toCloudEvent } from "./formats";

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

/** A guarded commit was refused: the cached source changed (a new key, a PATCH, an event type). Read it again. */
export class StaleSource extends Error {
  override name = "StaleSource";
}

export interface PublishOptions {
  /** A request's execution context: publishes arriving together in this isolate share one commit. */
  ctx?: Pick<ExecutionContext, "waitUntil">;
  /** The source was served from the isolate's cache: its commit re-checks this hash and the source's version. */
  guard?: { column: "api_key_hash" | "notify_token_hash"; hash: string };
}

/** How long a grouped publish waits for its group before committing alone (idempotent, so never twice stored). */
const MEMBER_TIMEOUT_MS = 2000;
const committer = groupCommitter<EventGroup, StoredGroup>({ memberTimeoutMs: MEMBER_TIMEOUT_MS });

const freshIds = (group: EventGroup, stored: StoredGroup) =>
  group.rows.filter((row) => stored.stored.get(row.external_id) === row.id).map((row) => row.id);

/**
 * Commits groups of rows in one D1 transaction, then rings the route queue once for all of them, a message per
 * source. The 202 rests on the commit alone: a ring that fails is logged and left to the sweeper.
 */
function commitWith(env: Env): Commit<EventGroup, StoredGroup> {
  const all = async (groups: EventGroup[]) => {
    const results = await commitEventGroups(env.DB, groups);
    // One ring per source, not per request: a group of 30 single-event publishes is one route message, while
    // sources never share one (one publisher's bad event never shares a retry with another's).
    const bySource = new Map<string, string[]>();
    groups.forEach((group, i) => {
      const ids = freshIds(group, results[i]);
      if (ids.length) bySource.set(group.sourceId, [...(bySource.get(group.sourceId) ?? []), ...ids]);
    });
    const rings = [...bySource.values()];
    if (rings.length) {
      await ringEvents(env, rings).catch((error) =>
        logStep({ stage: "ingest", outcome: "queue_send_failed", events: rings.flat().length, error: String(error) }),
      );
    }
    if (groups.length > 1) logStep({ stage: "ingest", outcome: "group_committed", requests: groups.length });
    return results;
  };
  return { all, alone: async (group) => (await all([group]))[0] };
}

/**
 * Stores the events and rings the route queue. With a request's `ctx`, concurrent publishes in this isolate share
 * one commit (engine/group-commit.ts); without, the events commit alone. `eventTypes`, when the caller already has
 * them with the source (POST /v1/events does), saves a read. Throws StaleSource when a guarded commit is refused.
 */
export async function publishEvents(
  env: Env,
  source: SourceRow,
  events: IncomingEvent[],
  eventTypes?: EventTypeRow[],
  options: PublishOptions = {},
): Promise<PublishResult> {
  const started = Date.now();
  const types = eventTypes ?? (await listEventTypes(env.DB, source.id));
  const errors = checkEventTypes(source, types, events);
  if (errors.length) throw invalid(errors);

  const now = Date.now();
  const rows = await Promise.all(
    events.map(async (event) => {
      const id = newId("evt", now);
      const cloudEvent = toCloudEvent(event, id, `/sources/${source.id}`, now);
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

  const group: EventGroup = {
    sourceId: source.id,
    guard: options.guard ? { ...options.guard, version: source.version } : null,
    rows,
  };
  const commit = commitWith(env);
  const result = options.ctx ? await committer.submit(options.ctx, group, commit) : await commit.alone(group);
  const fresh = new Set(freshIds(group, result));
  const orphans = rows.filter((row) => row.body_key && !fresh.has(row.id));
  if (orphans.length) await env.BUCKET.delete(orphans.map((row) => row.body_key!));
  if (!result.accepted) throw new StaleSource(`source ${source.id} changed since it was read`);

  const ids = rows.map((row) => result.stored.get(row.external_id) ?? row.id);
  const duplicates = rows.length - fresh.size;
  logStep({
    stage: "ingest",
    outcome: "stored",
    source_id: source.id,
    accepted: fresh.size,
    duplicates,
    duration_ms: Date.now() - started,
  });
  return { accepted: fresh.size, duplicates, ids };
}
