import type { NotificationStatus } from "../domain/status";
import { chunk, listNewestFirst, MAX_PARAMS, type Page, placeholders } from "./util";

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

export function getNotification(db: D1Database, id: string): Promise<NotificationRow | null> {
  return db.prepare("SELECT * FROM notifications WHERE id = ?").bind(id).first<NotificationRow>();
}

/**
 * Makes `leaderId` the one job that fetches this object now: the leader takes a lease, and every other pending
 * notification for the same object is folded into it. Returns false when another job already leads.
 */
export async function claimObject(
  db: D1Database,
  leader: NotificationRow,
  leaseUntil: number,
  now: number,
): Promise<boolean> {
  const [claimed] = await db.batch([
    db
      .prepare(
        `UPDATE notifications SET attempts = attempts + 1, lease_until = ?, claimed_by = id, updated_at = ?
         WHERE id = ? AND attempts = ? AND status IN ('pending', 'retrying') AND (lease_until IS NULL OR lease_until < ?)`,
      )
      .bind(leaseUntil, now, leader.id, leader.attempts, now),
    db
      .prepare(
        `UPDATE notifications SET status = 'collapsed', claimed_by = ?, updated_at = ?
         WHERE source_id = ? AND object_id = ? AND status = 'pending' AND id != ?
           AND EXISTS (SELECT 1 FROM notifications WHERE id = ? AND lease_until = ?)`,
      )
      .bind(leader.id, now, leader.source_id, leader.object_id, leader.id, leader.id, leaseUntil),
  ]);
  return (claimed.meta.changes ?? 0) === 1;
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

export async function lostNotificationIds(
  db: D1Database,
  dueBefore: number,
  sweptBefore: number,
  now: number,
  limit: number,
): Promise<string[]> {
  const { results } = await db
    .prepare(
      `SELECT id FROM notifications WHERE status IN ('pending', 'retrying') AND next_attempt_at <= ?
         AND (lease_until IS NULL OR lease_until < ?) AND (swept_at IS NULL OR swept_at < ?)
       ORDER BY next_attempt_at LIMIT ?`,
    )
    .bind(dueBefore, now, sweptBefore, limit)
    .all<{ id: string }>();
  return results.map((row) => row.id);
}

export async function markNotificationsSwept(db: D1Database, ids: string[], now: number): Promise<void> {
  if (!ids.length) return;
  await db.batch(
    chunk(ids, MAX_PARAMS - 1).map((group) =>
      db
        .prepare(`UPDATE notifications SET swept_at = ? WHERE id IN (${placeholders(group.length)})`)
        .bind(now, ...group),
    ),
  );
}

export function listNotifications(
  db: D1Database,
  filters: { source_id?: string; status?: string },
  limit: number,
  cursor?: string,
): Promise<Page<NotificationRow>> {
  return listNewestFirst<NotificationRow>(db, "notifications", filters, limit, cursor);
}
