// Load generation with autocannon: ~1 KB CloudEvents with a unique id per event, the same bodies for Syndic and the
// ceiling Worker.
import { Agent, request } from "node:http";
import { performance } from "node:perf_hooks";
import autocannon from "autocannon";

const RUN = Date.now().toString(36);
let seq = 0;

/** ~1 KB of `data`, shaped like a real profile/course event. */
const DATA = JSON.stringify({
  user: { id: "u-000123", email: "ada.lovelace@example.com", name: "Ada Lovelace", department: "Engineering" },
  course: { id: "c-42", title: "Analytical Engines, an introduction", hours: 12, tags: ["math", "history", "cs"] },
  completion: { at: "2026-11-21T10:00:00Z", score: 97, attempts: 2, certificate: "cert-8f3a9b2c" },
  notes: "x".repeat(520),
});

export function eventJson() {
  seq += 1;
  return `{"specversion":"1.0","id":"b-${RUN}-${seq}","source":"/bench","type":"bench.event","data":${DATA}}`;
}

export function batchJson(size) {
  const events = [];
  for (let i = 0; i < size; i++) events.push(eventJson());
  return `[${events.join(",")}]`;
}

export const EVENT_BYTES = Buffer.byteLength(eventJson());

/**
 * Runs autocannon against `url + path` with a fresh body per request. `onBody(status, body)` sees every response
 * body when given. Returns the figures the report needs.
 */
export async function load({ url, path, method = "POST", headers = {}, body, connections, seconds, onBody }) {
  const request = {
    method,
    path,
    headers: { "content-type": "application/json", ...headers },
  };
  if (body) request.setupRequest = (req) => ({ ...req, body: body() });
  const samples = [];
  request.onResponse = (status, responseBody) => {
    if ((status < 200 || status >= 300) && samples.length < 3) samples.push(`${status} ${responseBody.slice(0, 300)}`);
    onBody?.(status, responseBody);
  };
  const started = Date.now();
  const result = await autocannon({
    url,
    connections,
    duration: seconds,
    timeout: 30,
    requests: [request],
  });
  const ended = Date.now();
  const elapsed = result.duration || (ended - started) / 1000;
  return {
    path,
    connections,
    seconds,
    started,
    ended,
    elapsed,
    requests: result.requests.total,
    ok2xx: result["2xx"],
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    reqPerSec: result["2xx"] / elapsed,
    reqPerSecAvg: result.requests.average,
    latencyP50: result.latency.p50,
    latencyP99: result.latency.p99,
    latencyMax: result.latency.max,
    non2xxSamples: samples,
  };
}

/**
 * Several rounds of one load, taken in turn with another endpoint's (so a drift in the machine's load touches both
 * alike), as one figure: rates from the totals; p50/p99 are the rounds' percentiles averaged, weighted by requests
 * (autocannon gives percentiles, not samples), max the largest.
 */
export function combineRounds(rounds) {
  const sum = (key) => rounds.reduce((total, round) => total + (round[key] ?? 0), 0);
  const ok = sum("ok2xx");
  const weighted = (key) => (ok ? rounds.reduce((total, round) => total + round[key] * round.ok2xx, 0) / ok : null);
  return {
    path: rounds[0].path,
    connections: rounds[0].connections,
    seconds: sum("seconds"),
    started: rounds[0].started,
    ended: rounds[rounds.length - 1].ended,
    elapsed: sum("elapsed"),
    requests: sum("requests"),
    ok2xx: ok,
    non2xx: sum("non2xx"),
    errors: sum("errors"),
    timeouts: sum("timeouts"),
    reqPerSec: ok / sum("elapsed"),
    latencyP50: weighted("latencyP50"),
    latencyP99: weighted("latencyP99"),
    latencyMax: Math.max(...rounds.map((round) => round.latencyMax)),
    non2xxSamples: rounds.flatMap((round) => round.non2xxSamples).slice(0, 3),
    rounds: rounds.map(({ started, ended, elapsed, ok2xx, reqPerSec, latencyP50, latencyP99 }) => ({
      started,
      ended,
      elapsed,
      ok2xx,
      reqPerSec,
      latencyP50,
      latencyP99,
    })),
  };
}

/**
 * One POST on a keep-alive `agent`. Resolves (never rejects) `{ status, text, sentAt, answeredAt, ms }`: wall-clock
 * times, so they compare with the sink's arrival times; status 0 and `error` when the request failed.
 */
