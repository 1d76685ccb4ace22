import {
  type ArchiveMembership,
  archiveStatements,
  collectArchiveItems,
  newMembership,
  type RowSettings,
  rowSettingsOf,
} from "../archive/membership";
import { insertDeliveries, type NewDelivery } from "../db/deliveries";
import { type EventRow, markRouted, readRouteBatch } from "../db/events";
import { loadCloudEvent, offloadPayloads, payloadKeysOf } from "../db/payloads";
import type { SubscriptionRow } from "../db/subscriptions";
import { RelayError } from "../lib/errors";
import { newId } from "../lib/ids";
import { logStep } from "../lib/log";
import { ringDeliveries } from "../queues/ring";
import { routeOne } from "./steps";

export interface RouteOptions {
  /** '' for first routing; a replay id to route again into a fresh generation of deliveries. */
  generation?: string;
  subscriptionId?: string;
  subscriberId?: string;
}

/** Everything routing one event writes: its step-1 deliveries, its archive membership and (first time) its mark. */
interface EventPlan {
  row: EventRow;
  deliveries: NewDelivery[];
  archived: ArchiveMembership;
}

interface Failure {
  eventId: string;
  error: string;
}

/** Some events of a message could not be routed; the rest were, and the message is retried for these alone. */
export class RouteIncompleteError extends RelayError {
  constructor(readonly failures: Failure[]) {
    super(
      `${failures.length} event(s) could not be routed and will be retried: ${failures
        .map((failure) => `${failure.eventId}: ${failure.error}`)
        .join("; ")
        .slice(0, 1000)}`,
      true,
    );
  }
}

/** Plans one event. What goes wrong for one (event, subscription) pair is that pair's dead row or left-out item. */
async function planEvent(
  env: Env,
  row: EventRow,
  subscriptions: readonly SubscriptionRow[],
  rowSettings: RowSettings,
  generation: string,
  now: number,
): Promise<EventPlan> {
  const event = await loadCloudEvent(env.BUCKET, row);
  const deliveries: NewDelivery[] = [];
  for (const subscription of subscriptions) {
    if (subscription.source_id !== row.source_id) continue;
    const delivery = await routeOne({ event, subscription, generation, chain: true, now }, () => newId("dlv", now));
    if (delivery) deliveries.push(delivery);
  }
  const archived = newMembership();
  await collectArchiveItems(archived, row, event, subscriptions, rowSettings);
  return { row, deliveries: await offloadPayloads(env.BUCKET, deliveries), archived };
}

function statementsOf(env: Env, plans: EventPlan[], generation: string, now: number): D1PreparedStatement[] {
  const merged = newMembership();
  for (const plan of plans) {
    merged.items.push(...plan.archived.items);
    for (const [id, paths] of plan.archived.shapes) merged.shapes.set(id, paths);
  }
  return [
    ...insertDeliveries(
      env.DB,
      plans.flatMap((plan) => plan.deliveries),
    ),
    ...archiveStatements(env.DB, merged, now),
    ...(generation === ""
      ? markRouted(
          env.DB,
          plans.map((plan) => plan.row.id),
          now,
        )
      : []),
  ];
}

/**
 * One transaction for the whole message when it goes through; when D1 refuses it, one per event, so the event D1
 * refuses is the only one left for the retry. Returns the plans committed and the failures.
 */
async function commit(
  env: Env,
  plans: EventPlan[],
  generation: string,
  now: number,
): Promise<{ committed: EventPlan[]; failures: Failure[] }> {
  if (!plans.length) return { committed: [], failures: [] };
  try {
    await env.DB.batch(statementsOf(env, plans, generation, now));
    return { committed: plans, failures: [] };
  } catch (error) {
    if (plans.length === 1) return { committed: [], failures: [{ eventId: plans[0].row.id, error: String(error) }] };
    logStep({ stage: "route", outcome: "batch_refused_per_event", events: plans.length, error: String(error) });
  }
  const committed: EventPlan[] = [];
  const failures: Failure[] = [];
  for (const plan of plans) {
    try {
      await env.DB.batch(statementsOf(env, [plan], generation, now));
      committed.push(plan);
    } catch (error) {
      failures.push({ eventId: plan.row.id, error: String(error) });
    }
  }
  return { committed, failures };
}

/**
 * Matches events to today's subscriptions and writes one delivery per (event, subscription) for step 1 — rows and
 * the events' routed mark in one transaction — then rings the deliver queue for the ready ones. Failure is kept as
 * small as it can be: a pair's filter, transform or limit makes that pair's row `dead`; an event whose body cannot be
 * read or whose rows D1 refuses is left unrouted while the others commit, and then the call throws
 * RouteIncompleteError so the message is retried (already routed events are skipped on the retry).
 */
export async function routeEvents(env: Env, eventIds: string[], options: RouteOptions = {}): Promise<number> {
  const started = Date.now();
  const generation = options.generation ?? "";
  const read = await readRouteBatch(env.DB, eventIds);
  const rows = read.events.filter((row) => generation !== "" || row.routed_at === null);
  if (!rows.length) return 0;
  const subscriptions = read.subscriptions.filter(
    (subscription) =>
      (!options.subscriptionId || subscription.id === options.subscriptionId) &&
      (!options.subscriberId || subscription.subscriber_id === options.subscriberId),
  );
  const rowSettings = rowSettingsOf(read.archivingSubscribers);
  const now = Date.now();
  const plans: EventPlan[] = [];
  const failures: Failure[] = [];
  for (const row of rows) {
    try {
      plans.push(await planEvent(env, row, subscriptions, rowSettings, generation, now));
    } catch (error) {
      failures.push({ eventId: row.id, error: String(error) });
    }
  }
  const written = await commit(env, plans, generation, now);
  failures.push(...written.failures);
  // Objects put for rows that were never written: the retry builds its own under new delivery ids.
  const orphans = payloadKeysOf(
    plans.filter((plan) => !written.committed.includes(plan)).flatMap((plan) => plan.deliveries),
  );
  if (orphans.length) await env.BUCKET.delete(orphans).catch(() => {});

  const deliveries = written.committed.flatMap((plan) => plan.deliveries);
  const ready = deliveries.filter((delivery) => delivery.status === "ready").map((delivery) => delivery.id);
  try {
    await ringDeliveries(
      env,
      ready.map((id) => ({ id })),
    );
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
  for (const failure of failures) {
    logStep({ stage: "route", outcome: "event_not_routed", event_id: failure.eventId, error: failure.error });
  }
  logStep({
    stage: "route",
    outcome: "batch_done",
    events: rows.length,
    deliveries: deliveries.length,
    failed_events: failures.length,
    duration_ms: Date.now() - started,
  });
  if (failures.length) throw new RouteIncompleteError(failures);
  return deliveries.length;
}
