import { eventFileName } from "../archive/eventfile-name";
import { archiveLink, linkTtlOf } from "../archive/links";
import { TOKEN_REQUEST_TIMEOUT_MS } from "../auth/oauth2";
import { sha256Hex } from "../auth/secrets";
import type { ArchiveTargetRow } from "../db/archive-targets";
import type { ArchiveRow } from "../db/archives";
import { getArchive } from "../db/archives";
import {
  archivesMissingFileDeliveries,
  type FileDeliveryRow,
  insertArchiveFileDeliveries,
  insertTestFileDelivery,
} from "../db/file-deliveries";
import { readFileDeliveryBatch, recordFileAttempts } from "../db/file-delivery-batch";
import { claimOrAbandon, LEASED, type LeaseAbandon, type LeaseClaim } from "../db/lost-work";
import { addCounters } from "../db/stats";
import type { SubscriberRow } from "../db/subscribers";
import { type AttemptDecision, decideFileAttempt, testFileName } from "../domain/archive-target";
import { SEND_BATCH_LIMIT } from "../domain/messages";
import { fileAttemptCounters } from "../domain/stats";
import { reringLost, ringSwept } from "../engine/rering";
import { notClaimable, runStage, type Stage } from "../engine/stage";
import { RelayError } from "../lib/errors";
import { newId } from "../lib/ids";
import { logStep } from "../lib/log";
import { iso } from "../lib/time";
import { type Ring, ringFileDeliveries } from "../queues/ring";
import { archiveEmail, type EmailBody, testEmail } from "../transfer/email";
import { type OutgoingFile, TransferError, type TransferLimits } from "../transfer/types";
import { openTarget } from "./archive-target-input";
import { type Transferred, transferFile } from "./file-transfer";
import { callbackUrlOf, sweepOverdueImports } from "./import-callback";
import { type ImportVars, triggerImport } from "./import-trigger";

/**
 * File deliveries: an archive's zip (or a target's test file) sent to one archive target, retried per the target's
 * policy. A batch at a time on the stage engine (engine/stage.ts): one read of the batch's deliveries with their
 * targets and archives, one claim, the transfers (one at a time per target), one record, one ring of the retries.
 * The file is streamed from R2 on every attempt, never held whole.
 */

/** Time beyond an attempt's own limits before the sweeper may assume it died with its worker. */
const LEASE_SLACK_MS = 30_000;
/**
 * The longest one batch spends on one target: its transfers run one after another, and a consumer has 15 minutes of
 * wall time. Deliveries beyond it wait for a later batch.
 */
const TARGET_TIME_PER_BATCH_MS = 10 * 60_000;
const DEFERRED_DELAY_S = 60;
/** How far back the sweeper looks for ready archives whose deliveries were never recorded. */
const MISSING_LOOK_BACK_MS = 24 * 3_600_000;
/** Transfers at once in one invocation; one at a time per target. */
const LIMITS = { concurrency: 20, perTarget: 1 };

export type FileDeliverOutcome = "sent" | "retrying" | "dead" | "skipped" | "deferred";

/** The longest one attempt may take: with OAuth 2, a token request and, after a 401, a second token and PUT. */
function attemptBudgetMs(target: ArchiveTargetRow): number {
  const auth = target.config.auth as { type?: string } | undefined;
  return target.type === "https_put" && auth?.type === "oauth2"
    ? 2 * (TOKEN_REQUEST_TIMEOUT_MS + target.transfer_timeout_ms)
    : target.transfer_timeout_ms;
}

const limitsOf = (target: ArchiveTargetRow): TransferLimits => ({
  connectTimeoutMs: target.connect_timeout_ms,
  transferTimeoutMs: target.transfer_timeout_ms,
});

/** The archive's zip, streamed from R2 afresh on every open. */
async function archiveFile(env: Env, archive: ArchiveRow, name: string): Promise<OutgoingFile> {
  const head = await env.BUCKET.head(archive.r2_key);
  if (!head) throw new TransferError("the archive's zip is no longer in storage", false);
  return {
    name,
    size: head.size,
    contentType: "application/zip",
    sha256: archive.sha256,
    async open() {
      const object = await env.BUCKET.get(archive.r2_key);
      if (!object) throw new TransferError("the archive's zip is no longer in storage", false);
      return object.body;
    },
  };
}

