import type { OutboundRequest } from "../auth/outbound";
import type { DeliveryRow } from "../db/deliveries";
import type { DestinationRow } from "../db/destinations";
import { getEvent } from "../db/events";
import { getIdentity, type IdentityKey, releaseCreate, reserveCreate, storeRemoteId } from "../db/identities";
import { loadCloudEvent } from "../db/payloads";
import type { SubscriptionRow } from "../db/subscriptions";
import type { CloudEvent } from "../domain/cloudevent";
import { IdentityError } from "../domain/errors";
import { ExpressionLimitError, evaluate, expressionError } from "../domain/expressions";
import type { IdentityConfig } from "../domain/identity";
import { fillTemplate, isDotSegment, TemplateError } from "../lib/url-template";
import { buildStepPayload } from "./steps";

/** How long a delivery waits for another one that is creating the same person before it looks again. */
export const IDENTITY_WAIT_S = 2;
/** Enough of a create's response to read the new id from; CRMs answer a record, not a report. */
export const CREATE_RESPONSE_BYTES = 64 * 1024;

/** Where and what a push sends: the destination URL, or the identity's update URL for a person already known. */
export type Target = Pick<OutboundRequest, "url" | "method" | "body">;

export type IdentityPlan =
  | { kind: "update"; key: IdentityKey; target: Target }
  | { kind: "create"; key: IdentityKey; target: Target }
  | { kind: "wait"; key: IdentityKey };

export function identityOf(subscription: SubscriptionRow | null, stepIndex: number): IdentityConfig | null {
  return subscription?.steps[stepIndex]?.identity ?? null;
}

function expressionKey(subscription: SubscriptionRow, stepIndex: number, part: string): string {
  return `${subscription.id}:${subscription.version}:step${stepIndex}:${part}`;
}

/** The origin's id for the person an event is about, or an IdentityError saying why there is none. */
export async function localIdOf(localIdExpression: string, key: string | null, event: CloudEvent): Promise<string> {
  let local: unknown;
  try {
    local = await evaluate(key, localIdExpression, event);
  } catch (error) {
    throw new IdentityError(`identity.local_id failed: ${expressionError(error)}`, error);
  }
  if (local === undefined || local === null || local === "" || typeof local === "object") {
    throw new IdentityError(`identity.local_id (${localIdExpression}) gave no id for this event`);
  }
  return String(local);
}

/**
 * The subscriber's id for a person, read by identity.remote_id from a create's answer (its body, as JSON), or an
 * IdentityError saying why there is none: a limit, or no usable id (a body that is not JSON has none).
 */
export async function remoteIdOf(remoteIdExpression: string, key: string | null, body: string | null): Promise<string> {
  let remote: unknown;
  try {
    remote = await evaluate(key, remoteIdExpression, JSON.parse(body ?? ""));
  } catch (error) {
    if (error instanceof ExpressionLimitError) {
      throw new IdentityError(`created, but identity.remote_id failed: ${error.message}`, error);
    }
    remote = undefined;
  }
  if (
    remote === undefined ||
    remote === null ||
    remote === "" ||
    typeof remote === "object" ||
    isDotSegment(String(remote))
  ) {
    throw new IdentityError(`created, but identity.remote_id (${remoteIdExpression}) found no id in the response`);
  }
  return String(remote);
}

/**
 * Known person → update at update.url with `$remote_id` bound; unknown → this delivery reserves the create and
 * sends it to the destination URL; being created by another delivery right now → wait, and look again once that
 * one has stored the id. Planned at every attempt, so a retry or a replay after the create becomes an update.
 */
export async function planIdentity(
  env: Env,
  delivery: DeliveryRow,
  subscription: SubscriptionRow,
  identity: IdentityConfig,
  destination: DestinationRow,
  reserveUntil: number,
  now: number,
): Promise<IdentityPlan> {
  const row = await getEvent(env.DB, delivery.event_id);
  if (!row) throw new IdentityError("the event is no longer stored");
  const event = await loadCloudEvent(env.BUCKET, row);
  const localId = await localIdOf(identity.local_id, expressionKey(subscription, delivery.step, "local"), event);
  const key = { subscriberId: subscription.subscriber_id, namespace: identity.namespace, localId };
  const known = await getIdentity(env.DB, key);
  const payload = async (remoteId: string | null) => {
    try {
      return await buildStepPayload(subscription, delivery.step, event, remoteId);
    } catch (error) {
      throw new IdentityError(`transform failed: ${expressionError(error)}`);
    }
  };
  if (known?.remote_id) {
    let url: string;
    try {
      url = fillTemplate(identity.update.url, "remote_id", known.remote_id);
    } catch (error) {
      if (error instanceof TemplateError) throw new IdentityError(`identity.update.url: ${error.message}`);
      throw error;
    }
    return {
      kind: "update",
      key,
      target: { url, method: identity.update.method, body: await payload(known.remote_id) },
    };
  }
  if (!(await reserveCreate(env.DB, key, delivery.id, reserveUntil, now))) return { kind: "wait", key };
  return {
    kind: "create",
    key,
    target: { url: destination.url, method: destination.method, body: await payload(null) },
  };
}

/**
 * After a create was answered: on 2xx, the statement storing the remote id read from the response (JSONata over
 * its JSON body); otherwise, or when the response names no id, the statement releasing the reservation so the
 * next event for this person may create. `missing` explains a 2xx without an id.
 */
export async function settleCreate(
  db: D1Database,
  subscription: SubscriptionRow,
  stepIndex: number,
  identity: IdentityConfig,
  key: IdentityKey,
  deliveryId: string,
  response: { ok: boolean; body: string | null },
  now: number,
): Promise<{ statement: D1PreparedStatement; missing: string | null }> {
  if (!response.ok) return { statement: releaseCreate(db, key, deliveryId), missing: null };
  let remote: string;
  try {
    remote = await remoteIdOf(identity.remote_id, expressionKey(subscription, stepIndex, "remote"), response.body);
  } catch (error) {
    if (!(error instanceof IdentityError)) throw error;
    return { statement: releaseCreate(db, key, deliveryId), missing: error.message };
  }
  return { statement: storeRemoteId(db, key, remote, now), missing: null };
}
