import { chunk, MAX_PARAMS, placeholders } from "./util";

export interface UnroutedEvent {
  id: string;
  source_id: string;
}

/**
 * Events received before `receivedBefore` and still unrouted, whose route message seems lost: not rung by a sweep
 * since `sweptBefore`. Oldest first.
 */
export async function unroutedEventsToRing(
  db: D1Database,
  receivedBefore: number,
  sweptBefore: number,
  limit: number,
): Promise<UnroutedEvent[]> {
  const { results } = await db
    .prepare(
      `SELECT id, source_id FROM events WHERE routed_at IS NULL AND received_at <= ?
         AND (swept_at IS NULL OR swept_at < ?)
       ORDER BY received_at LIMIT ?`,
    )
    .bind(receivedBefore, sweptBefore, limit)
    .all<UnroutedEvent>();
  return results;
}

export async function markEventsSwept(db: D1Database, ids: string[], now: number): Promise<void> {
  if (!ids.length) return;
  await db.batch(
    chunk(ids, MAX_PARAMS - 1).map((group) =>
      db.prepare(`UPDATE events SET swept_at = ? WHERE id IN (${placeholders(group.length)})`).bind(now, ...group),
    ),
  );
}

/**
 * The tables whose rows are claimed under a lease and re-rung by the sweeper: one lost-work query serves them all.
 * `key` is the column a queue message names.
 */
export const LEASED = {
  deliveries: { table: "deliveries", key: "id", statuses: ["ready", "retrying"] },
  notifications: { table: "notifications", key: "id", statuses: ["pending", "retrying"] },
  announcements: { table: "archive_announcements", key: "archive_id", statuses: ["ready", "retrying"] },
  fileDeliveries: { table: "file_deliveries", key: "id", statuses: ["pending", "retrying"] },
  subscriptionNotices: { table: "subscription_notices", key: "id", statuses: ["ready", "retrying"] },
} as const;

export type Leased = (typeof LEASED)[keyof typeof LEASED];

/**
 * Rows due before `dueBefore` whose queue message seems lost: no live lease, and not swept since `sweptBefore` (so a
 * slow queue does not get a pile of duplicate doorbells). Oldest due first.
 */
export async function lostWork(
  db: D1Database,
  leased: Leased,
  window: { dueBefore: number; sweptBefore: number; now: number; limit: number },
): Promise<string[]> {
  const { results } = await db
    .prepare(
      `SELECT ${leased.key} AS id FROM ${leased.table}
       WHERE status IN (SELECT value FROM json_each(?1)) AND next_attempt_at <= ?2
         AND (lease_until IS NULL OR lease_until < ?3) AND (swept_at IS NULL OR swept_at < ?4)
       ORDER BY next_attempt_at LIMIT ?5`,
    )
    .bind(JSON.stringify(leased.statuses), window.dueBefore, window.now, window.sweptBefore, window.limit)
    .all<{ id: string }>();
  return results.map((row) => row.id);
}

/** Marks rows rung by a sweep, once their doorbell is really in the queue. */
export async function markWorkSwept(
  db: D1Database,
  leased: Leased,
  ids: readonly string[],
  now: number,
): Promise<void> {
  if (!ids.length) return;
  await db
    .prepare(`UPDATE ${leased.table} SET swept_at = ?1 WHERE ${leased.key} IN (SELECT value FROM json_each(?2))`)
    .bind(now, JSON.stringify(ids))
    .run();
}

/** The next attempt at one row, as a batch claims it. */
export interface LeaseClaim {
  /** The row's key (`leased.key`). */
  id: string;
  /** The attempt count the row was read with: only one consumer wins a given attempt. */
  n: number;
  lease_until: number;
}

/** The claim statement of a leased table: exported so a test can check its plan, not only its result. */
export function leaseClaimSql(leased: Leased): string {
  const table = leased.table;
  const owed = leased.statuses.map((status) => `'${status}'`).join(", ");
  // `+status` keeps the status index (and the partial due index) out of the plan: with it SQLite walks every owed
  // row of the table for each claim (570 ms per 100 claims behind a 20,000-row backlog); without it, one key lookup.
  return `UPDATE ${table} SET attempts = attempts + 1, lease_until = json_extract(j.value, '$.lease_until'), updated_at = ?2
       FROM json_each(?1) AS j
       WHERE ${table}.${leased.key} = json_extract(j.value, '$.id') AND ${table}.attempts = json_extract(j.value, '$.n')
         AND +${table}.status IN (${owed}) AND (${table}.lease_until IS NULL OR ${table}.lease_until <= ?2)
       RETURNING ${table}.${leased.key} AS id`;
}

