import { applyAuth } from "../auth/outbound";
import { FILENAME, type ImportTrigger } from "../domain/archive-target";
import { isRetryableStatus } from "../domain/backoff";
import { evaluate, evaluateJson, expressionError } from "../domain/expressions";
import { assertSendable } from "../lib/url-policy";
import { TransferError, type TransferLimits } from "../transfer/types";
import { renewingOn401, send, USER_AGENT } from "./push";
import { sharedAuthContext } from "./token-cache";

/**
 * An s3 target's import trigger (`then`): once the file is in the bucket, the platform's import webhook is called
 * (AlumnIQ's `POST …/webhook/{job}`), and its answer names the job (`{"jobId": …}`) that a later callback to
 * POST /v1/callbacks/{token} reports on. Every failure is a TransferError: retryable when the platform may take it
 * next time (no answer, 5xx, 408/425/429), dead when it can never work as configured (4xx, an expression that
 * fails, an answer without a job id).
 */

/** What the trigger's body expression sees, besides `$secrets`. */
export interface ImportVars {
  /** The file's name, as uploaded (without the prefix). */
  filename: string;
  /** The object key in the bucket: prefix and name. */
  key: string;
  /** A signed link to the archive's zip on this relay. */
  url: string;
  /** Where the platform reports the job's outcome. */
  callback_url: string;
}

/** An answer's body is read up to this much: a job id and perhaps a few error messages. */
const ANSWER_LIMIT = 64 * 1024;
const EXCERPT = 300;
/** Longer than this is not a job id a callback will name back. */
const JOB_ID_MAX = 200;

function body(trigger: ImportTrigger, vars: ImportVars): Promise<string | undefined> {
  if (trigger.body === undefined) {
    return Promise.resolve(JSON.stringify({ filename: vars.filename, url: vars.url, callback_url: vars.callback_url }));
  }
  // Keyed by the text: a trigger's expression is compiled once per isolate, whichever target uses it.
  return evaluateJson(`import-body\n${trigger.body}`, trigger.body, vars, { ...vars, secrets: trigger.secrets ?? {} });
}

function answerOf(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

async function jobIdOf(trigger: ImportTrigger, text: string): Promise<string> {
  const expression = trigger.job_id;
  let found: unknown;
  try {
    found = await evaluate(`import-job\n${expression}`, expression, answerOf(text));
  } catch (error) {
    throw new TransferError(`the import trigger's job_id expression failed: ${expressionError(error)}`, false);
  }
  if ((typeof found === "string" && found !== "") || typeof found === "number") {
    const jobId = String(found);
    if (jobId.length <= JOB_ID_MAX) return jobId;
  }
  throw new TransferError(
    `the import trigger's answer has no job id (${expression} gave ${found === undefined ? "nothing" : JSON.stringify(found).slice(0, 80)}): ${text.slice(0, EXCERPT)}`,
    false,
  );
}

/** Calls the trigger for a file now in the bucket, and returns the job id its answer names. */
export async function triggerImport(
  env: Env,
  targetId: string,
  trigger: ImportTrigger,
  vars: ImportVars,
  limits: TransferLimits,
): Promise<{ jobId: string; statusCode: number }> {
  const url = trigger.url.replaceAll(FILENAME, encodeURIComponent(vars.filename));
  try {
    assertSendable(env, url);
  } catch (error) {
    throw new TransferError(`the import trigger: ${(error as Error).message}`, false);
  }
  let text: string | undefined;
  try {
    text = await body(trigger, vars);
  } catch (error) {
    throw new TransferError(`the import trigger's body expression failed: ${expressionError(error)}`, false);
  }
  if (text === undefined) throw new TransferError("the import trigger's body expression gave nothing", false);
  const request = {
    url,
    method: trigger.method,
    headers: { ...trigger.headers, "content-type": "application/json", "user-agent": USER_AGENT },
    body: text,
  };
  // OAuth 2 tokens are cached per target, as an https_put target's are.
  const context = sharedAuthContext(env, targetId);
  const answer = await renewingOn401(
    async () => send(await applyAuth(request, trigger.auth, context), limits.transferTimeoutMs, ANSWER_LIMIT),
    trigger.auth,
    context,
  );
  if (answer.statusCode === null) throw new TransferError(`the import trigger: ${answer.error}`, true);
  if (answer.statusCode < 200 || answer.statusCode > 299) {
    const said = answer.excerpt ? `: ${answer.excerpt.slice(0, EXCERPT)}` : "";
    throw new TransferError(
      `the import trigger answered HTTP ${answer.statusCode}${said}`,
      isRetryableStatus(answer.statusCode),
      answer.statusCode,
      answer.retryAfter,
    );
  }
  return { jobId: await jobIdOf(trigger, answer.body ?? ""), statusCode: answer.statusCode };
}
