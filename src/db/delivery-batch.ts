import type { SentRequest } from "../domain/redact-request";
import { type DeliveryRow, requestColumns } from "./deliveries";
import { type DestinationRow, destinationFromStored, type StoredDestination } from "./destinations";
import type { EventRow } from "./events";
import { claimUnderLease, LEASED, type LeaseClaim } from "./lost-work";
import { countRowsStatement } from "./stats";
import { type StoredSubscription, type SubscriptionRow, subscriptionFromStored } from "./subscriptions";
import { IDS } from "./util";

/**
 * The deliver stage's SQL, a batch at a time: one read, one claim and one record per batch of deliveries, whatever its
 * size. Lists travel as one JSON parameter (`json_each(?)`), so D1's 100 bound parameters never limit a batch.
 */

export interface DeliveryBatch {
  deliveries: DeliveryRow[];
  destinations: Map<string, DestinationRow>;
  subscriptions: Map<string, SubscriptionRow>;
}

/** The deliveries, their destinations and their subscriptions: one round trip. */
export async function readDeliveryBatch(db: D1Database, ids: readonly string[]): Promise<DeliveryBatch> {
  const list = JSON.stringify(ids);
  const [deliveries, destinations, subscriptions] = await db.batch<unknown>([
    db.prepare(`SELECT * FROM deliveries WHERE id IN (${IDS})`).bind(list),
    db
      .prepare(`SELECT * FROM destinations WHERE id IN (SELECT destination_id FROM deliveries WHERE id IN (${IDS}))`)
      .bind(list),
    db
      .prepare(`SELECT * FROM subscriptions WHERE id IN (SELECT subscription_id FROM deliveries WHERE id IN (${IDS}))`)
      .bind(list),
  ]);
  return {
    deliveries: deliveries.results as DeliveryRow[],
    destinations: new Map(
      (destinations.results as StoredDestination[]).map((row) => [row.id, destinationFromStored(row)]),
    ),
    subscriptions: new Map(
      (subscriptions.results as StoredSubscription[]).map((row) => [row.id, subscriptionFromStored(row)]),
    ),
  };
}

/** The next attempt at one delivery, as the batch claims it. */
export type Claim = LeaseClaim;

export interface Settle {
  id: string;
  n: number;
  status: "dead" | "held";
  error: string | null;
}

/**
 * Takes the next attempt of every claim (guarded by its attempt count, so a duplicate message sends nothing) and
 * settles what needs no push (a deleted destination, a disabled one) in the same transaction. Returns the ids won.
 */
export async function claimDeliveries(
  db: D1Database,
  claims: readonly Claim[],
  settles: readonly Settle[],
  now: number,
): Promise<Set<string>> {
  const list = JSON.stringify(settles);
  const settle = settles.length
    ? [
        // Ended without an attempt (its destination or payload is gone): still a dead delivery on the overview,
        // counted before the update with its condition.
        countRowsStatement(
          db,
          "deliveries_dead",
          now,
          `SELECT d.destination_id AS key FROM json_each(?1) AS j JOIN deliveries d ON d.id = json_extract(j.value, '$.id')
           WHERE json_extract(j.value, '$.status') = 'dead' AND d.attempts = json_extract(j.value, '$.n')
             AND +d.status IN ('ready', 'retrying') AND d.destination_id IS NOT NULL`,
          list,
        ),
        db
          .prepare(
            `UPDATE deliveries SET status = json_extract(j.value, '$.status'),
               last_error = coalesce(json_extract(j.value, '$.error'), last_error), lease_until = NULL, updated_at = ?2
             FROM json_each(?1) AS j
             WHERE deliveries.id = json_extract(j.value, '$.id') AND deliveries.attempts = json_extract(j.value, '$.n')
               AND +deliveries.status IN ('ready', 'retrying')`,
          )
          .bind(list, now),
      ]
    : [];
  return claimUnderLease(db, LEASED.deliveries, claims, settle, now);
}

/** What one attempt comes to, as the record writes it. */
export interface AttemptRecord {
  id: string;
  /** The attempt's number: the row's attempts after the claim. */
  n: number;
  status: "sent" | "retrying" | "dead" | "held";
  next_attempt_at: number | null;
  at: number;
  duration_ms: number;
  status_code: number | null;
  error: string | null;
  response_excerpt: string | null;
  /** What the attempt sent, already redacted (domain/redact-request.ts); null when nothing was sent. */
  request: SentRequest | null;
}

/**
 * A bound JSON list stays well under D1's 2 MB value limit: a batch of 250 attempts whose requests each keep their
 * full 4 KiB of headers and a long URL would come near it in one parameter.
 */
const INSERT_LIST_BYTES = 512 * 1024;

