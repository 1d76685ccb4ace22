import { stalledArchiveIds, touchArchives } from "../db/archives";
import { lostDeliveryIds, markSwept } from "../db/deliveries";
import { markEventsSwept, type UnroutedEvent, unroutedEventsToRing } from "../db/lost-work";
import { lostNotificationIds, markNotificationsSwept } from "../db/notifications";
import { stalledSyncIds, touchSync } from "../db/syncs";
import { type EventsMessage, type RouteMessage, SEND_BATCH_LIMIT } from "../domain/messages";
import { logStep } from "../lib/log";
import { ringArchives, ringDeliveries } from "../queues/ring";
import { sweepAnnouncements } from "./archive-ready";

const SWEEP_LIMIT = 1000;
/** A swept row is not swept again for this long, so a slow queue does not get a pile of duplicate doorbells. */
const RESWEEP_AFTER_MS = 5 * 60 * 1000;
const EVENTS_PER_MESSAGE = 100;

/**
 * One message per source, at most EVENTS_PER_MESSAGE ids each: a route message succeeds or fails as a whole, so one
 * publisher's bad event must never share a message with another publisher's events.
 */
export function routeMessagesBySource(events: UnroutedEvent[]): EventsMessage[] {
  const bySource = new Map<string, string[]>();
  for (const event of events) {
    const ids = bySource.get(event.source_id) ?? [];
    ids.push(event.id);
    bySource.set(event.source_id, ids);
  }
  const messages: EventsMessage[] = [];
  for (const ids of bySource.values()) {
    for (let i = 0; i < ids.length; i += EVENTS_PER_MESSAGE) {
      messages.push({ kind: "events", event_ids: ids.slice(i, i + EVENTS_PER_MESSAGE) });
    }
  }
  return messages;
}

/**
 * D1 is the ledger: events not yet routed, and deliveries and notifications past due with no live lease are handed to the queues
 * again. This is what makes a lost queue message, a crash or a failed send harmless.
 */
export async function sweepDue(
  env: Env,
  now = Date.now(),
  options: { graceMs?: number } = {},
): Promise<{ events: number; deliveries: number; notifications: number }> {
  const graceMs = options.graceMs ?? Number(env.SWEEP_GRACE_SECONDS || "60") * 1000;
  let events = 0;
  let deliveries = 0;
  let notifications = 0;
  try {
    const unrouted = await unroutedEventsToRing(env.DB, now - graceMs, now - RESWEEP_AFTER_MS, SWEEP_LIMIT);
    const messages = routeMessagesBySource(unrouted);
    // Marked swept only once their doorbell is really in the queue, like deliveries below.
    for (let i = 0; i < messages.length; i += SEND_BATCH_LIMIT) {
      const group = messages.slice(i, i + SEND_BATCH_LIMIT);
      await env.ROUTE_QUEUE.sendBatch(group.map((body) => ({ body })));
      const ids = group.flatMap((message) => message.event_ids);
      await markEventsSwept(env.DB, ids, now);
      events += ids.length;
    }
    const deliveryIds = await lostDeliveryIds(env.DB, now - graceMs, now - RESWEEP_AFTER_MS, now, SWEEP_LIMIT);
    // A failed send leaves them unmarked, for the next sweep.
    for (let i = 0; i < deliveryIds.length; i += SEND_BATCH_LIMIT) {
      const group = deliveryIds.slice(i, i + SEND_BATCH_LIMIT);
      await ringDeliveries(
        env,
        group.map((id) => ({ id })),
      );
      await markSwept(env.DB, group, now);
      deliveries += group.length;
    }
    const notificationIds = await lostNotificationIds(env.DB, now - graceMs, now - RESWEEP_AFTER_MS, now, SWEEP_LIMIT);
    for (const id of notificationIds) {
      await env.ROUTE_QUEUE.send({ kind: "notify", notification_id: id } satisfies RouteMessage);
      await markNotificationsSwept(env.DB, [id], now);
      notifications += 1;
    }
    for (const id of await stalledSyncIds(env.DB, now - RESWEEP_AFTER_MS, SWEEP_LIMIT)) {
      await touchSync(env.DB, id, now);
      await env.ROUTE_QUEUE.send({ kind: "sync", sync_id: id } satisfies RouteMessage);
    }
    // Archives pending or building that no job holds and nothing moved for a while: their job was lost.
    const archiveIds = await stalledArchiveIds(env.DB, now - RESWEEP_AFTER_MS, now, SEND_BATCH_LIMIT);
    await touchArchives(env.DB, archiveIds, now);
    await ringArchives(env, archiveIds);
    await sweepAnnouncements(env, now, graceMs);
  } catch (error) {
    logStep({ stage: "sweep", outcome: "interrupted", events, deliveries, notifications, error: String(error) });
  }
  logStep({ stage: "sweep", outcome: "done", events, deliveries, notifications, duration_ms: Date.now() - now });
  return { events, deliveries, notifications };
}
