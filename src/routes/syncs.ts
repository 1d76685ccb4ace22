import { z } from "@hono/zod-openapi";
import { sealJson, syncSecret } from "../auth/sealed";
import { getSource } from "../db/sources";
import { getSync, insertSync, listSyncs, type SyncRow, setSyncStatus } from "../db/syncs";
import { checkExpressionRuns } from "../domain/expressions";
import { Id } from "../domain/ids";
import { SyncStatus } from "../domain/status";
import { type StoredSyncConfig, SyncInput } from "../domain/sync";
import { newId } from "../lib/ids";
import { movesOrigin } from "../lib/origin";
import { type FieldError, invalid, Problem } from "../lib/problem";
import { iso } from "../lib/time";
import { assertTargetUrls } from "../lib/url-policy";
import { sourceConfig } from "../pipeline/source-config";
import { ringSync } from "../queues/ring";
import { spec } from "./openapi";
import { newRouter, type Router, requireFound } from "./router";
import { CREDENTIALS_STAY_HOME, ListQuery, listOf } from "./schemas";

const Sync = z
  .object({
    id: z.string(),
    source_id: z.string(),
    status: SyncStatus,
    pages: z.number(),
    records: z.number(),
    published: z.number().openapi({ description: "records stored as new events (repeats within a sync are not)" }),
    cursor: z.string().nullable(),
    error: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
    finished_at: z.string().nullable(),
  })
  .openapi("Sync");

function present(row: SyncRow) {
  return {
    id: row.id,
    source_id: row.source_id,
    status: row.status,
    pages: row.pages,
    records: row.records,
    published: row.published,
    cursor: row.cursor,
    error: row.error,
    created_at: iso(row.created_at)!,
    updated_at: iso(row.updated_at)!,
    finished_at: iso(row.finished_at),
  };
}

const start = (env: Env, id: string) => ringSync(env, id);

export const syncs: Router = newRouter()
  .openapi(
    spec({
      method: "post",
      path: "/sources/{id}/sync",
      tag: "syncs",
      summary: "Start a bulk sync: page through the origin's list endpoint and publish each record as an event",
      params: z.object({ id: Id("src") }),
      body: SyncInput,
      status: 202,
      response: Sync,
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const input = c.req.valid("json");
      const source = requireFound(await getSource(c.env.DB, id), "source");
      const config = await sourceConfig(c.env, source);
      const errors: FieldError[] = [];
      for (const error of await Promise.all([
        checkExpressionRuns("/items", input.items),
        checkExpressionRuns("/id", input.id),
        input.pagination.type === "cursor" ? checkExpressionRuns("/pagination/next", input.pagination.next) : null,
      ])) {
        if (error) errors.push(error);
      }
      const eventType = input.event_type ?? config.fetch?.event_type;
      if (!eventType)
        errors.push({ path: "/event_type", message: "is required when the source has no fetch.event_type" });
      if (errors.length) throw invalid(errors);
      const auth = input.auth ?? config.fetchAuth;
      if (!input.auth && auth.type !== "none" && movesOrigin(config.fetch?.url, input.list_url)) {
        throw invalid([{ path: "/auth", message: CREDENTIALS_STAY_HOME }]);
      }
      assertTargetUrls(c.env, [
        { path: "/list_url", url: input.list_url },
        { path: "/auth/token_url", url: auth.type === "oauth2" ? auth.token_url : undefined },
      ]);
      const now = Date.now();
      const syncId = newId("syn", now);
      const stored: StoredSyncConfig = {
        list_url: input.list_url,
        headers: input.headers,
        pagination: input.pagination,
        items: input.items,
        id: input.id,
        event_type: eventType!,
        max_pages: input.max_pages,
        auth_enc: await sealJson(c.env.SECRETS_KEY, syncSecret(syncId), auth),
      };
      await insertSync(c.env.DB, { id: syncId, source_id: id, config: stored, created_at: now });
      await start(c.env, syncId);
      return c.json(present(requireFound(await getSync(c.env.DB, syncId), "sync")), 202);
    },
  )
  .openapi(
    spec({
      method: "get",
      path: "/sources/{id}/syncs",
      tag: "syncs",
      summary: "A source's syncs, newest first",
      params: z.object({ id: Id("src") }),
      query: ListQuery,
      response: listOf(Sync),
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const { limit, cursor } = c.req.valid("query");
      requireFound(await getSource(c.env.DB, id), "source");
      const page = await listSyncs(c.env.DB, id, limit, cursor);
      return c.json({ data: page.data.map(present), next_cursor: page.next_cursor }, 200);
    },
  )
  .openapi(
    spec({
      method: "get",
      path: "/syncs/{id}",
      tag: "syncs",
      summary: "A sync's progress",
      params: z.object({ id: Id("syn") }),
      response: Sync,
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      return c.json(present(requireFound(await getSync(c.env.DB, id), "sync")), 200);
    },
  )
  .openapi(
    spec({
      method: "post",
      path: "/syncs/{id}/resume",
      tag: "syncs",
      summary: "Resume a failed sync from the page where it stopped",
      params: z.object({ id: Id("syn") }),
      status: 202,
      response: Sync,
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const sync = requireFound(await getSync(c.env.DB, id), "sync");
      if (sync.status !== "failed") throw new Problem(409, "Conflict", `a ${sync.status} sync cannot be resumed`);
      await setSyncStatus(c.env.DB, id, "running", null, Date.now());
      await start(c.env, id);
      return c.json(present(requireFound(await getSync(c.env.DB, id), "sync")), 202);
    },
  );
