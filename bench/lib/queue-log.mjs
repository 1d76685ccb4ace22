// Reads the relay's own output while it runs:
// - Miniflare's per-batch queue lines ("QUEUE syndic-deliver 50/50 (2698ms)"), so a figure can say how busy each
//   consumer was (locally one queue dispatches one batch at a time);
// - the relay's structured log lines, one per pipeline step (src/lib/log.ts:
//   {"at":…,"stage":…,"outcome":…,"duration_ms":…}), so a figure can show the rate each stage reached;
// - among them one line per queue invocation (src/index.ts, src/lib/metered.ts: outcome "invocation", the queue
//   as stage, with messages, d1_calls, queue_ops, queue_messages, decrypts), so a figure can say what the
//   consumers paid per delivered event, queue by queue.
const LINE = /QUEUE (\S+) (\d+)\/(\d+) \((\d+)ms\)/;
const ANSI = /\u001b\[[0-9;]*m/g;

export function queueTap(sink) {
  const batches = [];
  const steps = [];
  const invocations = [];
  let partial = "";
  const tap = {
    batches,
    steps,
    invocations,
    /** When (bench clock) the last invocation line was read: queues still working show up here. */
    lastInvocationSeenAt: 0,
    write(chunk) {
      sink?.write(chunk);
      const text = partial + chunk.toString().replace(ANSI, "");
      const lines = text.split("\n");
      partial = lines.pop() ?? "";
      const at = Date.now();
      for (const line of lines) {
        const start = line.indexOf('{"at":"');
        if (start >= 0 && line.includes('"stage":"')) {
          try {
            const fields = JSON.parse(line.slice(start));
            const t = Date.parse(fields.at);
            if (Number.isFinite(t)) {
              steps.push({
                t,
                key: `${fields.stage}/${fields.outcome}`,
                // an ingest line stands for `accepted` events
                n: typeof fields.accepted === "number" ? fields.accepted : 1,
                ms: typeof fields.duration_ms === "number" ? fields.duration_ms : null,
              });
              if (fields.outcome === "invocation") {
                invocations.push({
                  t,
                  queue: fields.stage,
                  messages: fields.messages ?? 0,
                  d1Calls: fields.d1_calls ?? 0,
                  queueOps: fields.queue_ops ?? 0,
                  queueMessages: fields.queue_messages ?? 0,
                  decrypts: fields.decrypts ?? 0,
                  ms: fields.duration_ms ?? 0,
                });
                tap.lastInvocationSeenAt = at;
              }
            }
          } catch {}
          continue;
        }
        const match = LINE.exec(line);
        if (match) {
          batches.push({ queue: match[1], acked: +match[2], size: +match[3], ms: +match[4], at });
        }
      }
    },
    end() {
      sink?.end();
    },
  };
  return tap;
}

/** Per queue, for batches that finished in [from, to]: count, messages, busy time and its share of the window. */
export function queueSummary(batches, from, to) {
  const out = {};
  for (const batch of batches) {
    if (batch.at < from || batch.at > to) continue;
    const q = out[batch.queue] ?? { batches: 0, messages: 0, acked: 0, busyMs: 0 };
    q.batches += 1;
    q.messages += batch.size;
    q.acked += batch.acked;
    q.busyMs += batch.ms;
    out[batch.queue] = q;
  }
  for (const q of Object.values(out)) {
    q.busyShare = q.busyMs / Math.max(1, to - from);
    q.msPerMessage = q.messages ? q.busyMs / q.messages : null;
    q.avgBatch = q.batches ? q.messages / q.batches : null;
  }
  return out;
}

const METERED = ["messages", "d1Calls", "queueOps", "queueMessages", "decrypts", "ms"];

/**
 * The relay's invocation lines that ended in [from, to], summed per queue and over all queues (`all`): invocations,
 * messages, D1 calls, queue operations and messages sent, decrypts, busy ms (and its share of `from` → the last
 * line of any queue), first and last line (s after `from`). With `delivered`, also each count per 100 delivered events (`per100`).
 * Decrypts are an upper bound: the relay counts them per isolate, and invocations of two queues may overlap.
 */
export function meterSummary(invocations, { from, to, delivered = null }) {
  const empty = () => ({
    invocations: 0,
    ...Object.fromEntries(METERED.map((key) => [key, 0])),
    first: null,
    last: null,
  });
  const queues = {};
  const all = empty();
  for (const line of invocations) {
    if (line.t < from || line.t > to) continue;
    if (!queues[line.queue]) queues[line.queue] = empty();
    for (const sum of [queues[line.queue], all]) {
      sum.invocations += 1;
      for (const key of METERED) sum[key] += line[key];
      sum.first = sum.first === null ? line.t : Math.min(sum.first, line.t);
      sum.last = sum.last === null ? line.t : Math.max(sum.last, line.t);
    }
  }
  const finish = (sum) => ({
    ...sum,
    firstAtS: sum.first === null ? null : (sum.first - from) / 1000,
    lastAtS: sum.last === null ? null : (sum.last - from) / 1000,
    busyShare: sum.ms / Math.max(1, (all.last ?? to) - from),
    per100: delivered
      ? Object.fromEntries(
          ["d1Calls", "queueOps", "queueMessages", "decrypts"].map((key) => [key, (sum[key] * 100) / delivered]),
        )
      : null,
  });
  return {
    from,
    to,
    delivered,
    all: finish(all),
    queues: Object.fromEntries(Object.entries(queues).map(([queue, sum]) => [queue, finish(sum)])),
  };
}

const quantile = (sorted, q) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : null;

/**
 * The rate one stage reached, from the times (ms) it did its work, relative to a load that ran [from, loadEnd]:
 * how many; how many per second while the load ran; when it first and last worked (s after `from`); its active rate
 * (count ÷ first → last: how fast it went once it went); and its overall rate (count ÷ from → last).
 */
export function rateRow(times, { from, loadEnd }) {
  const sorted = [...times].sort((a, b) => a - b);
  const count = sorted.length;
  if (!count)
    return { count: 0, perSecDuringLoad: 0, firstAtS: null, lastAtS: null, activePerSec: null, perSecOverall: null };
  const first = sorted[0];
  const last = sorted[count - 1];
  const loadS = Math.max(0.001, (loadEnd - from) / 1000);
  return {
    count,
    perSecDuringLoad: sorted.filter((t) => t <= loadEnd).length / loadS,
    firstAtS: (first - from) / 1000,
    lastAtS: (last - from) / 1000,
    activePerSec: count > 1 ? count / Math.max(0.001, (last - first) / 1000) : null,
    perSecOverall: last > from ? count / ((last - from) / 1000) : null,
  };
}

/**
 * Per "stage/outcome" of the relay's log lines in [from, until]: the rateRow of its times (an ingest line counts for
 * the events it stored), plus its duration_ms p50/p99 when the line carries one.
 */
export function stageSummary(steps, { from, loadEnd, until = Number.POSITIVE_INFINITY }) {
  const times = {};
  const durations = {};
  for (const step of steps) {
    if (step.t < from || step.t > until) continue;
    if (!times[step.key]) times[step.key] = [];
    for (let i = 0; i < step.n; i++) times[step.key].push(step.t);
    if (step.ms === null) continue;
    if (!durations[step.key]) durations[step.key] = [];
    durations[step.key].push(step.ms);
  }
  const out = {};
  for (const [key, list] of Object.entries(times)) {
    const sorted = (durations[key] ?? []).sort((a, b) => a - b);
    out[key] = {
      ...rateRow(list, { from, loadEnd }),
      durationP50Ms: quantile(sorted, 0.5),
      durationP99Ms: quantile(sorted, 0.99),
    };
  }
  return out;
}

/**
 * Which stage limits a pipeline, from rows in pipeline order (`[[name, row], …]`): the earliest stage whose active
 * rate is within 10% of the slowest one's (a stage downstream of a slow one can only follow it).
 */
export function limitingStage(rows) {
  const rated = rows.filter(([, row]) => row && row.count > 1 && row.activePerSec);
  if (!rated.length) return null;
  const slowest = Math.min(...rated.map(([, row]) => row.activePerSec));
  const [name, row] = rated.find(([, r]) => r.activePerSec <= slowest * 1.1);
  return { name, activePerSec: row.activePerSec };
}
