import { getCookie } from "hono/cookie";
import { createMiddleware } from "hono/factory";
import { CSRF_HEADER, isValidSession, SESSION_COOKIE } from "../auth/admin-session";
import { constantTimeEqual, sha256Hex } from "../auth/secrets";
import { getSourceByKeyHash } from "../db/sources";
import { getSubscriberByKeyHash } from "../db/subscribers";
import { Problem, unauthorized } from "../lib/problem";
import { publisherByKey } from "../pipeline/publishers";
import type { AppEnv } from "./router";

export function bearer(header: string | undefined): string | null {
  const match = header?.match(/^Bearer\s+(\S+)\s*$/i);
  return match ? match[1] : null;
}

/**
 * The operator: the ADMIN_TOKEN as a bearer token, or the dashboard's session cookie (auth/admin-session.ts), whose
 * writes must carry the CSRF header. A bearer header, when sent, decides alone.
 */
export const requireAdmin = createMiddleware<AppEnv>(async (c, next) => {
  const adminToken = c.env.ADMIN_TOKEN;
  const token = bearer(c.req.header("authorization"));
  if (!adminToken) throw unauthorized();
  if (token !== null) {
    if (!(await constantTimeEqual(token, adminToken))) throw unauthorized();
  } else {
    const session = getCookie(c, SESSION_COOKIE);
    if (!session || !(await isValidSession(adminToken, session, Date.now()))) throw unauthorized();
    if (c.req.method !== "GET" && c.req.method !== "HEAD" && c.req.header(CSRF_HEADER) !== "1") {
      throw new Problem(
        403,
        "Forbidden",
        `a change made with the session cookie must carry the ${CSRF_HEADER}: 1 header`,
      );
    }
  }
  await next();
});

/** Keys are looked up by their sha256; the stored hash is compared again in constant time. */
async function lookupByKey<T extends { api_key_hash: string }>(
  header: string | undefined,
  find: (hash: string) => Promise<T | null>,
): Promise<T> {
  const token = bearer(header);
  if (!token || token.length > 200) throw unauthorized();
  const hash = await sha256Hex(token);
  const row = await find(hash);
  if (!row || !(await constantTimeEqual(row.api_key_hash, hash))) throw unauthorized();
  return row;
}

export const requireSource = createMiddleware<AppEnv>(async (c, next) => {
  const source = await lookupByKey(c.req.header("authorization"), (hash) => getSourceByKeyHash(c.env.DB, hash));
  c.set("source", source);
  await next();
});

/**
 * requireSource for POST /v1/events: the source with its event types, from the isolate's cache when warm
 * (pipeline/publishers.ts; the commit re-checks the key, so a revoked one stops at once).
 */
export const requirePublisher = createMiddleware<AppEnv>(async (c, next) => {
  const { source, eventTypes } = await lookupByKey(c.req.header("authorization"), async (hash) => {
    c.set("keyHash", hash);
    const found = await publisherByKey(c.env, hash);
    return found && { api_key_hash: found.source.api_key_hash, ...found };
  });
  c.set("source", source);
  c.set("eventTypes", eventTypes);
  await next();
});

export const requireSubscriber = createMiddleware<AppEnv>(async (c, next) => {
  const subscriber = await lookupByKey(c.req.header("authorization"), (hash) => getSubscriberByKeyHash(c.env.DB, hash));
  c.set("subscriberId", subscriber.id);
  await next();
});

/** Admin writes take JSON only: anything else is a 415, before validation says something confusing. */
export const requireJsonBody = createMiddleware<AppEnv>(async (c, next) => {
  if (["POST", "PUT", "PATCH"].includes(c.req.method)) {
    const type = c.req.header("content-type") ?? "";
    const length = c.req.header("content-length");
    const hasBody = length !== "0" && (length !== undefined || c.req.raw.body !== null);
    if (hasBody && !/^application\/([a-z.+-]*\+)?json\b/i.test(type)) {
      throw new Problem(
        415,
        "Unsupported Media Type",
        `content-type must be application/json, not ${type || "missing"}`,
      );
    }
  }
  await next();
});
