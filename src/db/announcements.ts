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
