import { TOKEN_REQUEST_TIMEOUT_MS } from "../auth/oauth2";
import { type AuthContext, applyAuth, forgetCredentials, type OutboundRequest } from "../auth/outbound";
import { destinationSecret, SealedUnreadable, unseal, unsealJson } from "../auth/sealed";
import { webhookHeaders } from "../auth/signature";
import type { DestinationRow } from "../db/destinations";
import { Auth } from "../domain/auth";
import { parseRetryAfter } from "../domain/backoff";
import { AuthConfigError } from "../domain/errors";
import { RelayError } from "../lib/errors";
import { request, USER_AGENT } from "../lib/http";
import { assertSendable } from "../lib/url-policy";
import { frameCloudEvent } from "./cloudevent-framing";
import { sharedAuthContext } from "./token-cache";

/**
 * One push to a destination: the destination's credentials (opened once per isolate), the body framed for its
 * cloudevents_mode, the Standard Webhooks signature over the bytes sent, its auth, and the request through the one
 * HTTP client. A 401 to renewable credentials (an OAuth 2 token the destination stopped accepting) fetches them
 * again and sends once more, within the same attempt.
 */

export { USER_AGENT };
export const EXCERPT_BYTES = 1024;
/** Time beyond the request timeout before the sweeper may assume a claimed attempt died with its worker. */
export const LEASE_SLACK_MS = 30_000;

/** The longest an attempt may take: with OAuth 2, a token request and, after a 401, a second token and push. */
export function attemptBudgetMs(destination: Pick<DestinationRow, "auth_type" | "timeout_ms">): number {
  return destination.auth_type === "oauth2"
    ? 2 * (TOKEN_REQUEST_TIMEOUT_MS + destination.timeout_ms)
    : destination.timeout_ms;
}

export interface Credentials {
  auth: Auth;
  secret: string;
}

/**
 * Values opened from sealed columns, by a key that names the ciphertext: every save re-seals with a fresh IV, so an
 * edit is a new key by itself, and a warm isolate pushes (or announces) without decrypting. Bounded, oldest out first.
 */
const openedCache = new Map<string, Promise<unknown>>();
const OPENED_CACHE_LIMIT = 500;

/** `open()` once per isolate for `key` (which must name SECRETS_KEY, the row and its ciphertexts). */
export function openedOnce<T>(key: string, open: () => Promise<T>): Promise<T> {
  let found = openedCache.get(key) as Promise<T> | undefined;
  if (!found) {
    found = open();
    // A failure is not kept: the next attempt tries again (and says why again).
    found.catch(() => openedCache.delete(key));
    if (openedCache.size >= OPENED_CACHE_LIMIT) openedCache.delete(openedCache.keys().next().value!);
    openedCache.set(key, found);
  }
  return found;
}

async function openCredentials(env: Env, destination: DestinationRow): Promise<Credentials> {
  try {
    const [auth, secret] = await Promise.all([
      unsealJson(env.SECRETS_KEY, destinationSecret(destination.id, "auth"), destination.auth_enc, Auth),
      unseal(env.SECRETS_KEY, destinationSecret(destination.id, "signing_secret"), destination.signing_secret_enc),
    ]);
    return { auth, secret };
  } catch (error) {
    if (error instanceof SealedUnreadable) {
      throw new AuthConfigError(`${error.message}; set the destination's auth again`);
    }
    throw error;
  }
}

/** A destination's credentials, opened only for its own row; ones that will not open can never be sent. */
export function loadCredentials(env: Env, destination: DestinationRow): Promise<Credentials> {
  const key = `${env.SECRETS_KEY}\n${destination.id}\n${destination.auth_enc}\n${destination.signing_secret_enc}`;
  return openedOnce(key, () => openCredentials(env, destination));
}

/** Where and what a push sends: the destination URL, or the identity's update URL for a person already known. */
export type Target = Pick<OutboundRequest, "url" | "method" | "body">;

