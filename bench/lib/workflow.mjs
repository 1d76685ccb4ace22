// The notify workflow (issue 3), measured the same way for Syndic and for the peers: an origin platform calls a URL
// with only an id → the relay fetches the record from the origin → maps it → POSTs it to the CRM with an API key.
// One driver, one pair of loopback mocks (bench/lib/mocks.mjs), one formula for every system, in the same run.
import { join } from "node:path";
import { closedLoop } from "./load.mjs";
import { sleep, spawnGroup, waitFor } from "./procs.mjs";
import { rateRow } from "./queue-log.mjs";

export const CRM_API_KEY = "secret-key-123";
/** What the CRM needs, from the origin's record (the peers map the same fields by hand). */
export const CRM_TRANSFORM =
  '{"externalId": data.id, "email": data.email_address, "firstName": data.first_name, "lastName": data.last_name, "plan": data.plan}';

const quantile = (sorted, q) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : null;

/** Starts bench/lib/mocks.mjs (own process group) on the given ports (0 = any free one). */
export async function startMocks({ originPort = 0, crmPort = 0, logStream } = {}) {
  const child = spawnGroup(
    "mocks (origin + CRM)",
    process.execPath,
    [join(import.meta.dirname, "mocks.mjs"), String(originPort), String(crmPort)],
    { logStream, stdin: "pipe" },
  );
  let ports = null;
  await waitFor(() => {
    if (child.exitCode !== null) throw new Error(`mocks exited: ${child.output().slice(-500)}`);
    const match = /MOCKS (\d+) (\d+)/.exec(child.output());
    if (match) ports = { origin: Number(match[1]), crm: Number(match[2]) };
    return ports !== null;
  }, 10_000);
  const crmUrl = `http://127.0.0.1:${ports.crm}`;
  const call = async (method, path) => {
    const res = await fetch(`${crmUrl}${path}`, { method });
    if (!res.ok) throw new Error(`mocks ${method} ${path}: ${res.status}`);
    return res.status === 204 ? null : res.json();
  };
  return {
    child,
    ports,
    originBase: `http://127.0.0.1:${ports.origin}`,
    crmContacts: `${crmUrl}/crm/contacts`,
    reset: () => call("POST", "/reset"),
    failEvery: (n) => call("POST", `/fail/${n}`),
    stats: () => call("GET", "/stats"),
    timeline: () => call("GET", "/timeline"),
  };
}

/**
 * Drives one system: `connections` clients call `url + path` back to back for `seconds`, each call with a fresh id
 * (`bodyFor(id)`), then waits (≤ `drainSeconds`, calling `sweep()` every 10 s when given) until every accepted id has
 * arrived at the CRM. `every503` makes the CRM answer 503 to every Nth POST.
 *
 * notifications/s = accepted ids that arrived ÷ (first call → last arrival). Latency = first arrival at the CRM −
 * when the call was sent. Per id the origin fetch time splits that in two: call → origin fetch, origin fetch → CRM.
 */
