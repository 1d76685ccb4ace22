import { describe, expect, it } from "vitest";
import {
  attemptCounters,
  bucketOfMetric,
  bucketUpperMs,
  buildOverview,
  fileAttemptCounters,
  foldCounters,
  HOUR_MS,
  hourOf,
  LATENCY_BUCKETS,
  latencyBucket,
  latencyMetric,
  percentileMs,
  slotIndex,
  statsWindow,
} from "../../src/domain/stats";

const T = Date.UTC(2026, 11, 2, 5, 30); // 05:30 UTC

describe("hours and windows", () => {
  it("an hour is whole hours since the epoch, UTC", () => {
    expect(hourOf(0)).toBe(0);
    expect(hourOf(HOUR_MS - 1)).toBe(0);
    expect(hourOf(HOUR_MS)).toBe(1);
    expect(hourOf(T)).toBe(Math.floor(Date.UTC(2026, 11, 2, 5) / HOUR_MS));
  });

  it("24h is 24 hourly slots ending with the current hour", () => {
    const window = statsWindow("24h", T);
    expect(window).toEqual({ fromHour: hourOf(T) - 23, toHour: hourOf(T) + 1, slotHours: 1, slots: 24 });
    expect(slotIndex(window, hourOf(T))).toBe(23);
  });

  it("30d is 30 UTC days ending with today", () => {
    const window = statsWindow("30d", T);
    const today = Date.UTC(2026, 11, 2) / HOUR_MS;
    expect(window).toEqual({ fromHour: today - 29 * 24, toHour: today + 24, slotHours: 24, slots: 30 });
    expect(slotIndex(window, today)).toBe(29);
    expect(slotIndex(window, today - 29 * 24)).toBe(0);
  });
});

describe("latency buckets", () => {
  it("are log-scale, 1.5 apart, from 10 ms; the last takes everything slower", () => {
    expect(latencyBucket(0)).toBe(0);
    expect(latencyBucket(9.9)).toBe(0);
    expect(latencyBucket(10)).toBe(1);
    expect(latencyBucket(14)).toBe(1);
    expect(latencyBucket(15)).toBe(2);
    expect(latencyBucket(120_000)).toBe(LATENCY_BUCKETS - 1);
    expect(latencyBucket(Number.NaN)).toBe(0);
    expect(bucketUpperMs(0)).toBe(10);
    expect(bucketUpperMs(LATENCY_BUCKETS - 1)).toBe(112_227);
  });

  it("every duration lies under its bucket's upper bound and above a 1.5th of it", () => {
    for (const ms of [1, 10, 11, 37, 250, 999, 4_321, 30_000, 100_000]) {
      const upper = bucketUpperMs(latencyBucket(ms));
      expect(upper).toBeGreaterThan(ms);
      if (ms >= 10) expect(upper / 1.5).toBeLessThanOrEqual(ms + 0.5);
    }
  });

  it("metric names round-trip and plain counters are not buckets", () => {
    expect(bucketOfMetric(latencyMetric(7))).toBe(7);
    expect(bucketOfMetric("deliveries_sent")).toBeNull();
  });

  it("percentiles read the bucket the rank falls in", () => {
    const counts = new Array(LATENCY_BUCKETS).fill(0);
    counts[3] = 98;
    counts[10] = 2;
    expect(percentileMs(counts, 0.5)).toBe(bucketUpperMs(3));
    expect(percentileMs(counts, 0.98)).toBe(bucketUpperMs(3));
    expect(percentileMs(counts, 0.99)).toBe(bucketUpperMs(10));
    expect(percentileMs(new Array(LATENCY_BUCKETS).fill(0), 0.5)).toBeNull();
  });
});