/** A few hundred bytes saying what they are, the same on every attempt. */
export function testFileText(delivery: FileDeliveryRow, target: ArchiveTargetRow): string {
  return [
    "This is a test file from Syndic. It can be deleted.",
    "",
    `It was sent to the archive target "${target.name}" (${target.id}, ${target.type}) of subscriber`,
    `${target.subscriber_id}, to check that files sent there arrive. Archives will arrive the same way, as zip files.`,
    "",
    `File delivery: ${delivery.id}`,
    `Requested at: ${iso(delivery.created_at)}`,
    "",
  ].join("\n");
}

async function testFile(delivery: FileDeliveryRow, target: ArchiveTargetRow): Promise<OutgoingFile> {
  const bytes = new TextEncoder().encode(testFileText(delivery, target));
  return {
    name: delivery.file_name,
    size: bytes.length,
    contentType: "text/plain; charset=utf-8",
    sha256: await sha256Hex(bytes),
    open: async () => new Blob([bytes]).stream(),
  };
}

interface Item {
  delivery: FileDeliveryRow;
  target: ArchiveTargetRow;
  archive: ArchiveRow | null;
  /** Read with the batch (null once deleted): the emailed or triggered link lasts its link TTL. */
  subscriber: SubscriberRow | null;
  /** This attempt's number: the row's attempts once claimed. */
  attempt: number;
  /** The claim's clock: an emailed link's lifetime counts from it. */
  claimedAt: number;
}

/**
 * An email target's message about the file: for an archive, a link signed for the subscriber's link TTL (as the
 * archive-ready POST has it) with the archive's facts; for a test file, a short note saying it is a test.
 */
async function emailAbout(env: Env, item: Item, file: OutgoingFile, subject: string | undefined): Promise<EmailBody> {
  const { archive, subscriber } = item;
  const subscriberName = subscriber?.name ?? item.target.subscriber_id;
  if (!archive) {
    return testEmail({
      subscriberName,
      targetName: item.target.name,
      targetId: item.target.id,
      deliveryId: item.delivery.id,
      requestedAt: new Date(item.delivery.created_at).toISOString(),
      subject,
    });
  }
  const link = await archiveLink(env, archive, linkTtlOf(subscriber), { now: item.claimedAt });
  return archiveEmail({
    subscriberName,
    archiveName: item.delivery.file_name,
    periodStart: archive.period_start,
    periodEnd: `${archive.period_end} (${archive.timezone})`,
    ...(archive.partial ? { partialUpTo: new Date(archive.to_ms).toISOString() } : {}),
    events: archive.events ?? 0,
    bytes: file.size,
    sha256: file.sha256 ?? "",
    url: link.url,
    expiresAt: new Date(link.expires_at).toISOString(),
    subject,
  });
}

/** What an s3 target's import trigger sees: the file, its key, a link signed for the subscriber's TTL, the callback. */
async function importVars(
  env: Env,
  item: Item,
  archive: ArchiveRow,
  filename: string,
  key: string,
): Promise<ImportVars> {
  const link = await archiveLink(env, archive, linkTtlOf(item.subscriber), { now: item.claimedAt });
  return { filename, key, url: link.url, callback_url: await callbackUrlOf(env, item.target) };
}

interface Outcome {
  statusCode: number | null;
  error: string | null;
  remote: string | null;
  bytes: number | null;
  /** The import job a trigger started, and how long its callback may take. */
  jobId: string | null;
  callbackTimeoutS: number | null;
  durationMs: number;
  decision: AttemptDecision;
  finishedAt: number;
}

