import { eventFileName } from "../archive/eventfile-name";
import type { ArchiveRow } from "../db/archives";
import { type FileDeliveryRow, requeueFileDelivery } from "../db/file-deliveries";
import { enabledTargetIds, fileDeliveriesOfArchive, insertResendDeliveries } from "../db/file-delivery-resends";
import { newId } from "../lib/ids";
import { logStep } from "../lib/log";
import { ringFileDeliveries } from "../queues/ring";

/**
 * Sends a ready archive again (POST /v1/admin/archives/{id}/deliver) to the given targets of its subscriber, or to
 * all its enabled targets when `targetIds` is null (targets created since the archive was ready included: the
 * operator asked). A target that already has a delivery of the archive gets that row back in line with a fresh
 * attempt budget (one row per archive and target stays the ledger); one in flight is left to finish. A target without
 * one gets a new delivery. The due rows are rung on the files queue like any new delivery (a lost ring is the
 * sweeper's to find: the rows are due now). Returns the deliveries of the chosen targets as they stand after.
 * The caller has checked the archive is ready and the targets are its subscriber's.
 */
export async function redeliverArchive(
  env: Env,
  archive: ArchiveRow,
  targetIds: readonly string[] | null,
  now = Date.now(),
): Promise<FileDeliveryRow[]> {
  const chosen = new Set(targetIds ?? (await enabledTargetIds(env.DB, archive.subscriber_id)));
  if (!chosen.size) return [];
  const existing = new Map((await fileDeliveriesOfArchive(env.DB, archive.id)).map((row) => [row.target_id, row]));
  const fresh = [...chosen]
    .filter((targetId) => !existing.has(targetId))
    .map((target_id) => ({ id: newId("fdl", now), target_id }));
  const created = await insertResendDeliveries(env.DB, archive, fresh, eventFileName(archive), now);
  const again = [...existing.values()].filter((row) => chosen.has(row.target_id));
  const requeued = await Promise.all(
    // A pending row is already due: ringing it again is harmless (the stage claims it once).
    again.map(async (row) =>
      (await requeueFileDelivery(env.DB, row.id, now)) || row.status === "pending" ? row.id : null,
    ),
  );
  const due = [...created, ...requeued.filter((id): id is string => id !== null)];
  try {
    await ringFileDeliveries(
      env,
      due.map((id) => ({ id })),
    );
  } catch (error) {
    logStep({ stage: "file_redeliver", outcome: "queue_send_failed", archive_id: archive.id, error: String(error) });
  }
  logStep({
    stage: "file_redeliver",
    outcome: "recorded",
    archive_id: archive.id,
    created: created.length,
    requeued: due.length - created.length,
    in_flight: chosen.size - due.length,
  });
  return (await fileDeliveriesOfArchive(env.DB, archive.id)).filter((row) => chosen.has(row.target_id));
}
