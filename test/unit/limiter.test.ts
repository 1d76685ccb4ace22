import { describe, expect, it } from "vitest";
import { runBounded } from "../../src/engine/limiter";

/** A task that resolves when the test says so, recording how many ran at once overall and per key. */
function tracker() {
  let active = 0;
  const perKey = new Map<string, number>();
  const peaks = { total: 0, perKey: 0 };
  const release: Array<() => void> = [];
  const act = async (item: { key: string; n: number }) => {
    active += 1;
    perKey.set(item.key, (perKey.get(item.key) ?? 0) + 1);
    peaks.total = Math.max(peaks.total, active);
    peaks.perKey = Math.max(peaks.perKey, perKey.get(item.key)!);
    await new Promise<void>((resolve) => release.push(resolve));
    active -= 1;
    perKey.set(item.key, perKey.get(item.key)! - 1);
    return item.n * 10;
  };
  return { act, peaks, release };
}

describe("runBounded", () => {
  it("keeps to the total and per-key bounds and returns results in item order", async () => {
    const items = Array.from({ length: 30 }, (_, n) => ({ key: n % 3 === 0 ? "slow-crm" : `crm-${n % 5}`, n }));
    const t = tracker();
    const done = runBounded(items, { total: 6, perKey: 2, keyOf: (item) => item.key }, t.act);
    // Release one task at a time until everything has run.
    for (let released = 0; released < items.length; released++) {
      for (let spins = 0; !t.release.length && spins < 1000; spins++) await Promise.resolve();
      t.release.shift()!();
    }
    expect(await done).toEqual(items.map((item) => item.n * 10));
    expect(t.peaks.total).toBeLessThanOrEqual(6);
    expect(t.peaks.total).toBeGreaterThan(2);
    expect(t.peaks.perKey).toBeLessThanOrEqual(2);
  });

  it("handles nothing to do, and passes a thrown error on", async () => {
    expect(await runBounded([], { total: 2, perKey: 1, keyOf: () => "k" }, async () => 1)).toEqual([]);
    await expect(
      runBounded([1, 2], { total: 2, perKey: 2, keyOf: () => "k" }, async (n) => {
        if (n === 2) throw new Error("boom");
        return n;
      }),
    ).rejects.toThrow("boom");
  });
});