/** Why a delivery to an existing target can no longer be sent, or null when it can. */
function unsendable(row: FileDeliveryRow, target: ArchiveTargetRow, archives: Map<string, ArchiveRow>): string | null {
  // A test file goes to a disabled target too: a target can be checked before it is switched on.
  if (!row.test && !target.enabled) return "the target is disabled";
  if (row.archive_id !== null && archives.get(row.archive_id)?.status !== "ready") return "the archive was deleted";
  return null;
}

function fileStage(
  env: Env,
  outcomes: Map<string, FileDeliverOutcome>,
  clock: number | undefined,
): Stage<Item, Outcome, Ring> {
  const log = (id: string, outcome: string, fields: Record<string, unknown> = {}) =>
    logStep({ stage: "file_deliver", outcome, file_delivery_id: id, ...fields });
  const skip = (id: string, status: string) => {
    outcomes.set(id, "skipped");
    log(id, "skipped", { status });
  };
  const attemptInBudget = (item: Item) => item.attempt - item.delivery.budget_start;
  return {
    name: "file_deliver_batch",

    async claim(ids, started) {
      const now = clock ?? started;
      const batch = await readFileDeliveryBatch(env.DB, ids);
      const claims: LeaseClaim[] = [];
      const abandons: LeaseAbandon[] = [];
      const candidates: Item[] = [];
      const deferred: string[] = [];
      const queued = new Map<string, number>();
      for (const id of ids) {
        const row = batch.deliveries.get(id);
        const why = notClaimable(row, LEASED.fileDeliveries.statuses, now);
        if (why !== null || !row) {
          skip(id, why ?? "missing");
          continue;
        }
        const target = batch.targets.get(row.target_id);
        const reason = target ? unsendable(row, target, batch.archives) : "the target was deleted";
        if (reason !== null) {
          abandons.push({ id, n: row.attempts, error: reason });
          continue;
        }
        // `reason` is null only for a target that exists. One transfer at a time per target: the k-th waits for those
        // before it, and its lease counts them.
        const budget = attemptBudgetMs(target!);
        const ahead = queued.get(row.target_id) ?? 0;
        if (ahead > 0 && (ahead + 1) * budget > TARGET_TIME_PER_BATCH_MS) {
          deferred.push(id);
          continue;
        }
        queued.set(row.target_id, ahead + 1);
        claims.push({ id, n: row.attempts, lease_until: now + (ahead + 1) * budget + LEASE_SLACK_MS });
        const archive = row.archive_id === null ? null : batch.archives.get(row.archive_id)!;
        const subscriber = batch.subscribers.get(row.subscriber_id) ?? null;
        candidates.push({
          delivery: row,
          target: target!,
          archive,
          subscriber,
          attempt: row.attempts + 1,
          claimedAt: now,
        });
      }
      const won = await claimOrAbandon(env.DB, LEASED.fileDeliveries, claims, abandons, now);
      for (const { id, error } of abandons) {
        outcomes.set(id, "dead");
        log(id, "dead", { error });
      }
      for (const candidate of candidates) {
        if (!won.has(candidate.delivery.id)) skip(candidate.delivery.id, "claimed elsewhere");
      }
      if (deferred.length) {
        for (const id of deferred) outcomes.set(id, "deferred");
        // Not claimed, so still due: a lost ring is the sweeper's to find.
        await ringFileDeliveries(
          env,
          deferred.map((id) => ({ id, delaySeconds: DEFERRED_DELAY_S })),
        ).catch((error) => log(deferred[0], "queue_send_failed", { deferred: deferred.length, error: String(error) }));
      }
      return candidates.filter((candidate) => won.has(candidate.delivery.id));
    },

    async act(item) {
      const started = Date.now();
      let result: Omit<Outcome, "decision" | "finishedAt" | "durationMs" | "callbackTimeoutS">;
      let failure: { retryable: boolean; retryAfter: number | null } | null = null;
      // Set once the file is written: an import trigger that fails after it still records where the file is.
      let sent: Transferred | null = null;
      let callbackTimeoutS: number | null = null;
      try {
        const target = await openTarget(env, item.target);
        const file = item.archive
          ? await archiveFile(env, item.archive, item.delivery.file_name)
          : await testFile(item.delivery, item.target);
        sent = await transferFile(env, item.target.id, target, file, limitsOf(item.target), (subject) =>
          emailAbout(env, item, file, subject),
        );
        // An email carries the link, not the file: no bytes of it went anywhere.
        const bytes = target.type === "email" ? null : file.size;
        let jobId: string | null = null;
        // A test file is only uploaded: importing it would load a text file into the platform.
        if (target.type === "s3" && target.then && item.archive) {
          const triggered = await triggerImport(
            env,
            item.target.id,
            target.then,
            await importVars(env, item, item.archive, file.name, sent.remote),
            limitsOf(item.target),
          );
          sent = { ...sent, statusCode: triggered.statusCode };
          jobId = triggered.jobId;
          callbackTimeoutS = target.then.callback_timeout_s;
        }
        result = { statusCode: sent.statusCode, error: null, remote: sent.remote, bytes, jobId };
      } catch (error) {
        // What the other side did, or a setting that can never work; anything else is the engine's `failed`.
        if (!(error instanceof RelayError)) throw error;
        failure = { retryable: error.retryable, retryAfter: error.retryAfter };
        const statusCode = error instanceof TransferError ? error.statusCode : null;
        result = { statusCode, error: error.message, remote: sent?.remote ?? null, bytes: null, jobId: null };
      }
      return {
        ...result,
        callbackTimeoutS,
        durationMs: Date.now() - started,
        decision: decideFileAttempt(failure, attemptInBudget(item), item.target.retry),
        finishedAt: Date.now(),
      };
    },

    failed(item, error) {
      return {
        statusCode: null,
        error: `internal error: ${String(error)}`,
        remote: null,
        bytes: null,
        jobId: null,
        callbackTimeoutS: null,
        durationMs: 0,
        decision: decideFileAttempt({ retryable: true, retryAfter: null }, attemptInBudget(item), item.target.retry),
        finishedAt: Date.now(),
      };
    },

    targetOf: (item) => item.target.id,

    async record(done) {
      await recordFileAttempts(
        env.DB,
        done.map(({ item, outcome }) => ({
          id: item.delivery.id,
          n: item.attempt,
          status: outcome.decision.status,
          next_attempt_at:
            outcome.decision.delaySeconds !== null ? outcome.finishedAt + outcome.decision.delaySeconds * 1000 : null,
          status_code: outcome.statusCode,
          error: outcome.error,
          bytes: outcome.bytes,
          remote: outcome.remote,
          job_id: outcome.jobId,
          callback_due_at:
            outcome.callbackTimeoutS !== null ? outcome.finishedAt + outcome.callbackTimeoutS * 1000 : null,
          at: outcome.finishedAt,
        })),
        // A target's test file is no archive delivered: only archives' files are counted.
        addCounters(
          env.DB,
          fileAttemptCounters(
            done
              .filter(({ item }) => item.archive)
              .map(({ item, outcome }) => ({
                targetId: item.target.id,
                outcome: outcome.decision.status,
                at: outcome.finishedAt,
              })),
          ),
        ),
      );
      for (const { item, outcome } of done) {
        outcomes.set(item.delivery.id, outcome.decision.status);
        log(item.delivery.id, outcome.decision.status, {
          target_id: item.target.id,
          type: item.target.type,
          attempt: item.attempt,
          status_code: outcome.statusCode,
          bytes: outcome.bytes,
          ...(outcome.jobId !== null ? { job_id: outcome.jobId } : {}),
          duration_ms: outcome.durationMs,
          ...(outcome.error ? { error: outcome.error } : {}),
          ...(outcome.decision.delaySeconds !== null ? { retry_in_s: outcome.decision.delaySeconds } : {}),
        });
      }
      // Waits longer than a queue delay are not rung (the ring drops them): the sweeper finds the row due.
      return done
        .filter(({ outcome }) => outcome.decision.delaySeconds !== null)
        .map(({ item, outcome }) => ({ id: item.delivery.id, delaySeconds: outcome.decision.delaySeconds! }));
    },

    ring: (rings) => ringFileDeliveries(env, rings),
  };
}

