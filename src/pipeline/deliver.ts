import { TOKEN_REQUEST_TIMEOUT_MS } from "../auth/oauth2";
import { type AuthContext, applyAuth, forgetCredentials, type OutboundRequest } from "../auth/outbound";
import { destinationSecret, SealedUnreadable, unseal, unsealJson } from "../auth/sealed";
import { webhookHeaders } from "../auth/signature";
import {
  type AttemptOutcome,
  claimAttempt,
  type DeliveryRow,
  getDelivery,
  holdDestinationDeliveries,
  insertDeliveries,
  postponeDelivery,
  recordAttempt,
  recordRequest,
  setStatus,
} from "../db/deliveries";
import { type DestinationRow, disableDestination, getDestination, recordDestinationOutcome } from "../db/destinations";
import { getEvent } from "../db/events";
import { loadCloudEvent, loadPayload, offloadPayloads, storePayload } from "../db/payloads";
import { getSubscription, type SubscriptionRow } from "../db/subscriptions";
import { Auth } from "../domain/auth";
import { DISABLE_AFTER_MS, isRetryableStatus, parseRetryAfter, retryDelaySeconds } from "../domain/backoff";
import { AuthConfigError, IdentityError } from "../domain/errors";
import { MAX_QUEUE_DELAY_S } from "../domain/messages";
import { RelayError } from "../lib/errors";
import { newId } from "../lib/ids";
import { logStep } from "../lib/log";
import { assertSendable } from "../lib/url-policy";
import { frameCloudEvent } from "./cloudevent-framing";
import { enqueueDeliveries } from "./enqueue";
import {
  CREATE_RESPONSE_BYTES,
  IDENTITY_WAIT_S,
  type IdentityPlan,
  identityOf,
  planIdentity,
  settleCreate,
  type Target,
} from "./identity";
import { boundedError, newStepDelivery } from "./steps";
import { sharedAuthContext } from "./token-cache";

export const USER_AGENT = "syndic/0.1.0";
const EXCERPT_BYTES = 1024;
/** A queue message may arrive a little before the row's due time; later than this it is a stray duplicate. */
const EARLY_SLACK_MS = 2000;
/** Time beyond the request timeout before the sweeper may assume a claimed attempt died with its worker. */
const LEASE_SLACK_MS = 30_000;

/** The longest an attempt may take: with OAuth 2, a token request and, after a 401, a second token and push. */
function attemptBudgetMs(destination: DestinationRow): number {
  return destination.auth_type === "oauth2"
    ? 2 * (TOKEN_REQUEST_TIMEOUT_MS + destination.timeout_ms)
    : destination.timeout_ms;
}

/** The first `limit` bytes of the response body, as text; the rest is not read. */
async function readPrefix(response: Response, limit: number): Promise<string> {
  if (!response.body) return "";
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  while (size < limit) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.length;
  }
  await reader.cancel().catch(() => {});
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  return new TextDecoder().decode(bytes.subarray(0, limit));
}

interface Credentials {
  auth: Auth;
  secret: string;
}

/** A destination's credentials, opened only for its own row; ones that will not open can never be sent. */
async function loadCredentials(env: Env, destination: DestinationRow): Promise<Credentials> {
  try {
    const [auth, secret] = await Promise.all([
      unsealJson(env.SECRETS_KEY, destinationSecret(destination.id, "auth"), destination.auth_enc, Auth),
      unseal(env.SECRETS_KEY, destinationSecret(destination.id, "signing_secret"), destination.signing_secret_enc),
    ]);
    return { auth, secret };
  } catch (error) {
    if (error instanceof SealedUnreadable)
      throw new AuthConfigError(`${error.message}; set the destination's auth again`);
    throw error;
  }
}

async function buildRequest(
  delivery: DeliveryRow,
  { url, method, body }: Target,
  destination: DestinationRow,
  { auth, secret }: Credentials,
  context: AuthContext,
): Promise<OutboundRequest> {
  // The signature covers the body as framed for the destination's cloudevents_mode: the bytes actually sent.
  const framed = frameCloudEvent(destination.cloudevents_mode, delivery.event_id, body);
  const request: OutboundRequest = {
    url,
    method,
    headers: {
      ...destination.headers,
      ...framed.headers,
      "user-agent": USER_AGENT,
      ...(await webhookHeaders(secret, delivery.id, framed.body)),
    },
    body: framed.body,
  };
  return applyAuth(request, auth, context);
}

export interface Sent {
  statusCode: number | null;
  error: string | null;
  excerpt: string | null;
  /** The response body up to the limit asked for (the excerpt's length unless a create needs the new id). */
  body: string | null;
  retryAfter: number | null;
  durationMs: number;
}