describe("folding a batch into counter rows", () => {
  it("adds up entries of the same hour, metric and key", () => {
    const rows = foldCounters([
      { at: T, metric: "events_received", key: "src_a" },
      { at: T + 60_000, metric: "events_received", key: "src_a", count: 4 },
      { at: T, metric: "events_received", key: "src_b" },
      { at: T + HOUR_MS, metric: "events_received", key: "src_a" },
    ]);
    expect(rows).toEqual([
      { hour: hourOf(T), metric: "events_received", key: "src_a", count: 5 },
      { hour: hourOf(T), metric: "events_received", key: "src_b", count: 1 },
      { hour: hourOf(T) + 1, metric: "events_received", key: "src_a", count: 1 },
    ]);
  });

  it("a push attempt counts its outcome and its latency bucket; held counts as failed", () => {
    const rows = attemptCounters([
      { destinationId: "dst_a", outcome: "sent", at: T, durationMs: 12 },
      { destinationId: "dst_a", outcome: "sent", at: T, durationMs: 13 },
      { destinationId: "dst_a", outcome: "retrying", at: T, durationMs: 400 },
      { destinationId: "dst_a", outcome: "held", at: T, durationMs: 400 },
      { destinationId: "dst_b", outcome: "dead", at: T, durationMs: 5 },
    ]);
    const hour = hourOf(T);
    expect(rows).toEqual([
      { hour, metric: "deliveries_sent", key: "dst_a", count: 2 },
      { hour, metric: latencyMetric(1), key: "dst_a", count: 2 },
      { hour, metric: "deliveries_failed", key: "dst_a", count: 2 },
      { hour, metric: latencyMetric(latencyBucket(400)), key: "dst_a", count: 2 },
      { hour, metric: "deliveries_dead", key: "dst_b", count: 1 },
      { hour, metric: latencyMetric(0), key: "dst_b", count: 1 },
    ]);
  });

  it("a file attempt counts its outcome per target", () => {
    expect(
      fileAttemptCounters([
        { targetId: "tgt_a", outcome: "sent", at: T },
        { targetId: "tgt_a", outcome: "retrying", at: T },
        { targetId: "tgt_a", outcome: "dead", at: T },
      ]).map((row) => [row.metric, row.count]),
    ).toEqual([
      ["files_sent", 1],
      ["files_failed", 1],
      ["files_dead", 1],
    ]);
  });
});

describe("the overview", () => {
  it("fills series per slot and per owner, and percentiles per destination", () => {
    const window = statsWindow("24h", T);
    const now = hourOf(T);
    const overview = buildOverview(window, [
      { slot: now, metric: "events_received", key: "src_a", count: 3 },
      { slot: now - 1, metric: "events_received", key: "src_a", count: 2 },
      { slot: now, metric: "deliveries_sent", key: "dst_a", count: 3 },
      { slot: now, metric: latencyMetric(2), key: "dst_a", count: 3 },
      { slot: now, metric: latencyMetric(9), key: "dst_b", count: 1 },
      { slot: now, metric: "files_unconfirmed", key: "tgt_a", count: 1 },
      { slot: now - 24, metric: "events_received", key: "src_a", count: 100 },
      { slot: now, metric: "no_such_counter", key: "x", count: 1 },
    ]);
    expect(overview.totals.events_received.slice(-2)).toEqual([2, 3]);
    expect(overview.totals.events_received.reduce((a, b) => a + b)).toBe(5);
    expect(overview.owners.source.get("src_a")).toEqual({ events_received: [...new Array(22).fill(0), 2, 3] });
    expect(overview.owners.destination.get("dst_a")?.deliveries_sent?.[23]).toBe(3);
    expect(overview.owners.destination.get("dst_b")?.deliveries_sent?.[23]).toBe(0);
    expect(overview.destinationLatency.get("dst_a")?.p99[23]).toBe(bucketUpperMs(2));
    expect(overview.destinationLatency.get("dst_a")?.p50[22]).toBeNull();
    expect(overview.latency_ms.p50[23]).toBe(bucketUpperMs(2));
    expect(overview.latency_ms.p99[23]).toBe(bucketUpperMs(9));
    expect(overview.owners.target.get("tgt_a")?.files_unconfirmed?.[23]).toBe(1);
    expect(overview.totals.deliveries_dead).toEqual(new Array(24).fill(0));
  });
});
