import type { ArchiveFormat, StoredArchiveSettings } from "../domain/archive-settings";
import type { ArchiveStatus } from "../domain/status";
import { countRowsStatement } from "./stats";
import { chunk, listNewestFirst, MAX_PARAMS, mapPage, type Page, parseJsonColumn, placeholders } from "./util";

export interface ArchiveRow {
  id: string;
  subscriber_id: string;
  period_start: string;
  period_end: string;
  timezone: string;
  format: ArchiveFormat;
  from_ms: number;
  to_ms: number;
  status: ArchiveStatus;
  r2_key: string;
  events: number | null;
  bytes: number | null;
  sha256: string | null;
  error: string | null;
  /** A build's saved state between jobs (archive/builder.ts owns its shape), or null. */
  checkpoint: unknown;
  acknowledged_at: number | null;
  expires_at: number | null;
  created_at: number;
  updated_at: number;
  ready_at: number | null;
  lease_until: number | null;
  lease_token: string | null;
  progress_events: number;
  /** An on-demand export of a period that had not ended: the events received from from_ms until to_ms (its request). */
  partial: boolean;
}

const INSERT_COLUMNS = [
  "id",
  "subscriber_id",
  "period_start",
  "period_end",
  "timezone",
  "format",
  "from_ms",
  "to_ms",
  "status",
  "r2_key",
  "partial",
  "created_at",
  "updated_at",
] as const;
export type NewArchive = Pick<ArchiveRow, (typeof INSERT_COLUMNS)[number]>;

export type StoredArchive = Omit<ArchiveRow, "checkpoint" | "partial"> & { checkpoint: string | null; partial: number };

export function archiveFromStored(row: StoredArchive): ArchiveRow {
  return { ...row, checkpoint: parseJsonColumn<unknown>(row.checkpoint), partial: row.partial === 1 };
}

const storedValue = (row: NewArchive, column: (typeof INSERT_COLUMNS)[number]) =>
  column === "partial" ? (row.partial ? 1 : 0) : row[column];

/**
 * INSERT OR IGNORE on a full archive's (subscriber, period_start, period_end) (migration 0015's archives_full_period):
 * returns the ids of the rows actually inserted, so a cron that runs twice enqueues each period once. A partial
 * archive is never in conflict: each on-demand export of a running period is a row of its own.
 */
export async function insertArchives(db: D1Database, rows: NewArchive[]): Promise<string[]> {
  if (!rows.length) return [];
  const statements = chunk(rows, Math.floor(MAX_PARAMS / INSERT_COLUMNS.length)).map((group) =>
    db
      .prepare(
        `INSERT OR IGNORE INTO archives (${INSERT_COLUMNS.join(", ")}) VALUES ${group
          .map(() => `(${placeholders(INSERT_COLUMNS.length)})`)
          .join(", ")} RETURNING id`,
      )
      .bind(...group.flatMap((row) => INSERT_COLUMNS.map((column) => storedValue(row, column)))),
  );
  const results = await db.batch<{ id: string }>(statements);
  return results.flatMap((result) => result.results.map((row) => row.id));
}

/**
 * Inserts one archive unless it is full and its period has one; either way returns the stored row and whether it is
 * new (a partial one always is).
 */
export async function insertArchive(
  db: D1Database,
  row: NewArchive,
): Promise<{ archive: ArchiveRow; created: boolean }> {
  const [inserted] = await insertArchives(db, [row]);
  const archive = row.partial
    ? await getArchive(db, row.id)
    : await getArchiveByPeriod(db, row.subscriber_id, row.period_start, row.period_end);
  if (!archive) throw new Error("archive row vanished after insert");
  return { archive, created: inserted === row.id };
}

export async function getArchive(db: D1Database, id: string): Promise<ArchiveRow | null> {
  const row = await db.prepare("SELECT * FROM archives WHERE id = ?").bind(id).first<StoredArchive>();
  return row && archiveFromStored(row);
}

/** The full archive of a period (never one of its partial exports). */
export async function getArchiveByPeriod(
  db: D1Database,
  subscriberId: string,
  periodStart: string,
  periodEnd: string,
): Promise<ArchiveRow | null> {
  const row = await db
    .prepare("SELECT * FROM archives WHERE subscriber_id = ? AND period_start = ? AND period_end = ? AND partial = 0")
    .bind(subscriberId, periodStart, periodEnd)
    .first<StoredArchive>();
  return row && archiveFromStored(row);
}

