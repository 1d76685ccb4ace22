import type { Counter } from "../domain/stats";
import type { FileDeliveryStatus } from "../domain/status";
import { idTimePrefix } from "../lib/ids";
import { countRowsStatement } from "./stats";
import { listNewestFirst, type Page } from "./util";

/** One file sent to one archive target: an archive's zip, or a test file (`archive_id` null, `test` set). */
export interface FileDeliveryRow {
  id: string;
  target_id: string;
  subscriber_id: string;
  archive_id: string | null;
  test: number;
  file_name: string;
  status: FileDeliveryStatus;
  attempts: number;
  /** The attempt count a manual retry started a fresh budget from. */
  budget_start: number;
  next_attempt_at: number | null;
  lease_until: number | null;
  swept_at: number | null;
  last_status_code: number | null;
  last_error: string | null;
  bytes: number | null;
  /** Where the file was written: the URL, the object key, the remote path. */
  remote: string | null;
  /** The import job the trigger started (s3 with `then`), which its callback names. */
  job_id: string | null;
  /** While `sent` with an import triggered: when it turns `unconfirmed` if no callback came. */
  callback_due_at: number | null;
  created_at: number;
  updated_at: number;
  sent_at: number | null;
}

/** A target's test file, due now. */
export async function insertTestFileDelivery(
  db: D1Database,
  row: Pick<FileDeliveryRow, "id" | "target_id" | "subscriber_id" | "file_name">,
  now: number,
): Promise<void> {
  await db
    .prepare(
      `INSERT INTO file_deliveries (id, target_id, subscriber_id, archive_id, test, file_name, status, next_attempt_at,
         created_at, updated_at)
       VALUES (?1, ?2, ?3, NULL, 1, ?4, 'pending', ?5, ?5, ?5)`,
    )
    .bind(row.id, row.target_id, row.subscriber_id, row.file_name, now)
    .run();
}

/**
 * One delivery of each ready archive per enabled target of its subscriber that existed when it turned ready, one
 * statement per archive in one batch; idempotent on (archive, target), so the build job and the sweeper may both ask.
 * Ids are made in SQL: the time part of a Syndic id, then 16 random hex digits (hex is within the id alphabet).
 * Returns the new ids.
 */
export async function insertArchiveFileDeliveries(
  db: D1Database,
  archives: ReadonlyArray<{ id: string; file_name: string }>,
  now: number,
): Promise<string[]> {
  if (!archives.length) return [];
  const results = await db.batch<{ id: string }>(
    archives.map((archive) =>
      db
        .prepare(
          `INSERT INTO file_deliveries (id, target_id, subscriber_id, archive_id, test, file_name, status,
             next_attempt_at, created_at, updated_at)
           SELECT ?2 || lower(hex(randomblob(8))), t.id, t.subscriber_id, a.id, 0, ?3, 'pending', ?4, ?4, ?4
           FROM archives a JOIN archive_targets t ON t.subscriber_id = a.subscriber_id
           WHERE a.id = ?1 AND a.status = 'ready' AND t.enabled = 1 AND t.created_at <= coalesce(a.ready_at, ?4)
           ON CONFLICT (archive_id, target_id) DO NOTHING
           RETURNING id`,
        )
        .bind(archive.id, idTimePrefix("fdl", now), archive.file_name, now),
    ),
  );
  return results.flatMap((result) => result.results.map((row) => row.id));
}

/** What names an archive's file (archive/eventfile-name.ts). */
export interface MissingDeliveries {
  id: string;
  period_start: string;
  period_end: string;
  partial: boolean;
  to_ms: number;
}

/**
 * Archives that turned ready in [readySince, readyBefore) and lack a delivery to an enabled target that existed by
 * then: the build job stopped between marking the archive ready and recording its deliveries.
 */
export async function archivesMissingFileDeliveries(
  db: D1Database,
  readySince: number,
  readyBefore: number,
  limit: number,
): Promise<MissingDeliveries[]> {
  const { results } = await db
    .prepare(
      `SELECT a.id, a.period_start, a.period_end, a.partial, a.to_ms FROM archives a
       WHERE a.status = 'ready' AND a.ready_at >= ?1 AND a.ready_at < ?2
         AND EXISTS (SELECT 1 FROM archive_targets t
           WHERE t.subscriber_id = a.subscriber_id AND t.enabled = 1 AND t.created_at <= a.ready_at
             AND NOT EXISTS (SELECT 1 FROM file_deliveries f WHERE f.archive_id = a.id AND f.target_id = t.id))
       ORDER BY a.ready_at LIMIT ?3`,
    )
    .bind(readySince, readyBefore, limit)
    .all<Omit<MissingDeliveries, "partial"> & { partial: number }>();
  return results.map((row) => ({ ...row, partial: row.partial === 1 }));
}

export function getFileDelivery(db: D1Database, id: string): Promise<FileDeliveryRow | null> {
  return db.prepare("SELECT * FROM file_deliveries WHERE id = ?").bind(id).first<FileDeliveryRow>();
}

/** A target's deliveries, newest first, optionally in one status. */
export function listFileDeliveries(
  db: D1Database,
  targetId: string,
  status: FileDeliveryStatus | undefined,
  limit: number,
  cursor?: string,
): Promise<Page<FileDeliveryRow>> {
  return listNewestFirst<FileDeliveryRow>(db, "file_deliveries", { target_id: targetId, status }, limit, cursor);
}