function insertLists(attempts: readonly AttemptRecord[]): string[] {
  const lists: string[] = [];
  let rows: string[] = [];
  let bytes = 0;
  for (const { request, ...attempt } of attempts) {
    const row = JSON.stringify({ ...attempt, ...requestColumns(request) });
    if (rows.length && bytes + row.length > INSERT_LIST_BYTES) {
      lists.push(`[${rows.join(",")}]`);
      rows = [];
      bytes = 0;
    }
    rows.push(row);
    bytes += row.length + 1;
  }
  if (rows.length) lists.push(`[${rows.join(",")}]`);
  return lists;
}

export interface DestinationOutcome {
  id: string;
  ok: boolean;
  /** Set when the attempt disabled the destination (410, or failing for 3 days): its owed deliveries are held. */
  disable: string | null;
}

/**
 * Every attempt of the batch and its delivery's move, each guarded by the attempt number (recorded once however
 * often a message arrives), the destinations' failure streaks, and the statements given (next steps), in one
 * transaction.
 */
export async function recordAttempts(
  db: D1Database,
  attempts: readonly AttemptRecord[],
  destinations: readonly DestinationOutcome[],
  also: readonly D1PreparedStatement[],
  now: number,
): Promise<void> {
  const statements: D1PreparedStatement[] = [];
  if (attempts.length) {
    for (const list of insertLists(attempts)) {
      statements.push(
        db
          .prepare(
            `INSERT OR IGNORE INTO attempts (delivery_id, n, at, duration_ms, status_code, error, response_excerpt,
               request_method, request_url, request_headers)
             SELECT json_extract(value, '$.id'), json_extract(value, '$.n'), json_extract(value, '$.at'),
               json_extract(value, '$.duration_ms'), json_extract(value, '$.status_code'), json_extract(value, '$.error'),
               json_extract(value, '$.response_excerpt'), json_extract(value, '$.request_method'),
               json_extract(value, '$.request_url'), json_extract(value, '$.request_headers')
             FROM json_each(?1)`,
          )
          .bind(list),
      );
    }
    // The delivery moves need no request: a list without it stays small.
    const list = JSON.stringify(attempts.map(({ request: _, ...attempt }) => attempt));
    statements.push(
      db
        .prepare(
          `UPDATE deliveries SET status = json_extract(j.value, '$.status'),
             next_attempt_at = json_extract(j.value, '$.next_attempt_at'), lease_until = NULL, swept_at = NULL,
             last_status_code = json_extract(j.value, '$.status_code'), last_error = json_extract(j.value, '$.error'),
             updated_at = ?2,
             sent_at = CASE WHEN json_extract(j.value, '$.status') = 'sent' THEN ?2 ELSE sent_at END
           FROM json_each(?1) AS j
           WHERE deliveries.id = json_extract(j.value, '$.id') AND deliveries.attempts = json_extract(j.value, '$.n')`,
        )
        .bind(list, now),
    );
  }
  const succeeded = destinations.filter((outcome) => outcome.ok).map((outcome) => outcome.id);
  const failed = destinations.filter((outcome) => !outcome.ok).map((outcome) => outcome.id);
  if (succeeded.length) {
    statements.push(
      db
        .prepare(`UPDATE destinations SET failing_since = NULL WHERE id IN (${IDS}) AND failing_since IS NOT NULL`)
        .bind(JSON.stringify(succeeded)),
    );
  }
  if (failed.length) {
    statements.push(
      db
        .prepare(`UPDATE destinations SET failing_since = coalesce(failing_since, ?2) WHERE id IN (${IDS})`)
        .bind(JSON.stringify(failed), now),
    );
  }
  for (const outcome of destinations) {
    if (!outcome.disable) continue;
    statements.push(
      db
        .prepare(
          "UPDATE destinations SET disabled_at = ?2, disabled_reason = ?3, updated_at = ?2 WHERE id = ?1 AND disabled_at IS NULL",
        )
        .bind(outcome.id, now, outcome.disable),
      db
        .prepare(
          `UPDATE deliveries SET status = 'held', updated_at = ?2 WHERE destination_id = ?1
             AND status IN ('ready', 'retrying') AND (lease_until IS NULL OR lease_until < ?2)`,
        )
        .bind(outcome.id, now),
    );
  }
  statements.push(...also);
  if (statements.length) await db.batch(statements);
}

/** The events of sent deliveries whose next step is due: one read for the batch. */
export async function eventsForNextSteps(db: D1Database, eventIds: readonly string[]): Promise<Map<string, EventRow>> {
  if (!eventIds.length) return new Map();
  const { results } = await db
    .prepare(`SELECT * FROM events WHERE id IN (${IDS})`)
    .bind(JSON.stringify(eventIds))
    .all<EventRow>();
  return new Map(results.map((row) => [row.id, row]));
}
