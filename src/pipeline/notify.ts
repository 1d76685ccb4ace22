import { applyAuth, type OutboundRequest } from "../auth/outbound";
import { commitEventGroups, type EventGroup, eventGroupStatements, type NewEvent } from "../db/events";
import { LEASED } from "../db/lost-work";
import {
  claimObjects,
  type ObjectClaim,
  readNotificationBatch,
  type Settlement,
  settleStatements,
} from "../db/notification-batch";
import { commitNotifications, type NotificationInsert, type NotificationRow } from "../db/notifications";
import { INLINE_BODY_LIMIT, payloadKey } from "../db/payloads";
import type { EventTypeRow, SourceRow } from "../db/sources";
import { isRetryableStatus, parseRetryAfter, retryDelaySeconds } from "../domain/backoff";
import type { CloudEvent } from "../domain/cloudevent";
import { type Commit, groupCommitter } from "../engine/group-commit";
import { claimable, runStage, type Stage } from "../engine/stage";
import { MAX_ORIGIN_RESPONSE_BYTES } from "../lib/bounded-read";
import { RelayError } from "../lib/errors";
import { request, USER_AGENT } from "../lib/http";
import { newId } from "../lib/ids";
import { logStep } from "../lib/log";
import { assertSendable } from "../lib/url-policy";
import { fillTemplate } from "../lib/url-template";
import { type Ring, ringEvents, ringNotifications } from "../queues/ring";
import type { IncomingEvent } from "./formats";
import { checkEventTypes, StaleSource } from "./ingest";
import { sourceConfig } from "./source-config";
import { sharedAuthContext } from "./token-cache";

/**
 * ID-only notifications (CONTRACT §5). Accepting a call commits its row (grouped with concurrent calls in this
 * isolate) and rings the fetch queue; the fetch stage (on the stage engine, a batch at a time, on its own queue so a
 * notify never waits behind routing) claims each object's due calls, asks the origin, and records every outcome —
 * the fetched records as events, in the same transaction — in one write.
 */

/** Calls for the same object within this window are answered by one fetch, made when the window closes. */
export const COLLAPSE_WINDOW_S = 2;
export const NOTIFY_MAX_ATTEMPTS = 8;
const FETCH_TIMEOUT_MS = 30_000;
const LEASE_MS = FETCH_TIMEOUT_MS + 30_000;
const ORIGIN_BACKOFF = { initial_delay: 2, max_delay: 300 };

const accepts = groupCommitter<NotificationInsert, boolean>({ memberTimeoutMs: 2000 });

function acceptWith(env: Env): Commit<NotificationInsert, boolean> {
  const all = async (inserts: NotificationInsert[]) => {
    const accepted = await commitNotifications(env.DB, inserts);
    const rings = inserts
      .filter((_, i) => accepted[i])
      .map((insert) => ({ id: insert.row.id, delaySeconds: COLLAPSE_WINDOW_S }));
    // The 202 rests on the rows: a ring that fails is the sweeper's to find.
    await ringNotifications(env, rings).catch((error) =>
      logStep({ stage: "notify", outcome: "queue_send_failed", notifications: rings.length, error: String(error) }),
    );
    return accepted;
  };
  return { all, alone: async (insert) => (await all([insert]))[0] };
}

/**
 * Records the call (the 202 rests on this row) and schedules the fetch for when the collapse window closes.
 * `guard`, for a source served from the isolate's cache, makes the commit re-check its notify token and version.
 */
export async function acceptNotification(
  env: Env,
  ctx: Pick<ExecutionContext, "waitUntil">,
  source: SourceRow,
  objectId: string,
  guard: { hash: string } | null,
): Promise<string> {
  const now = Date.now();
  const id = newId("ntf", now);
  const insert: NotificationInsert = {
    row: {
      id,
      source_id: source.id,
      object_id: objectId,
      next_attempt_at: now + COLLAPSE_WINDOW_S * 1000,
      created_at: now,
    },
    guard: guard && { hash: guard.hash, version: source.version },
  };
  if (!(await accepts.submit(ctx, insert, acceptWith(env)))) throw new StaleSource(`source ${source.id} changed`);
  logStep({ stage: "notify", outcome: "accepted", notification_id: id, source_id: source.id });
  return id;
}

interface Fetched {
  status: number | null;
  json?: unknown;
  error?: string;
  retryAfter: number | null;
  /** Set when nothing was sent or asking again cannot help (no fetch config, credentials refused, too big). */
  permanent?: boolean;
}