/**
 * One attempt at each due file delivery among `ids` (the `files` queue consumer), and what each came to. Idempotent:
 * a duplicate or early message finds the row sent, not due, or claimed, and does nothing. Throws only when D1 itself
 * fails. `now` stands in for the claim's time when given (a test's "as if it were then").
 */
export async function deliverFiles(
  env: Env,
  ids: readonly string[],
  now?: number,
): Promise<Map<string, FileDeliverOutcome>> {
  const outcomes = new Map<string, FileDeliverOutcome>();
  await runStage(fileStage(env, outcomes, now), ids, { concurrency: LIMITS.concurrency, perTarget: LIMITS.perTarget });
  return outcomes;
}

/**
 * Call once an archive is ready: records one delivery per enabled target of its subscriber (once, however often
 * called) and rings them. Never throws: the archive is built whatever happens here, and the sweeper records or rings
 * what this left undone.
 */
export async function sendArchiveToTargets(env: Env, archiveId: string, now = Date.now()): Promise<string[]> {
  try {
    const archive = await getArchive(env.DB, archiveId);
    if (archive?.status !== "ready") return [];
    const ids = await insertArchiveFileDeliveries(env.DB, [{ id: archive.id, file_name: eventFileName(archive) }], now);
    await ringFileDeliveries(
      env,
      ids.map((id) => ({ id })),
    );
    if (ids.length)
      logStep({ stage: "file_deliver", outcome: "recorded", archive_id: archiveId, deliveries: ids.length });
    return ids;
  } catch (error) {
    logStep({ stage: "file_deliver", outcome: "error_left_to_sweeper", archive_id: archiveId, error: String(error) });
    return [];
  }
}

