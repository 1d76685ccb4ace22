import type { SyncStatus } from "../domain/status";
import type { StoredSyncConfig } from "../domain/sync";
import { listNewestFirst, mapPage, type Page } from "./util";

export interface SyncRow {
  id: string;
  source_id: string;
  config: StoredSyncConfig;
  status: SyncStatus;
  cursor: string | null;
  pages: number;
  records: number;
  published: number;
  error: string | null;
  created_at: number;
  updated_at: number;
  finished_at: number | null;
}

type StoredSync = Omit<SyncRow, "config"> & { config: string };

function fromStored(row: StoredSync): SyncRow {
  return { ...row, config: JSON.parse(row.config) as StoredSyncConfig };
}

export async function insertSync(db: D1Database, row: Pick<SyncRow, "id" | "source_id" | "config" | "created_at">) {
  await db
    .prepare(
      "INSERT INTO syncs (id, source_id, config, status, created_at, updated_at) VALUES (?, ?, ?, 'running', ?, ?)",
    )
    .bind(row.id, row.source_id, JSON.stringify(row.config), row.created_at, row.created_at)
    .run();
}

export async function getSync(db: D1Database, id: string): Promise<SyncRow | null> {
  const row = await db.prepare("SELECT * FROM syncs WHERE id = ?").bind(id).first<StoredSync>();
  return row && fromStored(row);
}

export async function listSyncs(
  db: D1Database,
  sourceId: string,
  limit: number,
  cursor?: string,
): Promise<Page<SyncRow>> {
  return mapPage(await listNewestFirst<StoredSync>(db, "syncs", { source_id: sourceId }, limit, cursor), fromStored);
}

/** Moves a sync one page on, only from the cursor it was read at: a duplicate job changes nothing. */
export async function advanceSync(
  db: D1Database,
  id: string,
  fromCursor: string | null,
  toCursor: string | null,
  records: number,
  published: number,
  done: boolean,
  now: number,
): Promise<boolean> {
  const result = await db
    .prepare(
      `UPDATE syncs SET cursor = ?, pages = pages + 1, records = records + ?, published = published + ?, updated_at = ?,
         status = CASE WHEN ? THEN 'completed' ELSE status END, finished_at = CASE WHEN ? THEN ? ELSE finished_at END
       WHERE id = ? AND status = 'running' AND cursor IS ?`,
    )
    .bind(toCursor, records, published, now, done ? 1 : 0, done ? 1 : 0, now, id, fromCursor)
    .run();
  return (result.meta.changes ?? 0) === 1;
}

export async function setSyncStatus(db: D1Database, id: string, status: SyncStatus, error: string | null, now: number) {
  const result = await db
    .prepare(
      `UPDATE syncs SET status = ?, error = ?, updated_at = ?, finished_at = CASE WHEN ? = 'running' THEN NULL ELSE ? END
       WHERE id = ?`,
    )
    .bind(status, error, now, status, now, id)
    .run();
  return (result.meta.changes ?? 0) === 1;
}

/** Running syncs untouched for a while: their page job was probably lost. */
export async function stalledSyncIds(db: D1Database, updatedBefore: number, limit: number): Promise<string[]> {
  const { results } = await db
    .prepare("SELECT id FROM syncs WHERE status = 'running' AND updated_at < ? ORDER BY updated_at LIMIT ?")
    .bind(updatedBefore, limit)
    .all<{ id: string }>();
  return results.map((row) => row.id);
}

export async function touchSync(db: D1Database, id: string, now: number): Promise<void> {
  await db.prepare("UPDATE syncs SET updated_at = ? WHERE id = ?").bind(now, id).run();
}
