import { applyAuth, type OutboundRequest } from "../auth/outbound";
import {
  claimObject,
  getNotification,
  insertNotification,
  type NotificationRow,
  settleObject,
} from "../db/notifications";
import { getSource, type SourceRow } from "../db/sources";
import { isRetryableStatus, parseRetryAfter, retryDelaySeconds } from "../domain/backoff";
import type { RouteMessage } from "../domain/messages";
import { MAX_ORIGIN_RESPONSE_BYTES, ResponseTooLarge, readTextWithin } from "../lib/bounded-read";
import { RelayError } from "../lib/errors";
import { USER_AGENT } from "../lib/http";
import { newId } from "../lib/ids";
import { logStep } from "../lib/log";
import { Problem } from "../lib/problem";
import { assertSendable } from "../lib/url-policy";
import { fillTemplate } from "../lib/url-template";
import { publishEvents } from "./ingest";
import { sourceConfig } from "./source-config";
import { sharedAuthContext } from "./token-cache";

/** Calls for the same object within this window are answered by one fetch, made when the window closes. */
export const COLLAPSE_WINDOW_S = 2;
export const NOTIFY_MAX_ATTEMPTS = 8;
const FETCH_TIMEOUT_MS = 30_000;
const ORIGIN_BACKOFF = { initial_delay: 2, max_delay: 300 };
const EARLY_SLACK_MS = 2000;

async function ring(env: Env, id: string, delaySeconds: number): Promise<void> {
  try {
    await env.ROUTE_QUEUE.send({ kind: "notify", notification_id: id } satisfies RouteMessage, { delaySeconds });
  } catch (error) {
    logStep({ stage: "notify", outcome: "queue_send_failed", notification_id: id, error: String(error) });
  }
}

/** Records the call (the 202 rests on this row) and schedules the fetch for when the collapse window closes. */
export async function acceptNotification(env: Env, source: SourceRow, objectId: string): Promise<string> {
  const now = Date.now();
  const id = newId("ntf", now);
  await insertNotification(env.DB, {
    id,
    source_id: source.id,
    object_id: objectId,
    next_attempt_at: now + COLLAPSE_WINDOW_S * 1000,
    created_at: now,
  });
  await ring(env, id, COLLAPSE_WINDOW_S);
  logStep({ stage: "notify", outcome: "accepted", notification_id: id, source_id: source.id });
  return id;
}

interface Fetched {
  status: number | null;
  json?: unknown;
  error?: string;
  retryAfter: number | null;
  /** Set when nothing was sent and asking again cannot help (no fetch config, credentials refused). */
  permanent?: boolean;
}

async function fetchRecord(env: Env, source: SourceRow, objectId: string): Promise<Fetched> {
  const config = await sourceConfig(env, source);
  if (!config.fetch) {
    return { status: null, error: "the source has no fetch configuration", retryAfter: null, permanent: true };
  }
  let request: OutboundRequest;
  try {
    request = await applyAuth(
      {
        url: fillTemplate(config.fetch.url, "id", objectId),
        method: config.fetch.method,
        headers: { accept: "application/json", "user-agent": USER_AGENT, ...config.fetch.headers },
        body: "",
      },
      config.fetchAuth,
      sharedAuthContext(env, source.id),
    );
    assertSendable(env, request.url);
  } catch (error) {
    // An id that cannot fill the URL, credentials that cannot be had, a URL the policy refuses: nothing was sent.
    if (!(error instanceof RelayError)) throw error;
    return { status: null, error: error.message, retryAfter: error.retryAfter, permanent: !error.retryable };
  }
  try {
    const response = await fetch(request.url, {
      method: request.method,
      headers: request.headers,
      body: request.method === "GET" ? undefined : request.body,
      redirect: "manual",
      signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
    });
    const retryAfter = parseRetryAfter(response.headers.get("retry-after"), Date.now());
    if (!response.ok) {
      await response.body?.cancel();
      return { status: response.status, error: `origin answered ${response.status}`, retryAfter };
    }
    let text: string;
    try {
      text = await readTextWithin(response, MAX_ORIGIN_RESPONSE_BYTES);
    } catch (error) {
      if (!(error instanceof ResponseTooLarge)) throw error;
      // The same record will be as big next time: the notification ends, saying why.
      const error_ = `the origin's record is over ${MAX_ORIGIN_RESPONSE_BYTES} bytes (1 MiB), the most one event may be`;
      return { status: response.status, error: error_, retryAfter: null, permanent: true };
    }
    try {
      return { status: response.status, json: JSON.parse(text), retryAfter };
    } catch {
      return { status: response.status, error: "origin answered with a body that is not JSON", retryAfter: null };
    }
  } catch (error) {
    const timedOut = (error as Error).name === "TimeoutError";
    return {
      status: null,
      error: timedOut ? "origin timed out" : `network error: ${(error as Error).message}`,
      retryAfter: null,
    };
  }
}

