import { type ArchiveRow, archiveFromStored, type StoredArchive } from "./archives";

/** Where a listing page ends: the last file's period and id (periods are unique per subscriber; id breaks no ties). */
export interface EventFileCursor {
  period_start: string;
  period_end: string;
  id: string;
}

/**
 * A subscriber's ready archives it has not acknowledged, oldest period first (the order a loader appends them in),
 * after `after`. Fetches limit + 1 rows so the caller knows whether more follow.
 */
export async function unacknowledgedArchives(
  db: D1Database,
  subscriberId: string,
  after: EventFileCursor | null,
  limit: number,
): Promise<ArchiveRow[]> {
  const { results } = await db
    .prepare(
      `SELECT * FROM archives
       WHERE subscriber_id = ? AND status = 'ready' AND acknowledged_at IS NULL AND partial = 0
         AND (period_start, period_end, id) > (?, ?, ?)
       ORDER BY period_start, period_end, id LIMIT ?`,
    )
    .bind(subscriberId, after?.period_start ?? "", after?.period_end ?? "", after?.id ?? "", limit + 1)
    .all<StoredArchive>();
  return results.map(archiveFromStored);
}

/** The subscriber's ready archive of exactly this period, or null: another subscriber's is never found. */
export async function readyArchiveOfPeriod(
  db: D1Database,
  subscriberId: string,
  periodStart: string,
  periodEnd: string,
): Promise<ArchiveRow | null> {
  const row = await db
    .prepare(
      `SELECT * FROM archives WHERE subscriber_id = ? AND period_start = ? AND period_end = ? AND status = 'ready'
         AND partial = 0`,
    )
    .bind(subscriberId, periodStart, periodEnd)
    .first<StoredArchive>();
  return row && archiveFromStored(row);
}

/** Marks the file acknowledged. Acknowledging again keeps the first time: a retried DELETE changes nothing. */
export async function acknowledgeArchive(db: D1Database, id: string, subscriberId: string, now: number): Promise<void> {
  await db
    .prepare(
      `UPDATE archives SET acknowledged_at = ? WHERE id = ? AND subscriber_id = ? AND status = 'ready'
         AND acknowledged_at IS NULL`,
    )
    .bind(now, id, subscriberId)
    .run();
}
