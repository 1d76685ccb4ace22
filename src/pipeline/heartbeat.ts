import { request, USER_AGENT } from "../lib/http";
import { logStep } from "../lib/log";
import { outboundUrlProblem, type PolicyEnv } from "../lib/url-policy";

/**
 * A dead man's switch (HEARTBEAT_URL) hears from Syndic when archives are built, and is told at once when something
 * it watches went wrong: a failure is a POST of what happened to HEARTBEAT_URL + `/fail`, the convention of
 * healthchecks.io (whose check log keeps the body), so the switch alerts without waiting for a missed ping.
 */

const HEARTBEAT_TIMEOUT_MS = 10_000;
/** A check log keeps a few KB of what it is told. */
const FAILURE_BODY_MAX = 8 * 1024;

export async function pingHeartbeatFailure(
  env: Pick<Env, "HEARTBEAT_URL"> & PolicyEnv,
  what: string,
): Promise<boolean> {
  const base = env.HEARTBEAT_URL?.trim();
  if (!base) return false;
  const url = `${base.replace(/\/+$/, "")}/fail`;
  const refused = outboundUrlProblem(env, url);
  if (refused) {
    logStep({ stage: "heartbeat", outcome: "refused", error: `HEARTBEAT_URL ${refused}` });
    return false;
  }
  const answer = await request(
    {
      url,
      method: "POST",
      headers: { "user-agent": USER_AGENT, "content-type": "text/plain; charset=utf-8" },
      body: what.slice(0, FAILURE_BODY_MAX),
    },
    { timeoutMs: HEARTBEAT_TIMEOUT_MS, readLimit: 0 },
  );
  logStep({
    stage: "heartbeat",
    outcome: answer.ok ? "failure_sent" : "failed",
    ...(answer.status !== null ? { status_code: answer.status } : { error: answer.error }),
    duration_ms: answer.durationMs,
  });
  return answer.ok;
}
