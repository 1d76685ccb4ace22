import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { sha256Hex } from "../auth/secrets";
import type { SourceRow } from "../db/sources";
import { fieldErrors, invalid, Problem } from "../lib/problem";
import { isDotSegment } from "../lib/url-template";
import { StaleSource } from "../pipeline/ingest";
import { acceptNotification } from "../pipeline/notify";
import { forgetPublisher, sourceByNotifyToken } from "../pipeline/publishers";
import { guardInbound } from "./inbound-guard";
import type { AppEnv } from "./router";
import { newRouter } from "./router";
import { errorResponses, ProblemSchema } from "./schemas";

const ObjectId = z
  .union([z.string().trim().min(1).max(256), z.number().int().transform(String)])
  // `..` in the fetch URL's {id} would fetch the origin's parent resource with the source's credentials.
  .refine((id) => !isDotSegment(id), "must not be . or .. (a path segment of its own)");
const Body = z.object({ id: ObjectId });

/** The id comes from ?id=, a JSON body or a form body: whatever the origin platform can send. */
function readId(c: Context<AppEnv>, raw: Uint8Array): string {
  const fromQuery = c.req.query("id");
  if (fromQuery !== undefined) {
    const parsed = ObjectId.safeParse(fromQuery);
    if (!parsed.success) throw invalid(fieldErrors(parsed.error, ["query", "id"]));
    return parsed.data;
  }
  const type = c.req.header("content-type") ?? "";
  const text = new TextDecoder().decode(raw);
  let body: unknown = {};
  if (/json/i.test(type)) {
    try {
      body = JSON.parse(text);
    } catch (error) {
      throw new Problem(400, "Bad Request", `the body is not valid JSON: ${(error as Error).message}`);
    }
  } else if (/x-www-form-urlencoded/i.test(type)) {
    body = Object.fromEntries(new URLSearchParams(text));
  } else if (text.trim()) {
    throw new Problem(415, "Unsupported Media Type", "send the id as ?id=, a JSON body or a form body");
  }
  const parsed = Body.safeParse(body);
  if (!parsed.success) throw invalid(fieldErrors(parsed.error));
  return parsed.data.id;
}

/** The period of NOTIFY_LIMITER (wrangler.toml): waiting this long always reaches a fresh window. */
const NOTIFY_LIMIT_PERIOD_S = 60;

async function limitRate(env: Env, sourceId: string): Promise<void> {
  const { success } = await env.NOTIFY_LIMITER.limit({ key: sourceId });
  if (success) return;
  const problem = new Problem(
    429,
    "Too Many Requests",
    `this notify URL is over its rate limit; call again in ${NOTIFY_LIMIT_PERIOD_S} s (nothing was stored)`,
  );
  problem.headers["retry-after"] = String(NOTIFY_LIMIT_PERIOD_S);
  throw problem;
}

export const notify = newRouter();

for (const method of ["get", "post"] as const) {
  notify.openAPIRegistry.registerPath({
    method,
    path: "/v1/notify/{token}",
    tags: ["notifications"],
    summary: "ID-only notification: Syndic fetches the record from the origin and publishes it",
    request: {
      params: z.object({ token: z.string() }),
      query: z.object({ id: z.string().optional() }),
      ...(method === "post"
        ? {
            body: {
              content: {
                "application/json": { schema: Body },
                "application/x-www-form-urlencoded": { schema: Body },
              },
            },
          }
        : {}),
    },
    responses: {
      202: { description: "accepted", content: { "application/json": { schema: z.object({ id: z.string() }) } } },
      ...errorResponses,
      429: {
        description: "over the source's notify rate limit (600 a minute); Retry-After says when to call again",
        content: { "application/problem+json": { schema: ProblemSchema } },
      },
    },
  });
}

notify.on(["GET", "POST"], "/v1/notify/:token", async (c) => {
  const token = c.req.param("token");
  if (token.length > 200) throw new Problem(404, "Not Found", "unknown notify URL");
  const hash = await sha256Hex(token);
  const raw = new Uint8Array(await c.req.arrayBuffer());
  const accept = async (source: SourceRow | null) => {
    if (!source) throw new Problem(404, "Not Found", "unknown notify URL");
    await guardInbound(c.env, source, c.req.raw, raw);
    const objectId = readId(c, raw);
    if (!source.fetch_config) {
      throw new Problem(409, "Conflict", "this source has no fetch configuration to resolve ids");
    }
    // Counted once the call is authentic and complete, so forged calls cannot use up the origin's own allowance.
    await limitRate(c.env, source.id);
    return acceptNotification(c.env, c.executionCtx, source, objectId, { hash });
  };
  try {
    return c.json({ id: await accept(await sourceByNotifyToken(c.env, hash)) }, 202);
  } catch (error) {
    if (!(error instanceof StaleSource)) throw error;
    // The cached source changed (its notify URL rotated, its rules edited): read it again, check it all again, once.
    forgetPublisher("notify_token_hash", hash);
    return c.json({ id: await accept(await sourceByNotifyToken(c.env, hash)) }, 202);
  }
});
