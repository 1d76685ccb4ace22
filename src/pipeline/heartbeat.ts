import { type HttpRequest, request, USER_AGENT } from "../lib/http";
import { logStep } from "../lib/log";
import { outboundUrlProblem, type PolicyEnv } from "../lib/url-policy";

/**
 * HEARTBEAT_URL is a dead man's switch: a GET after each successful archive run, so the switch notices when runs
 * stop, and a POST of what went wrong to HEARTBEAT_URL + `/fail` when something it watches failed (an import nobody
 * confirmed), the convention of healthchecks.io, whose check alerts at once and keeps the body in its log. Neither
 * ever throws.
 */

type HeartbeatEnv = Pick<Env, "HEARTBEAT_URL"> & PolicyEnv;

const HEARTBEAT_TIMEOUT_MS = 10_000;
/** A check log keeps a few KB of what it is told. */
const FAILURE_BODY_MAX = 8 * 1024;

async function ping(env: HeartbeatEnv, build: (base: string) => HttpRequest, sentOutcome: string): Promise<boolean> {
  const base = env.HEARTBEAT_URL?.trim();
  if (!base) return false;
  const req = build(base);
  const refused = outboundUrlProblem(env, req.url);
  if (refused) {
    logStep({ stage: "heartbeat", outcome: "refused", error: `HEARTBEAT_URL ${refused}` });
    return false;
  }
  const answer = await request(req, { timeoutMs: HEARTBEAT_TIMEOUT_MS, readLimit: 0 });
  logStep({
    stage: "heartbeat",
    outcome: answer.ok ? sentOutcome : "failed",
    ...(answer.status !== null ? { status_code: answer.status } : { error: answer.error }),
    duration_ms: answer.durationMs,
  });
  return answer.ok;
}

export function pingHeartbeat(env: HeartbeatEnv): Promise<boolean> {
  return ping(env, (url) => ({ url, method: "GET", headers: { "user-agent": USER_AGENT } }), "sent");
}

export function pingHeartbeatFailure(env: HeartbeatEnv, what: string): Promise<boolean> {
  return ping(
    env,
    (base) => ({
      url: `${base.replace(/\/+$/, "")}/fail`,
      method: "POST",
      headers: { "user-agent": USER_AGENT, "content-type": "text/plain; charset=utf-8" },
      body: what.slice(0, FAILURE_BODY_MAX),
    }),
    "failure_sent",
  );
}
