import { lostDeliveryIds, markSwept } from "../db/deliveries";
import { unroutedEventIds } from "../db/events";
import { logStep } from "../lib/log";
import { enqueueDeliveries, type RouteMessage } from "./messages";

const SWEEP_LIMIT = 1000;
/** A swept row is not swept again for this long, so a slow queue does not get a pile of duplicate doorbells. */
const RESWEEP_AFTER_MS = 5 * 60 * 1000;
const EVENTS_PER_MESSAGE = 100;

/**
 * D1 is the ledger: events not yet routed and deliveries past due with no live lease are handed to the queues
 * again. This is what makes a lost queue message, a crash or a failed send harmless.
 */
export async function sweepDue(
  env: Env,
  now = Date.now(),
  options: { graceMs?: number } = {},
): Promise<{ events: number; deliveries: number }> {
  const graceMs = options.graceMs ?? Number(env.SWEEP_GRACE_SECONDS || "60") * 1000;
  const eventIds = await unroutedEventIds(env.DB, now - graceMs, SWEEP_LIMIT);
  for (let i = 0; i < eventIds.length; i += EVENTS_PER_MESSAGE) {
    await env.ROUTE_QUEUE.send({
      kind: "events",
      event_ids: eventIds.slice(i, i + EVENTS_PER_MESSAGE),
    } satisfies RouteMessage);
  }
  const deliveryIds = await lostDeliveryIds(env.DB, now - graceMs, now - RESWEEP_AFTER_MS, now, SWEEP_LIMIT);
  await markSwept(env.DB, deliveryIds, now);
  await enqueueDeliveries(env, deliveryIds);
  logStep({
    stage: "sweep",
    outcome: "done",
    events: eventIds.length,
    deliveries: deliveryIds.length,
    duration_ms: Date.now() - now,
  });
  return { events: eventIds.length, deliveries: deliveryIds.length };
}
