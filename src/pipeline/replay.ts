import { type DeliveryFilters, deliveriesPage, insertDeliveries, type NewDelivery } from "../db/deliveries";
import { type EventFilters, eventIdsPage } from "../db/events";
import { advanceReplay, failReplay, getReplay } from "../db/replays";
import { newId } from "../lib/ids";
import { logStep } from "../lib/log";
import { enqueueDeliveries, type RouteMessage } from "./messages";
import { routeEvents } from "./route";

/** Small enough that one page — routing 100 events, or copying 100 deliveries — stays well inside a CPU budget. */
export const REPLAY_PAGE_SIZE = 100;

export interface ReplayCriteria {
  from?: number;
  to?: number;
  source_id?: string;
  subscriber_id?: string;
  subscription_id?: string;
  event_types?: string[];
  status?: string;
  destination_id?: string;
}

export function eventFilters(criteria: ReplayCriteria): EventFilters {
  return { source_id: criteria.source_id, from: criteria.from, to: criteria.to, event_types: criteria.event_types };
}

export function deliveryFilters(criteria: ReplayCriteria): DeliveryFilters {
  return {
    subscriber_id: criteria.subscriber_id,
    subscription_id: criteria.subscription_id,
    status: criteria.status,
    from: criteria.from,
    to: criteria.to,
  };
}

/** Copies built payloads into a new generation, optionally pointed at another destination; no later steps follow. */
function resend(
  delivery: {
    id: string;
    event_id: string;
    subscription_id: string;
    subscriber_id: string;
    destination_id: string | null;
    step: number;
    payload: string | null;
  },
  replayId: string,
  destinationId: string | undefined,
  now: number,
): NewDelivery {
  return {
    id: newId("dlv", now),
    event_id: delivery.event_id,
    subscription_id: delivery.subscription_id,
    subscriber_id: delivery.subscriber_id,
    destination_id: destinationId ?? delivery.destination_id,
    step: delivery.step,
    generation: `${replayId}:${delivery.id}`,
    chain: 0,
    status: "ready",
    payload: delivery.payload,
    next_attempt_at: now,
    last_error: null,
    created_at: now,
    updated_at: now,
  };
}

/** Runs one page of a replay and queues the next, so a replay of any size never outruns one invocation. */
export async function runReplayPage(env: Env, replayId: string): Promise<void> {
  const replay = await getReplay(env.DB, replayId);
  if (replay?.status !== "running") return;
  const criteria = JSON.parse(replay.criteria) as ReplayCriteria;
  const now = Date.now();
  try {
    let lastId: string | null = null;
    let processed = 0;
    let created = 0;
    if (replay.stage === "route") {
      const ids = await eventIdsPage(env.DB, eventFilters(criteria), replay.cursor, REPLAY_PAGE_SIZE);
      processed = ids.length;
      lastId = ids.at(-1) ?? null;
      if (ids.length) {
        created = await routeEvents(env, ids, {
          generation: replayId,
          subscriptionId: criteria.subscription_id,
          subscriberId: criteria.subscriber_id,
        });
      }
    } else {
      const rows = await deliveriesPage(env.DB, deliveryFilters(criteria), replay.cursor, REPLAY_PAGE_SIZE);
      processed = rows.length;
      lastId = rows.at(-1)?.id ?? null;
      const copies = rows
        .filter((row) => !row.generation.startsWith(`${replayId}:`))
        .map((row) => resend(row, replayId, criteria.destination_id, now));
      if (copies.length) {
        await env.DB.batch(insertDeliveries(env.DB, copies));
        await enqueueDeliveries(
          env,
          copies.map((copy) => copy.id),
        );
      }
      created = copies.length;
    }
    const done = processed < REPLAY_PAGE_SIZE;
    const advanced = await advanceReplay(
      env.DB,
      replayId,
      replay.cursor,
      lastId ?? replay.cursor,
      processed,
      created,
      done,
      Date.now(),
    );
    logStep({ stage: "replay", outcome: done ? "completed" : "page_done", replay_id: replayId, processed, created });
    if (advanced && !done) await env.ROUTE_QUEUE.send({ kind: "replay", replay_id: replayId } satisfies RouteMessage);
  } catch (error) {
    await failReplay(env.DB, replayId, String(error), Date.now());
    logStep({ stage: "replay", outcome: "failed", replay_id: replayId, error: String(error) });
  }
}
