import type { AnnouncementRow } from "./announcements";
import { type ArchiveRow, archiveFromStored, type StoredArchive } from "./archives";
import { claimUnderLease, LEASED, type LeaseClaim } from "./lost-work";
import { type StoredSubscriber, type SubscriberRow, subscriberFromStored } from "./subscribers";
import { IDS } from "./util";

/**
 * The archive-ready stage's SQL, a batch at a time: one read of the batch's announcements with their archives and
 * subscribers, one claim (settling in the same transaction what can no longer be sent), one record. Lists travel as
 * one JSON parameter (`json_each(?)`), so D1's 100 bound parameters never limit a batch.
 */

export interface AnnouncementBatch {
  announcements: Map<string, AnnouncementRow>;
  archives: Map<string, ArchiveRow>;
  subscribers: Map<string, SubscriberRow>;
}

/** The announcements, their archives and their subscribers: one round trip. */
export async function readAnnouncementBatch(db: D1Database, archiveIds: readonly string[]): Promise<AnnouncementBatch> {
  const list = JSON.stringify(archiveIds);
  const [announcements, archives, subscribers] = await db.batch<unknown>([
    db.prepare(`SELECT * FROM archive_announcements WHERE archive_id IN (${IDS})`).bind(list),
    db.prepare(`SELECT * FROM archives WHERE id IN (${IDS})`).bind(list),
    db
      .prepare(
        `SELECT * FROM subscribers WHERE id IN (SELECT subscriber_id FROM archive_announcements WHERE archive_id IN (${IDS}))`,
      )
      .bind(list),
  ]);
  return {
    announcements: new Map((announcements.results as AnnouncementRow[]).map((row) => [row.archive_id, row])),
    archives: new Map((archives.results as StoredArchive[]).map((row) => [row.id, archiveFromStored(row)])),
    subscribers: new Map((subscribers.results as StoredSubscriber[]).map((row) => [row.id, subscriberFromStored(row)])),
  };
}

/** An announcement that can no longer be sent (archive deleted, notify_url removed or refused), and why. */
export interface AnnouncementAbandon {
  id: string;
  n: number;
  error: string;
}

/**
 * Takes the next attempt of every claim (guarded by its attempt count, so a duplicate message sends nothing) and ends
 * the abandoned ones as `dead` in the same transaction. Returns the ids won.
 */
export async function claimAnnouncements(
  db: D1Database,
  claims: readonly LeaseClaim[],
  abandons: readonly AnnouncementAbandon[],
  now: number,
): Promise<Set<string>> {
  const abandon = abandons.length
    ? [
        db
          .prepare(
            `UPDATE archive_announcements SET status = 'dead', last_error = json_extract(j.value, '$.error'),
               lease_until = NULL, next_attempt_at = NULL, updated_at = ?2
             FROM json_each(?1) AS j
             WHERE archive_announcements.archive_id = json_extract(j.value, '$.id')
               AND archive_announcements.attempts = json_extract(j.value, '$.n')
               AND +archive_announcements.status IN ('ready', 'retrying')`,
          )
          .bind(JSON.stringify(abandons), now),
      ]
    : [];
  return claimUnderLease(db, LEASED.announcements, claims, abandon, now);
}

/** What one attempt comes to, as the record writes it. */
export interface AnnouncementRecord {
  id: string;
  /** The attempt's number: the row's attempts after the claim. */
  n: number;
  status: "sent" | "retrying" | "dead";
  next_attempt_at: number | null;
  status_code: number | null;
  error: string | null;
  /** When the attempt finished. */
  at: number;
}

/**
 * Every attempt's outcome in one statement, each guarded by its attempt number: a stale writer (another attempt has
 * since been claimed) changes nothing.
 */
export async function recordAnnouncements(db: D1Database, records: readonly AnnouncementRecord[]): Promise<void> {
  if (!records.length) return;
  await db
    .prepare(
      `UPDATE archive_announcements SET status = json_extract(j.value, '$.status'),
         next_attempt_at = json_extract(j.value, '$.next_attempt_at'), lease_until = NULL, swept_at = NULL,
         last_status_code = json_extract(j.value, '$.status_code'), last_error = json_extract(j.value, '$.error'),
         updated_at = json_extract(j.value, '$.at'),
         sent_at = CASE WHEN json_extract(j.value, '$.status') = 'sent' THEN json_extract(j.value, '$.at') ELSE sent_at END
       FROM json_each(?1) AS j
       WHERE archive_announcements.archive_id = json_extract(j.value, '$.id')
         AND archive_announcements.attempts = json_extract(j.value, '$.n')`,
    )
    .bind(JSON.stringify(records))
    .run();
}
