import { createMiddleware } from "hono/factory";
import { constantTimeEqual, sha256Hex } from "../auth/secrets";
import { getSourceByKeyHash } from "../db/sources";
import { getSubscriberByKeyHash } from "../db/subscribers";
import { Problem, unauthorized } from "../lib/problem";
import { publisherByKey } from "../pipeline/publishers";
import type { AppEnv } from "./router";

function bearer(header: string | undefined): string | null {
  const match = header?.match(/^Bearer\s+(\S+)\s*$/i);
  return match ? match[1] : null;
}

export const requireAdmin = createMiddleware<AppEnv>(async (c, next) => {
  const token = bearer(c.req.header("authorization"));
  if (!token || !c.env.ADMIN_TOKEN || !(await constantTimeEqual(token, c.env.ADMIN_TOKEN))) throw unauthorized();
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
