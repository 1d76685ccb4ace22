/**
 * The overview's counters: what each stage adds to `stats_hourly` as it commits, and how the admin stats endpoint
 * turns the stored hours back into series and percentiles. Pure: the SQL is in db/stats.ts.
 */

export const HOUR_MS = 3_600_000;

/** Every counter a stage writes, with the id it is kept per. */
export const COUNTERS = {
  events_received: "source",
  deliveries_sent: "destination",
  /** An attempt that failed and will be tried again (retrying, or held while its destination is disabled). */
  deliveries_failed: "destination",
  deliveries_dead: "destination",
  archives_built: "subscriber",
  files_sent: "target",
  files_failed: "target",
  files_dead: "target",
  files_confirmed: "target",
  files_unconfirmed: "target",
  files_import_failed: "target",
} as const;
export type Counter = keyof typeof COUNTERS;
export type CounterOwner = (typeof COUNTERS)[Counter];

/** One row of `stats_hourly`: `count` added to (hour, metric, key). */
export interface CounterRow {
  hour: number;
  metric: string;
  key: string;
  count: number;
}

/** The hour a timestamp falls in, as whole hours since the epoch (UTC): the counters' primary key. */
export function hourOf(ms: number): number {
  return Math.floor(ms / HOUR_MS);
}

/**
 * Delivery latency is kept as a histogram of fixed log-scale buckets: bucket 0 holds attempts under 10 ms, bucket b
 * (1 … 23) those in [10·1.5^(b−1), 10·1.5^b) ms, and the last also everything slower (10·1.5^23 ms is 112 s, past
 * any destination's timeout). A percentile read from it is the upper bound of the bucket its rank falls in: never
 * below the true value and at most 1.5 times it. Fixed buckets add up across attempts, hours and destinations,
 * which exact samples would not.
 */
export const LATENCY_BUCKETS = 24;
const BASE_MS = 10;
const RATIO = 1.5;

export function latencyBucket(durationMs: number): number {
  if (!(durationMs >= BASE_MS)) return 0;
  const bucket = Math.floor(Math.log(durationMs / BASE_MS) / Math.log(RATIO)) + 1;
  return Math.min(bucket, LATENCY_BUCKETS - 1);
}

/** The bucket's upper bound in whole milliseconds: what a percentile falling in it reads as. */
export function bucketUpperMs(bucket: number): number {
  return Math.round(BASE_MS * RATIO ** bucket);
}

/** A latency bucket's metric name: the histogram shares the counters' table, one row per bucket that has attempts. */
export function latencyMetric(bucket: number): string {
  return `latency:${bucket}`;
}

/** The bucket a metric name holds, or null for a plain counter. */
export function bucketOfMetric(metric: string): number | null {
  const match = /^latency:(\d+)$/.exec(metric);
  return match ? Number(match[1]) : null;
}

/** The value at quantile `q` (0 < q ≤ 1) of a histogram given as counts per bucket; null when it is empty. */
export function percentileMs(counts: readonly number[], q: number): number | null {
  const total = counts.reduce((sum, n) => sum + n, 0);
  if (!total) return null;
  const rank = Math.ceil(q * total);
  let seen = 0;
  for (let bucket = 0; bucket < counts.length; bucket++) {
    seen += counts[bucket];
    if (seen >= rank) return bucketUpperMs(bucket);
  }
  return bucketUpperMs(counts.length - 1);
}

/** Adds up entries that share an (hour, metric, key): a batch's outcomes become one row per counter it touches. */
export function foldCounters(
  entries: Iterable<{ at: number; metric: string; key: string; count?: number }>,
): CounterRow[] {
  const rows = new Map<string, CounterRow>();
  for (const entry of entries) {
    const hour = hourOf(entry.at);
    const id = `${hour}\u0000${entry.metric}\u0000${entry.key}`;
    const row = rows.get(id);
    if (row) row.count += entry.count ?? 1;
    else rows.set(id, { hour, metric: entry.metric, key: entry.key, count: entry.count ?? 1 });
  }
  return [...rows.values()];
}

/** One attempt at a push, as the deliver stages record it. */
export interface AttemptFact {
  destinationId: string;
  outcome: "sent" | "retrying" | "dead" | "held";
  at: number;
  durationMs: number;
}

const ATTEMPT_COUNTER: Record<AttemptFact["outcome"], Counter> = {
  sent: "deliveries_sent",
  retrying: "deliveries_failed",
  held: "deliveries_failed",
  dead: "deliveries_dead",
};

/** A batch of push attempts as counter rows: its outcome and its latency bucket, per destination and hour. */
export function attemptCounters(attempts: readonly AttemptFact[]): CounterRow[] {
  return foldCounters(
    attempts.flatMap((attempt) => [
      { at: attempt.at, metric: ATTEMPT_COUNTER[attempt.outcome], key: attempt.destinationId },
      { at: attempt.at, metric: latencyMetric(latencyBucket(attempt.durationMs)), key: attempt.destinationId },
    ]),
  );
}

