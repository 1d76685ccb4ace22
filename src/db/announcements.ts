import type { AnnouncementStatus } from "../domain/status";

export interface AnnouncementRow {
  archive_id: string;
  subscriber_id: string;
  status: AnnouncementStatus;
  attempts: number;
  next_attempt_at: number | null;
  lease_until: number | null;
  swept_at: number | null;
  last_status_code: number | null;
  last_error: string | null;
  created_at: number;
  updated_at: number;
  sent_at: number | null;
}

/** INSERT OR IGNORE: an archive is announced once, however often the build job or the sweeper asks. */
export async function insertAnnouncement(
  db: D1Database,
  row: { archive_id: string; subscriber_id: string },
  now: number,
): Promise<boolean> {
  const result = await db
    .prepare(
      `INSERT OR IGNORE INTO archive_announcements (archive_id, subscriber_id, status, next_attempt_at, created_at, updated_at)
       VALUES (?, ?, 'ready', ?, ?, ?)`,
    )
    .bind(row.archive_id, row.subscriber_id, now, now, now)
    .run();
  return (result.meta.changes ?? 0) === 1;
}

export function getAnnouncement(db: D1Database, archiveId: string): Promise<AnnouncementRow | null> {
  return db
    .prepare("SELECT * FROM archive_announcements WHERE archive_id = ?")
    .bind(archiveId)
    .first<AnnouncementRow>();
}

/** Takes the next attempt: guarded by the attempt count, so two messages for the same row send once. */
export async function claimAnnouncement(
  db: D1Database,
  archiveId: string,
  attempts: number,
  leaseUntil: number,
  now: number,
): Promise<boolean> {
  const result = await db
    .prepare(
      `UPDATE archive_announcements SET attempts = attempts + 1, lease_until = ?, updated_at = ?
       WHERE archive_id = ? AND attempts = ? AND status IN ('ready', 'retrying')
         AND (lease_until IS NULL OR lease_until <= ?)`,
    )
    .bind(leaseUntil, now, archiveId, attempts, now)
    .run();
  return (result.meta.changes ?? 0) === 1;
}

export interface AnnouncementOutcome {
  status: Exclude<AnnouncementStatus, "ready">;
  nextAttemptAt: number | null;
  statusCode: number | null;
  error: string | null;
}

/** Records attempt `attempt`'s outcome; a stale writer (another attempt has since been claimed) changes nothing. */
export async function recordAnnouncement(
  db: D1Database,
  archiveId: string,
  attempt: number,
  outcome: AnnouncementOutcome,
  now: number,
): Promise<void> {
  await db
    .prepare(
      `UPDATE archive_announcements SET status = ?, next_attempt_at = ?, lease_until = NULL, swept_at = NULL,
         last_status_code = ?, last_error = ?, updated_at = ?, sent_at = CASE WHEN ? = 'sent' THEN ? ELSE sent_at END
       WHERE archive_id = ? AND attempts = ?`,
    )
    .bind(
      outcome.status,
      outcome.nextAttemptAt,
      outcome.statusCode,
      outcome.error,
      now,
      outcome.status,
      now,
      archiveId,
      attempt,
    )
    .run();
}

/** Gives up on an announcement that can no longer be sent (archive or subscriber gone, notify_url removed). */
export async function abandonAnnouncement(db: D1Database, archiveId: string, reason: string, now: number) {
  await db
    .prepare(
      `UPDATE archive_announcements SET status = 'dead', last_error = ?, lease_until = NULL, next_attempt_at = NULL,
         updated_at = ?
       WHERE archive_id = ? AND status IN ('ready', 'retrying')`,
    )
    .bind(reason, now, archiveId)
    .run();
}

/**
 * Archives that turned ready in [readySince, readyBefore) for a subscriber with a notify_url, and have no
 * announcement: the build job stopped between marking the archive ready and announcing it.
 */
export async function unannouncedArchives(
  db: D1Database,
  readySince: number,
  readyBefore: number,
  limit: number,
): Promise<Array<{ id: string; subscriber_id: string }>> {
  const { results } = await db
    .prepare(
      `SELECT a.id, a.subscriber_id FROM archives a
         JOIN subscribers s ON s.id = a.subscriber_id
         LEFT JOIN archive_announcements n ON n.archive_id = a.id
       WHERE a.status = 'ready' AND a.ready_at >= ? AND a.ready_at < ? AND n.archive_id IS NULL
         AND json_extract(s.archive, '$.notify_url') IS NOT NULL
       ORDER BY a.ready_at LIMIT ?`,
    )
    .bind(readySince, readyBefore, limit)
    .all<{ id: string; subscriber_id: string }>();
  return results;
}