export async function listArchives(
  db: D1Database,
  filters: { subscriber_id?: string; status?: string },
  limit: number,
  cursor?: string,
): Promise<Page<ArchiveRow>> {
  return mapPage(await listNewestFirst<StoredArchive>(db, "archives", filters, limit, cursor), archiveFromStored);
}

/**
 * Takes the build: only one job holds an archive at a time (a pending one, or a building one whose lease has run
 * out), so a job delivered twice builds once. The token fences every later write to the row.
 */
export async function claimArchive(
  db: D1Database,
  id: string,
  token: string,
  leaseUntil: number,
  now: number,
): Promise<ArchiveRow | null> {
  const row = await db
    .prepare(
      `UPDATE archives SET status = 'building', lease_token = ?, lease_until = ?, updated_at = ?
       WHERE id = ? AND (status = 'pending' OR (status = 'building' AND (lease_until IS NULL OR lease_until <= ?)))
       RETURNING *`,
    )
    .bind(token, leaseUntil, now, id, now)
    .first<StoredArchive>();
  return row && archiveFromStored(row);
}

/** Saves the checkpoint and lets go of the lease, so the next job (already enqueued) can claim it at once. */
export async function saveCheckpoint(
  db: D1Database,
  id: string,
  token: string,
  checkpoint: unknown,
  progressEvents: number,
  now: number,
): Promise<boolean> {
  const result = await db
    .prepare(
      `UPDATE archives SET checkpoint = ?, progress_events = ?, lease_token = NULL, lease_until = NULL, updated_at = ?
       WHERE id = ? AND status = 'building' AND lease_token = ?`,
    )
    .bind(JSON.stringify(checkpoint), progressEvents, now, id, token)
    .run();
  return (result.meta.changes ?? 0) === 1;
}

/** A job that failed lets go at once (keeping the error to show) so the queue's retry can pick the build up. */
export async function releaseArchive(db: D1Database, id: string, token: string, error: string, now: number) {
  await db
    .prepare(
      `UPDATE archives SET lease_token = NULL, lease_until = NULL, error = ?, updated_at = ?
       WHERE id = ? AND status = 'building' AND lease_token = ?`,
    )
    .bind(error, now, id, token)
    .run();
}

export async function markArchiveReady(
  db: D1Database,
  id: string,
  token: string,
  result: { events: number; bytes: number; sha256: string; expires_at: number },
  now: number,
): Promise<boolean> {
  const [, outcome] = await db.batch([
    // Counted for the overview in the same transaction, before the write that would hide the row from the count.
    countRowsStatement(
      db,
      "archives_built",
      now,
      "SELECT subscriber_id AS key FROM archives WHERE id = ?1 AND status = 'building' AND lease_token = ?2",
      id,
      token,
    ),
    db
      .prepare(
        `UPDATE archives SET status = 'ready', events = ?, bytes = ?, sha256 = ?, expires_at = ?, ready_at = ?,
           progress_events = ?, error = NULL, checkpoint = NULL, lease_token = NULL, lease_until = NULL, updated_at = ?
         WHERE id = ? AND status = 'building' AND lease_token = ?`,
      )
      .bind(result.events, result.bytes, result.sha256, result.expires_at, now, result.events, now, id, token),
  ]);
  return (outcome.meta.changes ?? 0) === 1;
}

/** Ends an unfinished build as failed (a ready archive is never touched). `expires_at` lets retention tidy it later. */
export async function markArchiveFailed(
  db: D1Database,
  id: string,
  error: string,
  expiresAt: number,
  now: number,
): Promise<boolean> {
  const result = await db
    .prepare(
      `UPDATE archives SET status = 'failed', error = ?, checkpoint = NULL, lease_token = NULL, lease_until = NULL,
         expires_at = ?, updated_at = ?
       WHERE id = ? AND status IN ('pending', 'building')`,
    )
    .bind(error, expiresAt, now, id)
    .run();
  return (result.meta.changes ?? 0) === 1;
}

/** A failed archive asked for again starts over. */
export async function resetFailedArchive(db: D1Database, id: string, now: number): Promise<boolean> {
  const result = await db
    .prepare(
      `UPDATE archives SET status = 'pending', error = NULL, checkpoint = NULL, progress_events = 0, expires_at = NULL,
         updated_at = ?
       WHERE id = ? AND status = 'failed'`,
    )
    .bind(now, id)
    .run();
  return (result.meta.changes ?? 0) === 1;
}

