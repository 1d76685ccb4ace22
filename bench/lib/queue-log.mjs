// Reads the relay's own output while it runs:
// - Miniflare's per-batch queue lines ("QUEUE syndic-deliver 50/50 (2698ms)"), so a figure can say how busy each
//   consumer was (locally one queue dispatches one batch at a time);
// - the relay's structured log lines, one per pipeline step (src/lib/log.ts:
//   {"at":…,"stage":…,"outcome":…,"duration_ms":…}), so a figure can show the rate each stage reached.
const LINE = /QUEUE (\S+) (\d+)\/(\d+) \((\d+)ms\)/;
const ANSI = /\u001b\[[0-9;]*m/g;

export function queueTap(sink) {
  const batches = [];
  const steps = [];
  let partial = "";
  return {
    batches,
    steps,
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
