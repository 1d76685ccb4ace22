import { type DeliveryRow, insertDeliveries, type NewDelivery } from "../db/deliveries";
import {
  type AttemptRecord,
  type Claim,
  claimDeliveries,
  type DestinationOutcome,
  eventsForNextSteps,
  readDeliveryBatch,
  recordAttempts,
  type Settle,
} from "../db/delivery-batch";
import type { DestinationRow } from "../db/destinations";
import { LEASED } from "../db/lost-work";
import { loadCloudEvent, loadPayload, offloadPayloads } from "../db/payloads";
import { addCounters } from "../db/stats";
import type { SubscriptionRow } from "../db/subscriptions";
import { type AttemptDecision, decideAttempt } from "../domain/attempt-decision";
import { redactRequest, type SentRequest } from "../domain/redact-request";
import { attemptCounters } from "../domain/stats";
import { runBounded } from "../engine/limiter";
import { claimable, runStage, type Stage } from "../engine/stage";
import { newId } from "../lib/ids";
import { logStep } from "../lib/log";
import { type Ring, ringDeliveries } from "../queues/ring";
import { identityOf } from "./identity";
import { attemptBudgetMs, LEASE_SLACK_MS, loadCredentials, type Pushed, push, threw } from "./push";
import { newStepDelivery } from "./steps";

/**
 * The deliver stage, a batch at a time on the stage engine (engine/stage.ts): one read of the batch's deliveries
 * with their destinations and subscriptions, one claim, pushes with bounded concurrency (per batch and per
 * destination), one record of every attempt, one ring of what is left. Identity steps take the per-item path
 * (deliver-one.ts): planning them reads and reserves the person's identity row, and a create is settled with the id
 * its answer names.
 */

interface Item {
  delivery: DeliveryRow;
  destination: DestinationRow;
  subscription: SubscriptionRow | null;
  payload: string;
  /** This attempt's number: the row's attempts once claimed. */
  attempt: number;
}

interface Outcome {
  pushed: Pushed;
  decision: AttemptDecision;
  startedAt: number;
  finishedAt: number;
  request: SentRequest | null;
}

/**
 * The request a push made, as its attempt keeps it: redacted with the destination's auth, which names where an api
 * key went (the credentials the push just used, opened once per isolate, so this decrypts nothing). Null when
 * nothing was sent.
 */
export async function keptRequest(env: Env, destination: DestinationRow, pushed: Pushed): Promise<SentRequest | null> {
  if (!pushed.request) return null;
  const auth = await loadCredentials(env, destination).then(
    (credentials) => credentials.auth,
    () => null,
  );
  return redactRequest(pushed.request, auth);
}

/** Step n+1 of each sent delivery that has one, created now that step n is sent: one event read for all. */
export async function nextStepsFor(
  env: Env,
  sent: ReadonlyArray<{ delivery: DeliveryRow; subscription: SubscriptionRow | null }>,
  now: number,
): Promise<NewDelivery[]> {
  const chained = sent.filter(({ delivery, subscription }) => delivery.chain && subscription?.steps[delivery.step + 1]);
  if (!chained.length) return [];
  const events = await eventsForNextSteps(env.DB, [...new Set(chained.map(({ delivery }) => delivery.event_id))]);
  const next: NewDelivery[] = [];
  for (const { delivery, subscription } of chained) {
    const row = events.get(delivery.event_id);
    if (!row || !subscription) continue;
    const follow = await newStepDelivery(
      { event: await loadCloudEvent(env.BUCKET, row), subscription, generation: delivery.generation, chain: true, now },
      delivery.step + 1,
      newId("dlv", now),
    );
    if (follow) next.push(follow);
  }
  return offloadPayloads(env.BUCKET, next);
}