/**
 * Puts a finished or failing delivery back in line now, with a fresh attempt budget. Not one in flight (a live
 * lease): its attempt's outcome would land on top.
 */
export async function requeueFileDelivery(db: D1Database, id: string, now: number): Promise<boolean> {
  const result = await db
    .prepare(
      `UPDATE file_deliveries SET status = 'pending', next_attempt_at = ?1, swept_at = NULL, lease_until = NULL,
         callback_due_at = NULL, budget_start = attempts, updated_at = ?1
       WHERE id = ?2 AND status IN ('retrying', 'sent', 'dead', 'confirmed', 'unconfirmed', 'failed')
         AND (lease_until IS NULL OR lease_until <= ?1)`,
    )
    .bind(now, id)
    .run();
  return (result.meta.changes ?? 0) > 0;
}

/** Ends owed deliveries as dead with the reason (a dead-lettered queue message). */
export async function markFileDeliveriesDead(
  db: D1Database,
  ids: readonly string[],
  reason: string,
  now: number,
): Promise<void> {
  if (!ids.length) return;
  await db
    .prepare(
      `UPDATE file_deliveries SET status = 'dead', last_error = ?1, lease_until = NULL, next_attempt_at = NULL,
         updated_at = ?2
       WHERE id IN (SELECT value FROM json_each(?3)) AND +status IN ('pending', 'retrying')`,
    )
    .bind(reason, now, JSON.stringify(ids))
    .run();
}

/** The delivery an import callback is about: the target's latest one whose trigger started `jobId`. */
export function fileDeliveryOfJob(db: D1Database, targetId: string, jobId: string): Promise<FileDeliveryRow | null> {
  return db
    .prepare("SELECT * FROM file_deliveries WHERE target_id = ? AND job_id = ? ORDER BY id DESC LIMIT 1")
    .bind(targetId, jobId)
    .first<FileDeliveryRow>();
}

/** Deliveries waiting for their import's outcome: `sent` with a trigger answered, or `unconfirmed` past its wait. */
const AWAITING_CALLBACK = "status IN ('sent', 'unconfirmed') AND job_id = ?2";

/** The import reported success: `confirmed`. False when the delivery no longer waits for this job. */
export async function confirmImport(db: D1Database, id: string, jobId: string, now: number): Promise<boolean> {
  const [, result] = await db.batch([
    countAwaiting(db, "files_confirmed", id, jobId, now),
    db
      .prepare(
        `UPDATE file_deliveries SET status = 'confirmed', callback_due_at = NULL, last_error = NULL, updated_at = ?3
         WHERE id = ?1 AND ${AWAITING_CALLBACK}`,
      )
      .bind(id, jobId, now),
  ]);
  return (result.meta.changes ?? 0) > 0;
}

/** The overview's count of a callback's outcome, taken in the transaction of the write it counts (before it). */
function countAwaiting(db: D1Database, metric: Counter, id: string, jobId: string, now: number) {
  return countRowsStatement(
    db,
    metric,
    now,
    `SELECT target_id AS key FROM file_deliveries WHERE id = ?1 AND ${AWAITING_CALLBACK}`,
    id,
    jobId,
  );
}

/**
 * The import reported failure: `retrying` at `nextAttemptAt` (the trigger goes again on the target's policy), or
 * `failed` for good when the budget is spent. False when the delivery no longer waits for this job.
 */
export async function failImport(
  db: D1Database,
  id: string,
  jobId: string,
  outcome: { status: "retrying" | "failed"; next_attempt_at: number | null; error: string },
  now: number,
): Promise<boolean> {
  const [, result] = await db.batch([
    countAwaiting(db, "files_import_failed", id, jobId, now),
    db
      .prepare(
        `UPDATE file_deliveries SET status = ?3, next_attempt_at = ?4, last_error = ?5, callback_due_at = NULL,
           swept_at = NULL, updated_at = ?6
         WHERE id = ?1 AND ${AWAITING_CALLBACK}`,
      )
      .bind(id, jobId, outcome.status, outcome.next_attempt_at, outcome.error, now),
  ]);
  return (result.meta.changes ?? 0) > 0;
}

export type OverdueImport = Pick<FileDeliveryRow, "id" | "target_id" | "subscriber_id" | "job_id" | "file_name">;

/**
 * Deliveries whose import callback is overdue turn `unconfirmed`, up to `limit` at a time, and come back for the
 * heartbeat. A callback that arrives later still confirms or fails them.
 */
export async function markOverdueImports(db: D1Database, now: number, limit: number): Promise<OverdueImport[]> {
  // The same rows twice in one transaction: counted for the overview, then marked.
  const overdue = `SELECT id, target_id FROM file_deliveries WHERE status = 'sent' AND callback_due_at IS NOT NULL
                     AND callback_due_at <= ?1 ORDER BY callback_due_at LIMIT ?2`;
  const [, marked] = await db.batch<OverdueImport>([
    countRowsStatement(db, "files_unconfirmed", now, `SELECT target_id AS key FROM (${overdue})`, now, limit),
    db
      .prepare(
        `UPDATE file_deliveries SET status = 'unconfirmed', updated_at = ?1,
           last_error = 'no import callback came by ' || strftime('%Y-%m-%dT%H:%M:%SZ', callback_due_at / 1000, 'unixepoch')
         WHERE id IN (SELECT id FROM (${overdue}))
         RETURNING id, target_id, subscriber_id, job_id, file_name`,
      )
      .bind(now, limit),
  ]);
  return marked.results;
}
