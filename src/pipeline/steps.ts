import type { NewDelivery } from "../db/deliveries";
import type { SubscriptionRow } from "../db/subscriptions";
import type { Step } from "../routes/subscriptions";
import type { CloudEvent } from "./cloudevent";
import { evaluate } from "./expressions";

export interface DeliveryContext {
  event: CloudEvent;
  subscription: SubscriptionRow;
  generation: string;
  chain: boolean;
  now: number;
}

export function stepsOf(subscription: SubscriptionRow): Step[] {
  return JSON.parse(subscription.steps) as Step[];
}

export function matchesType(subscription: SubscriptionRow, type: string): boolean {
  const types = JSON.parse(subscription.event_types) as string[];
  return types.includes("*") || types.includes(type);
}

export async function passesFilter(subscription: SubscriptionRow, event: CloudEvent): Promise<boolean> {
  if (!subscription.filter) return true;
  const result = await evaluate(`${subscription.id}:${subscription.version}:filter`, subscription.filter, event);
  return Boolean(result);
}

/** The body a step sends: its transform's output (`$remote_id` bound for identity steps), else the CloudEvent. */
export async function buildStepPayload(
  subscription: SubscriptionRow,
  stepIndex: number,
  event: CloudEvent,
  remoteId: string | null = null,
): Promise<string> {
  const step = stepsOf(subscription)[stepIndex];
  if (!step?.transform) return JSON.stringify(event);
  const key = `${subscription.id}:${subscription.version}:step${stepIndex}`;
  const output = await evaluate(key, step.transform, event, { remote_id: remoteId });
  if (output === undefined) throw new Error("the transform produced no output");
  return JSON.stringify(output);
}

export function expressionError(error: unknown): string {
  const { message: text, position } = error as { message?: string; position?: number };
  return `${text ?? String(error)}${position !== undefined ? ` (position ${position})` : ""}`;
}

/**
 * The delivery row for step `stepIndex` of an event: `ready` with its payload built, or `dead` when the transform
 * fails (so the operator sees why) — never a silent drop.
 */
export async function newStepDelivery(
  context: DeliveryContext,
  stepIndex: number,
  id: string,
): Promise<NewDelivery | null> {
  const step = stepsOf(context.subscription)[stepIndex];
  if (!step) return null;
  const base = {
    id,
    event_id: context.event.id,
    subscription_id: context.subscription.id,
    subscriber_id: context.subscription.subscriber_id,
    destination_id: step.destination_id,
    step: stepIndex,
    generation: context.generation,
    chain: context.chain ? 1 : 0,
    created_at: context.now,
    updated_at: context.now,
  };
  try {
    const payload = await buildStepPayload(context.subscription, stepIndex, context.event);
    return { ...base, status: "ready", payload, next_attempt_at: context.now, last_error: null };
  } catch (error) {
    return {
      ...base,
      status: "dead",
      payload: null,
      next_attempt_at: null,
      last_error: `transform failed: ${expressionError(error)}`,
    };
  }
}

/** What routing makes of one event for one subscription: nothing, a `skipped` row, or the first step. */
export async function routeOne(context: DeliveryContext, newDeliveryId: () => string): Promise<NewDelivery | null> {
  const { subscription, event } = context;
  if (!matchesType(subscription, event.type)) return null;
  const steps = stepsOf(subscription);
  if (!steps.length) return null;
  let passes: boolean;
  try {
    passes = await passesFilter(subscription, event);
  } catch (error) {
    return {
      ...(await skeleton(context, newDeliveryId(), steps[0].destination_id)),
      status: "dead",
      last_error: `filter failed: ${expressionError(error)}`,
    };
  }
  if (!passes) {
    return {
      ...(await skeleton(context, newDeliveryId(), steps[0].destination_id)),
      status: "skipped",
      last_error: "filtered out",
    };
  }
  return newStepDelivery(context, 0, newDeliveryId());
}

async function skeleton(context: DeliveryContext, id: string, destinationId: string): Promise<NewDelivery> {
  return {
    id,
    event_id: context.event.id,
    subscription_id: context.subscription.id,
    subscriber_id: context.subscription.subscriber_id,
    destination_id: destinationId,
    step: 0,
    generation: context.generation,
    chain: context.chain ? 1 : 0,
    status: "skipped",
    payload: null,
    next_attempt_at: null,
    last_error: null,
    created_at: context.now,
    updated_at: context.now,
  };
}