/** One attempt at a file delivery, as the file stage records it. */
export interface FileAttemptFact {
  targetId: string;
  outcome: "sent" | "retrying" | "dead";
  at: number;
}

const FILE_COUNTER: Record<FileAttemptFact["outcome"], Counter> = {
  sent: "files_sent",
  retrying: "files_failed",
  dead: "files_dead",
};

export function fileAttemptCounters(attempts: readonly FileAttemptFact[]): CounterRow[] {
  return foldCounters(
    attempts.map((attempt) => ({ at: attempt.at, metric: FILE_COUNTER[attempt.outcome], key: attempt.targetId })),
  );
}

/** The overview's two ranges: 24 hourly slots, or 30 daily ones, ending with the slot that holds `now`. */
export const STATS_RANGES = {
  "24h": { slotHours: 1, slots: 24 },
  "30d": { slotHours: 24, slots: 30 },
} as const;
export type StatsRange = keyof typeof STATS_RANGES;

export interface StatsWindow {
  /** First hour read (inclusive) and the hour after the last. */
  fromHour: number;
  toHour: number;
  slotHours: number;
  slots: number;
}

export function statsWindow(range: StatsRange, now: number): StatsWindow {
  const { slotHours, slots } = STATS_RANGES[range];
  const toHour = (Math.floor(hourOf(now) / slotHours) + 1) * slotHours;
  return { fromHour: toHour - slots * slotHours, toHour, slotHours, slots };
}

/** A stored (already slot-aligned) row's place in the window's series. */
export function slotIndex(window: StatsWindow, hour: number): number {
  return Math.floor((hour - window.fromHour) / window.slotHours);
}

/** A stored counter summed over one slot of the window. */
export interface SlotCount {
  slot: number;
  metric: string;
  key: string;
  count: number;
}

export interface Percentiles {
  p50: Array<number | null>;
  p99: Array<number | null>;
}

export type Series = Partial<Record<Counter, number[]>>;

export interface Overview {
  totals: Record<Counter, number[]>;
  latency_ms: Percentiles;
  /** Per owner kind, per id: that owner's counters, one value a slot. Destinations also carry their latency. */
  owners: Record<CounterOwner, Map<string, Series>>;
  destinationLatency: Map<string, Percentiles>;
}

const COUNTER_NAMES = Object.keys(COUNTERS) as Counter[];
const countersOf = (owner: CounterOwner) => COUNTER_NAMES.filter((name) => COUNTERS[name] === owner);

function percentilesOf(histograms: number[][]): Percentiles {
  return { p50: histograms.map((h) => percentileMs(h, 0.5)), p99: histograms.map((h) => percentileMs(h, 0.99)) };
}

/** The window's rows as series a slot each, zero where nothing was counted, and percentiles from the histograms. */
export function buildOverview(window: StatsWindow, rows: readonly SlotCount[]): Overview {
  const zeros = () => new Array<number>(window.slots).fill(0);
  const histograms = () => Array.from({ length: window.slots }, () => new Array<number>(LATENCY_BUCKETS).fill(0));
  const totals = Object.fromEntries(COUNTER_NAMES.map((name) => [name, zeros()])) as Record<Counter, number[]>;
  const owners = { source: new Map(), destination: new Map(), subscriber: new Map(), target: new Map() } as Record<
    CounterOwner,
    Map<string, Series>
  >;
  const overall = histograms();
  const byDestination = new Map<string, number[][]>();
  const seriesOf = (owner: CounterOwner, key: string): Series => {
    let series = owners[owner].get(key);
    if (!series) {
      series = Object.fromEntries(countersOf(owner).map((name) => [name, zeros()]));
      owners[owner].set(key, series);
    }
    return series;
  };
  for (const row of rows) {
    const slot = slotIndex(window, row.slot);
    if (slot < 0 || slot >= window.slots) continue;
    const bucket = bucketOfMetric(row.metric);
    if (bucket !== null) {
      if (bucket >= LATENCY_BUCKETS) continue;
      overall[slot][bucket] += row.count;
      const histogram = byDestination.get(row.key) ?? histograms();
      byDestination.set(row.key, histogram);
      histogram[slot][bucket] += row.count;
      seriesOf("destination", row.key);
      continue;
    }
    if (!(row.metric in COUNTERS)) continue;
    const metric = row.metric as Counter;
    totals[metric][slot] += row.count;
    seriesOf(COUNTERS[metric], row.key)[metric]![slot] += row.count;
  }
  const destinationLatency = new Map<string, Percentiles>();
  for (const key of owners.destination.keys()) {
    destinationLatency.set(key, percentilesOf(byDestination.get(key) ?? histograms()));
  }
  return { totals, latency_ms: percentilesOf(overall), owners, destinationLatency };
}
