import {
  claimAttempt,
  getDelivery,
  holdDestinationDeliveries,
  insertDeliveries,
  postponeDelivery,
  recordAttempt,
  recordRequest,
  setStatus,
} from "../db/deliveries";
import { disableDestination, getDestination, recordDestinationOutcome } from "../db/destinations";
import { LEASED } from "../db/lost-work";
import { storePayload } from "../db/payloads";
import { addCounters } from "../db/stats";
import { getSubscription } from "../db/subscriptions";
import { decideAttempt } from "../domain/attempt-decision";
import { IdentityError } from "../domain/errors";
import { attemptCounters } from "../domain/stats";
import { notClaimable } from "../engine/stage";
import { logStep } from "../lib/log";
import { ringDeliveries } from "../queues/ring";
import { keptRequest, nextStepsFor } from "./deliver";
import {
  CREATE_RESPONSE_BYTES,
  IDENTITY_WAIT_S,
  type IdentityPlan,
  identityOf,
  planIdentity,
  settleCreate,
} from "./identity";
import { attemptBudgetMs, LEASE_SLACK_MS, push } from "./push";
import { boundedError } from "./steps";

/**
 * One attempt at one identity step: the slow path beside the batch (deliver.ts), because planning reads and
 * reserves the person's identity row and a create must be settled with the id the CRM answered. Idempotent on the
 * delivery id: a duplicate or stale message finds the row moved on (or claimed) and does nothing.
 */
export async function deliverOne(env: Env, deliveryId: string): Promise<void> {
  const now = Date.now();
  const delivery = await getDelivery(env.DB, deliveryId);
  const skip = (outcome: string) =>
    logStep({ stage: "deliver", outcome, delivery_id: deliveryId, event_id: delivery?.event_id });
  const why = notClaimable(delivery, LEASED.deliveries.statuses, now);
  if (why !== null || !delivery) return skip(`skipped: ${why ?? "missing"}`);

  const [destination, subscription] = await Promise.all([
    delivery.destination_id ? getDestination(env.DB, delivery.destination_id) : null,
    getSubscription(env.DB, delivery.subscription_id),
  ]);
  if (!destination) {
    await setStatus(env.DB, deliveryId, "dead", "the destination was deleted", now);
    return skip("dead_no_destination");
  }
  if (destination.disabled_at !== null) {
    await setStatus(env.DB, deliveryId, "held", null, now);
    return skip("held");
  }
  const identity = identityOf(subscription, delivery.step);
  if (!identity || !subscription) {
    // Not an identity step after all (the subscription changed): the batch path sends it.
    await ringDeliveries(env, [{ id: deliveryId }]);
    return skip("back_to_batch");
  }
  const leaseUntil = now + attemptBudgetMs(destination) + LEASE_SLACK_MS;
  let plan: IdentityPlan;
  try {
    plan = await planIdentity(env, delivery, subscription, identity, destination, leaseUntil, now);
  } catch (error) {
    if (!(error instanceof IdentityError)) throw error;
    await setStatus(env.DB, deliveryId, "dead", boundedError(error.message), now);
    return skip("dead_identity");
  }
  if (plan.kind === "wait") {
    // Another delivery is creating this person: look again shortly without spending an attempt. The due time moves
    // too, so the sweeper finds the row if this message is lost.
    if (await postponeDelivery(env.DB, delivery.id, delivery.attempts, now + IDENTITY_WAIT_S * 1000, now)) {
      await ringDeliveries(env, [{ id: delivery.id, delaySeconds: IDENTITY_WAIT_S }]);
    }
    return skip("waiting_for_identity");
  }
  if (!(await claimAttempt(env.DB, deliveryId, delivery.attempts, leaseUntil, now))) return skip("claimed_elsewhere");
  const attempt = delivery.attempts + 1;

  const target = plan.target;
  const pushed = await push(env, {
    deliveryId,
    eventId: delivery.event_id,
    target,
    destination,
    bodyLimit: plan.kind === "create" ? CREATE_RESPONSE_BYTES : 0,
  });
  const finished = Date.now();
  const sentRequest = await keptRequest(env, destination, pushed);
  const decision = decideAttempt({
    statusCode: pushed.statusCode,
    permanent: pushed.permanent,
    retryAfter: pushed.retryAfter,
    attemptInBudget: attempt - delivery.budget_start,
    failingSince: destination.failing_since,
    policy: destination,
    now: finished,
  });
  // The request as it was made, so the delivery shows (and a deliver-stage replay resends) what really went out.
  const writes: D1PreparedStatement[] = [
    recordRequest(
      env.DB,
      deliveryId,
      await storePayload(env.BUCKET, deliveryId, target.body),
      target.url,
      target.method,
    ),
  ];
  if (plan.kind === "create") {
    const settled = await settleCreate(
      env.DB,
      subscription,
      delivery.step,
      identity,
      plan.key,
      deliveryId,
      { ok: decision.outcome === "sent", body: pushed.body },
      finished,
    );
    writes.push(settled.statement);
    if (settled.missing) pushed.error = settled.missing;
  }
  const nextAttemptAt = decision.delaySeconds !== null ? finished + decision.delaySeconds * 1000 : null;
  const follow =
    decision.outcome === "sent" ? ((await nextStepsFor(env, [{ delivery, subscription }], finished))[0] ?? null) : null;

  await env.DB.batch([
    ...recordAttempt(
      env.DB,
      {
        status: decision.outcome,
        nextAttemptAt,
        attempt: {
          delivery_id: deliveryId,
          n: attempt,
          at: now,
          duration_ms: pushed.durationMs,
          status_code: pushed.statusCode,
          error: pushed.error,
          response_excerpt: pushed.excerpt,
          request: sentRequest,
        },
      },
      finished,
    ),
    ...writes,
    recordDestinationOutcome(env.DB, destination.id, decision.outcome === "sent", finished),
    ...(decision.disableReason
      ? [
          disableDestination(env.DB, destination.id, decision.disableReason, finished),
          holdDestinationDeliveries(env.DB, destination.id, finished),
        ]
      : []),
    ...(follow ? insertDeliveries(env.DB, [follow]) : []),
    ...addCounters(
      env.DB,
      attemptCounters([
        { destinationId: destination.id, outcome: decision.outcome, at: now, durationMs: pushed.durationMs },
      ]),
    ),
  ]);

  const rings = [
    ...(decision.delaySeconds !== null ? [{ id: deliveryId, delaySeconds: decision.delaySeconds }] : []),
    ...(follow?.status === "ready" ? [{ id: follow.id }] : []),
  ];
  await ringDeliveries(env, rings).catch((error) =>
    logStep({ stage: "deliver", outcome: "queue_send_failed", delivery_id: deliveryId, error: String(error) }),
  );
  logStep({
    stage: "deliver",
    outcome: decision.outcome,
    delivery_id: deliveryId,
    event_id: delivery.event_id,
    destination_id: destination.id,
    attempt,
    status_code: pushed.statusCode,
    duration_ms: pushed.durationMs,
    ...(pushed.error ? { error: pushed.error } : {}),
    ...(decision.delaySeconds !== null ? { retry_in_s: decision.delaySeconds } : {}),
  });
}
