import type { ReplayCriteria, ReplayStage } from "../domain/replay";
import type { ReplayStatus } from "../domain/status";

export interface ReplayRow {
  id: string;
  stage: ReplayStage;
  criteria: ReplayCriteria;
  status: ReplayStatus;
  matched: number;
  processed: number;
  created_count: number;
  cursor: string | null;
  error: string | null;
  created_at: number;
  updated_at: number;
  finished_at: number | null;
}

type StoredReplay = Omit<ReplayRow, "criteria"> & { criteria: string };

export async function insertReplay(db: D1Database, row: ReplayRow): Promise<void> {
  await db
    .prepare(
      `INSERT INTO replays (id, stage, criteria, status, matched, processed, created_count, cursor, error, created_at, updated_at, finished_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .bind(
      row.id,
      row.stage,
      JSON.stringify(row.criteria),
      row.status,
      row.matched,
      row.processed,
      row.created_count,
      row.cursor,
      row.error,
      row.created_at,
      row.updated_at,
      row.finished_at,
    )
    .run();
}

export async function getReplay(db: D1Database, id: string): Promise<ReplayRow | null> {
  const row = await db.prepare("SELECT * FROM replays WHERE id = ?").bind(id).first<StoredReplay>();
  return row && { ...row, criteria: JSON.parse(row.criteria) as ReplayCriteria };
}

/** Advances a replay by one page, only from the cursor it was read at: a duplicate page message changes nothing. */
export async function advanceReplay(
  db: D1Database,
  id: string,
  fromCursor: string | null,
  toCursor: string | null,
  processed: number,
  created: number,
  done: boolean,
  now: number,
): Promise<boolean> {
  const result = await db
    .prepare(
      `UPDATE replays SET cursor = ?, processed = processed + ?, created_count = created_count + ?, updated_at = ?,
         status = CASE WHEN ? THEN 'completed' ELSE status END, finished_at = CASE WHEN ? THEN ? ELSE finished_at END
       WHERE id = ? AND status = 'running' AND cursor IS ?`,
    )
    .bind(toCursor, processed, created, now, done ? 1 : 0, done ? 1 : 0, now, id, fromCursor)
    .run();
  return (result.meta.changes ?? 0) === 1;
}

export async function failReplay(db: D1Database, id: string, error: string, now: number): Promise<void> {
  await db
    .prepare(
      "UPDATE replays SET status = 'failed', error = ?, updated_at = ?, finished_at = ? WHERE id = ? AND status = 'running'",
    )
    .bind(error, now, now, id)
    .run();
}