async function buildRequest(
  deliveryId: string,
  eventId: string,
  { url, method, body }: Target,
  destination: DestinationRow,
  { auth, secret }: Credentials,
  context: AuthContext,
): Promise<OutboundRequest> {
  // The signature covers the body as framed for the destination's cloudevents_mode: the bytes actually sent.
  const framed = frameCloudEvent(destination.cloudevents_mode, eventId, body);
  return applyAuth(
    {
      url,
      method,
      headers: {
        ...destination.headers,
        ...framed.headers,
        "user-agent": USER_AGENT,
        ...(await webhookHeaders(secret, deliveryId, framed.body)),
      },
      body: framed.body,
    },
    auth,
    context,
  );
}

export interface Pushed {
  statusCode: number | null;
  error: string | null;
  excerpt: string | null;
  /** The response body up to the limit asked for (the excerpt's length unless a create needs the new id). */
  body: string | null;
  retryAfter: number | null;
  durationMs: number;
  /** Nothing was sent and retrying cannot help: credentials that will not open, a URL the policy refuses. */
  permanent: boolean;
  /** The request as sent, credentials and all (never stored or shown unredacted): absent when nothing was sent. */
  request?: Omit<OutboundRequest, "body">;
}

/** One request through the relay's HTTP client, its answer in the shape attempts record. */
export async function send(req: OutboundRequest, timeoutMs: number, bodyLimit: number): Promise<Pushed> {
  const answer = await request(req, { timeoutMs, readLimit: Math.max(bodyLimit, EXCERPT_BYTES) });
  return {
    statusCode: answer.status,
    error: answer.error,
    excerpt: answer.status === null ? null : answer.body.slice(0, EXCERPT_BYTES),
    body: answer.status === null ? null : answer.body,
    retryAfter: parseRetryAfter(answer.retryAfter, Date.now()),
    durationMs: answer.durationMs,
    permanent: false,
    request: { url: req.url, method: req.method, headers: req.headers },
  };
}

/** An attempt that threw before anything was sent: recorded like a network error, so it is tried again. */
export function threw(error: unknown): Pushed {
  return {
    statusCode: null,
    error: `internal error: ${String(error)}`,
    excerpt: null,
    body: null,
    retryAfter: null,
    durationMs: 0,
    permanent: false,
  };
}

/**
 * `once()`, and when it is answered 401 and `auth` can be renewed (an OAuth 2 token the other side stopped
 * accepting), once more with freshly fetched credentials, within the same attempt.
 */
export async function renewingOn401(once: () => Promise<Pushed>, auth: Auth, context: AuthContext): Promise<Pushed> {
  const first = await once();
  if (first.statusCode !== 401 || !(await forgetCredentials(auth, context))) return first;
  const second = await once();
  return {
    ...second,
    error: second.statusCode === 401 ? "HTTP 401, again with freshly fetched credentials" : second.error,
    durationMs: first.durationMs + second.durationMs,
  };
}

export interface PushInput {
  deliveryId: string;
  eventId: string;
  target: Target;
  destination: DestinationRow;
  /** Bytes of the answer to keep: enough for an identity create's new id, else the excerpt's. */
  bodyLimit: number;
}

export async function push(env: Env, input: PushInput): Promise<Pushed> {
  const { destination, target } = input;
  const started = Date.now();
  const context = sharedAuthContext(env, destination.id);
  try {
    // A URL filled from a template, or saved before the policy tightened, is checked where it is used.
    assertSendable(env, target.url);
    const credentials = await loadCredentials(env, destination);
    const once = async () =>
      send(
        await buildRequest(input.deliveryId, input.eventId, target, destination, credentials, context),
        destination.timeout_ms,
        input.bodyLimit,
      );
    return await renewingOn401(once, credentials.auth, context);
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
      permanent: !error.retryable,
    };
  }
}