/** One HTTP request with a timeout, never throwing: the status, or the network error, and the answer's start. */
export async function send(request: OutboundRequest, timeoutMs: number, bodyLimit: number): Promise<Sent> {
  const started = Date.now();
  try {
    const response = await fetch(request.url, {
      method: request.method,
      headers: request.headers,
      body: request.body,
      redirect: "manual",
      signal: AbortSignal.timeout(timeoutMs),
    });
    const body = await readPrefix(response, Math.max(bodyLimit, EXCERPT_BYTES)).catch(() => "");
    return {
      statusCode: response.status,
      error: response.ok ? null : `HTTP ${response.status}`,
      excerpt: body.slice(0, EXCERPT_BYTES),
      body,
      retryAfter: parseRetryAfter(response.headers.get("retry-after"), Date.now()),
      durationMs: Date.now() - started,
    };
  } catch (error) {
    const timedOut = (error as Error).name === "TimeoutError";
    return {
      statusCode: null,
      error: timedOut ? `timed out after ${timeoutMs} ms` : `network error: ${(error as Error).message}`,
      excerpt: null,
      body: null,
      retryAfter: null,
      durationMs: Date.now() - started,
    };
  }
}

interface AttemptResult extends Sent {
  /** Set when the credentials could not be produced and nothing was sent. */
  authFailed?: { retryable: boolean };
}

/**
 * Builds, authenticates and sends the push. A 401 to renewable credentials (an OAuth 2 token the destination
 * stopped accepting) is answered by fetching them again and sending once more, within the same attempt.
 */
async function attemptSend(
  env: Env,
  delivery: DeliveryRow,
  target: Target,
  destination: DestinationRow,
  bodyLimit: number,
): Promise<AttemptResult> {
  const started = Date.now();
  const context = sharedAuthContext(env, destination.id);
  try {
    // A URL filled from a template, or saved before the policy tightened, is checked where it is used.
    assertSendable(env, target.url);
    const credentials = await loadCredentials(env, destination);
    const attemptOnce = async () =>
      send(await buildRequest(delivery, target, destination, credentials, context), destination.timeout_ms, bodyLimit);
    const first = await attemptOnce();
    if (first.statusCode !== 401 || !(await forgetCredentials(credentials.auth, context))) return first;
    const second = await attemptOnce();
    return {
      ...second,
      error: second.statusCode === 401 ? "HTTP 401, again with freshly fetched credentials" : second.error,
      durationMs: first.durationMs + second.durationMs,
    };
  } catch (error) {
    // A URL the policy refuses, credentials that will not open or a token that cannot be had: nothing was sent.
    if (!(error instanceof RelayError)) throw error;
    return {
      statusCode: null,
      error: error.message,
      excerpt: null,
      body: null,
      retryAfter: error.retryAfter,
      durationMs: Date.now() - started,
      authFailed: { retryable: error.retryable },
    };
  }
}

interface Decision {
  outcome: AttemptOutcome["status"];
  delaySeconds: number | null;
  disableReason: string | null;
}

function decide(
  delivery: DeliveryRow,
  destination: DestinationRow,
  attempt: number,
  sent: Sent,
  now: number,
): Decision {
  const status = sent.statusCode;
  if (status !== null && status >= 200 && status < 300)
    return { outcome: "sent", delaySeconds: null, disableReason: null };
  if (status === 410)
    return { outcome: "dead", delaySeconds: null, disableReason: "the destination answered 410 Gone" };
  const retryable = status === null || isRetryableStatus(status);
  if (!retryable) return { outcome: "dead", delaySeconds: null, disableReason: null };
  if (destination.failing_since !== null && now - destination.failing_since >= DISABLE_AFTER_MS) {
    return { outcome: "held", delaySeconds: null, disableReason: "failing without a success for 3 days" };
  }
  if (attempt - delivery.budget_start >= destination.max_attempts) {
    return { outcome: "dead", delaySeconds: null, disableReason: null };
  }
  const delaySeconds = retryDelaySeconds(destination, attempt - delivery.budget_start, sent.retryAfter);
  return { outcome: "retrying", delaySeconds, disableReason: null };
}

/** Step n+1 of the event, created only now that step n has been sent, its payload in R2 if too big for the row. */
async function nextStep(env: Env, delivery: DeliveryRow, subscription: SubscriptionRow | null, now: number) {
  if (!delivery.chain || !subscription) return null;
  const eventRow = await getEvent(env.DB, delivery.event_id);
  if (!eventRow) return null;
  const event = await loadCloudEvent(env.BUCKET, eventRow);
  const next = await newStepDelivery(
    { event, subscription, generation: delivery.generation, chain: true, now },
    delivery.step + 1,
    newId("dlv", now),
  );
  return next && (await offloadPayloads(env.BUCKET, [next]))[0];
}

/**
 * Another delivery is creating this person at the destination: look again shortly, without spending an attempt.
 * The row's due time moves too, so the sweeper finds it if this message is lost.
 */
async function waitForIdentity(env: Env, delivery: DeliveryRow, now: number): Promise<void> {
  const due = now + IDENTITY_WAIT_S * 1000;
  if (await postponeDelivery(env.DB, delivery.id, delivery.attempts, due, now)) {
    await enqueueDeliveries(env, [delivery.id], IDENTITY_WAIT_S);
  }
  logStep({ stage: "deliver", outcome: "waiting_for_identity", delivery_id: delivery.id, event_id: delivery.event_id });
}

