import { type DeliveryRow, insertDeliveries, type NewDelivery } from "../db/deliveries";
import { replayDeliveriesPage, replayEventIdsPage } from "../db/replay-queries";
import { advanceReplay, failReplay, getReplay } from "../db/replays";
import type { ReplayCriteria } from "../domain/replay";
import { newId } from "../lib/ids";
import { logStep } from "../lib/log";
import { ringDeliveries, ringReplay } from "../queues/ring";
import { routeEvents } from "./route";

/** Small enough that one page — routing 100 events, or copying 100 deliveries — stays well inside a CPU budget. */
export const REPLAY_PAGE_SIZE = 100;

/** Copies a built payload into the replay's generation, optionally pointed at another destination; no later steps follow. */
function resend(delivery: DeliveryRow, replayId: string, destinationId: string | undefined, now: number): NewDelivery {
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
    // A payload too big for a row lives in R2; the copy points at the same object.
    payload_key: delivery.payload_key,
    next_attempt_at: now,
    last_error: null,
    created_at: now,
    updated_at: now,
  };
}

async function routePage(env: Env, replayId: string, criteria: ReplayCriteria, cursor: string | null) {
  const ids = await replayEventIdsPage(env.DB, criteria, cursor, REPLAY_PAGE_SIZE);
  const created = ids.length
    ? await routeEvents(env, ids, {
        generation: replayId,
        subscriptionId: criteria.subscription_id,
        subscriberId: criteria.subscriber_id,
      })
    : 0;
  return { processed: ids.length, lastId: ids.at(-1) ?? null, created };
}

async function deliverPage(env: Env, replayId: string, criteria: ReplayCriteria, cursor: string | null) {
  const rows = await replayDeliveriesPage(env.DB, criteria, replayId, cursor, REPLAY_PAGE_SIZE);
  const now = Date.now();
  const copies = rows.map((row) => resend(row, replayId, criteria.destination_id, now));
  if (copies.length) {
    await env.DB.batch(insertDeliveries(env.DB, copies));
    await ringDeliveries(
      env,
      copies.map((copy) => ({ id: copy.id })),
    );
  }
  return { processed: rows.length, lastId: rows.at(-1)?.id ?? null, created: copies.length };
}

/** Runs one page of a replay and queues the next, so a replay of any size never outruns one invocation. */
export async function runReplayPage(env: Env, replayId: string): Promise<void> {
  const replay = await getReplay(env.DB, replayId);
  if (replay?.status !== "running") return;
  const { criteria } = replay;
  try {
    const page = replay.stage === "route" ? routePage : deliverPage;
    const { processed, lastId, created } = await page(env, replayId, criteria, replay.cursor);
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
    if (advanced && !done) await ringReplay(env, replayId);
  } catch (error) {
    await failReplay(env.DB, replayId, String(error), Date.now());
    logStep({ stage: "replay", outcome: "failed", replay_id: replayId, error: String(error) });
  }
}
