import type { NotificationStatus } from "../domain/status";
import { listNewestFirst, type Page } from "./util";

export interface NotificationRow {
  id: string;
  source_id: string;
  object_id: string;
  status: NotificationStatus;
  attempts: number;
  next_attempt_at: number | null;
  lease_until: number | null;
  swept_at: number | null;
  claimed_by: string | null;
  event_id: string | null;
  last_status_code: number | null;
  error: string | null;
  created_at: number;
  updated_at: number;
}

export async function insertNotification(
  db: D1Database,
  row: Pick<NotificationRow, "id" | "source_id" | "object_id" | "next_attempt_at" | "created_at">,
): Promise<void> {
  await db
    .prepare(
      `INSERT INTO notifications (id, source_id, object_id, status, next_attempt_at, created_at, updated_at)
       VALUES (?, ?, ?, 'pending', ?, ?, ?)`,
    )
    .bind(row.id, row.source_id, row.object_id, row.next_attempt_at, row.created_at, row.created_at)
    .run();
}

export interface NotificationInsert {
  row: Pick<NotificationRow, "id" | "source_id" | "object_id" | "next_attempt_at" | "created_at">;
  /** For a source served from an isolate's cache: stored only if its notify token and version are still these. */
  guard: { hash: string; version: number } | null;
}

/** Every call of a group in one transaction; false for a call whose guard refused (nothing stored for it). */
export async function commitNotifications(db: D1Database, inserts: readonly NotificationInsert[]): Promise<boolean[]> {
  const statements = inserts.map(({ row, guard }) =>
    db
      .prepare(
        `INSERT INTO notifications (id, source_id, object_id, status, next_attempt_at, created_at, updated_at)
         SELECT ?1, ?2, ?3, 'pending', ?4, ?5, ?5
         WHERE ${guard ? "EXISTS (SELECT 1 FROM sources WHERE id = ?2 AND notify_token_hash = ?6 AND version = ?7)" : "1"}`,
      )
      .bind(
        row.id,
        row.source_id,
        row.object_id,
        row.next_attempt_at,
        row.created_at,
        ...(guard ? [guard.hash, guard.version] : []),
      ),
  );
  const results = await db.batch(statements);
  return results.map((result) => (result.meta.changes ?? 0) === 1);
}

export function getNotification(db: D1Database, id: string): Promise<NotificationRow | null> {
  return db.prepare("SELECT * FROM notifications WHERE id = ?").bind(id).first<NotificationRow>();
}

/** Settles the leader and every notification folded into it. */
export async function settleObject(
  db: D1Database,
  leaderId: string,
  fields: {
    status: NotificationStatus;
    event_id?: string | null;
    error?: string | null;
    last_status_code?: number | null;
    next_attempt_at?: number | null;
  },
  now: number,
): Promise<void> {
  const folded =
    fields.status === "retrying"
      ? []
      : [
          db
            .prepare(
              `UPDATE notifications SET status = ?, event_id = ?, error = ?, last_status_code = ?, updated_at = ?
         WHERE claimed_by = ? AND status = 'collapsed'`,
            )
            .bind(
              fields.status,
              fields.event_id ?? null,
              fields.error ?? null,
              fields.last_status_code ?? null,
              now,
              leaderId,
            ),
        ];
  await db.batch([
    db
      .prepare(
        `UPDATE notifications SET status = ?, event_id = ?, error = ?, last_status_code = ?, next_attempt_at = ?,
           lease_until = NULL, swept_at = NULL, updated_at = ? WHERE id = ?`,
      )
      .bind(
        fields.status,
        fields.event_id ?? null,
        fields.error ?? null,
        fields.last_status_code ?? null,
        fields.next_attempt_at ?? null,
        now,
        leaderId,
      ),
    ...folded,
  ]);
}

export function listNotifications(
  db: D1Database,
  filters: { source_id?: string; status?: string },
  limit: number,
  cursor?: string,
): Promise<Page<NotificationRow>> {
  return listNewestFirst<NotificationRow>(db, "notifications", filters, limit, cursor);
}