/** Moves `updated_at` on: the sweeper leaves an archive alone for a while after it was (re)enqueued. */
export async function touchArchives(db: D1Database, ids: string[], now: number): Promise<void> {
  if (!ids.length) return;
  await db.batch(
    chunk(ids, MAX_PARAMS - 1).map((group) =>
      db.prepare(`UPDATE archives SET updated_at = ? WHERE id IN (${placeholders(group.length)})`).bind(now, ...group),
    ),
  );
}

/** Unfinished builds nobody holds and nothing has moved for a while: their queue message or job was lost. */
export async function stalledArchiveIds(
  db: D1Database,
  untouchedSince: number,
  now: number,
  limit: number,
): Promise<string[]> {
  const { results } = await db
    .prepare(
      `SELECT id FROM archives WHERE status IN ('pending', 'building') AND updated_at < ?
         AND (lease_until IS NULL OR lease_until <= ?)
       ORDER BY updated_at LIMIT ?`,
    )
    .bind(untouchedSince, now, limit)
    .all<{ id: string }>();
  return results.map((row) => row.id);
}

/** Subscribers with a daily or weekly schedule, by id after `afterId`. */
export async function scheduledSubscribers(
  db: D1Database,
  afterId: string,
  limit: number,
): Promise<Array<{ id: string; timezone: string; archive: StoredArchiveSettings; created_at: number }>> {
  const { results } = await db
    .prepare(
      `SELECT id, timezone, archive, created_at FROM subscribers
       WHERE id > ? AND json_extract(archive, '$.schedule') IN ('daily', 'weekly') ORDER BY id LIMIT ?`,
    )
    .bind(afterId, limit)
    .all<{ id: string; timezone: string; archive: string; created_at: number }>();
  return results.map((row) => ({ ...row, archive: JSON.parse(row.archive) as StoredArchiveSettings }));
}

/**
 * An event received in [from, to) that routing has not reached yet would be missing from the subscriber's archive,
 * if it comes from a source one of its `archive: true` subscriptions follows; other sources' backlogs are not its own.
 */
export async function hasUnroutedArchivedEvents(
  db: D1Database,
  subscriberId: string,
  range: { from: number; to: number },
): Promise<boolean> {
  const row = await db
    .prepare(
      `SELECT 1 AS found FROM events
       WHERE routed_at IS NULL AND received_at >= ? AND received_at < ?
         AND source_id IN (SELECT source_id FROM subscriptions WHERE subscriber_id = ? AND archive = 1)
       LIMIT 1`,
    )
    .bind(range.from, range.to, subscriberId)
    .first<{ found: number }>();
  return row !== null;
}

// ---- archive membership, written while routing ----

export interface ArchiveItem {
  subscriber_id: string;
  type: string;
  received_at: number;
  event_id: string;
  shape: string;
  /** The CSV or TSV row kept at route time (archive/csv.ts KeptRow), or null. */
  row_text: string | null;
  row_format: string | null;
  row_cells: number | null;
}

const ITEM_COLUMNS = [
  "subscriber_id",
  "type",
  "received_at",
  "event_id",
  "shape",
  "row_text",
  "row_format",
  "row_cells",
] as const;

/** INSERT OR IGNORE: an event routed (or replayed) again, or matched by two subscriptions, is archived once. */
export function insertArchiveItems(db: D1Database, items: ArchiveItem[]): D1PreparedStatement[] {
  return chunk(items, Math.floor(MAX_PARAMS / ITEM_COLUMNS.length)).map((group) =>
    db
      .prepare(
        `INSERT OR IGNORE INTO archive_items (${ITEM_COLUMNS.join(", ")}) VALUES ${group
          .map(() => `(${placeholders(ITEM_COLUMNS.length)})`)
          .join(", ")}`,
      )
      .bind(...group.flatMap((item) => ITEM_COLUMNS.map((column) => item[column]))),
  );
}

export function insertArchiveShapes(
  db: D1Database,
  shapes: Array<{ id: string; paths: string }>,
  now: number,
): D1PreparedStatement[] {
  return chunk(shapes, Math.floor(MAX_PARAMS / 3)).map((group) =>
    db
      .prepare(
        `INSERT OR IGNORE INTO archive_shapes (id, paths, created_at) VALUES ${group.map(() => "(?, ?, ?)").join(", ")}`,
      )
      .bind(...group.flatMap((shape) => [shape.id, shape.paths, now])),
  );
}

