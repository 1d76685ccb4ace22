import { z } from "@hono/zod-openapi";
import { seal, sealJson, sourceSecrets, sourceSigningSecret } from "../auth/sealed";
import { newSecret, newSigningSecret, sha256Hex } from "../auth/secrets";
import {
  deleteSource,
  type EventTypeRow,
  getSource,
  insertSource,
  listEventTypes,
  listSources,
  type SourceRow,
  updateSource,
  upsertEventTypes,
} from "../db/sources";
import { dropTokensOf } from "../db/tokens";
import { publicAuth } from "../domain/auth";
import { EventType } from "../domain/event-type";
import { Id } from "../domain/ids";
import type { Inbound } from "../domain/inbound";
import { SourceInput, type SourceSecrets } from "../domain/source";
import type { SourceFetch } from "../domain/source-fetch";
import { newId } from "../lib/ids";
import { movesOrigin } from "../lib/origin";
import { invalid } from "../lib/problem";
import { iso } from "../lib/time";
import { assertTargetUrls } from "../lib/url-policy";
import { sourceConfig } from "../pipeline/source-config";
import { spec } from "./openapi";
import { patchedInput, patchSchema } from "./patch";
import { newRouter, type Router, requireFound } from "./router";
import { CREDENTIALS_STAY_HOME, ListQuery, listOf } from "./schemas";

/** Event types are not merged: a PATCH's event_types are added or replaced by code, as with the event-types route. */
const SourceSettings = SourceInput.omit({ event_types: true });
const SourcePatch = patchSchema(SourceInput).openapi("SourcePatch");