/**
 * Takes the next attempt of every claim (attempts + 1 and the lease, where the row still has the attempt count it was
 * read with, is owed and holds no live lease, so a duplicate message takes nothing) and runs `also` (settling what
 * needs no action) in the same transaction. Returns the keys won.
 */
export async function claimUnderLease(
  db: D1Database,
  leased: Leased,
  claims: readonly LeaseClaim[],
  also: readonly D1PreparedStatement[],
  now: number,
): Promise<Set<string>> {
  const claim = db.prepare(leaseClaimSql(leased)).bind(JSON.stringify(claims), now);
  const statements = [...(claims.length ? [claim] : []), ...also];
  if (!statements.length) return new Set();
  const results = await db.batch<{ id: string }>(statements);
  return new Set(claims.length ? results[0].results.map((row) => row.id) : []);
}

/** An owed row that can no longer be worked (what it goes to was deleted or switched off), and why. */
export interface LeaseAbandon {
  id: string;
  /** The attempt count the row was read with: a row claimed meanwhile is left to its claimer. */
  n: number;
  error: string;
}

/**
 * Ends the abandoned rows of a table with `last_error` (announcements, file deliveries) as `dead` with their reason,
 * each only at the attempt count it was read with and while still owed: run it in the claim's transaction
 * (`claimUnderLease`'s `also`).
 */
export function abandonStatements(
  db: D1Database,
  leased: Leased,
  abandons: readonly LeaseAbandon[],
  now: number,
): D1PreparedStatement[] {
  if (!abandons.length) return [];
  const { table, key } = leased;
  const owed = leased.statuses.map((status) => `'${status}'`).join(", ");
  return [
    db
      .prepare(
        `UPDATE ${table} SET status = 'dead', last_error = json_extract(j.value, '$.error'),
           lease_until = NULL, next_attempt_at = NULL, updated_at = ?2
         FROM json_each(?1) AS j
         WHERE ${table}.${key} = json_extract(j.value, '$.id') AND ${table}.attempts = json_extract(j.value, '$.n')
           AND +${table}.status IN (${owed})`,
      )
      .bind(JSON.stringify(abandons), now),
  ];
}

/** What one attempt at a row comes to, as `recordUnderLease` writes it. */
export interface LeaseRecord {
  id: string;
  /** The attempt's number: the row's attempts after the claim. */
  n: number;
  status: string;
  next_attempt_at: number | null;
  status_code: number | null;
  error: string | null;
  /** When the attempt finished. */
  at: number;
}

/**
 * Every attempt's outcome for a table with `last_status_code`, `last_error` and `sent_at` (announcements, file
 * deliveries), in one statement, each guarded by its attempt number: a stale writer (another attempt has since been
 * claimed) changes nothing. `keep` names further fields of the record, written to the columns of the same name,
 * where a null leaves what an earlier attempt wrote. `also` goes in the same transaction (the stage's counters).
 */
export async function recordUnderLease<R extends LeaseRecord>(
  db: D1Database,
  leased: Leased,
  records: readonly R[],
  keep: ReadonlyArray<Exclude<keyof R & string, keyof LeaseRecord>> = [],
  also: readonly D1PreparedStatement[] = [],
): Promise<void> {
  if (!records.length) return;
  const { table, key } = leased;
  const kept = keep.map((column) => `${column} = coalesce(json_extract(j.value, '$.${column}'), ${column}),`).join(" ");
  const record = db
    .prepare(
      `UPDATE ${table} SET status = json_extract(j.value, '$.status'),
         next_attempt_at = json_extract(j.value, '$.next_attempt_at'), lease_until = NULL, swept_at = NULL,
         last_status_code = json_extract(j.value, '$.status_code'), last_error = json_extract(j.value, '$.error'),
         ${kept} updated_at = json_extract(j.value, '$.at'),
         sent_at = CASE WHEN json_extract(j.value, '$.status') = 'sent' THEN json_extract(j.value, '$.at') ELSE sent_at END
       FROM json_each(?1) AS j
       WHERE ${table}.${key} = json_extract(j.value, '$.id') AND ${table}.attempts = json_extract(j.value, '$.n')`,
    )
    .bind(JSON.stringify(records));
  if (also.length) await db.batch([record, ...also]);
  else await record.run();
}

/**
 * The claim of a batch that also ends, in the same transaction, the rows that can no longer be sent (`dead` with the
 * reason): what every engine stage's claim does, whichever table it leases.
 */
export function claimOrAbandon(
  db: D1Database,
  leased: Leased,
  claims: readonly LeaseClaim[],
  abandons: readonly LeaseAbandon[],
  now: number,
): Promise<Set<string>> {
  return claimUnderLease(db, leased, claims, abandonStatements(db, leased, abandons, now), now);
}