/**
 * One fetch for an object: claims every pending call for it, asks the origin, and publishes the record as an
 * event whose id is the leading notification's, so a re-run after a crash never stores it twice.
 */
export async function runNotification(env: Env, id: string): Promise<void> {
  const now = Date.now();
  const row: NotificationRow | null = await getNotification(env.DB, id);
  if (!row || (row.status !== "pending" && row.status !== "retrying")) return;
  if ((row.next_attempt_at ?? 0) > now + EARLY_SLACK_MS) return;
  if (!(await claimObject(env.DB, row, now + FETCH_TIMEOUT_MS + 30_000, now))) return;
  const attempt = row.attempts + 1;
  const source = await getSource(env.DB, row.source_id);
  if (!source) {
    await settleObject(env.DB, id, { status: "failed", error: "the source was deleted" }, Date.now());
    return;
  }
  const fetched = await fetchRecord(env, source, row.object_id);
  const finished = Date.now();
  const log = (outcome: string) =>
    logStep({
      stage: "notify",
      outcome,
      notification_id: id,
      source_id: source.id,
      attempt,
      status_code: fetched.status,
      duration_ms: finished - now,
    });

  if (fetched.json !== undefined) {
    const config = await sourceConfig(env, source);
    try {
      const published = await publishEvents(env, source, [
        {
          externalId: `ntf:${id}`,
          type: config.fetch!.event_type,
          source: null,
          subject: row.object_id,
          time: null,
          data: fetched.json,
          extensions: {},
        },
      ]);
      await settleObject(
        env.DB,
        id,
        { status: "published", event_id: published.ids[0], last_status_code: fetched.status },
        finished,
      );
      return log("published");
    } catch (error) {
      const detail = error instanceof Problem ? (error.detail ?? error.title) : String(error);
      await settleObject(env.DB, id, { status: "failed", error: `the record was refused: ${detail}` }, finished);
      return log("failed");
    }
  }
  if (fetched.status === 404) {
    await settleObject(env.DB, id, { status: "not_found", last_status_code: 404, error: fetched.error }, finished);
    return log("not_found");
  }
  const retryable = fetched.status === null ? !fetched.permanent : isRetryableStatus(fetched.status);
  if (!retryable || attempt >= NOTIFY_MAX_ATTEMPTS) {
    await settleObject(
      env.DB,
      id,
      { status: "failed", last_status_code: fetched.status, error: fetched.error },
      finished,
    );
    return log("failed");
  }
  const delay = retryDelaySeconds(ORIGIN_BACKOFF, attempt, fetched.retryAfter);
  await settleObject(
    env.DB,
    id,
    {
      status: "retrying",
      last_status_code: fetched.status,
      error: fetched.error,
      next_attempt_at: finished + delay * 1000,
    },
    finished,
  );
  await ring(env, id, delay);
  log("retrying");
}
