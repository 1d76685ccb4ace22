import { eventFileName } from "../archive/eventfile-name";
import { archiveLink, linkTtlOf } from "../archive/links";
import { subscriberSecret, unseal } from "../auth/sealed";
import { webhookHeaders } from "../auth/signature";
import {
  abandonAnnouncement,
  claimAnnouncement,
  getAnnouncement,
  insertAnnouncement,
  recordAnnouncement,
  unannouncedArchives,
} from "../db/announcements";
import { type ArchiveRow, getArchive } from "../db/archives";
import { LEASED, lostWork, markWorkSwept } from "../db/lost-work";
import { getSubscriber, type SubscriberRow } from "../db/subscribers";
import { isRetryableStatus, retryDelaySeconds } from "../domain/backoff";
import { MAX_QUEUE_DELAY_S, SEND_BATCH_LIMIT } from "../domain/messages";
import { DEFAULT_RETRY_POLICY } from "../domain/retry-policy";
import { logStep } from "../lib/log";
import { iso } from "../lib/time";
import { outboundUrlProblem, type PolicyEnv } from "../lib/url-policy";
import { ringAnnouncements } from "../queues/ring";
import { type Pushed as Sent, send, USER_AGENT } from "./push";

/**
 * The archive-ready POST: when an archive turns ready, Syndic POSTs
 * {"archive_id", "url", "expires_at", "events", "bytes", "sha256", …} to the subscriber's archive.notify_url, signed
 * with Standard Webhooks headers and the subscriber's signing_secret, and retries it like a push with a destination's
 * default policy. `webhook-id` is the archive id on every attempt, so a receiver can drop duplicates.
 */

/** Retried like a push with a destination's default policy. */
export const ANNOUNCE_POLICY = DEFAULT_RETRY_POLICY;
const TIMEOUT_MS = 30_000;
/** Time beyond the request timeout before the sweeper may assume a claimed attempt died with its worker. */
const LEASE_SLACK_MS = 30_000;
/** A queue message may arrive a little before the row's due time; later than this it is a stray duplicate. */
const EARLY_SLACK_MS = 2000;
const HEARTBEAT_TIMEOUT_MS = 10_000;
/** A swept row is not swept again for this long, so a slow queue does not get a pile of duplicate doorbells. */
const RESWEEP_AFTER_MS = 5 * 60_000;
/** How far back the sweeper looks for ready archives that were never announced. */
const UNANNOUNCED_LOOK_BACK_MS = 24 * 3_600_000;

export type AnnounceOutcome = "sent" | "retrying" | "dead" | "skipped" | "no_notify_url" | "error";

function notifyUrlOf(subscriber: SubscriberRow | null): string | null {
  return subscriber?.archive.notify_url ?? null;
}

async function payload(env: Env, archive: ArchiveRow, subscriber: SubscriberRow, now: number): Promise<string> {
  const link = await archiveLink(env, archive, linkTtlOf(subscriber), { now });
  return JSON.stringify({
    archive_id: archive.id,
    url: link.url,
    expires_at: iso(link.expires_at),
    events: archive.events,
    bytes: archive.bytes,
    sha256: archive.sha256,
    name: eventFileName(archive),
    subscriber_id: archive.subscriber_id,
    period_start: archive.period_start,
    period_end: archive.period_end,
    format: archive.format,
  });
}

function decide(attempt: number, sent: Sent): { status: "sent" | "retrying" | "dead"; delaySeconds: number | null } {
  const code = sent.statusCode;
  if (code !== null && code >= 200 && code < 300) return { status: "sent", delaySeconds: null };
  const retryable = code === null || isRetryableStatus(code);
  if (!retryable || attempt >= ANNOUNCE_POLICY.max_attempts) return { status: "dead", delaySeconds: null };
  return { status: "retrying", delaySeconds: retryDelaySeconds(ANNOUNCE_POLICY, attempt, sent.retryAfter) };
}

/**
 * One attempt at an archive's announcement: the queue consumer for `announce` messages. Idempotent: a duplicate or
 * early message finds the row sent, not due, or claimed, and does nothing. Throws only when D1 itself fails.
 */