function post(agent, target, payload, headers) {
  return new Promise((resolve) => {
    const sentAt = Date.now();
    const started = performance.now();
    const req = request(
      target,
      {
        method: "POST",
        agent,
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(payload), ...headers },
      },
      (res) => {
        const chunks = [];
        res.on("data", (chunk) => chunks.push(chunk));
        res.on("end", () =>
          resolve({
            status: res.statusCode,
            text: Buffer.concat(chunks).toString("utf8"),
            sentAt,
            answeredAt: Date.now(),
            ms: performance.now() - started,
          }),
        );
      },
    );
    req.setTimeout(60_000, () => req.destroy(new Error("timeout")));
    req.on("error", (error) =>
      resolve({ status: 0, text: "", error, sentAt, answeredAt: Date.now(), ms: performance.now() - started }),
    );
    req.end(payload);
  });
}

/** Totals of a list of answered posts, in the shape `load` returns. */
function totals({ path, connections, seconds, started, ended, answers }) {
  const latencies = answers
    .filter((answer) => answer.status)
    .map((answer) => answer.ms)
    .sort((a, b) => a - b);
  const ok2xx = answers.filter((answer) => answer.status >= 200 && answer.status < 300).length;
  const errors = answers.filter((answer) => !answer.status).length;
  const pick = (q) =>
    latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] : null;
  return {
    path,
    connections,
    seconds,
    started,
    ended,
    requests: answers.length,
    ok2xx,
    non2xx: answers.length - ok2xx - errors,
    errors,
    timeouts: 0,
    reqPerSec: ok2xx / Math.max(0.001, (ended - started) / 1000),
    latencyP50: pick(0.5),
    latencyP99: pick(0.99),
    latencyMax: latencies[latencies.length - 1] ?? null,
    non2xxSamples: answers
      .filter((answer) => answer.status && (answer.status < 200 || answer.status >= 300))
      .slice(0, 3)
      .map((answer) => `${answer.status} ${answer.text.slice(0, 300)}`),
  };
}

const next = (item) => (typeof item === "string" ? { payload: item, meta: undefined } : item);

/**
 * A closed-loop publisher for the end-to-end figures: `connections` keep-alive clients send back to back for
 * `seconds`, then stop sending and wait for every request in flight, so every event the relay stored is one this
 * side saw answered (autocannon drops the requests in flight when its time is up). `body()` returns the payload, or
 * `{ payload, meta }`; `onResponse(status, text, meta, answeredAt)` sees every answer.
 */
export async function closedLoop({ url, path, headers = {}, body, connections, seconds, onResponse }) {
  const target = new URL(path, url);
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const answers = [];
  const started = Date.now();
  const deadline = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (Date.now() < deadline) {
        const { payload, meta } = next(body());
        const answer = await post(agent, target, payload, headers);
        answers.push(answer);
        onResponse?.(answer.status, answer.text, meta, answer.answeredAt);
      }
    }),
  );
  agent.destroy();
  return totals({ path, connections, seconds, started, ended: Date.now(), answers });
}

/**
 * `count` POSTs with at most `inFlight` open at once: back to back, or with `intervalMs`, request i not before
 * start + i × intervalMs (an open loop: a slow answer does not delay the schedule until `inFlight` answers are
 * outstanding; `lateMaxMs` says how far the schedule slipped). `body(i)` returns the payload or `{ payload, meta }`;
 * `onResponse(status, text, meta, answeredAt)` sees every answer.
 */
export async function sendRequests({ url, path, headers = {}, body, count, inFlight, intervalMs = 0, onResponse }) {
  const target = new URL(path, url);
  const agent = new Agent({ keepAlive: true, maxSockets: inFlight });
  const answers = [];
  let claimed = 0;
  let lateMaxMs = 0;
  const started = Date.now();
  await Promise.all(
    Array.from({ length: Math.min(inFlight, count) }, async () => {
      while (claimed < count) {
        const index = claimed++;
        if (intervalMs) {
          const wait = started + index * intervalMs - Date.now();
          if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
          else lateMaxMs = Math.max(lateMaxMs, -wait);
        }
        const { payload, meta } = next(body(index));
        const answer = await post(agent, target, payload, headers);
        answers.push(answer);
        onResponse?.(answer.status, answer.text, meta, answer.answeredAt);
      }
    }),
  );
  agent.destroy();
  const ended = Date.now();
  return {
    ...totals({ path, connections: inFlight, seconds: (ended - started) / 1000, started, ended, answers }),
    intervalMs,
    lateMaxMs,
  };
}
