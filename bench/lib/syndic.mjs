// Syndic's figures: single and batch publish against the ceiling Worker, and end-to-end deliveries to a loopback sink.
import { startSink } from "../../scripts/sink.mjs";
import { batchJson, closedLoop, eventJson, load, sendRequests } from "./load.mjs";
import { sleep } from "./procs.mjs";

export const ADMIN_TOKEN = "dev-admin-token";
export const SWEEP_CRON = "*/2 * * * *";

export function adminClient(baseUrl) {
  async function api(method, path, body) {
    const res = await fetch(`${baseUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${ADMIN_TOKEN}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    const parsed = text ? JSON.parse(text) : null;
    if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${text.slice(0, 500)}`);
    return parsed;
  }
  return {
    api,
    createSource: (name) => api("POST", "/v1/admin/sources", { name }),
    /** A subscriber with one destination at `url`, subscribed to every event of `sourceId`. */
    async subscribe(sourceId, name, url) {
      const subscriber = await api("POST", "/v1/admin/subscribers", { name });
      const destination = await api("POST", `/v1/admin/subscribers/${subscriber.id}/destinations`, {
        name,
        url,
        timeout_ms: 10_000,
        retry: { max_attempts: 10, initial_delay: 1, max_delay: 10 },
      });
      const subscription = await api("POST", "/v1/admin/subscriptions", {
        subscriber_id: subscriber.id,
        source_id: sourceId,
        event_types: ["*"],
        steps: [{ destination_id: destination.id }],
      });
      return { subscriber, destination, subscription };
    },
    /** Every delivery of a subscriber, newest first, paged through the public admin API. */
    async allDeliveries(subscriberId) {
      const out = [];
      let cursor = null;
      do {
        const page = await api(
          "GET",
          `/v1/admin/deliveries?subscriber_id=${subscriberId}&limit=100${cursor ? `&cursor=${cursor}` : ""}`,
        );
        out.push(...page.data);
        cursor = page.next_cursor;
      } while (cursor);
      return out;
    },
  };
}

/**
 * Figures 1 and 2: `size` events per request (1 → one CloudEvent, else an array), the same bodies for Syndic's
 * POST /v1/events (with `apiKey`) and the ceiling's /d1-one and /d1-batch.
 */
export function publishLoad({ url, path, apiKey, size, connections, seconds }) {
  return load({
    url,
    path,
    headers: apiKey ? { authorization: `Bearer ${apiKey}` } : {},
    body: size === 1 ? eventJson : () => batchJson(size),
    connections,
    seconds,
  });
}

