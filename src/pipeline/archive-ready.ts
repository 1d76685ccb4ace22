import { eventFileName } from "../archive/eventfile-name";
import { archiveLink, linkTtlOf } from "../archive/links";
import { subscriberSecret, unseal } from "../auth/sealed";
import { webhookHeaders } from "../auth/signature";
import { type AnnouncementRecord, readAnnouncementBatch, recordAnnouncements } from "../db/announcement-batch";
import { insertAnnouncement, unannouncedArchives } from "../db/announcements";
import { type ArchiveRow, getArchive } from "../db/archives";
import { claimOrAbandon, LEASED, type LeaseAbandon, type LeaseClaim } from "../db/lost-work";
import { getSubscriber, type SubscriberRow } from "../db/subscribers";
import { isRetryableStatus, retryDelaySeconds } from "../domain/backoff";
import { SEND_BATCH_LIMIT } from "../domain/messages";
import { DEFAULT_RETRY_POLICY } from "../domain/retry-policy";
import { reringLost, ringSwept } from "../engine/rering";
import { notClaimable, runStage, type Stage } from "../engine/stage";
import { USER_AGENT } from "../lib/http";
import { logStep } from "../lib/log";
import { iso } from "../lib/time";
import { outboundUrlProblem } from "../lib/url-policy";
import { type Ring, ringAnnouncements } from "../queues/ring";
import { openedOnce, type Pushed as Sent, send, threw } from "./push";

/**
 * The archive-ready POST: when an archive turns ready, Syndic POSTs
 * {"archive_id", "url", "expires_at", "events", "bytes", "sha256", …} to the subscriber's archive.notify_url, signed
 * with Standard Webhooks headers and the subscriber's signing_secret, and retries it like a push with a destination's
 * default policy. `webhook-id` is the archive id on every attempt, so a receiver can drop duplicates.
 *
 * Announcements run a batch at a time on the stage engine (engine/stage.ts): one read of the batch's announcements
 * with their archives and subscribers, one claim, POSTs with bounded concurrency (per batch and per subscriber), one
 * record, one ring of the retries.
 */

/** Retried like a push with a destination's default policy. */
export const ANNOUNCE_POLICY = DEFAULT_RETRY_POLICY;
const TIMEOUT_MS = 30_000;
/** Time beyond the request timeout before the sweeper may assume a claimed attempt died with its worker. */
const LEASE_SLACK_MS = 30_000;
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

/** The subscriber's signing secret, opened once per isolate (push.ts's cache, keyed by the ciphertext). */
function signingSecret(env: Env, subscriber: SubscriberRow): Promise<string> {
  const sealed = subscriber.signing_secret_enc;
  return openedOnce(`${env.SECRETS_KEY}\n${subscriber.id}\n${sealed}`, () =>
    unseal(env.SECRETS_KEY, subscriberSecret(subscriber.id), sealed),
  );
}

interface Decision {
  status: AnnouncementRecord["status"];
  delaySeconds: number | null;
}

function decide(attempt: number, sent: Sent): Decision {
  const code = sent.statusCode;
  if (code !== null && code >= 200 && code < 300) return { status: "sent", delaySeconds: null };
  const retryable = code === null || isRetryableStatus(code);
  if (!retryable || attempt >= ANNOUNCE_POLICY.max_attempts) return { status: "dead", delaySeconds: null };
  return { status: "retrying", delaySeconds: retryDelaySeconds(ANNOUNCE_POLICY, attempt, sent.retryAfter) };
}

interface Item {
  archive: ArchiveRow;
  subscriber: SubscriberRow;
  url: string;
  /** This attempt's number: the row's attempts once claimed. */
  attempt: number;
  /** The claim's clock: the link's lifetime counts from it. */
  claimedAt: number;
}

interface Outcome {
  sent: Sent;
  decision: Decision;
  finishedAt: number;
}