function deliverStage(env: Env, identitySteps: string[]): Stage<Item, Outcome, Ring> {
  return {
    name: "deliver_batch",

    async claim(ids, now) {
      const batch = await readDeliveryBatch(env.DB, ids);
      const claims: Claim[] = [];
      const settles: Settle[] = [];
      const candidates: Array<Omit<Item, "attempt" | "payload"> & { payload: string | null }> = [];
      for (const delivery of batch.deliveries) {
        if (!claimable(delivery, LEASED.deliveries.statuses, now)) continue;
        const destination = delivery.destination_id ? batch.destinations.get(delivery.destination_id) : undefined;
        const settle = (status: Settle["status"], error: string | null) =>
          settles.push({ id: delivery.id, n: delivery.attempts, status, error });
        if (!destination) {
          settle("dead", "the destination was deleted");
          continue;
        }
        if (destination.disabled_at !== null) {
          settle("held", null);
          continue;
        }
        const subscription = batch.subscriptions.get(delivery.subscription_id) ?? null;
        if (identityOf(subscription, delivery.step)) {
          identitySteps.push(delivery.id);
          continue;
        }
        candidates.push({ delivery, destination, subscription, payload: null });
      }
      // Payloads in R2 are read before an attempt is claimed: a lost object ends the delivery without spending one.
      const loaded = await runBounded(candidates, { total: 16, perKey: 16, keyOf: () => "r2" }, async (candidate) => ({
        ...candidate,
        payload: await loadPayload(env.BUCKET, candidate.delivery),
      }));
      const ready: typeof loaded = [];
      for (const candidate of loaded) {
        const { delivery, destination } = candidate;
        if (candidate.payload === null) {
          settles.push({
            id: delivery.id,
            n: delivery.attempts,
            status: "dead",
            error: `the payload ${delivery.payload_key} is missing from R2`,
          });
          continue;
        }
        claims.push({
          id: delivery.id,
          n: delivery.attempts,
          lease_until: now + attemptBudgetMs(destination) + LEASE_SLACK_MS,
        });
        ready.push(candidate);
      }
      const won = await claimDeliveries(env.DB, claims, settles, now);
      for (const settle of settles) {
        logStep({
          stage: "deliver",
          outcome: settle.status,
          delivery_id: settle.id,
          ...(settle.error ? { error: settle.error } : {}),
        });
      }
      return ready
        .filter((candidate) => won.has(candidate.delivery.id))
        .map((candidate) => ({ ...candidate, payload: candidate.payload!, attempt: candidate.delivery.attempts + 1 }));
    },

    async act(item) {
      const startedAt = Date.now();
      const pushed = await push(env, {
        deliveryId: item.delivery.id,
        eventId: item.delivery.event_id,
        target: { url: item.destination.url, method: item.destination.method, body: item.payload },
        destination: item.destination,
        bodyLimit: 0,
      });
      const finishedAt = Date.now();
      const request = await keptRequest(env, item.destination, pushed);
      return { pushed, decision: decide(item, pushed), startedAt, finishedAt, request };
    },

    failed(item, error) {
      const pushed = threw(error);
      return { pushed, decision: decide(item, pushed), startedAt: Date.now(), finishedAt: Date.now(), request: null };
    },

    targetOf: (item) => item.destination.id,

    async record(done, now) {
      const attempts: AttemptRecord[] = done.map(({ item, outcome }) => ({
        id: item.delivery.id,
        n: item.attempt,
        status: outcome.decision.outcome,
        next_attempt_at:
          outcome.decision.delaySeconds !== null ? outcome.finishedAt + outcome.decision.delaySeconds * 1000 : null,
        at: outcome.startedAt,
        duration_ms: outcome.pushed.durationMs,
        status_code: outcome.pushed.statusCode,
        error: outcome.pushed.error,
        response_excerpt: outcome.pushed.excerpt,
        request: outcome.request,
      }));
      // A destination that answered anyone in the batch is working; one disabled by any attempt is disabled.
      const destinations = new Map<string, DestinationOutcome>();
      for (const { item, outcome } of done) {
        const known = destinations.get(item.destination.id);
        destinations.set(item.destination.id, {
          id: item.destination.id,
          ok: (known?.ok ?? false) || outcome.decision.outcome === "sent",
          disable: known?.disable ?? outcome.decision.disableReason,
        });
      }
      const sent = done.filter(({ outcome }) => outcome.decision.outcome === "sent").map(({ item }) => item);
      const follows = await nextStepsFor(env, sent, now);
      const counters = attemptCounters(
        done.map(({ item, outcome }) => ({
          destinationId: item.destination.id,
          outcome: outcome.decision.outcome,
          at: outcome.startedAt,
          durationMs: outcome.pushed.durationMs,
        })),
      );
      await recordAttempts(
        env.DB,
        attempts,
        [...destinations.values()],
        [...insertDeliveries(env.DB, follows), ...addCounters(env.DB, counters)],
        now,
      );
      for (const { item, outcome } of done) {
        logStep({
          stage: "deliver",
          outcome: outcome.decision.outcome,
          delivery_id: item.delivery.id,
          event_id: item.delivery.event_id,
          destination_id: item.destination.id,
          attempt: item.attempt,
          status_code: outcome.pushed.statusCode,
          duration_ms: outcome.pushed.durationMs,
          ...(outcome.pushed.error ? { error: outcome.pushed.error } : {}),
          ...(outcome.decision.delaySeconds !== null ? { retry_in_s: outcome.decision.delaySeconds } : {}),
        });
      }
      return [
        ...attempts
          .filter((attempt) => attempt.next_attempt_at !== null)
          .map((attempt) => ({ id: attempt.id, delaySeconds: (attempt.next_attempt_at! - now) / 1000 })),
        ...follows.filter((follow) => follow.status === "ready").map((follow) => ({ id: follow.id })),
      ];
    },

    ring: (rings) => ringDeliveries(env, rings),
  };
}

function decide(item: Item, pushed: Pushed): AttemptDecision {
  return decideAttempt({
    statusCode: pushed.statusCode,
    permanent: pushed.permanent,
    retryAfter: pushed.retryAfter,
    attemptInBudget: item.attempt - item.delivery.budget_start,
    failingSince: item.destination.failing_since,
    policy: item.destination,
    now: Date.now(),
  });
}

/**
 * The next attempt at each due delivery among `ids`. Identity steps come back for the per-item path; the caller
 * runs them (deliver-one.ts).
 */
export async function deliverBatch(env: Env, ids: readonly string[]): Promise<{ identitySteps: string[] }> {
  const identitySteps: string[] = [];
  await runStage(deliverStage(env, identitySteps), ids);
  return { identitySteps };
}