const Source = z
  .object({
    id: z.string(),
    name: z.string(),
    strict: z.boolean(),
    event_types: z.array(EventType),
    inbound: z.unknown().nullable(),
    fetch: z.unknown().nullable(),
    subscription_notify_url: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("Source");

const SourceCreated = Source.extend({
  api_key: z.string(),
  notify_url: z.string(),
  signing_secret: z.string().openapi({ description: "whsec_…: verifies subscription change notices; shown once" }),
}).openapi("SourceCreated");

/** A PATCH shows a signing_secret only when it made one: a source from before notices given its first URL. */
const SourcePatched = Source.extend({ signing_secret: z.string().optional() }).openapi("SourcePatched");

const Params = z.object({ id: Id("src") });

/** Splits a source's config into what can be read back and what is sealed with SECRETS_KEY. */
async function sealConfig(env: Env, sourceId: string, inbound: Inbound | undefined, fetch: SourceFetch | undefined) {
  const secrets: SourceSecrets = { hmac_secret: inbound?.hmac?.secret, fetch_auth: fetch?.auth };
  const publicInbound = inbound && {
    ...inbound,
    hmac: inbound.hmac && { ...inbound.hmac, secret: undefined },
  };
  const publicFetch = fetch && { ...fetch, auth: publicAuth(fetch.auth) };
  return {
    inbound: publicInbound ?? null,
    fetch_config: publicFetch ?? null,
    secrets_enc: await sealJson(env.SECRETS_KEY, sourceSecrets(sourceId), secrets),
  };
}

function eventTypeRows(sourceId: string, types: EventType[], now: number): EventTypeRow[] {
  return types.map((type) => ({
    source_id: sourceId,
    code: type.code,
    description: type.description ?? null,
    schema: type.schema ?? null,
    created_at: now,
  }));
}

function presentEventTypes(types: EventTypeRow[]) {
  return types.map((type) => ({
    code: type.code,
    ...(type.description ? { description: type.description } : {}),
    ...(type.schema ? { schema: type.schema } : {}),
  }));
}

function present(row: SourceRow, types: EventTypeRow[]) {
  return {
    id: row.id,
    name: row.name,
    strict: row.strict === 1,
    event_types: presentEventTypes(types),
    inbound: row.inbound,
    fetch: row.fetch_config,
    subscription_notify_url: row.subscription_notify_url,
    created_at: iso(row.created_at)!,
    updated_at: iso(row.updated_at)!,
  };
}

/** A Standard Webhooks secret for the source's subscription change notices, and its sealed column. */
async function sourceSigningColumn(env: Env, sourceId: string) {
  const signingSecret = newSigningSecret();
  return {
    signingSecret,
    column: { signing_secret_enc: await seal(env.SECRETS_KEY, sourceSigningSecret(sourceId), signingSecret) },
  };
}

async function newCredentials(env: Env, sourceId: string) {
  const apiKey = newSecret("sk_src_");
  const notifyToken = newSecret("ntk_");
  const signing = await sourceSigningColumn(env, sourceId);
  return {
    apiKey,
    notifyUrl: `${env.PUBLIC_BASE_URL.replace(/\/$/, "")}/v1/notify/${notifyToken}`,
    signingSecret: signing.signingSecret,
    columns: {
      api_key_hash: await sha256Hex(apiKey),
      notify_token_hash: await sha256Hex(notifyToken),
      ...signing.column,
    },
  };
}

/** What the 201 and a rotate show once. */
function shownOnce(credentials: Awaited<ReturnType<typeof newCredentials>>) {
  return {
    api_key: credentials.apiKey,
    notify_url: credentials.notifyUrl,
    signing_secret: credentials.signingSecret,
  };
}

function checkUrls(env: Env, fetch: SourceFetch | undefined, subscriptionNotifyUrl: string | undefined) {
  assertTargetUrls(env, [
    { path: "/subscription_notify_url", url: subscriptionNotifyUrl },
    { path: "/fetch/url", url: fetch?.url.replace("{id}", "x") },
    { path: "/fetch/auth/token_url", url: fetch?.auth.type === "oauth2" ? fetch.auth.token_url : undefined },
  ]);
}

export const sources: Router = newRouter()
  .openapi(
    spec({
      method: "post",
      path: "/sources",
      tag: "sources",
      summary: "Register an origin platform",
      body: SourceInput,
      status: 201,
      response: SourceCreated,
    }),
    async (c) => {
      const input = c.req.valid("json");
      checkUrls(c.env, input.fetch, input.subscription_notify_url);
      const now = Date.now();
      const id = newId("src", now);
      const credentials = await newCredentials(c.env, id);
      const row: SourceRow = {
        id,
        name: input.name,
        strict: input.strict ? 1 : 0,
        ...(await sealConfig(c.env, id, input.inbound, input.fetch)),
        ...credentials.columns,
        subscription_notify_url: input.subscription_notify_url ?? null,
        version: 1,
        created_at: now,
        updated_at: now,
      };
      const types = eventTypeRows(id, input.event_types, now);
      await insertSource(c.env.DB, row, types);
      return c.json({ ...present(row, types), ...shownOnce(credentials) }, 201);
    },
  )
  .openapi(
    spec({
      method: "get",
      path: "/sources",
      tag: "sources",
      summary: "List sources",
      query: ListQuery,
      response: listOf(Source),
    }),
    async (c) => {
      const { limit, cursor } = c.req.valid("query");
      const page = await listSources(c.env.DB, limit, cursor);
      const data = await Promise.all(
        page.data.map(async (row) => present(row, await listEventTypes(c.env.DB, row.id))),
      );
      return c.json({ data, next_cursor: page.next_cursor }, 200);
    },
  )
  .openapi(
    spec({
      method: "get",
      path: "/sources/{id}",
      tag: "sources",
      summary: "Get a source",
      params: Params,
      response: Source,
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const row = requireFound(await getSource(c.env.DB, id), "source");
      return c.json(present(row, await listEventTypes(c.env.DB, id)), 200);
    },
  )
  .openapi(
    spec({
      method: "patch",
      path: "/sources/{id}",
      tag: "sources",
      summary: "Change a source; given event types are added or replaced by code",
      params: Params,
      body: SourcePatch,
      response: SourcePatched,
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const patch = c.req.valid("json");
      const existing = requireFound(await getSource(c.env.DB, id), "source");
      const current = await currentSettings(c.env, existing);
      const input = patchedInput(SourceSettings, current, patch);
      const newAuth = (patch.fetch as { auth?: unknown } | null | undefined)?.auth;
      if (
        !newAuth &&
        input.fetch &&
        input.fetch.auth.type !== "none" &&
        movesOrigin(current.fetch?.url, input.fetch.url)
      ) {
        throw invalid([{ path: "/fetch/auth", message: CREDENTIALS_STAY_HOME }]);
      }
      const eventTypes = patch.event_types ? patchedInput(SourceInput.shape.event_types, [], patch.event_types) : [];
      checkUrls(c.env, input.fetch, input.subscription_notify_url);
      // Notices must be signed: a source made before they existed gets its secret with its first URL.
      const signing =
        input.subscription_notify_url && !existing.signing_secret_enc ? await sourceSigningColumn(c.env, id) : null;
      const now = Date.now();
      await updateSource(
        c.env.DB,
        id,
        {
          name: input.name,
          strict: input.strict ? 1 : 0,
          ...(await sealConfig(c.env, id, input.inbound, input.fetch)),
          subscription_notify_url: input.subscription_notify_url ?? null,
          ...signing?.column,
          updated_at: now,
        },
        eventTypeRows(id, eventTypes, now),
      );
      if (patch.fetch !== undefined) await dropTokensOf(c.env.DB, id);
      const row = requireFound(await getSource(c.env.DB, id), "source");
      const shown = signing ? { signing_secret: signing.signingSecret } : {};
      return c.json({ ...present(row, await listEventTypes(c.env.DB, id)), ...shown }, 200);
    },
  )
  .openapi(
    spec({
      method: "delete",
      path: "/sources/{id}",
      tag: "sources",
      summary: "Delete a source",
      params: Params,
      status: 204,
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      requireFound((await deleteSource(c.env.DB, id)) || null, "source");
      await dropTokensOf(c.env.DB, id);
      return c.body(null, 204);
    },
  )
  .openapi(
    spec({
      method: "post",
      path: "/sources/{id}/rotate",
      tag: "sources",
      summary: "New api_key, notify_url and signing_secret; the old ones stop working at once",
      params: Params,
      response: SourceCreated,
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      requireFound(await getSource(c.env.DB, id), "source");
      const credentials = await newCredentials(c.env, id);
      await updateSource(c.env.DB, id, { ...credentials.columns, updated_at: Date.now() });
      const row = requireFound(await getSource(c.env.DB, id), "source");
      return c.json({ ...present(row, await listEventTypes(c.env.DB, id)), ...shownOnce(credentials) }, 200);
    },
  )
  .openapi(
    spec({
      method: "post",
      path: "/sources/{id}/event-types",
      tag: "sources",
      summary: "Register event types (added or replaced by code)",
      params: Params,
      body: z.union([EventType, z.array(EventType).max(500)]),
      status: 201,
      response: z.object({ data: z.array(EventType) }),
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const input = c.req.valid("json");
      requireFound(await getSource(c.env.DB, id), "source");
      const rows = eventTypeRows(id, Array.isArray(input) ? input : [input], Date.now());
      await upsertEventTypes(c.env.DB, id, rows);
      const types = await listEventTypes(c.env.DB, id);
      return c.json({ data: presentEventTypes(types) }, 201);
    },
  )
  .openapi(
    spec({
      method: "get",
      path: "/sources/{id}/event-types",
      tag: "sources",
      summary: "List a source's event types",
      params: Params,
      response: z.object({ data: z.array(EventType) }),
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      requireFound(await getSource(c.env.DB, id), "source");
      const types = await listEventTypes(c.env.DB, id);
      return c.json({ data: presentEventTypes(types) }, 200);
    },
  );

/** The source's settings as its create body would have given them, secrets included: what a PATCH merges into. */
async function currentSettings(env: Env, row: SourceRow): Promise<z.input<typeof SourceSettings>> {
  const { inbound, hmacSecret, fetch, fetchAuth } = await sourceConfig(env, row);
  return {
    name: row.name,
    strict: row.strict === 1,
    inbound: inbound
      ? { ...inbound, hmac: inbound.hmac && hmacSecret ? { ...inbound.hmac, secret: hmacSecret } : undefined }
      : undefined,
    fetch: fetch ? { ...fetch, auth: fetchAuth } : undefined,
    subscription_notify_url: row.subscription_notify_url ?? undefined,
  };
}