/** `clock` stands in for the claim's time when given (a test's "as if it were then"). */
function announceStage(
  env: Env,
  outcomes: Map<string, AnnounceOutcome>,
  clock: number | undefined,
): Stage<Item, Outcome, Ring> {
  const log = (archiveId: string, outcome: string, fields: Record<string, unknown> = {}) =>
    logStep({ stage: "archive_ready", outcome, archive_id: archiveId, ...fields });
  const skip = (archiveId: string, status: string) => {
    outcomes.set(archiveId, "skipped");
    log(archiveId, "skipped", { status });
  };
  return {
    name: "archive_ready_batch",

    async claim(ids, started) {
      const now = clock ?? started;
      const batch = await readAnnouncementBatch(env.DB, ids);
      const claims: LeaseClaim[] = [];
      const abandons: LeaseAbandon[] = [];
      const candidates: Item[] = [];
      for (const id of ids) {
        const row = batch.announcements.get(id);
        const why = notClaimable(row, LEASED.announcements.statuses, now);
        if (why !== null || !row) {
          skip(id, why ?? "missing");
          continue;
        }
        const archive = batch.archives.get(id);
        const subscriber = batch.subscribers.get(row.subscriber_id) ?? null;
        const url = notifyUrlOf(subscriber);
        const refused = url && outboundUrlProblem(env, url);
        if (archive?.status !== "ready" || !subscriber || !url || refused) {
          const error =
            archive?.status !== "ready"
              ? "the archive was deleted"
              : refused
                ? `archive.notify_url ${refused}`
                : "no notify_url any more";
          abandons.push({ id, n: row.attempts, error });
          continue;
        }
        claims.push({ id, n: row.attempts, lease_until: now + TIMEOUT_MS + LEASE_SLACK_MS });
        candidates.push({ archive, subscriber, url, attempt: row.attempts + 1, claimedAt: now });
      }
      const won = await claimOrAbandon(env.DB, LEASED.announcements, claims, abandons, now);
      for (const { id, error } of abandons) {
        outcomes.set(id, "dead");
        log(id, "dead", { error });
      }
      for (const candidate of candidates) {
        if (!won.has(candidate.archive.id)) skip(candidate.archive.id, "claimed elsewhere");
      }
      return candidates.filter((candidate) => won.has(candidate.archive.id));
    },

    async act(item) {
      const body = await payload(env, item.archive, item.subscriber, item.claimedAt);
      const headers = {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        ...(await webhookHeaders(await signingSecret(env, item.subscriber), item.archive.id, body)),
      };
      const sent = await send({ url: item.url, method: "POST", headers, body }, TIMEOUT_MS, 0);
      return { sent, decision: decide(item.attempt, sent), finishedAt: Date.now() };
    },

    failed(item, error) {
      const sent = threw(error);
      return { sent, decision: decide(item.attempt, sent), finishedAt: Date.now() };
    },

    targetOf: (item) => item.subscriber.id,

    async record(done) {
      await recordAnnouncements(
        env.DB,
        done.map(({ item, outcome: { sent, decision, finishedAt } }) => ({
          id: item.archive.id,
          n: item.attempt,
          status: decision.status,
          next_attempt_at: decision.delaySeconds !== null ? finishedAt + decision.delaySeconds * 1000 : null,
          status_code: sent.statusCode,
          error: sent.error,
          at: finishedAt,
        })),
      );
      for (const { item, outcome } of done) {
        outcomes.set(item.archive.id, outcome.decision.status);
        log(item.archive.id, outcome.decision.status, {
          subscriber_id: item.subscriber.id,
          attempt: item.attempt,
          status_code: outcome.sent.statusCode,
          duration_ms: outcome.sent.durationMs,
          ...(outcome.sent.error ? { error: outcome.sent.error } : {}),
          ...(outcome.decision.delaySeconds !== null ? { retry_in_s: outcome.decision.delaySeconds } : {}),
        });
      }
      // Waits longer than a queue delay are not rung (ringAnnouncements drops them): the sweeper finds the row due.
      return done
        .filter(({ outcome }) => outcome.decision.delaySeconds !== null)
        .map(({ item, outcome }) => ({ id: item.archive.id, delaySeconds: outcome.decision.delaySeconds! }));
    },

    ring: (rings) => ringAnnouncements(env, rings),
  };
}

/**
 * One attempt at each due announcement among `archiveIds` (the queue consumer for `announce` messages), and what each
 * came to. Idempotent: a duplicate or early message finds the row sent, not due, or claimed, and does nothing.
 * Throws only when D1 itself fails. `now` stands in for the claim's time when given.
 */
export async function announceBatch(
  env: Env,
  archiveIds: readonly string[],
  now?: number,
): Promise<Map<string, AnnounceOutcome>> {
  const outcomes = new Map<string, AnnounceOutcome>();
  await runStage(announceStage(env, outcomes, now), archiveIds);
  return outcomes;
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
    return (await announceBatch(env, [archiveId], now)).get(archiveId) ?? "skipped";
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
  const ring = (rings: Ring[]) => ringAnnouncements(env, rings);
  const window = { dueBefore: now - graceMs, sweptBefore: now - RESWEEP_AFTER_MS, now, limit: SEND_BATCH_LIMIT };
  const lost = await reringLost(env.DB, LEASED.announcements, window, ring);
  const missing = await unannouncedArchives(env.DB, now - UNANNOUNCED_LOOK_BACK_MS, now - graceMs, SEND_BATCH_LIMIT);
  for (const archive of missing) {
    await insertAnnouncement(env.DB, { archive_id: archive.id, subscriber_id: archive.subscriber_id }, now);
  }
  await ringSwept(
    env.DB,
    LEASED.announcements,
    missing.map((archive) => archive.id),
    now,
    ring,
  );
  if (lost.length || missing.length) {
    logStep({ stage: "archive_ready", outcome: "swept", requeued: lost.length, recovered: missing.length });
  }
  return { requeued: lost.length, recovered: missing.length };
}