/** The next event type after `after` among a subscriber's archived events: one index seek per type. */
export async function nextArchivedType(db: D1Database, subscriberId: string, after: string | null) {
  const row = await db
    .prepare("SELECT type FROM archive_items WHERE subscriber_id = ? AND type > ? ORDER BY type LIMIT 1")
    .bind(subscriberId, after ?? "")
    .first<{ type: string }>();
  return row?.type ?? null;
}

export interface ArchivedEventRow {
  received_at: number;
  event_id: string;
  /** Null when retention deleted the event since: the row still moves the cursor on. */
  body: string | null;
  body_key: string | null;
  found: number;
  shape: string;
  row_text: string | null;
  row_format: string | null;
  row_cells: number | null;
}

/** One keyset page of a type's archived events in [from, to), with their stored bodies. */
export async function archivedEventsPage(
  db: D1Database,
  subscriberId: string,
  type: string,
  range: { from: number; to: number },
  after: { received_at: number; event_id: string } | null,
  limit: number,
): Promise<ArchivedEventRow[]> {
  const { results } = await db
    .prepare(
      `SELECT a.received_at, a.event_id, e.body, e.body_key, e.id IS NOT NULL AS found,
              a.shape, a.row_text, a.row_format, a.row_cells
       FROM archive_items a LEFT JOIN events e ON e.id = a.event_id
       WHERE a.subscriber_id = ? AND a.type = ? AND (a.received_at, a.event_id) > (?, ?) AND a.received_at < ?
       ORDER BY a.received_at, a.event_id LIMIT ?`,
    )
    // Row-value keyset: SQLite seeks straight to the cursor in the primary key (no rescan of earlier rows).
    .bind(subscriberId, type, after?.received_at ?? range.from, after?.event_id ?? "", range.to, limit)
    .all<ArchivedEventRow>();
  return results;
}

/** The first `limit` distinct shapes of a type's events in [from, to), by first appearance (then id: one order). */
export async function archivedShapeIds(
  db: D1Database,
  subscriberId: string,
  type: string,
  range: { from: number; to: number },
  limit: number,
): Promise<string[]> {
  const { results } = await db
    .prepare(
      `SELECT shape FROM archive_items
       WHERE subscriber_id = ? AND type = ? AND received_at >= ? AND received_at < ?
       GROUP BY shape ORDER BY MIN(received_at), shape LIMIT ?`,
    )
    .bind(subscriberId, type, range.from, range.to, limit)
    .all<{ shape: string }>();
  return results.map((row) => row.shape);
}

/** The path lists of some shapes, in the order of `ids` (a shape missing from the table is skipped). */
export async function shapePaths(db: D1Database, ids: readonly string[]): Promise<string[][]> {
  if (!ids.length) return [];
  const { results } = await db
    .prepare(`SELECT id, paths FROM archive_shapes WHERE id IN (${placeholders(ids.length)})`)
    .bind(...ids)
    .all<{ id: string; paths: string }>();
  const byId = new Map(results.map((row) => [row.id, row.paths]));
  return ids.flatMap((id) => {
    const paths = byId.get(id);
    return paths === undefined ? [] : [JSON.parse(paths) as string[]];
  });
}

/** For retention: membership rows of events received before `before`, a bounded chunk per call. */
export async function deleteArchiveItemsBefore(db: D1Database, before: number, limit: number): Promise<number> {
  const result = await db
    .prepare(
      `DELETE FROM archive_items WHERE (subscriber_id, type, received_at, event_id) IN
         (SELECT subscriber_id, type, received_at, event_id FROM archive_items WHERE received_at < ? LIMIT ?)`,
    )
    .bind(before, limit)
    .run();
  return result.meta.changes ?? 0;
}

/** For retention: the earliest receipt time an unfinished archive still has to read (null when none is unfinished). */
export async function oldestUnbuiltArchiveFrom(db: D1Database): Promise<number | null> {
  const row = await db
    .prepare("SELECT MIN(from_ms) AS from_ms FROM archives WHERE status IN ('pending', 'building')")
    .first<{ from_ms: number | null }>();
  return row?.from_ms ?? null;
}