async function fetchRecord(env: Env, source: SourceRow, objectId: string): Promise<Fetched> {
  const config = await sourceConfig(env, source);
  if (!config.fetch) {
    return { status: null, error: "the source has no fetch configuration", retryAfter: null, permanent: true };
  }
  let req: OutboundRequest;
  try {
    req = await applyAuth(
      {
        url: fillTemplate(config.fetch.url, "id", objectId),
        method: config.fetch.method,
        headers: { accept: "application/json", "user-agent": USER_AGENT, ...config.fetch.headers },
        body: "",
      },
      config.fetchAuth,
      sharedAuthContext(env, source.id),
    );
    assertSendable(env, req.url);
  } catch (error) {
    // An id that cannot fill the URL, credentials that cannot be had, a URL the policy refuses: nothing was sent.
    if (!(error instanceof RelayError)) throw error;
    return { status: null, error: error.message, retryAfter: error.retryAfter, permanent: !error.retryable };
  }
  const answer = await request(req, { timeoutMs: FETCH_TIMEOUT_MS, readLimit: MAX_ORIGIN_RESPONSE_BYTES });
  const retryAfter = parseRetryAfter(answer.retryAfter, Date.now());
  if (answer.status === null) {
    return {
      status: null,
      error: answer.error?.startsWith("timed out") ? "origin timed out" : (answer.error ?? undefined),
      retryAfter: null,
    };
  }
  if (!answer.ok) return { status: answer.status, error: `origin answered ${answer.status}`, retryAfter };
  if (!answer.complete) {
    // The same record will be as big next time: the notification ends, saying why.
    const error = `the origin's record is over ${MAX_ORIGIN_RESPONSE_BYTES} bytes (1 MiB), the most one event may be`;
    return { status: answer.status, error, retryAfter: null, permanent: true };
  }
  try {
    return { status: answer.status, json: JSON.parse(answer.body), retryAfter };
  } catch {
    return { status: answer.status, error: "origin answered with a body that is not JSON", retryAfter: null };
  }
}

interface Item {
  notification: NotificationRow;
  source: SourceRow;
  eventTypes: EventTypeRow[];
  attempt: number;
}

interface Outcome {
  fetched: Fetched;
  startedAt: number;
}

/** The event a fetched record becomes: its id is the leading notification's, so a re-run never stores it twice. */
function recordEvent(item: Item, data: unknown, now: number): { incoming: IncomingEvent; row: NewEvent } {
  const id = newId("evt", now);
  const incoming: IncomingEvent = {
    externalId: `ntf:${item.notification.id}`,
    type: item.source.fetch_config!.event_type,
    source: null,
    subject: item.notification.object_id,
    time: null,
    data,
    extensions: {},
  };
  const event: CloudEvent = {
    specversion: "1.0",
    id,
    source: `/sources/${item.source.id}`,
    type: incoming.type,
    time: new Date(now).toISOString(),
    subject: item.notification.object_id,
    datacontenttype: "application/json",
    originid: incoming.externalId!,
    data,
  };
  const body = JSON.stringify(event);
  return {
    incoming,
    row: {
      id,
      source_id: item.source.id,
      external_id: incoming.externalId!,
      type: incoming.type,
      subject: item.notification.object_id,
      time: event.time!,
      received_at: now,
      body,
      body_key: null,
    },
  };
}

/** What a fetch comes to for its notification, and, for a record, the event to store. */
function settle(item: Item, fetched: Fetched, now: number): { settlement: Settlement; row: NewEvent | null } {
  if (fetched.json !== undefined) {
    const { incoming, row } = recordEvent(item, fetched.json, now);
    const refused = checkEventTypes(item.source, item.eventTypes, [incoming]);
    if (refused.length) {
      const detail = `${refused[0].path}: ${refused[0].message}`;
      return { settlement: { status: "failed", error: `the record was refused: ${detail}` }, row: null };
    }
    return {
      settlement: {
        status: "published",
        last_status_code: fetched.status,
        event: { source_id: row.source_id, external_id: row.external_id },
      },
      row,
    };
  }
  if (fetched.status === 404) {
    return { settlement: { status: "not_found", last_status_code: 404, error: fetched.error }, row: null };
  }
  const retryable =
    fetched.status === null ? !fetched.permanent : isRetryableStatus(fetched.status) && !fetched.permanent;
  if (!retryable || item.attempt >= NOTIFY_MAX_ATTEMPTS) {
    return { settlement: { status: "failed", last_status_code: fetched.status, error: fetched.error }, row: null };
  }
  const delay = retryDelaySeconds(ORIGIN_BACKOFF, item.attempt, fetched.retryAfter);
  return {
    settlement: {
      status: "retrying",
      last_status_code: fetched.status,
      error: fetched.error,
      next_attempt_at: now + delay * 1000,
    },
    row: null,
  };
}

