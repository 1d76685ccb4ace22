import { z } from "@hono/zod-openapi";
import { destinationSecret, SealedUnreadable, seal, sealJson, unsealJson } from "../auth/sealed";
import { newSigningSecret } from "../auth/secrets";
import { releaseHeldDeliveries } from "../db/deliveries";
import {
  type DestinationRow,
  deleteDestination,
  getDestination,
  insertDestination,
  listDestinations,
  updateDestination,
} from "../db/destinations";
import { getSubscriber } from "../db/subscribers";
import { dropTokensOf } from "../db/tokens";
import { Auth, type PublicAuth, publicAuth } from "../domain/auth";
import { CloudEventsMode } from "../domain/cloudevents-mode";
import { DestinationInput } from "../domain/destination";
import { Id } from "../domain/ids";
import { newId } from "../lib/ids";
import { movesOrigin } from "../lib/origin";
import { invalid } from "../lib/problem";
import { redactHeaders } from "../lib/redact";
import { iso } from "../lib/time";
import { assertTargetUrls } from "../lib/url-policy";
import { sweepDue } from "../pipeline/sweep";
import { pushTestEvent } from "../pipeline/test-push";
import { spec } from "./openapi";
import { patchedInput, patchSchema } from "./patch";
import { newRouter, type Router, requireFound } from "./router";
import { CREDENTIALS_STAY_HOME, ListQuery, listOf } from "./schemas";

const DestinationPatch = patchSchema(DestinationInput).openapi("DestinationPatch");

