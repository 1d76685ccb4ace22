import { type ArchiveTargetRow, archiveTargetFromStored, type StoredArchiveTarget } from "./archive-targets";
import { type ArchiveRow, archiveFromStored, type StoredArchive } from "./archives";
import type { FileDeliveryRow } from "./file-deliveries";
import { LEASED, type LeaseRecord, recordUnderLease } from "./lost-work";
import { type StoredSubscriber, type SubscriberRow, subscriberFromStored } from "./subscribers";
import { IDS } from "./util";

/**
 * The file-delivery stage's SQL, a batch at a time: one read of the batch's deliveries with their targets and
 * archives, one claim (settling in the same transaction what can no longer be sent), one record. Lists travel as one
 * JSON parameter (`json_each(?)`), so D1's 100 bound parameters never limit a batch.
 */

export interface FileDeliveryBatch {
  deliveries: Map<string, FileDeliveryRow>;
  targets: Map<string, ArchiveTargetRow>;
  archives: Map<string, ArchiveRow>;
  /** Their subscribers: an emailed link and an import trigger's link last for the subscriber's link TTL. */
  subscribers: Map<string, SubscriberRow>;
}

/** The deliveries, their targets, archives and subscribers: one round trip. */
export async function readFileDeliveryBatch(db: D1Database, ids: readonly string[]): Promise<FileDeliveryBatch> {
  const list = JSON.stringify(ids);
  const [deliveries, targets, archives, subscribers] = await db.batch<unknown>([
    db.prepare(`SELECT * FROM file_deliveries WHERE id IN (${IDS})`).bind(list),
    db
      .prepare(`SELECT * FROM archive_targets WHERE id IN (SELECT target_id FROM file_deliveries WHERE id IN (${IDS}))`)
      .bind(list),
    db
      .prepare(`SELECT * FROM archives WHERE id IN (SELECT archive_id FROM file_deliveries WHERE id IN (${IDS}))`)
      .bind(list),
    db
      .prepare(`SELECT * FROM subscribers WHERE id IN (SELECT subscriber_id FROM file_deliveries WHERE id IN (${IDS}))`)
      .bind(list),
  ]);
  return {
    deliveries: new Map((deliveries.results as FileDeliveryRow[]).map((row) => [row.id, row])),
    targets: new Map((targets.results as StoredArchiveTarget[]).map((row) => [row.id, archiveTargetFromStored(row)])),
    archives: new Map((archives.results as StoredArchive[]).map((row) => [row.id, archiveFromStored(row)])),
    subscribers: new Map((subscribers.results as StoredSubscriber[]).map((row) => [row.id, subscriberFromStored(row)])),
  };
}

/** What one attempt comes to, as the record writes it. */
export interface FileAttemptRecord extends LeaseRecord {
  status: "sent" | "retrying" | "dead";
  bytes: number | null;
  /** Where the file was written. */
  remote: string | null;
  /** The import job a trigger started, and when its callback is overdue. */
  job_id: string | null;
  callback_due_at: number | null;
}

/**
 * Every attempt's outcome in one statement, each guarded by its attempt number. `remote`, `bytes` and the import's
 * `job_id` keep what an earlier attempt wrote when this one has none (a requeue clears `callback_due_at`); `also` (the
 * stage's counters) commits with it.
 */
export function recordFileAttempts(
  db: D1Database,
  records: readonly FileAttemptRecord[],
  also: readonly D1PreparedStatement[] = [],
): Promise<void> {
  return recordUnderLease(db, LEASED.fileDeliveries, records, ["bytes", "remote", "job_id", "callback_due_at"], also);
}
