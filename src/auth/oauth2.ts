import type { AuthOf } from "../domain/auth";
import { TokenError } from "../domain/errors";
import { request } from "../lib/http";
import type { AuthContext, CachedToken } from "./outbound";
import { sha256Hex } from "./secrets";

type OAuth2Auth = AuthOf<"oauth2">;

export const TOKEN_REQUEST_TIMEOUT_MS = 15_000;
/** For a token answer without `expires_in`: short, so a wrong guess costs a token request, not a run of 401s. */
const DEFAULT_LIFETIME_S = 300;
const MAX_REFRESH_MARGIN_MS = 60_000;
const MAX_TOKEN_RESPONSE_BYTES = 64 * 1024;

/**
 * One cache entry per owner and client: "{owner}:{hash}". The hash covers the client secret too, so another
 * destination with the same token URL and client id but its own (even wrong) secret never gets this token, and a
 * changed secret is a miss by itself. The owner prefix lets a config change drop its owner's tokens in one statement.
 */
export async function tokenCacheKey(auth: OAuth2Auth, owner = "isolate"): Promise<string> {
  const client = [auth.token_url, auth.client_id, await sha256Hex(auth.client_secret), auth.scope, auth.audience];
  return `${owner}:${await sha256Hex(JSON.stringify(client.map((part) => part ?? null)))}`;
}

/** RFC 6749 §2.3.1: client id and secret are form-urlencoded before they go into the Basic header. */
function formEncode(value: string): string {
  return new URLSearchParams([["", value]]).toString().slice(1);
}

/** JSON per RFC 6749 §5.1; a few providers answer form-encoded instead. */
function parseTokenBody(text: string, contentType: string): Record<string, unknown> {
  if (contentType.includes("application/x-www-form-urlencoded")) return Object.fromEntries(new URLSearchParams(text));
  try {
    const parsed = JSON.parse(text);
    return parsed && typeof parsed === "object" && !Array.isArray(parsed) ? parsed : {};
  } catch {
    return {};
  }
}

/** The RFC 6749 §5.2 error code, if any, limited to the characters the RFC allows so it is safe to record. */
function errorCode(body: Record<string, unknown>): string | null {
  const code = body.error;
  return typeof code === "string" && /^[\x20-\x21\x23-\x5B\x5D-\x7E]{1,100}$/.test(code) ? code : null;
}

function retryAfterSeconds(header: string | null): number | null {
  return header && /^\s*\d+\s*$/.test(header) ? Number(header) : null;
}

async function requestToken(auth: OAuth2Auth, context: AuthContext, now: () => number): Promise<CachedToken> {
  try {
    context.checkUrl?.(auth.token_url);
  } catch (error) {
    throw new TokenError(`token endpoint refused: ${(error as Error).message}`, null, false);
  }
  const form = new URLSearchParams({ grant_type: "client_credentials" });
  if (auth.scope) form.set("scope", auth.scope);
  if (auth.audience) form.set("audience", auth.audience);
  const requestedAt = now();
  const answer = await request(
    {
      url: auth.token_url,
      method: "POST",
      headers: {
        authorization: `Basic ${btoa(`${formEncode(auth.client_id)}:${formEncode(auth.client_secret)}`)}`,
        "content-type": "application/x-www-form-urlencoded",
        accept: "application/json",
      },
      body: form.toString(),
    },
    { timeoutMs: TOKEN_REQUEST_TIMEOUT_MS, readLimit: MAX_TOKEN_RESPONSE_BYTES },
  );
  const status = answer.status;
  if (status === null) {
    const timedOut = answer.error?.startsWith("timed out");
    throw new TokenError(
      timedOut ? `token endpoint ${answer.error}` : `token endpoint unreachable: ${answer.error}`,
      null,
      true,
    );
  }
  if (!answer.complete) {
    throw new TokenError("token endpoint answered with an oversized body", status, false);
  }
  const body = parseTokenBody(answer.body, answer.contentType);
  if (status < 200 || status >= 300) {
    const code = errorCode(body);
    throw new TokenError(
      `token endpoint answered ${status}${code ? ` (${code})` : ""}`,
      status,
      status === 408 || status === 429 || status >= 500,
      retryAfterSeconds(answer.retryAfter),
    );
  }
  const token = body.access_token;
  if (typeof token !== "string" || !token || /[\r\n]/.test(token)) {
    throw new TokenError(`token endpoint answered ${status} without a usable access_token`, status, false);
  }
  const expiresIn = Number(body.expires_in);
  const lifetimeMs = (Number.isFinite(expiresIn) && expiresIn > 0 ? expiresIn : DEFAULT_LIFETIME_S) * 1000;
  // Timed from before the request, so the relay's idea of expiry is never later than the issuer's.
  const expiresAt = requestedAt + lifetimeMs;
  return { token, expiresAt, refreshAt: expiresAt - Math.min(lifetimeMs * 0.1, MAX_REFRESH_MARGIN_MS) };
}

/**
 * Token requests in flight in this isolate, so a burst of pushes on a cold cache asks the endpoint once. They
 * hold plain values only, and a waiter gives up after the request's own timeout: the request may belong to
 * another invocation that the runtime could end first.
 */
const inFlight = new Map<string, Promise<CachedToken>>();

function fetchOnce(key: string, auth: OAuth2Auth, context: AuthContext, now: () => number): Promise<CachedToken> {
  const running = inFlight.get(key);
  if (running) {
    let timer: ReturnType<typeof setTimeout> | null = null;
    const giveUp = new Promise<null>((resolve) => {
      timer = setTimeout(() => resolve(null), TOKEN_REQUEST_TIMEOUT_MS + 1000);
    });
    return Promise.race([running, giveUp])
      .finally(() => timer !== null && clearTimeout(timer))
      .then((token) => token ?? requestAndStore(key, auth, context, now));
  }
  const request = requestAndStore(key, auth, context, now).finally(() => inFlight.delete(key));
  inFlight.set(key, request);
  return request;
}

async function requestAndStore(
  key: string,
  auth: OAuth2Auth,
  context: AuthContext,
  now: () => number,
): Promise<CachedToken> {
  const fresh = await requestToken(auth, context, now);
  // A cache that cannot store only costs a token request next time.
  await context.tokens.put(key, fresh).catch(() => {});
  return fresh;
}

/** A bearer token for the client, reused until 10% of its lifetime (at most 60 s) is left. */
export async function oauth2Token(auth: OAuth2Auth, context: AuthContext): Promise<string> {
  const now = context.now ?? Date.now;
  const key = await tokenCacheKey(auth, context.owner);
  const cached = await context.tokens.get(key).catch(() => null);
  if (cached && now() < cached.refreshAt) return cached.token;
  try {
    return (await fetchOnce(key, auth, context, now)).token;
  } catch (error) {
    // Refreshing early leaves room for this: the endpoint failed, but the token we hold is still good.
    if (error instanceof TokenError && cached && now() < cached.expiresAt) return cached.token;
    throw error;
  }
}

/** Forgets the cached token so the next request fetches a new one (after the destination refused it). */
export async function dropOAuth2Token(auth: OAuth2Auth, context: AuthContext): Promise<void> {
  await context.tokens.drop(await tokenCacheKey(auth, context.owner));
}