function fetchStage(env: Env): Stage<Item, Outcome, Ring> {
  return {
    name: "fetch_batch",

    async claim(ids, now) {
      const batch = await readNotificationBatch(env.DB, ids);
      const leaders = new Map<string, NotificationRow>();
      const failures: Array<{ id: string; error: string }> = [];
      for (const row of batch.notifications) {
        if (!claimable(row, LEASED.notifications.statuses, now)) continue;
        if (!batch.sources.has(row.source_id)) {
          failures.push({ id: row.id, error: "the source was deleted" });
          continue;
        }
        // Several calls for one object in the batch: the first leads, the others fold into it.
        const object = `${row.source_id}\n${row.object_id}`;
        if (!leaders.has(object)) leaders.set(object, row);
      }
      const claims: ObjectClaim[] = [...leaders.values()].map((leader) => ({ leader, leaseUntil: now + LEASE_MS }));
      const won = await claimObjects(env.DB, claims, failures, now);
      return [...leaders.values()]
        .filter((row) => won.has(row.id))
        .map((row) => ({
          notification: row,
          source: batch.sources.get(row.source_id)!,
          eventTypes: batch.eventTypes.get(row.source_id) ?? [],
          attempt: row.attempts + 1,
        }));
    },

    async act(item) {
      const startedAt = Date.now();
      return { fetched: await fetchRecord(env, item.source, item.notification.object_id), startedAt };
    },

    failed: (_item, error) => ({
      fetched: { status: null, error: `internal error: ${String(error)}`, retryAfter: null },
      startedAt: Date.now(),
    }),

    targetOf: (item) => item.source.id,

    async record(done, now) {
      const settled = done.map(({ item, outcome }) => ({ item, outcome, ...settle(item, outcome.fetched, now) }));
      // Records over the inline limit go to R2 before any row names them.
      for (const entry of settled) {
        if (entry.row?.body && entry.row.body.length > INLINE_BODY_LIMIT) {
          await env.BUCKET.put(payloadKey(entry.row.id), entry.row.body, {
            httpMetadata: { contentType: "application/json" },
          });
          entry.row = { ...entry.row, body: null, body_key: payloadKey(entry.row.id) };
        }
      }
      const bySource = new Map<string, NewEvent[]>();
      for (const { row } of settled)
        if (row) bySource.set(row.source_id, [...(bySource.get(row.source_id) ?? []), row]);
      const groups: EventGroup[] = [...bySource].map(([sourceId, rows]) => ({ sourceId, guard: null, rows }));
      const events = eventGroupStatements(env.DB, groups);
      const settles = settled.flatMap(({ item, settlement }) =>
        settleStatements(env.DB, item.notification.id, settlement, now),
      );
      const results = await env.DB.batch<{ n?: number; id?: string; external_id?: string }>([
        ...events.statements,
        ...settles,
      ]);
      const stored = events.read(results);
      const fresh = groups.map((group, i) =>
        group.rows.filter((row) => stored[i].stored.get(row.external_id) === row.id).map((row) => row.id),
      );
      if (fresh.some((ids) => ids.length)) {
        await ringEvents(env, fresh).catch((error) =>
          logStep({ stage: "notify", outcome: "queue_send_failed", events: fresh.flat().length, error: String(error) }),
        );
      }
      for (const { item, outcome, settlement } of settled) {
        logStep({
          stage: "notify",
          outcome: settlement.status,
          notification_id: item.notification.id,
          source_id: item.source.id,
          attempt: item.attempt,
          status_code: outcome.fetched.status,
          duration_ms: now - outcome.startedAt,
        });
      }
      return settled
        .filter(({ settlement }) => settlement.status === "retrying")
        .map(({ item, settlement }) => ({
          id: item.notification.id,
          delaySeconds: (settlement.next_attempt_at! - now) / 1000,
        }));
    },

    ring: (rings) => ringNotifications(env, rings),
  };
}

/** The origin fetch of every due notification among `ids`. */
export async function fetchNotifications(env: Env, ids: readonly string[]): Promise<void> {
  await runStage(fetchStage(env), ids);
}

/** A notification rung on the route queue before fetches had their own (kept for messages sent before an upgrade). */
export const runNotification = (env: Env, id: string) => fetchNotifications(env, [id]);

export { commitEventGroups };
