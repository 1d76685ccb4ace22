import { stalledArchiveIds, touchArchives } from "../db/archives";
import { LEASED, markEventsSwept, type UnroutedEvent, unroutedEventsToRing } from "../db/lost-work";
import { stalledSyncIds, touchSync } from "../db/syncs";
import { SEND_BATCH_LIMIT } from "../domain/messages";
import { reringLost } from "../engine/rering";
import { logStep } from "../lib/log";
import { ringArchives, ringDeliveries, ringEvents, ringNotifications, ringSync } from "../queues/ring";
import { sweepAnnouncements } from "./archive-ready";
import { sweepFileDeliveries } from "./file-deliver";
import { sweepSubscriptionNotices } from "./subscription-notice";

const SWEEP_LIMIT = 1000;
/** A swept row is not swept again for this long, so a slow queue does not get a pile of duplicate doorbells. */
export const RESWEEP_AFTER_MS = 5 * 60 * 1000;

/**
 * Unrouted events grouped by source: a route message succeeds or fails as a whole, so one publisher's bad event must
 * never share a message with another publisher's events.
 */
export function eventsBySource(events: UnroutedEvent[]): string[][] {
  const bySource = new Map<string, string[]>();
  for (const event of events) bySource.set(event.source_id, [...(bySource.get(event.source_id) ?? []), event.id]);
  return [...bySource.values()];
}

/**
 * D1 is the ledger: events not yet routed, and deliveries and notifications past due with no live lease are handed to
 * the queues again. This is what makes a lost queue message, a crash or a failed send harmless. Rows are marked swept
 * only once their doorbell is in the queue: a failed send leaves them for the next sweep.
 */
export async function sweepDue(
  env: Env,
  now = Date.now(),
  options: { graceMs?: number } = {},
): Promise<{ events: number; deliveries: number; notifications: number }> {
  const graceMs = options.graceMs ?? Number(env.SWEEP_GRACE_SECONDS || "60") * 1000;
  const window = { dueBefore: now - graceMs, sweptBefore: now - RESWEEP_AFTER_MS, now, limit: SWEEP_LIMIT };
  let events = 0;
  let deliveries = 0;
  let notifications = 0;
  try {
    const unrouted = await unroutedEventsToRing(env.DB, window.dueBefore, window.sweptBefore, SWEEP_LIMIT);
    await ringEvents(env, eventsBySource(unrouted));
    await markEventsSwept(
      env.DB,
      unrouted.map((event) => event.id),
      now,
    );
    events = unrouted.length;

    deliveries = (await reringLost(env.DB, LEASED.deliveries, window, (rings) => ringDeliveries(env, rings))).length;
    notifications = (await reringLost(env.DB, LEASED.notifications, window, (rings) => ringNotifications(env, rings)))
      .length;

    for (const id of await stalledSyncIds(env.DB, window.sweptBefore, SWEEP_LIMIT)) {
      await touchSync(env.DB, id, now);
      await ringSync(env, id);
    }
    // Archives pending or building that no job holds and nothing moved for a while: their job was lost.
    const archiveIds = await stalledArchiveIds(env.DB, window.sweptBefore, now, SEND_BATCH_LIMIT);
    await touchArchives(env.DB, archiveIds, now);
    await ringArchives(env, archiveIds);
    await sweepAnnouncements(env, now, graceMs);
    await sweepFileDeliveries(env, window);
    await sweepSubscriptionNotices(env, window);
  } catch (error) {
    logStep({ stage: "sweep", outcome: "interrupted", events, deliveries, notifications, error: String(error) });
  }
  logStep({ stage: "sweep", outcome: "done", events, deliveries, notifications, duration_ms: Date.now() - now });
  return { events, deliveries, notifications };
}
