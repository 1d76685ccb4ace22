import { applyAuth } from "../auth/outbound";
import { syncSecret, unsealJson } from "../auth/sealed";
import { getSource } from "../db/sources";
import { advanceSync, getSync, type SyncRow, setSyncStatus } from "../db/syncs";
import { Auth } from "../domain/auth";
import { isRetryableStatus } from "../domain/backoff";
import { RetryableSyncError } from "../domain/errors";
import { evaluate } from "../domain/expressions";
import type { StoredSyncConfig } from "../domain/sync";
import { MAX_ORIGIN_RESPONSE_BYTES } from "../lib/bounded-read";
import { RelayError } from "../lib/errors";
import { request as send, USER_AGENT } from "../lib/http";
import { logStep } from "../lib/log";
import { Problem } from "../lib/problem";
import { assertSendable, BlockedUrlError } from "../lib/url-policy";
import { ringSync } from "../queues/ring";
import type { IncomingEvent } from "./formats";
import { publishEvents } from "./ingest";
import { sharedAuthContext } from "./token-cache";

const FETCH_TIMEOUT_MS = 30_000;
const PUBLISH_CHUNK = 500;

function pageUrl(config: StoredSyncConfig, cursor: string | null): string {
  const url = new URL(config.list_url);
  const { pagination } = config;
  if (pagination.type === "cursor" && cursor) url.searchParams.set(pagination.param, cursor);
  if (pagination.type === "page") url.searchParams.set(pagination.param, cursor ?? String(pagination.start));
  return url.toString();
}

async function fetchPage(env: Env, sync: SyncRow, config: StoredSyncConfig, cursor: string | null): Promise<unknown> {
  const auth = await unsealJson(env.SECRETS_KEY, syncSecret(sync.id), config.auth_enc, Auth);
  const request = await applyAuth(
    {
      url: pageUrl(config, cursor),
      method: "GET",
      headers: { accept: "application/json", "user-agent": USER_AGENT, ...config.headers },
      body: "",
    },
    auth,
    sharedAuthContext(env, sync.source_id),
  );
  try {
    assertSendable(env, request.url);
  } catch (error) {
    throw error instanceof BlockedUrlError ? new Problem(422, "Refused", error.message) : error;
  }
  const answer = await send(
    { url: request.url, method: "GET", headers: request.headers },
    { timeoutMs: FETCH_TIMEOUT_MS, readLimit: MAX_ORIGIN_RESPONSE_BYTES },
  );
  if (answer.status === null) throw new RetryableSyncError(`origin list endpoint unreachable: ${answer.error}`);
  if (!answer.ok) {
    const message = `origin list endpoint answered ${answer.status}`;
    throw isRetryableStatus(answer.status)
      ? new RetryableSyncError(message)
      : new Problem(answer.status, "Origin error", message);
  }
  if (!answer.complete) {
    throw new Problem(502, "Origin error", `origin list page is over ${MAX_ORIGIN_RESPONSE_BYTES} bytes (1 MiB)`);
  }
  const text = answer.body;
  try {
    return JSON.parse(text);
  } catch {
    throw new Problem(502, "Origin error", "origin list endpoint answered a body that is not JSON");
  }
}

async function nextCursor(
  syncId: string,
  config: StoredSyncConfig,
  body: unknown,
  cursor: string | null,
  items: number,
) {
  const { pagination } = config;
  if (pagination.type === "none" || items === 0) return null;
  if (pagination.type === "page") return String(Number(cursor ?? pagination.start) + 1);
  const next = await evaluate(`${syncId}:next`, pagination.next, body);
  return next === undefined || next === null || next === "" || next === cursor ? null : String(next);
}

/**
 * One page of a bulk sync: fetch, publish each record as an event (deduplicated per sync and record id), advance
 * the cursor and queue the next page. Retryable origin errors throw, so the queue retries the page with backoff.
 */
export async function runSyncPage(env: Env, syncId: string): Promise<void> {
  const sync = await getSync(env.DB, syncId);
  if (sync?.status !== "running") return;
  const started = Date.now();
  const { config } = sync;
  const source = await getSource(env.DB, sync.source_id);
  if (!source) {
    await setSyncStatus(env.DB, syncId, "failed", "the source was deleted", Date.now());
    return;
  }
  try {
    const body = await fetchPage(env, sync, config, sync.cursor);
    const items = await evaluate(`${syncId}:items`, config.items, body);
    const records = items === undefined ? [] : Array.isArray(items) ? items : [items];
    const events: IncomingEvent[] = [];
    for (const record of records) {
      const id = await evaluate(`${syncId}:id`, config.id, record);
      if (id === undefined || id === null || typeof id === "object") {
        throw new Problem(422, "Unprocessable record", `a record has no usable id (${config.id})`);
      }
      events.push({
        externalId: `sync:${syncId}:${id}`,
        type: config.event_type,
        source: null,
        subject: String(id),
        time: null,
        data: record,
        extensions: {},
      });
    }
    let published = 0;
    for (let i = 0; i < events.length; i += PUBLISH_CHUNK) {
      published += (await publishEvents(env, source, events.slice(i, i + PUBLISH_CHUNK))).accepted;
    }
    const next = await nextCursor(syncId, config, body, sync.cursor, records.length);
    const done = next === null || sync.pages + 1 >= config.max_pages;
    const advanced = await advanceSync(
      env.DB,
      syncId,
      sync.cursor,
      next ?? sync.cursor,
      records.length,
      published,
      done,
      Date.now(),
    );
    logStep({
      stage: "sync",
      outcome: done ? "completed" : "page_done",
      sync_id: syncId,
      page: sync.pages + 1,
      records: records.length,
      published,
      duration_ms: Date.now() - started,
    });
    if (advanced && !done) await ringSync(env, syncId);
  } catch (error) {
    // A token endpoint or origin that may recover: the queue retries the page with backoff.
    if (error instanceof RelayError && error.retryable) {
      logStep({ stage: "sync", outcome: "page_retry", sync_id: syncId, error: error.message });
      throw error;
    }
    const detail = error instanceof Problem ? (error.detail ?? error.title) : String(error);
    await setSyncStatus(env.DB, syncId, "failed", detail, Date.now());
    logStep({ stage: "sync", outcome: "failed", sync_id: syncId, error: detail });
  }
}
