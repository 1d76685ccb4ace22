// Syndic's figures: single and batch publish against the ceiling Worker, and end-to-end deliveries to a loopback sink.
import { startSink } from "../../scripts/sink.mjs";
import { batchJson, closedLoop, eventJson, load } from "./load.mjs";
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
 * Figure 3: publish single events for `seconds` to a subscription whose destination is a loopback sink, then wait
 * (bounded, sweeping every ~10 s) until every accepted event arrived. Stage timings come from the deliveries' own
 * created_at (routed) and the sink's arrival times, read after the run so no probe loads the relay meanwhile.
 */
export async function endToEnd({ relayUrl, cron, connections, seconds, drainSeconds, log = () => {} }) {
  const sink = await startSink();
  try {
    const admin = adminClient(relayUrl);
    const source = await admin.createSource(`bench e2e ${Date.now()}`);
    const { subscriber } = await admin.subscribe(source.id, "bench e2e", sink.hook("e2e"));

    const acceptedIds = new Set();
    const arrivals = sink.requests("e2e");
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
      onResponse: (status, body) => {
        if (status !== 202) {
          rejected += 1;
          return;
        }
        const parsed = JSON.parse(body);
        accepted += parsed.accepted;
        for (const id of parsed.ids) acceptedIds.add(id);
      },
    });
    const publishEnded = Date.now();
    const arrivedAtPublishEnd = arrivals.length;
    log(
      `    published ${accepted} events in ${((publishEnded - started) / 1000).toFixed(1)} s; ${arrivedAtPublishEnd} arrived so far`,
    );

    const distinct = new Set();
    let seen = 0;
    let lastArrival = null;
    const collect = () => {
      for (; seen < arrivals.length; seen++) {
        const request = arrivals[seen];
        try {
          distinct.add(JSON.parse(request.body).id);
        } catch {}
        lastArrival = request.at;
      }
      return distinct.size;
    };
    const deadline = publishEnded + drainSeconds * 1000;
    let lastSweep = Date.now();
    let sweeps = 0;
    let lastReport = Date.now();
    while (collect() < acceptedIds.size && Date.now() < deadline) {
      await sleep(250);
      if (Date.now() - lastSweep >= 10_000) {
        lastSweep = Date.now();
        sweeps += 1;
        await cron(SWEEP_CRON).catch((error) => log(`    sweep failed: ${error.message}`));
      }
      if (Date.now() - lastReport >= 10_000) {
        lastReport = Date.now();
        log(`    … ${distinct.size}/${acceptedIds.size} arrived`);
      }
    }
    collect();
    const drained = distinct.size >= acceptedIds.size;
    const missing = [...acceptedIds].filter((id) => !distinct.has(id)).length;
    const foreign = [...distinct].filter((id) => !acceptedIds.has(id)).length;

    // Stage timings from the ledger, read once everything is over.
    const deliveries = await admin.allDeliveries(subscriber.id).catch((error) => {
      log(`    could not list deliveries: ${error.message}`);
      return [];
    });
    const created = deliveries.map((d) => Date.parse(d.created_at)).sort((a, b) => a - b);
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
    const arrivalTimes = arrivals.map((request) => request.at).sort((a, b) => a - b);
    const lastRouted = created.length ? created[created.length - 1] : null;
    const routedByPublishEnd = created.filter((at) => at <= publishEnded).length;
    const span = (end) => (end === null ? null : (end - started) / 1000);
    const rate = (count, end) => (end === null || end <= started ? null : count / ((end - started) / 1000));

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
      arrivedDistinct: distinct.size,
      duplicatesArrived: arrivals.length - distinct.size,
      missing,
      foreign,
      drained,
      sweeps,
      started,
      publishEnded,
      lastRouted,
      lastArrival,
      firstArrival: arrivalTimes[0] ?? null,
      deliveredPerSec: rate(distinct.size, lastArrival),
      stages: {
        publishPerSec: rate(accepted, publishEnded),
        routedPerSec: rate(created.length, lastRouted),
        deliveredPerSec: rate(distinct.size, lastArrival),
        routedDuringPublishPerSec: routedByPublishEnd / ((publishEnded - started) / 1000),
        deliveredDuringPublishPerSec: arrivedAtPublishEnd / ((publishEnded - started) / 1000),
        routedByPublishEnd,
        arrivedByPublishEnd: arrivedAtPublishEnd,
        publishSpanS: span(publishEnded),
        routeSpanS: span(lastRouted),
        deliverSpanS: span(lastArrival),
        routeLagP50Ms: quantile(routeLagMs, 0.5),
        routeLagP99Ms: quantile(routeLagMs, 0.99),
        arrivalLagP50Ms: quantile(arrivalLagMs, 0.5),
        arrivalLagP99Ms: quantile(arrivalLagMs, 0.99),
      },
      deliveries: { count: deliveries.length, statuses, retried, retrySamples },
    };
  } finally {
    await sink.close();
  }
}

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
