import type { NewDelivery } from "../db/deliveries";
import type { SubscriptionRow } from "../db/subscriptions";
import type { CloudEvent } from "../domain/cloudevent";
import { evaluateJson, expressionError } from "../domain/expressions";
import { matchesType, passesFilter } from "../domain/matching";
import { applyPreset, PresetLimitError, presetBody } from "../domain/presets";
import type { Step } from "../domain/step";

export interface DeliveryContext {
  event: CloudEvent;
  subscription: SubscriptionRow;
  generation: string;
  chain: boolean;
  now: number;
}

/** `last_error` says why in a sentence; an error that quotes a huge value is cut, so the row always fits. */
const LAST_ERROR_CHARS = 2000;

export function boundedError(text: string): string {
  return text.length > LAST_ERROR_CHARS ? `${text.slice(0, LAST_ERROR_CHARS)}… (cut)` : text;
}

/**
 * The body a step sends: its preset's shape of the event (the CloudEvent unless it names one), through its transform
 * when it has one (`$remote_id` bound for identity steps).
 */
export async function buildStepPayload(
  subscription: SubscriptionRow,
  stepIndex: number,
  event: CloudEvent,
  remoteId: string | null = null,
): Promise<string> {
  const key = `${subscription.id}:${subscription.version}:step${stepIndex}`;
  return stepBody(subscription.steps[stepIndex] ?? {}, key, event, remoteId);
}

/** buildStepPayload for a step's body settings alone: also what a preview runs (`key` null: compiled afresh). */
export async function stepBody(
  step: Pick<Step, "preset" | "transform">,
  key: string | null,
  event: CloudEvent,
  remoteId: string | null = null,
): Promise<string> {
  const preset = step.preset ?? "cloudevent";
  if (!step.transform) return presetBody(preset, event);
  const input = applyPreset(preset, event);
  const output = await evaluateJson(key, step.transform, input, { remote_id: remoteId });
  if (output === undefined) throw new Error("the transform produced no output");
  return output;
}

function base(context: DeliveryContext, id: string, stepIndex: number, destinationId: string | null) {
  return {
    id,
    event_id: context.event.id,
    subscription_id: context.subscription.id,
    subscriber_id: context.subscription.subscriber_id,
    destination_id: destinationId,
    step: stepIndex,
    generation: context.generation,
    chain: context.chain ? 1 : 0,
    created_at: context.now,
    updated_at: context.now,
  };
}

/** A row that tells the operator why nothing was sent: `skipped` (filtered out) or `dead` (with the reason). */
function unsent(
  context: DeliveryContext,
  id: string,
  destinationId: string | null,
  status: "skipped" | "dead",
  reason: string,
): NewDelivery {
  return {
    ...base(context, id, 0, destinationId),
    status,
    payload: null,
    next_attempt_at: null,
    last_error: boundedError(reason),
  };
}

/**
 * The delivery row for step `stepIndex` of an event: `ready` with its payload built, or `dead` when the transform
 * fails or passes a limit (so the operator sees why) — never a silent drop.
 */
export async function newStepDelivery(
  context: DeliveryContext,
  stepIndex: number,
  id: string,
): Promise<NewDelivery | null> {
  const step = context.subscription.steps[stepIndex];
  if (!step) return null;
  const row = base(context, id, stepIndex, step.destination_id);
  try {
    const payload = await buildStepPayload(context.subscription, stepIndex, context.event);
    return { ...row, status: "ready", payload, next_attempt_at: context.now, last_error: null };
  } catch (error) {
    return {
      ...row,
      status: "dead",
      payload: null,
      next_attempt_at: null,
      last_error: boundedError(
        error instanceof PresetLimitError
          ? `preset failed: ${error.message}`
          : `transform failed: ${expressionError(error)}`,
      ),
    };
  }
}

/**
 * What routing makes of one event for one subscription: nothing, a `skipped` row, or the first step. It never
 * throws: whatever goes wrong for this pair (a filter, a transform, a limit) becomes this pair's `dead` row, and
 * every other pair of the batch is routed as usual.
 */
export async function routeOne(context: DeliveryContext, newDeliveryId: () => string): Promise<NewDelivery | null> {
  const { subscription, event } = context;
  let destinationId: string | null = null;
  try {
    if (!matchesType(subscription, event.type)) return null;
    const steps = subscription.steps;
    if (!steps.length) return null;
    destinationId = steps[0].destination_id;
    let passes: boolean;
    try {
      passes = await passesFilter(subscription, event);
    } catch (error) {
      return unsent(context, newDeliveryId(), destinationId, "dead", `filter failed: ${expressionError(error)}`);
    }
    if (!passes) return unsent(context, newDeliveryId(), destinationId, "skipped", "filtered out");
    return await newStepDelivery(context, 0, newDeliveryId());
  } catch (error) {
    return unsent(context, newDeliveryId(), destinationId, "dead", `routing failed: ${String(error)}`);
  }
}