function quantile(sorted, q) {
  if (!sorted.length) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

/**
 * The end-to-end figures' subscriber: a source whose every event goes to mailbox `name` of a loopback sink (in this
 * process). `arrivals` is the mailbox's request list, in order; close() stops the sink.
 */
export async function sinkFixture(relayUrl, name) {
  const sink = await startSink();
  try {
    const admin = adminClient(relayUrl);
    const source = await admin.createSource(`bench ${name} ${Date.now()}`);
    const { subscriber } = await admin.subscribe(source.id, `bench ${name}`, sink.hook(name));
    return {
      admin,
      source,
      subscriber,
      arrivals: sink.requests(name),
      ledger: arrivalLedger(sink.requests(name)),
      close: () => sink.close(),
    };
  } catch (error) {
    await sink.close();
    throw error;
  }
}

/**
 * What has arrived at a mailbox so far, by event id (the CloudEvent's `id`, which is Syndic's event id): first
 * arrival time and how many times. `update()` reads the requests that came in since the last call.
 */
function arrivalLedger(arrivals) {
  const first = new Map();
  const times = new Map();
  let seen = 0;
  return {
    first,
    times,
    update() {
      for (; seen < arrivals.length; seen++) {
        const request = arrivals[seen];
        let id;
        try {
          id = JSON.parse(request.body).id;
        } catch {
          id = `webhook-id:${request.headers["webhook-id"]}`;
        }
        if (!first.has(id)) first.set(id, request.at);
        times.set(id, (times.get(id) ?? 0) + 1);
      }
    },
    /** How many of `ids` have arrived. */
    countOf(ids) {
      this.update();
      let n = 0;
      for (const id of ids) if (first.has(id)) n += 1;
      return n;
    },
  };
}

/**
 * Waits (≤ `drainSeconds` after now) until every id of `ids` has arrived, running the sweeper cron every 10 s as
 * production would every 2 minutes, and logging progress every 10 s.
 */
async function drain({ ledger, ids, drainSeconds, cron, log }) {
  const deadline = Date.now() + drainSeconds * 1000;
  let lastSweep = Date.now();
  let lastReport = Date.now();
  let sweeps = 0;
  let arrived = ledger.countOf(ids);
  while (arrived < ids.size && Date.now() < deadline) {
    await sleep(250);
    if (Date.now() - lastSweep >= 10_000) {
      lastSweep = Date.now();
      sweeps += 1;
      await cron(SWEEP_CRON).catch((error) => log(`    sweep failed: ${error.message}`));
    }
    if (Date.now() - lastReport >= 10_000) {
      lastReport = Date.now();
      log(`    … ${arrived}/${ids.size} arrived`);
    }
    arrived = ledger.countOf(ids);
  }
  return { sweeps, drained: arrived >= ids.size };
}

/**
 * The arrivals of one set of accepted events (`accepted`: id → when its publish request was answered 202):
 * distinct arrived, missing, duplicates (arrivals beyond the first per id), first/last arrival, how many arrived by
 * `loadEnd`, the 202 → arrival latency per event, and the longest pause between two consecutive first arrivals
 * (a stall shows there).
 */
function arrivalsOf(ledger, accepted, { started, loadEnd }) {
  ledger.update();
  const arrivedAt = [];
  const latency = [];
  let duplicates = 0;
  for (const [id, answeredAt] of accepted) {
    const at = ledger.first.get(id);
    if (at === undefined) continue;
    arrivedAt.push(at);
    latency.push(at - answeredAt);
    duplicates += ledger.times.get(id) - 1;
  }
  arrivedAt.sort((a, b) => a - b);
  latency.sort((a, b) => a - b);
  let pause = { ms: 0, afterS: null };
  for (let i = 1; i < arrivedAt.length; i++) {
    const gap = arrivedAt[i] - arrivedAt[i - 1];
    if (gap > pause.ms) pause = { ms: gap, afterS: (arrivedAt[i - 1] - started) / 1000 };
  }
  const firstArrival = arrivedAt[0] ?? null;
  const lastArrival = arrivedAt[arrivedAt.length - 1] ?? null;
  return {
    accepted: accepted.size,
    arrivedDistinct: arrivedAt.length,
    missing: accepted.size - arrivedAt.length,
    duplicates,
    firstArrival,
    lastArrival,
    arrivedByLoadEnd: arrivedAt.filter((at) => at <= loadEnd).length,
    deliveredPerSec: lastArrival && lastArrival > started ? arrivedAt.length / ((lastArrival - started) / 1000) : null,
    latencyMs: {
      p50: quantile(latency, 0.5),
      p90: quantile(latency, 0.9),
      p99: quantile(latency, 0.99),
      max: latency[latency.length - 1] ?? null,
    },
    longestPause: pause,
  };
}

/** The ledger's view of the deliveries of `ids` (the public admin API, read after the run): statuses, retries. */
async function ledgerOf(admin, subscriberId, ids, log) {
  const deliveries = (
    await admin.allDeliveries(subscriberId).catch((error) => {
      log(`    could not list deliveries: ${error.message}`);
      return [];
    })
  ).filter((delivery) => !ids || ids.has(delivery.event_id));
  const statuses = {};
  let retried = 0;
  for (const delivery of deliveries) {
    statuses[delivery.status] = (statuses[delivery.status] ?? 0) + 1;
    if (delivery.attempts > 1) retried += 1;
  }
  // Why a delivery needed more than one attempt: the first failed attempts of a few of them.
  const retrySamples = [];
  for (const delivery of deliveries.filter((d) => d.attempts > 1).slice(0, 3)) {
    const detail = await admin.api("GET", `/v1/admin/deliveries/${delivery.id}`).catch(() => null);
    const failed = detail?.attempts?.find((attempt) => attempt.error);
    if (failed) retrySamples.push(`${failed.status_code ?? "-"} ${failed.error} (${failed.duration_ms} ms)`);
  }
  return { list: deliveries, summary: { count: deliveries.length, statuses, retried, retrySamples } };
}

/**
 * Figure 3: publish single events for `seconds` to a subscription whose destination is a loopback sink, then wait
 * (bounded, sweeping every ~10 s) until every accepted event arrived. Stage timings come from the deliveries' own
 * created_at (routed) and the sink's arrival times, read after the run so no probe loads the relay meanwhile.
 */
export async function endToEnd({
  relayUrl,
  cron,
  connections,
  seconds,
  drainSeconds,
  settled = async () => Date.now(),
  log = () => {},
}) {
  const fixture = await sinkFixture(relayUrl, "e2e");
  try {
    const { admin, source, subscriber, arrivals, ledger } = fixture;
    const acceptedAt = new Map();
    let accepted = 0;
    let rejected = 0;
    const started = Date.now();
    const publish = await closedLoop({
      url: relayUrl,
      path: "/v1/events",
      headers: { authorization: `Bearer ${source.api_key}` },
      body: eventJson,
      connections,
      seconds,
      onResponse: (status, body, _meta, answeredAt) => {
        if (status !== 202) {
          rejected += 1;
          return;
        }
        const parsed = JSON.parse(body);
        accepted += parsed.accepted;
        for (const id of parsed.ids) acceptedAt.set(id, answeredAt);
      },
    });
    const publishEnded = Date.now();
    const acceptedIds = new Set(acceptedAt.keys());
    const arrivedAtPublishEnd = arrivals.length;
    log(
      `    published ${accepted} events in ${((publishEnded - started) / 1000).toFixed(1)} s; ${arrivedAtPublishEnd} arrived so far`,
    );
    const { sweeps, drained } = await drain({ ledger, ids: acceptedIds, drainSeconds, cron, log });
    const quietAt = await settled();
    const seen = arrivalsOf(ledger, acceptedAt, { started, loadEnd: publishEnded });
    const foreign = [...ledger.first.keys()].filter((id) => !acceptedIds.has(id)).length;

    // Stage timings from the ledger, read once everything is over.
    const { list: deliveries, summary } = await ledgerOf(admin, subscriber.id, null, log);
    const created = deliveries.map((d) => Date.parse(d.created_at)).sort((a, b) => a - b);
    const lastRouted = created.length ? created[created.length - 1] : null;
    const routedByPublishEnd = created.filter((at) => at <= publishEnded).length;
    const span = (end) => (end === null ? null : (end - started) / 1000);
    const rate = (count, end) => (end === null || end <= started ? null : count / ((end - started) / 1000));
    const publishS = (publishEnded - started) / 1000;

    // Event ids carry their receipt time (src/lib/ids.ts): route lag = delivery created − receipt, arrival lag =
    // the sink's arrival − receipt.
    const routeLagMs = deliveries
      .map((d) => Date.parse(d.created_at) - idTime(d.event_id))
      .filter(Number.isFinite)
      .sort((a, b) => a - b);
    const arrivalLagMs = arrivals
      .map((request) => {
        try {
          return request.at - idTime(JSON.parse(request.body).id);
        } catch {
          return Number.NaN;
        }
      })
      .filter(Number.isFinite)
      .sort((a, b) => a - b);

    return {
      seconds,
      connections,
      publish,
      accepted,
      acceptedIds: acceptedIds.size,
      rejected,
      arrived: arrivals.length,
      arrivedDistinct: seen.arrivedDistinct,
      duplicatesArrived: seen.duplicates,
      missing: seen.missing,
      foreign,
      drained,
      sweeps,
      started,
      publishEnded,
      quietAt,
      lastRouted,
      lastArrival: seen.lastArrival,
      firstArrival: seen.firstArrival,
      deliveredPerSec: seen.deliveredPerSec,
      /** distinct accepted events that arrived while the publish load ran */
      arrivedDuringLoad: seen.arrivedByLoadEnd,
      latencyMs: seen.latencyMs,
      longestPause: seen.longestPause,
      stages: {
        publishPerSec: rate(accepted, publishEnded),
        routedPerSec: rate(created.length, lastRouted),
        deliveredPerSec: seen.deliveredPerSec,
        routedDuringPublishPerSec: routedByPublishEnd / publishS,
        deliveredDuringPublishPerSec: seen.arrivedByLoadEnd / publishS,
        routedByPublishEnd,
        arrivedByPublishEnd: arrivedAtPublishEnd,
        publishSpanS: span(publishEnded),
        routeSpanS: span(lastRouted),
        deliverSpanS: span(seen.lastArrival),
        routeLagP50Ms: quantile(routeLagMs, 0.5),
        routeLagP99Ms: quantile(routeLagMs, 0.99),
        arrivalLagP50Ms: quantile(arrivalLagMs, 0.5),
        arrivalLagP99Ms: quantile(arrivalLagMs, 0.99),
      },
      deliveries: summary,
    };
  } finally {
    await fixture.close();
  }
}

/**
 * Publishes `events` events to the fixture's source in requests of `batch`, at most `inFlight` open at once, back
 * to back or (with `eventsPerSec`) paced at that rate, then waits for them at the sink. The burst (issue 9),
 * the sustained run and their warm-up are this, with different arguments.
 *
 * delivered/s = distinct accepted events arrived ÷ (first publish sent → last arrival); latency per event = its
 * first arrival − when its publish request was answered 202. `settled()` is awaited once all arrived (or the drain
 * gave up) and before the ledger is read, so the deliveries' own records have landed; it returns when that was.
 */
export async function publishAndDeliver({
  fixture,
  relayUrl,
  events,
  batch,
  inFlight,
  eventsPerSec = null,
  cron,
  drainSeconds,
  withLedger = true,
  settled = async () => Date.now(),
  log = () => {},
}) {
  const { admin, source, subscriber, ledger } = fixture;
  const requests = Math.ceil(events / batch);
  const sizeOf = (index) => Math.min(batch, events - index * batch);
  const acceptedAt = new Map();
  let rejected = 0;
  const publish = await sendRequests({
    url: relayUrl,
    path: "/v1/events",
    headers: { authorization: `Bearer ${source.api_key}` },
    body: (index) => ({ payload: batchJson(sizeOf(index)), meta: sizeOf(index) }),
    count: requests,
    inFlight,
    intervalMs: eventsPerSec ? (batch / eventsPerSec) * 1000 : 0,
    onResponse: (status, text, size, answeredAt) => {
      if (status !== 202) {
        rejected += size;
        return;
      }
      for (const id of JSON.parse(text).ids) acceptedAt.set(id, answeredAt);
    },
  });
  const { started, ended: publishEnded } = publish;
  const ids = new Set(acceptedAt.keys());
  log(
    `    published ${fmtInt(ids.size)} events in ${fmtInt(requests)} requests in ${((publishEnded - started) / 1000).toFixed(1)} s${rejected ? ` (${fmtInt(rejected)} refused)` : ""}; ${fmtInt(ledger.countOf(ids))} arrived so far`,
  );
  const { sweeps, drained } = await drain({ ledger, ids, drainSeconds, cron, log });
  const drainEnded = Date.now();
  // After the queues went quiet, so a duplicate that came late is counted too.
  const quietAt = await settled();
  const seen = arrivalsOf(ledger, acceptedAt, { started, loadEnd: publishEnded });
  const deliveries = withLedger ? (await ledgerOf(admin, subscriber.id, ids, log)).summary : null;
  return {
    events,
    batch,
    inFlight,
    eventsPerSec,
    requests,
    publish,
    rejected,
    started,
    publishEnded,
    drainEnded,
    quietAt,
    drained,
    sweeps,
    publishPerSec: ids.size / Math.max(0.001, (publishEnded - started) / 1000),
    ...seen,
    deliveries,
  };
}

const fmtInt = (n) => Number(n).toLocaleString("en-US");

/** Syndic ids start with 10 Crockford base32 characters of millisecond time (src/lib/ids.ts). */
const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";
function idTime(id) {
  const time = String(id).split("_")[1]?.slice(0, 10);
  if (time?.length !== 10) return Number.NaN;
  let t = 0;
  for (const char of time) {
    const digit = ALPHABET.indexOf(char);
    if (digit < 0) return Number.NaN;
    t = t * 32 + digit;
  }
  return t;
}