const Destination = z
  .object({
    id: z.string(),
    subscriber_id: z.string(),
    name: z.string(),
    url: z.string(),
    method: z.string(),
    environment: z.string(),
    headers: z.record(z.string(), z.string()),
    auth: z.record(z.string(), z.unknown()),
    timeout_ms: z.number(),
    retry: z.object({ max_attempts: z.number(), initial_delay: z.number(), max_delay: z.number() }),
    cloudevents_mode: CloudEventsMode,
    disabled_at: z.string().nullable(),
    disabled_reason: z.string().nullable(),
    failing_since: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("Destination");

const DestinationCreated = Destination.extend({ signing_secret: z.string() }).openapi("DestinationCreated");

const TestAttempt = z
  .object({
    event: z.record(z.string(), z.unknown()),
    status_code: z.number().nullable(),
    duration_ms: z.number(),
    error: z.string().nullable(),
    response_excerpt: z.string().nullable(),
    request: z
      .object({ url: z.string(), method: z.string(), headers: z.record(z.string(), z.string()) })
      .nullable()
      .openapi({ description: "null when nothing was sent (a refused URL, credentials that will not open)" }),
  })
  .openapi("DestinationTestAttempt");

const ListParams = z.object({ subscriber_id: Id("sub") });
const Params = z.object({ subscriber_id: Id("sub"), id: Id("dst") });

async function present(env: Env, row: DestinationRow) {
  return {
    id: row.id,
    subscriber_id: row.subscriber_id,
    name: row.name,
    url: row.url,
    method: row.method,
    environment: row.environment,
    headers: redactHeaders(row.headers),
    auth: await readableAuth(env, row),
    timeout_ms: row.timeout_ms,
    retry: { max_attempts: row.max_attempts, initial_delay: row.initial_delay, max_delay: row.max_delay },
    cloudevents_mode: row.cloudevents_mode,
    disabled_at: iso(row.disabled_at),
    disabled_reason: row.disabled_reason,
    failing_since: iso(row.failing_since),
    created_at: iso(row.created_at)!,
    updated_at: iso(row.updated_at)!,
  };
}

/**
 * The destination as its create body would have been, credentials included: what a PATCH merges into. Stored
 * credentials are opened only when the PATCH keeps them; ones that no longer open must be given again.
 */
async function currentInput(
  env: Env,
  row: DestinationRow,
  patch: { auth?: unknown },
): Promise<z.input<typeof DestinationInput>> {
  let auth: Auth = { type: "none" };
  if (patch.auth == null) {
    try {
      auth = await unsealJson(env.SECRETS_KEY, destinationSecret(row.id, "auth"), row.auth_enc, Auth);
    } catch (error) {
      if (!(error instanceof SealedUnreadable)) throw error;
      throw invalid([
        { path: "/auth", message: "the stored credentials do not decrypt for this destination; give auth" },
      ]);
    }
  }
  return {
    name: row.name,
    url: row.url,
    method: row.method,
    environment: row.environment,
    headers: row.headers,
    auth,
    timeout_ms: row.timeout_ms,
    retry: { max_attempts: row.max_attempts, initial_delay: row.initial_delay, max_delay: row.max_delay },
    cloudevents_mode: row.cloudevents_mode,
  };
}

/** The auth's readable part; credentials that no longer open are shown as such instead of failing the read. */
async function readableAuth(env: Env, row: DestinationRow): Promise<PublicAuth> {
  try {
    return publicAuth(await unsealJson(env.SECRETS_KEY, destinationSecret(row.id, "auth"), row.auth_enc, Auth));
  } catch (error) {
    if (!(error instanceof SealedUnreadable)) throw error;
    return {
      type: row.auth_type,
      unreadable: "the stored credentials do not decrypt for this destination; set auth again",
    };
  }
}

function checkUrls(env: Env, input: { url?: string; auth?: Auth }) {
  assertTargetUrls(env, [
    { path: "/url", url: input.url },
    { path: "/auth/token_url", url: input.auth?.type === "oauth2" ? input.auth.token_url : undefined },
  ]);
}

/** A destination is only reachable through its own subscriber: another subscriber's id is a 404. */
async function ownedDestination(env: Env, subscriberId: string, id: string): Promise<DestinationRow> {
  const row = await getDestination(env.DB, id);
  return requireFound(row?.subscriber_id === subscriberId ? row : null, "destination");
}

export const destinations: Router = newRouter()
  .openapi(
    spec({
      method: "post",
      path: "/subscribers/{subscriber_id}/destinations",
      tag: "destinations",
      summary: "Add a destination to a subscriber",
      params: ListParams,
      body: DestinationInput,
      status: 201,
      response: DestinationCreated,
    }),
    async (c) => {
      const { subscriber_id } = c.req.valid("param");
      const input = c.req.valid("json");
      requireFound(await getSubscriber(c.env.DB, subscriber_id), "subscriber");
      checkUrls(c.env, input);
      const now = Date.now();
      const signingSecret = newSigningSecret();
      const id = newId("dst", now);
      const row: DestinationRow = {
        id,
        subscriber_id,
        name: input.name,
        url: input.url,
        method: input.method,
        environment: input.environment,
        headers: input.headers,
        auth_type: input.auth.type,
        auth_enc: await sealJson(c.env.SECRETS_KEY, destinationSecret(id, "auth"), input.auth),
        timeout_ms: input.timeout_ms,
        max_attempts: input.retry.max_attempts,
        initial_delay: input.retry.initial_delay,
        max_delay: input.retry.max_delay,
        cloudevents_mode: input.cloudevents_mode,
        signing_secret_enc: await seal(c.env.SECRETS_KEY, destinationSecret(id, "signing_secret"), signingSecret),
        disabled_at: null,
        disabled_reason: null,
        failing_since: null,
        created_at: now,
        updated_at: now,
      };
      await insertDestination(c.env.DB, row);
      return c.json({ ...(await present(c.env, row)), signing_secret: signingSecret }, 201);
    },
  )
  .openapi(
    spec({
      method: "get",
      path: "/subscribers/{subscriber_id}/destinations",
      tag: "destinations",
      summary: "List a subscriber's destinations",
      params: ListParams,
      query: ListQuery,
      response: listOf(Destination),
    }),
    async (c) => {
      const { subscriber_id } = c.req.valid("param");
      const { limit, cursor } = c.req.valid("query");
      requireFound(await getSubscriber(c.env.DB, subscriber_id), "subscriber");
      const page = await listDestinations(c.env.DB, subscriber_id, limit, cursor);
      const data = await Promise.all(page.data.map((row) => present(c.env, row)));
      return c.json({ data, next_cursor: page.next_cursor }, 200);
    },
  )
  .openapi(
    spec({
      method: "get",
      path: "/subscribers/{subscriber_id}/destinations/{id}",
      tag: "destinations",
      summary: "Get a destination",
      params: Params,
      response: Destination,
    }),
    async (c) => {
      const { subscriber_id, id } = c.req.valid("param");
      return c.json(await present(c.env, await ownedDestination(c.env, subscriber_id, id)), 200);
    },
  )
  .openapi(
    spec({
      method: "patch",
      path: "/subscribers/{subscriber_id}/destinations/{id}",
      tag: "destinations",
      summary: "Change a destination",
      params: Params,
      body: DestinationPatch,
      response: Destination,
    }),
    async (c) => {
      const { subscriber_id, id } = c.req.valid("param");
      const patch = c.req.valid("json");
      const existing = await ownedDestination(c.env, subscriber_id, id);
      const input = patchedInput(DestinationInput, await currentInput(c.env, existing, patch), patch);
      checkUrls(c.env, input);
      if (!patch.auth && input.auth.type !== "none" && movesOrigin(existing.url, input.url)) {
        throw invalid([{ path: "/auth", message: CREDENTIALS_STAY_HOME }]);
      }
      await updateDestination(c.env.DB, id, {
        name: input.name,
        url: input.url,
        method: input.method,
        environment: input.environment,
        headers: input.headers,
        auth_type: input.auth.type,
        auth_enc: patch.auth ? await sealJson(c.env.SECRETS_KEY, destinationSecret(id, "auth"), input.auth) : undefined,
        timeout_ms: input.timeout_ms,
        max_attempts: input.retry.max_attempts,
        initial_delay: input.retry.initial_delay,
        max_delay: input.retry.max_delay,
        cloudevents_mode: input.cloudevents_mode,
        updated_at: Date.now(),
      });
      if (patch.auth || movesOrigin(existing.url, input.url)) await dropTokensOf(c.env.DB, id);
      return c.json(await present(c.env, await ownedDestination(c.env, subscriber_id, id)), 200);
    },
  )
  .openapi(
    spec({
      method: "delete",
      path: "/subscribers/{subscriber_id}/destinations/{id}",
      tag: "destinations",
      summary: "Delete a destination; its pending deliveries end as dead",
      params: Params,
      status: 204,
    }),
    async (c) => {
      const { subscriber_id, id } = c.req.valid("param");
      await ownedDestination(c.env, subscriber_id, id);
      await deleteDestination(c.env.DB, id);
      await dropTokensOf(c.env.DB, id);
      return c.body(null, 204);
    },
  )
  .openapi(
    spec({
      method: "post",
      path: "/subscribers/{subscriber_id}/destinations/{id}/enable",
      tag: "destinations",
      summary: "Re-enable a disabled destination; its held deliveries resume",
      params: Params,
      response: Destination.extend({ released: z.number() }),
    }),
    async (c) => {
      const { subscriber_id, id } = c.req.valid("param");
      await ownedDestination(c.env, subscriber_id, id);
      const now = Date.now();
      await updateDestination(c.env.DB, id, {
        disabled_at: null,
        disabled_reason: null,
        failing_since: null,
        updated_at: now,
      });
      const released = await releaseHeldDeliveries(c.env.DB, id, now);
      c.executionCtx.waitUntil(sweepDue(c.env, now, { graceMs: 0 }));
      return c.json({ ...(await present(c.env, await ownedDestination(c.env, subscriber_id, id))), released }, 200);
    },
  )
  .openapi(
    spec({
      method: "post",
      path: "/subscribers/{subscriber_id}/destinations/{id}/test",
      tag: "destinations",
      summary: "Send a test event through the real push and show the attempt; nothing is recorded",
      description:
        "The sample goes through the URL policy, auth, cloudevents_mode, signature and timeout a delivery has, even " +
        "to a disabled destination. It is not an event or a delivery: no rows are written, and its outcome neither " +
        "counts towards auto-disable nor clears a failure streak. Credentials in the request shown are redacted.",
      params: Params,
      bodyRequired: false,
      response: TestAttempt,
    }),
    async (c) => {
      const { subscriber_id, id } = c.req.valid("param");
      return c.json(await pushTestEvent(c.env, await ownedDestination(c.env, subscriber_id, id)), 200);
    },
  );