/** Records a target's test file (named as such) and rings it: it goes through the same stage as an archive. */
export async function sendTestFile(env: Env, target: ArchiveTargetRow, now = Date.now()): Promise<string> {
  const id = newId("fdl", now);
  await insertTestFileDelivery(
    env.DB,
    { id, target_id: target.id, subscriber_id: target.subscriber_id, file_name: testFileName(now) },
    now,
  );
  // The row is due now: a lost ring is the sweeper's to find.
  await ringFileDeliveries(env, [{ id }]).catch((error) =>
    logStep({ stage: "file_deliver", outcome: "queue_send_failed", file_delivery_id: id, error: String(error) }),
  );
  return id;
}

/**
 * For the sweeper: file deliveries due whose queue message was lost, and ready archives whose deliveries were never
 * recorded (the build job stopped in between), are handed to the queue again; imports whose callback is overdue turn
 * `unconfirmed`. Marked swept only once the doorbell is in the queue: a failed send leaves them for the next sweep.
 */
export async function sweepFileDeliveries(
  env: Env,
  window: { dueBefore: number; sweptBefore: number; now: number; limit: number },
): Promise<{ requeued: number; recovered: number; unconfirmed: number }> {
  const ring = (rings: Ring[]) => ringFileDeliveries(env, rings);
  const lost = await reringLost(env.DB, LEASED.fileDeliveries, window, ring);
  const missing = await archivesMissingFileDeliveries(
    env.DB,
    window.now - MISSING_LOOK_BACK_MS,
    window.dueBefore,
    SEND_BATCH_LIMIT,
  );
  const recovered = await insertArchiveFileDeliveries(
    env.DB,
    missing.map((archive) => ({ id: archive.id, file_name: eventFileName(archive) })),
    window.now,
  );
  await ringSwept(env.DB, LEASED.fileDeliveries, recovered, window.now, ring);
  const unconfirmed = await sweepOverdueImports(env, window.now);
  if (lost.length || recovered.length || unconfirmed) {
    logStep({
      stage: "file_deliver",
      outcome: "swept",
      requeued: lost.length,
      recovered: recovered.length,
      unconfirmed,
    });
  }
  return { requeued: lost.length, recovered: recovered.length, unconfirmed };
}
