import { z } from "@hono/zod-openapi";
import { seal, subscriberSecret } from "../auth/sealed";
import { newSecret, newSigningSecret, sha256Hex } from "../auth/secrets";
import {
  deleteSubscriber,
  getSubscriber,
  insertSubscriber,
  listSubscribers,
  type SubscriberRow,
  updateSubscriber,
} from "../db/subscribers";
import { ArchiveSettings } from "../domain/archive-settings";
import { Id } from "../domain/ids";
import { SubscriberInput } from "../domain/subscriber";
import { newId } from "../lib/ids";
import { iso } from "../lib/time";
import { assertTargetUrls } from "../lib/url-policy";
import { ringNewNotices, subscriberGoneNotices } from "../pipeline/subscription-notice";
import { spec } from "./openapi";
import { patchedInput, patchSchema } from "./patch";
import { newRouter, type Router, requireFound } from "./router";
import { ListQuery, listOf } from "./schemas";

const SubscriberPatch = patchSchema(SubscriberInput).openapi("SubscriberPatch");

const RotateInput = z
  .object({
    revoke_links: z.boolean().default(false).openapi({
      description: "also revoke every signed link minted before now (they answer 410 from then on)",
    }),
  })
  .openapi("SubscriberRotateInput");

const Subscriber = z
  .object({
    id: z.string(),
    name: z.string(),
    timezone: z.string(),
    archive: ArchiveSettings,
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("Subscriber");

const SubscriberCreated = Subscriber.extend({ api_key: z.string(), signing_secret: z.string() }).openapi(
  "SubscriberCreated",
);

const Params = z.object({ id: Id("sub") });

function present(row: SubscriberRow) {
  return {
    id: row.id,
    name: row.name,
    timezone: row.timezone,
    archive: row.archive,
    created_at: iso(row.created_at)!,
    updated_at: iso(row.updated_at)!,
  };
}

async function newCredentials(env: Env, subscriberId: string) {
  const apiKey = newSecret("sk_sub_");
  const signingSecret = newSigningSecret();
  return {
    apiKey,
    signingSecret,
    columns: {
      api_key_hash: await sha256Hex(apiKey),
      signing_secret_enc: await seal(env.SECRETS_KEY, subscriberSecret(subscriberId), signingSecret),
    },
  };
}

export const subscribers: Router = newRouter()
  .openapi(
    spec({
      method: "post",
      path: "/subscribers",
      tag: "subscribers",
      summary: "Register a receiving organisation",
      body: SubscriberInput,
      status: 201,
      response: SubscriberCreated,
    }),
    async (c) => {
      const input = c.req.valid("json");
      assertTargetUrls(c.env, [{ path: "/archive/notify_url", url: input.archive.notify_url }]);
      const now = Date.now();
      const id = newId("sub", now);
      const credentials = await newCredentials(c.env, id);
      const row: SubscriberRow = {
        id,
        name: input.name,
        timezone: input.timezone,
        archive: input.archive,
        ...credentials.columns,
        links_not_before: null,
        created_at: now,
        updated_at: now,
      };
      await insertSubscriber(c.env.DB, row);
      return c.json({ ...present(row), api_key: credentials.apiKey, signing_secret: credentials.signingSecret }, 201);
    },
  )
  .openapi(
    spec({
      method: "get",
      path: "/subscribers",
      tag: "subscribers",
      summary: "List subscribers",
      query: ListQuery,
      response: listOf(Subscriber),
    }),
    async (c) => {
      const { limit, cursor } = c.req.valid("query");
      const page = await listSubscribers(c.env.DB, limit, cursor);
      return c.json({ data: page.data.map(present), next_cursor: page.next_cursor }, 200);
    },
  )
  .openapi(
    spec({
      method: "get",
      path: "/subscribers/{id}",
      tag: "subscribers",
      summary: "Get a subscriber",
      params: Params,
      response: Subscriber,
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      return c.json(present(requireFound(await getSubscriber(c.env.DB, id), "subscriber")), 200);
    },
  )
  .openapi(
    spec({
      method: "patch",
      path: "/subscribers/{id}",
      tag: "subscribers",
      summary: "Change a subscriber",
      params: Params,
      body: SubscriberPatch,
      response: Subscriber,
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const patch = c.req.valid("json");
      const existing = requireFound(await getSubscriber(c.env.DB, id), "subscriber");
      const input = patchedInput(SubscriberInput, present(existing), patch);
      assertTargetUrls(c.env, [{ path: "/archive/notify_url", url: input.archive.notify_url }]);
      await updateSubscriber(c.env.DB, id, {
        name: input.name,
        timezone: input.timezone,
        archive: input.archive,
        updated_at: Date.now(),
      });
      return c.json(present(requireFound(await getSubscriber(c.env.DB, id), "subscriber")), 200);
    },
  )
  .openapi(
    spec({
      method: "delete",
      path: "/subscribers/{id}",
      tag: "subscribers",
      summary: "Delete a subscriber with its destinations and subscriptions",
      params: Params,
      status: 204,
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const subscriber = requireFound(await getSubscriber(c.env.DB, id), "subscriber");
      const owed = await subscriberGoneNotices(c.env.DB, subscriber, Date.now());
      requireFound((await deleteSubscriber(c.env.DB, id, owed.statements)) || null, "subscriber");
      await ringNewNotices(c.env, owed);
      return c.body(null, 204);
    },
  )
  .openapi(
    spec({
      method: "post",
      path: "/subscribers/{id}/rotate",
      tag: "subscribers",
      summary: "New api_key and signing_secret; the old ones stop working at once, and optionally the links too",
      params: Params,
      body: RotateInput,
      bodyRequired: false,
      response: SubscriberCreated,
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const { revoke_links } = c.req.valid("json");
      requireFound(await getSubscriber(c.env.DB, id), "subscriber");
      const credentials = await newCredentials(c.env, id);
      const now = Date.now();
      await updateSubscriber(c.env.DB, id, {
        ...credentials.columns,
        // Links carry their issue time in whole seconds: those issued before this second stop working.
        ...(revoke_links ? { links_not_before: Math.floor(now / 1000) } : {}),
        updated_at: now,
      });
      const row = requireFound(await getSubscriber(c.env.DB, id), "subscriber");
      return c.json({ ...present(row), api_key: credentials.apiKey, signing_secret: credentials.signingSecret }, 200);
    },
  );