/**
 * One attempt at one delivery. Idempotent on the delivery id: a duplicate or stale message finds the row already
 * moved on (or claimed) and does nothing.
 */
export async function deliverOne(env: Env, deliveryId: string): Promise<void> {
  const now = Date.now();
  const delivery = await getDelivery(env.DB, deliveryId);
  const skip = (outcome: string) =>
    logStep({ stage: "deliver", outcome, delivery_id: deliveryId, event_id: delivery?.event_id });
  if (!delivery || (delivery.status !== "ready" && delivery.status !== "retrying")) return skip("not_due_status");
  if ((delivery.next_attempt_at ?? 0) > now + EARLY_SLACK_MS) return skip("not_due_yet");
  if (delivery.lease_until !== null && delivery.lease_until > now) return skip("in_flight");

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
  const leaseUntil = now + attemptBudgetMs(destination) + LEASE_SLACK_MS;
  const identity = identityOf(subscription, delivery.step);
  let plan: IdentityPlan | null = null;
  if (identity && subscription) {
    try {
      plan = await planIdentity(env, delivery, subscription, identity, destination, leaseUntil, now);
    } catch (error) {
      if (!(error instanceof IdentityError)) throw error;
      await setStatus(env.DB, deliveryId, "dead", boundedError(error.message), now);
      return skip("dead_identity");
    }
    if (plan.kind === "wait") return waitForIdentity(env, delivery, now);
  }
  // A payload in R2 is read before an attempt is claimed: a lost object ends the delivery without spending one.
  const payload = plan ? null : await loadPayload(env.BUCKET, delivery);
  if (!plan && payload === null) {
    await setStatus(env.DB, deliveryId, "dead", `the payload ${delivery.payload_key} is missing from R2`, now);
    return skip("dead_payload_missing");
  }
  if (!(await claimAttempt(env.DB, deliveryId, delivery.attempts, leaseUntil, now))) {
    return skip("claimed_elsewhere");
  }
  const attempt = delivery.attempts + 1;

  const target: Target = plan?.target ?? {
    url: destination.url,
    method: destination.method,
    body: payload ?? "null",
  };
  const creating = plan?.kind === "create";
  const sent = await attemptSend(env, delivery, target, destination, creating ? CREATE_RESPONSE_BYTES : 0);
  const decision: Decision =
    sent.authFailed?.retryable === false
      ? { outcome: "dead", delaySeconds: null, disableReason: null }
      : decide(delivery, destination, attempt, sent, Date.now());
  const finished = Date.now();
  const identityWrites: D1PreparedStatement[] = [];
  if (plan && identity && subscription) {
    // The request as it was made, so the delivery shows (and a deliver-stage replay resends) what really went out.
    const body = await storePayload(env.BUCKET, deliveryId, target.body);
    identityWrites.push(recordRequest(env.DB, deliveryId, body, target.url, target.method));
    if (plan.kind === "create") {
      const ok = decision.outcome === "sent";
      const settled = await settleCreate(
        env.DB,
        subscription,
        delivery.step,
        identity,
        plan.key,
        deliveryId,
        { ok, body: sent.body },
        finished,
      );
      identityWrites.push(settled.statement);
      if (settled.missing) sent.error = settled.missing;
    }
  }
  const nextAttemptAt = decision.delaySeconds !== null ? finished + decision.delaySeconds * 1000 : null;
  const follow = decision.outcome === "sent" ? await nextStep(env, delivery, subscription, finished) : null;

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
          duration_ms: sent.durationMs,
          status_code: sent.statusCode,
          error: sent.error,
          response_excerpt: sent.excerpt,
        },
      },
      finished,
    ),
    ...identityWrites,
    recordDestinationOutcome(env.DB, destination.id, decision.outcome === "sent", finished),
    ...(decision.disableReason
      ? [
          disableDestination(env.DB, destination.id, decision.disableReason, finished),
          holdDestinationDeliveries(env.DB, destination.id, finished),
        ]
      : []),
    ...(follow ? insertDeliveries(env.DB, [follow]) : []),
  ]);

  if (decision.delaySeconds !== null && decision.delaySeconds <= MAX_QUEUE_DELAY_S) {
    await enqueueDeliveries(env, [deliveryId], decision.delaySeconds).catch((error) =>
      logStep({ stage: "deliver", outcome: "queue_send_failed", delivery_id: deliveryId, error: String(error) }),
    );
  }
  if (follow?.status === "ready") {
    await enqueueDeliveries(env, [follow.id]).catch((error) =>
      logStep({ stage: "deliver", outcome: "queue_send_failed", delivery_id: follow.id, error: String(error) }),
    );
  }
  logStep({
    stage: "deliver",
    outcome: decision.outcome,
    delivery_id: deliveryId,
    event_id: delivery.event_id,
    destination_id: destination.id,
    attempt,
    status_code: sent.statusCode,
    duration_ms: sent.durationMs,
    ...(sent.error ? { error: sent.error } : {}),
    ...(decision.delaySeconds !== null ? { retry_in_s: decision.delaySeconds } : {}),
  });
}