export async function runWorkflow({
  label,
  url,
  path,
  headers = {},
  bodyFor,
  acceptedStatus,
  mocks,
  connections,
  seconds,
  drainSeconds,
  every503 = 0,
  sweep = null,
  log = () => {},
}) {
  await mocks.reset();
  await mocks.failEvery(every503);
  const prefix = `${label.replace(/[^a-z0-9]/gi, "").toLowerCase()}${Date.now().toString(36)}`;
  let seq = 0;
  const sentAt = new Map();
  const accepted = new Set();
  const acceptTimes = [];
  const statuses = {};
  const publish = await closedLoop({
    url,
    path,
    headers,
    connections,
    seconds,
    body: () => {
      seq += 1;
      const id = `${prefix}-${seq}`;
      sentAt.set(id, Date.now());
      return { payload: bodyFor(id), meta: id };
    },
    onResponse: (status, _text, id) => {
      statuses[status] = (statuses[status] ?? 0) + 1;
      if (status === acceptedStatus) {
        accepted.add(id);
        acceptTimes.push(Date.now());
      }
    },
  });
  const loadStart = publish.started;
  const loadEnd = publish.ended;
  const statsAtLoadEnd = await mocks.stats();

  const deadline = Date.now() + drainSeconds * 1000;
  let lastSweep = Date.now();
  let sweeps = 0;
  let lastReport = Date.now();
  let stats = statsAtLoadEnd;
  // uniqueIds counts every id that arrived, accepted or not (a call that timed out here may still have been stored):
  // once it is high enough, the timeline says whether every accepted id is among them.
  const allArrived = async () => {
    if (stats.uniqueIds < accepted.size) return false;
    const arrivedIds = new Set((await mocks.timeline()).filter((row) => row[2] !== null).map((row) => row[0]));
    for (const id of accepted) if (!arrivedIds.has(id)) return false;
    return true;
  };
  while (!(await allArrived()) && Date.now() < deadline) {
    await sleep(250);
    stats = await mocks.stats();
    if (sweep && Date.now() - lastSweep >= 10_000) {
      lastSweep = Date.now();
      sweeps += 1;
      await sweep().catch((error) => log(`    sweep failed: ${error.message}`));
    }
    if (Date.now() - lastReport >= 10_000) {
      lastReport = Date.now();
      log(`    … ${stats.uniqueIds}/${accepted.size} arrived`);
    }
  }
  // A last look a moment later, so late duplicates are counted too.
  await sleep(500);
  stats = await mocks.stats();
  const timeline = new Map(
    (await mocks.timeline()).map(([id, fetchedAt, arrivedAt, posts]) => [id, { fetchedAt, arrivedAt, posts }]),
  );

  const latency = [];
  const toFetch = [];
  const fetchToCrm = [];
  const arrivals = [];
  const fetches = [];
  let arrived = 0;
  let duplicates = 0;
  for (const id of accepted) {
    const row = timeline.get(id);
    if (!row?.arrivedAt) continue;
    arrived += 1;
    duplicates += row.posts - 1;
    const sent = sentAt.get(id);
    latency.push(row.arrivedAt - sent);
    arrivals.push(row.arrivedAt);
    if (row.fetchedAt) {
      fetches.push(row.fetchedAt);
      toFetch.push(row.fetchedAt - sent);
      fetchToCrm.push(row.arrivedAt - row.fetchedAt);
    }
  }
  for (const list of [latency, toFetch, fetchToCrm, arrivals, fetches]) list.sort((a, b) => a - b);
  const lastArrival = arrivals.length ? arrivals[arrivals.length - 1] : null;
  const window = { from: loadStart, loadEnd };
  const pct = (list) => ({
    p50: quantile(list, 0.5),
    p90: quantile(list, 0.9),
    p99: quantile(list, 0.99),
    max: list.length ? list[list.length - 1] : null,
  });
  return {
    label,
    connections,
    seconds,
    every503,
    sent: sentAt.size,
    accepted: accepted.size,
    statuses,
    errors: publish.errors,
    arrived,
    lost: accepted.size - arrived,
    duplicates,
    drained: arrived === accepted.size,
    sweeps,
    perSec: lastArrival && lastArrival > loadStart ? arrived / ((lastArrival - loadStart) / 1000) : null,
    latencyMs: pct(latency),
    acceptLatencyMs: { p50: publish.latencyP50, p99: publish.latencyP99 },
    callToFetchMs: pct(toFetch),
    fetchToCrmMs: pct(fetchToCrm),
    /** seen from outside: calls accepted, origin asked (first time per id), first arrival at the CRM */
    stages: {
      accept: rateRow(acceptTimes, window),
      originFetch: rateRow(fetches, window),
      crm: rateRow(arrivals, window),
    },
    crm: stats,
    crmAtLoadEnd: statsAtLoadEnd,
    loadStart,
    loadEnd,
    lastArrival,
    non2xxSamples: publish.non2xxSamples,
  };
}

/**
 * Syndic's side of the workflow through its public admin API: a source whose fetch config points at the mock origin,
 * and a subscription whose one step maps the record for the CRM (JSONata) and sends it with the API key.
 * Returns the notify path (the token URL, on this relay).
 */
export async function setupSyndicNotify(admin, mocks, name) {
  const source = await admin.api("POST", "/v1/admin/sources", {
    name,
    fetch: { url: `${mocks.originBase}/profiles/{id}`, event_type: "profile.updated" },
  });
  const subscriber = await admin.api("POST", "/v1/admin/subscribers", { name });
  const destination = await admin.api("POST", `/v1/admin/subscribers/${subscriber.id}/destinations`, {
    name: `${name} CRM`,
    url: mocks.crmContacts,
    auth: { type: "api_key", header: "X-Api-Key", value: CRM_API_KEY },
    timeout_ms: 10_000,
    retry: { max_attempts: 10, initial_delay: 1, max_delay: 10 },
  });
  await admin.api("POST", "/v1/admin/subscriptions", {
    subscriber_id: subscriber.id,
    source_id: source.id,
    event_types: ["profile.updated"],
    steps: [{ destination_id: destination.id, transform: CRM_TRANSFORM }],
  });
  return { source, subscriber, destination, notifyPath: new URL(source.notify_url).pathname };
}
