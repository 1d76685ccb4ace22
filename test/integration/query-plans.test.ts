import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { LEASED, leaseClaimSql } from "../../src/db/lost-work";
import { STATS_READ_SQL } from "../../src/db/stats";

/**
 * A batch claim must look each named row up by its key. If the planner takes the status index instead, it walks every
 * owed row of the table once per claim: correct results, but 570 ms per 100 claims behind a 20,000-row backlog (the
 * bench's burst). The result tests cannot see that, so the plan is checked here, on the runtime's own SQLite.
 */
async function planOf(sql: string): Promise<string[]> {
  const { results } = await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`).bind("[]", 0).all<{ detail: string }>();
  return results.map((row) => row.detail);
}

describe("batch claims use the key, not the status index", () => {
  for (const [name, leased] of Object.entries(LEASED)) {
    it(`${name}: json_each drives, the table is searched by ${leased.key}`, async () => {
      const plan = await planOf(leaseClaimSql(leased));
      expect(plan[0]).toMatch(/^SCAN j VIRTUAL TABLE/);
      expect(plan[1]).toMatch(
        new RegExp(`^SEARCH ${leased.table} USING (INDEX sqlite_autoindex_\\w+|PRIMARY KEY) \\(${leased.key}=\\?\\)`),
      );
      expect(plan.join("\n")).not.toMatch(/_by_status|_due/);
    });
  }
});

describe("the overview's counters are read by key", () => {
  it("the stats read is a range search on stats_hourly's primary key", async () => {
    const { results } = await env.DB.prepare(`EXPLAIN QUERY PLAN ${STATS_READ_SQL}`)
      .bind(0, 24, 1)
      .all<{ detail: string }>();
    const plan = results.map((row) => row.detail).join("\n");
    expect(plan).toMatch(/SEARCH stats_hourly USING PRIMARY KEY \(hour>\? AND hour<\?\)/);
    expect(plan).not.toMatch(/SCAN stats_hourly/);
  });
});
