import type { FileDeliveryRow } from "./file-deliveries";

/**
 * SQL for sending an archive again (POST /v1/admin/archives/{id}/deliver, pipeline/archive-redeliver.ts). An archive
 * has at most one delivery per target (migration 0014's file_deliveries_of_archive): sending again puts that row back
 * in line (file-deliveries.ts requeueFileDelivery), and only a target without one gets a new row here.
 */

/** An archive has one delivery per target: a bound well above any subscriber's number of targets. */
const MAX_ARCHIVE_DELIVERIES = 500;

/** The archive's file deliveries, oldest first. */
export async function fileDeliveriesOfArchive(db: D1Database, archiveId: string): Promise<FileDeliveryRow[]> {
  const { results } = await db
    .prepare("SELECT * FROM file_deliveries WHERE archive_id = ? ORDER BY id LIMIT ?")
    .bind(archiveId, MAX_ARCHIVE_DELIVERIES)
    .all<FileDeliveryRow>();
  return results;
}

/** Where "send it again to all" goes: the subscriber's enabled targets, whenever they were created. */
export async function enabledTargetIds(db: D1Database, subscriberId: string): Promise<string[]> {
  const { results } = await db
    .prepare("SELECT id FROM archive_targets WHERE subscriber_id = ? AND enabled = 1 ORDER BY id LIMIT ?")
    .bind(subscriberId, MAX_ARCHIVE_DELIVERIES)
    .all<{ id: string }>();
  return results.map((row) => row.id);
}

/**
 * A delivery of the archive, due now, to each given target that has none; a target that got one meanwhile (the build
 * job or the sweeper recording its deliveries) keeps it (ON CONFLICT … DO NOTHING). Returns the ids inserted.
 */
export async function insertResendDeliveries(
  db: D1Database,
  archive: { id: string; subscriber_id: string },
  rows: ReadonlyArray<{ id: string; target_id: string }>,
  fileName: string,
  now: number,
): Promise<string[]> {
  if (!rows.length) return [];
  const results = await db.batch<{ id: string }>(
    rows.map((row) =>
      db
        .prepare(
          `INSERT INTO file_deliveries (id, target_id, subscriber_id, archive_id, test, file_name, status,
             next_attempt_at, created_at, updated_at)
           VALUES (?1, ?2, ?3, ?4, 0, ?5, 'pending', ?6, ?6, ?6)
           ON CONFLICT (archive_id, target_id) DO NOTHING
           RETURNING id`,
        )
        .bind(row.id, row.target_id, archive.subscriber_id, archive.id, fileName, now),
    ),
  );
  return results.flatMap((result) => result.results.map((inserted) => inserted.id));
}
