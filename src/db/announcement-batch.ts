import type { AnnouncementRow } from "./announcements";
import { type ArchiveRow, archiveFromStored, type StoredArchive } from "./archives";
import { LEASED, type LeaseRecord, recordUnderLease } from "./lost-work";
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

/** What one attempt comes to, as the record writes it. */
export interface AnnouncementRecord extends LeaseRecord {
  status: "sent" | "retrying" | "dead";
}

/**
 * Every attempt's outcome in one statement, each guarded by its attempt number: a stale writer (another attempt has
 * since been claimed) changes nothing.
 */
export function recordAnnouncements(db: D1Database, records: readonly AnnouncementRecord[]): Promise<void> {
  return recordUnderLease(db, LEASED.announcements, records);
}
