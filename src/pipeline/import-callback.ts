import { archiveTargetCallbackToken, SealedUnreadable, seal, unseal } from "../auth/sealed";
import { newSecret, sha256Hex } from "../auth/secrets";
import { type ArchiveTargetRow, archiveTargetByCallbackToken } from "../db/archive-targets";
import {
  confirmImport,
  type FileDeliveryRow,
  failImport,
  fileDeliveryOfJob,
  markOverdueImports,
} from "../db/file-deliveries";
import { decideFileAttempt } from "../domain/archive-target";
import { logStep } from "../lib/log";
import { iso } from "../lib/time";
import { ringFileDeliveries } from "../queues/ring";
import { TransferError } from "../transfer/types";
import { pingHeartbeatFailure } from "./heartbeat";
import { openedOnce } from "./push";

/**
 * Import callbacks (CONTRACT §3 Archive targets): an s3 target with an import trigger has a callback URL of its own,
 * POST /v1/callbacks/{token}, which the platform calls when the job the trigger started ends (AlumnIQ's
 * `{"jobId", "status": "SUCCESS"|"FAILED", "errors"}`). SUCCESS confirms the delivery; FAILED sends the file and
 * trigger again on the target's retry policy (`failed` once it is spent); no callback by `callback_timeout_s` leaves it
 * `unconfirmed`, and the heartbeat's dead man's switch is told.
 */

const CALLBACK_PATH = "/v1/callbacks/";
/** Callbacks made overdue at a time by one sweep; the next sweep takes the rest. */
const OVERDUE_PER_SWEEP = 200;
/** How much of a failed job's errors `last_error` keeps. */
const ERRORS_MAX = 1000;

export interface CallbackCredentials {
  /** The URL, shown once (the 201, or the PATCH that added the trigger). */
  url: string;
  callback_token_hash: string;
  callback_token_enc: string;
}

const callbackUrl = (env: Env, token: string) => `${env.PUBLIC_BASE_URL.replace(/\/$/, "")}${CALLBACK_PATH}${token}`;

/** A new callback token for a target: found by its hash, and sealed to the row because each trigger call sends it. */
export async function newCallbackCredentials(env: Env, targetId: string): Promise<CallbackCredentials> {
  const token = newSecret("cbk_", 32);
  return {
    url: callbackUrl(env, token),
    callback_token_hash: await sha256Hex(token),
    callback_token_enc: await seal(env.SECRETS_KEY, archiveTargetCallbackToken(targetId), token),
  };
}

/** The target's callback URL, for its trigger's body: opened once per isolate. */
export function callbackUrlOf(env: Env, target: ArchiveTargetRow): Promise<string> {
  const sealed = target.callback_token_enc;
  if (!sealed) {
    return Promise.reject(
      new TransferError("the target has no callback URL: remove its `then` and set it again", false),
    );
  }
  return openedOnce(`${env.SECRETS_KEY}\n${target.id}\n${sealed}`, async () => {
    try {
      return callbackUrl(env, await unseal(env.SECRETS_KEY, archiveTargetCallbackToken(target.id), sealed));
    } catch (error) {
      if (!(error instanceof SealedUnreadable)) throw error;
      throw new TransferError(
        `the callback token: ${error.message}; remove the target's \`then\` and set it again`,
        false,
      );
    }
  });
}

/** The target a callback URL's token belongs to, or null. Looked up by its sha256, so timing tells nothing. */
export async function callbackTarget(env: Env, token: string): Promise<ArchiveTargetRow | null> {
  return archiveTargetByCallbackToken(env.DB, await sha256Hex(token));
}

export interface ImportReport {
  jobId: string;
  status: "SUCCESS" | "FAILED";
  errors: unknown;
}

export type CallbackOutcome =
  | { kind: "unknown_job" }
  | { kind: "confirmed" | "retrying" | "failed" | "unchanged"; delivery: FileDeliveryRow };

/** A failed job's errors as `last_error` says them: AlumnIQ sends a list of messages, others may send anything. */
function errorsText(errors: unknown): string {
  if (errors === null || errors === undefined) return "no errors given";
  const text = Array.isArray(errors)
    ? errors.map((e) => (typeof e === "string" ? e : JSON.stringify(e))).join("; ")
    : typeof errors === "string"
      ? errors
      : JSON.stringify(errors);
  return text.length > ERRORS_MAX ? `${text.slice(0, ERRORS_MAX)}…` : text;
}

/**
 * The platform's report on a job. Idempotent: a report repeated, or about a job the delivery has moved on from,
 * changes nothing (`unchanged`).
 */
export async function acceptImportCallback(
  env: Env,
  target: ArchiveTargetRow,
  report: ImportReport,
  now = Date.now(),
): Promise<CallbackOutcome> {
  const delivery = await fileDeliveryOfJob(env.DB, target.id, report.jobId);
  if (!delivery) return { kind: "unknown_job" };
  const log = (outcome: string, fields: Record<string, unknown> = {}) =>
    logStep({ stage: "import_callback", outcome, file_delivery_id: delivery.id, job_id: report.jobId, ...fields });
  if (report.status === "SUCCESS") {
    const changed = await confirmImport(env.DB, delivery.id, report.jobId, now);
    log(changed ? "confirmed" : "unchanged", { status: delivery.status });
    return { kind: changed ? "confirmed" : "unchanged", delivery };
  }
  // The attempt that triggered this job is spent; the policy decides whether another goes.
  const decision = decideFileAttempt(
    { retryable: true, retryAfter: null },
    delivery.attempts - delivery.budget_start,
    target.retry,
  );
  const retry = decision.status === "retrying" && decision.delaySeconds !== null;
  const error = `import job ${report.jobId} failed: ${errorsText(report.errors)}`;
  const changed = await failImport(
    env.DB,
    delivery.id,
    report.jobId,
    {
      status: retry ? "retrying" : "failed",
      next_attempt_at: retry ? now + decision.delaySeconds! * 1000 : null,
      error,
    },
    now,
  );
  if (!changed) {
    log("unchanged", { status: delivery.status });
    return { kind: "unchanged", delivery };
  }
  log(retry ? "retrying" : "failed", retry ? { retry_in_s: decision.delaySeconds } : {});
  if (retry) {
    // Due at next_attempt_at either way: a lost ring, or a wait beyond a queue delay, is the sweeper's to find.
    await ringFileDeliveries(env, [{ id: delivery.id, delaySeconds: decision.delaySeconds! }]).catch((error) =>
      log("queue_send_failed", { error: String(error) }),
    );
  }
  return { kind: retry ? "retrying" : "failed", delivery };
}

/**
 * For the sweeper: deliveries whose import callback is overdue turn `unconfirmed`, and the heartbeat is told which, so
 * a dead man's switch sees imports that went quiet.
 */
export async function sweepOverdueImports(env: Env, now: number): Promise<number> {
  const overdue = await markOverdueImports(env.DB, now, OVERDUE_PER_SWEEP);
  if (!overdue.length) return 0;
  for (const delivery of overdue) {
    logStep({
      stage: "import_callback",
      outcome: "unconfirmed",
      file_delivery_id: delivery.id,
      job_id: delivery.job_id,
    });
  }
  const lines = overdue.map(
    (delivery) =>
      `${delivery.file_name} (file delivery ${delivery.id}, target ${delivery.target_id}, job ${delivery.job_id})`,
  );
  await pingHeartbeatFailure(
    env,
    `Syndic: ${overdue.length} import${overdue.length === 1 ? "" : "s"} unconfirmed at ${iso(now)}: no callback came in time.\n${lines.join("\n")}\n`,
  );
  return overdue.length;
}