export async function runAnnouncement(env: Env, archiveId: string, now = Date.now()): Promise<AnnounceOutcome> {
  const log = (outcome: string, fields: Record<string, unknown> = {}) =>
    logStep({ stage: "archive_ready", outcome, archive_id: archiveId, ...fields });
  const row = await getAnnouncement(env.DB, archiveId);
  if (!row || (row.status !== "ready" && row.status !== "retrying")) {
    log("skipped", { status: row?.status ?? "missing" });
    return "skipped";
  }
  if ((row.next_attempt_at ?? 0) > now + EARLY_SLACK_MS || (row.lease_until !== null && row.lease_until > now)) {
    log("skipped", { status: "not due" });
    return "skipped";
  }
  const [archive, subscriber] = await Promise.all([
    getArchive(env.DB, archiveId),
    getSubscriber(env.DB, row.subscriber_id),
  ]);
  const url = notifyUrlOf(subscriber);
  const refused = url && outboundUrlProblem(env, url);
  if (archive?.status !== "ready" || !subscriber || !url || refused) {
    const reason =
      archive?.status !== "ready"
        ? "the archive was deleted"
        : refused
          ? `archive.notify_url ${refused}`
          : "no notify_url any more";
    await abandonAnnouncement(env.DB, archiveId, reason, now);
    log("dead", { error: reason });
    return "dead";
  }
  if (!(await claimAnnouncement(env.DB, archiveId, row.attempts, now + TIMEOUT_MS + LEASE_SLACK_MS, now))) {
    log("skipped", { status: "claimed elsewhere" });
    return "skipped";
  }
  const attempt = row.attempts + 1;
  const body = await payload(env, archive, subscriber, now);
  const secret = await unseal(env.SECRETS_KEY, subscriberSecret(subscriber.id), subscriber.signing_secret_enc);
  const headers = {
    "content-type": "application/json",
    "user-agent": USER_AGENT,
    ...(await webhookHeaders(secret, archive.id, body)),
  };
  const sent = await send({ url, method: "POST", headers, body }, TIMEOUT_MS, 0);
  const decision = decide(attempt, sent);
  const finished = Date.now();
  const nextAttemptAt = decision.delaySeconds !== null ? finished + decision.delaySeconds * 1000 : null;
  await recordAnnouncement(
    env.DB,
    archiveId,
    attempt,
    { status: decision.status, nextAttemptAt, statusCode: sent.statusCode, error: sent.error },
    finished,
  );
  if (decision.delaySeconds !== null && decision.delaySeconds <= MAX_QUEUE_DELAY_S) {
    // A failed send leaves the row due: the sweeper rings again.
    await ringAnnouncements(env, [{ id: archiveId, delaySeconds: decision.delaySeconds }]).catch((error) =>
      log("queue_send_failed", { error: String(error) }),
    );
  }
  log(decision.status, {
    subscriber_id: archive.subscriber_id,
    attempt,
    status_code: sent.statusCode,
    duration_ms: sent.durationMs,
    ...(sent.error ? { error: sent.error } : {}),
    ...(decision.delaySeconds !== null ? { retry_in_s: decision.delaySeconds } : {}),
  });
  return decision.status;
}

/**
 * Call once an archive is ready: records its announcement (once, however often called) and makes the first attempt
 * now. Never throws: the archive is built whatever happens here, and a row left due is retried by the sweeper.
 */
export async function announceArchive(env: Env, archiveId: string, now = Date.now()): Promise<AnnounceOutcome> {
  try {
    const archive = await getArchive(env.DB, archiveId);
    if (archive?.status !== "ready") return "skipped";
    const subscriber = await getSubscriber(env.DB, archive.subscriber_id);
    if (!notifyUrlOf(subscriber)) return "no_notify_url";
    await insertAnnouncement(env.DB, { archive_id: archive.id, subscriber_id: archive.subscriber_id }, now);
    return await runAnnouncement(env, archiveId, now);
  } catch (error) {
    logStep({ stage: "archive_ready", outcome: "error_left_to_sweeper", archive_id: archiveId, error: String(error) });
    return "error";
  }
}

/**
 * For the sweeper: announcements due whose queue message was lost, and ready archives that were never announced
 * (the build job stopped in between) are handed to the queue again.
 */
export async function sweepAnnouncements(
  env: Env,
  now = Date.now(),
  graceMs = 60_000,
): Promise<{ requeued: number; recovered: number }> {
  const lost = await lostWork(env.DB, LEASED.announcements, {
    dueBefore: now - graceMs,
    sweptBefore: now - RESWEEP_AFTER_MS,
    now,
    limit: SEND_BATCH_LIMIT,
  });
  // Marked swept only once the doorbell is in the queue: a failed send leaves them for the next sweep.
  await ringAnnouncements(
    env,
    lost.map((id) => ({ id })),
  );
  await markWorkSwept(env.DB, LEASED.announcements, lost, now);
  const missing = await unannouncedArchives(env.DB, now - UNANNOUNCED_LOOK_BACK_MS, now - graceMs, SEND_BATCH_LIMIT);
  for (const archive of missing) {
    await insertAnnouncement(env.DB, { archive_id: archive.id, subscriber_id: archive.subscriber_id }, now);
  }
  const recovered = missing.map((archive) => archive.id);
  await ringAnnouncements(
    env,
    recovered.map((id) => ({ id })),
  );
  await markWorkSwept(env.DB, LEASED.announcements, recovered, now);
  if (lost.length || missing.length) {
    logStep({ stage: "archive_ready", outcome: "swept", requeued: lost.length, recovered: missing.length });
  }
  return { requeued: lost.length, recovered: missing.length };
}

/** GET HEARTBEAT_URL after a successful archive run, so a dead-man's switch notices when runs stop. Never throws. */
export async function pingHeartbeat(env: Pick<Env, "HEARTBEAT_URL"> & PolicyEnv): Promise<boolean> {
  const url = env.HEARTBEAT_URL?.trim();
  if (!url) return false;
  const refused = outboundUrlProblem(env, url);
  if (refused) {
    logStep({ stage: "heartbeat", outcome: "refused", error: `HEARTBEAT_URL ${refused}` });
    return false;
  }
  const started = Date.now();
  try {
    const response = await fetch(url, {
      method: "GET",
      headers: { "user-agent": USER_AGENT },
      signal: AbortSignal.timeout(HEARTBEAT_TIMEOUT_MS),
    });
    await response.body?.cancel().catch(() => {});
    logStep({
      stage: "heartbeat",
      outcome: response.ok ? "sent" : "failed",
      status_code: response.status,
      duration_ms: Date.now() - started,
    });
    return response.ok;
  } catch (error) {
    logStep({ stage: "heartbeat", outcome: "failed", error: String(error), duration_ms: Date.now() - started });
    return false;
  }
}
