import { archiveStatements, collectArchiveItems, newMembership } from "../archive/membership";
import { insertDeliveries, type NewDelivery } from "../db/deliveries";
import { getEventsByIds, markRouted } from "../db/events";
import { subscriptionsForSources } from "../db/subscriptions";
import { newId } from "../lib/ids";
import { logStep } from "../lib/log";
import type { CloudEvent } from "./cloudevent";
import { loadCloudEvent } from "./event-body";
import { enqueueDeliveries } from "./messages";
import { routeOne } from "./steps";

export interface RouteOptions {
  /** '' for first routing; a replay id to route again into a fresh generation of deliveries. */
  generation?: string;
  subscriptionId?: string;
  subscriberId?: string;
}

/**
 * Matches events to today's subscriptions and writes one delivery per (event, subscription) for step 1 — rows and
 * the events' routed mark in one transaction — then rings the deliver queue for the ready ones.
 */
export async function routeEvents(env: Env, eventIds: string[], options: RouteOptions = {}): Promise<number> {
  const started = Date.now();
  const generation = options.generation ?? "";
  const rows = (await getEventsByIds(env.DB, eventIds)).filter((row) => generation !== "" || row.routed_at === null);
  if (!rows.length) return 0;
  const subscriptions = (await subscriptionsForSources(env.DB, [...new Set(rows.map((row) => row.source_id))])).filter(
    (subscription) =>
      (!options.subscriptionId || subscription.id === options.subscriptionId) &&
      (!options.subscriberId || subscription.subscriber_id === options.subscriberId),
  );
  const now = Date.now();
  const deliveries: NewDelivery[] = [];
  const archived = newMembership();
  for (const row of rows) {
    const event: CloudEvent = await loadCloudEvent(env, row);
    for (const subscription of subscriptions) {
      if (subscription.source_id !== row.source_id) continue;
      const delivery = await routeOne({ event, subscription, generation, chain: true, now }, () => newId("dlv", now));
      if (delivery) deliveries.push(delivery);
    }
    await collectArchiveItems(archived, row, event, subscriptions);
  }
  await env.DB.batch([
    ...insertDeliveries(env.DB, deliveries),
    ...archiveStatements(env.DB, archived, now),
    ...(generation === ""
      ? markRouted(
          env.DB,
          rows.map((row) => row.id),
          now,
        )
      : []),
  ]);
  const ready = deliveries.filter((delivery) => delivery.status === "ready").map((delivery) => delivery.id);
  try {
    await enqueueDeliveries(env, ready);
  } catch (error) {
    logStep({ stage: "route", outcome: "queue_send_failed", deliveries: ready.length, error: String(error) });
  }
  for (const delivery of deliveries) {
    logStep({
      stage: "route",
      outcome: delivery.status,
      event_id: delivery.event_id,
      delivery_id: delivery.id,
      subscription_id: delivery.subscription_id,
      ...(delivery.last_error ? { error: delivery.last_error } : {}),
    });
  }
  logStep({
    stage: "route",
    outcome: "batch_done",
    events: rows.length,
    deliveries: deliveries.length,
    duration_ms: Date.now() - started,
  });
  return deliveries.length;
}
