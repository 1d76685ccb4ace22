import { z } from "@hono/zod-openapi";
import { oldestUndeliveredAt } from "../db/health";
import { readCounters, unhealthyDestinations } from "../db/stats";
import {
  buildOverview,
  COUNTERS,
  type Counter,
  type CounterOwner,
  HOUR_MS,
  type Percentiles,
  type Series,
  STATS_RANGES,
  type StatsRange,
  statsWindow,
} from "../domain/stats";
import { iso } from "../lib/time";
import { spec } from "./openapi";
import { newRouter, type Router } from "./router";

/** Destinations listed as failing or disabled: an overview, not a list to page through. */
const UNHEALTHY_LIMIT = 100;

const Slots = (description: string) => z.array(z.number().int()).openapi({ description });
const PercentileSeries = z
  .object({
    p50: z.array(z.number().nullable()),
    p99: z.array(z.number().nullable()),
  })
  .openapi({
    description:
      "per slot, from a log-scale histogram (10 ms to 112 s, buckets a factor 1.5 apart): the upper bound of the bucket the percentile falls in; null where no attempt was made",
  });

const countersShape = (owner: CounterOwner | null) =>
  Object.fromEntries(
    (Object.keys(COUNTERS) as Counter[])
      .filter((name) => owner === null || COUNTERS[name] === owner)
      .map((name) => [name, Slots(`${name.replace(/_/g, " ")}, one value a slot`)]),
  ) as Record<Counter, ReturnType<typeof Slots>>;

const ownerSchema = (owner: CounterOwner) => z.object({ id: z.string(), ...countersShape(owner) });

const Stats = z
  .object({
    range: z.enum(["24h", "30d"]),
    slot_seconds: z.number().int(),
    from: z.string(),
    to: z.string(),
    slots: z.array(z.string()).openapi({ description: "each slot's start (an hour, or a UTC day)" }),
    totals: z.object(countersShape(null)),
    latency_ms: PercentileSeries,
    sources: z.array(ownerSchema("source")),
    destinations: z.array(ownerSchema("destination").extend({ latency_ms: PercentileSeries })),
    subscribers: z.array(ownerSchema("subscriber")),
    targets: z.array(ownerSchema("target")),
    archives: z
      .object({ built: z.number().int(), delivered: z.number().int(), unconfirmed: z.number().int() })
      .openapi({ description: "over the whole range: archives built, their files sent, imports left unconfirmed" }),
    oldest_undelivered_age_s: z
      .number()
      .nullable()
      .openapi({ description: "age of the oldest event or delivery still owed, as GET /healthz reports it" }),
    unhealthy_destinations: z.array(
      z.object({
        id: z.string(),
        subscriber_id: z.string(),
        name: z.string(),
        url: z.string(),
        failing_since: z.string().nullable(),
        disabled_at: z.string().nullable(),
        disabled_reason: z.string().nullable(),
      }),
    ),
  })
  .openapi("Stats");

const StatsQuery = z.object({
  range: z
    .enum(Object.keys(STATS_RANGES) as [StatsRange, ...StatsRange[]])
    .default("24h")
    .openapi({ description: "24h: per hour for the last 24 hours; 30d: per UTC day for the last 30 days" }),
});

const sum = (values: readonly number[]) => values.reduce((total, n) => total + n, 0);

function owned(map: Map<string, Series>) {
  return [...map].map(([id, series]) => ({ id, ...series })).sort((a, b) => a.id.localeCompare(b.id));
}

export const stats: Router = newRouter().openapi(
  spec({
    method: "get",
    path: "/stats",
    tag: "operations",
    summary: "The overview: volumes, failures, latency and lag, from counters kept per hour",
    description:
      "Reads only the pre-aggregated hourly counters (written by each stage in the transaction it commits) and the destinations table, never the events or deliveries.",
    query: StatsQuery,
    response: Stats,
  }),
  async (c) => {
    const { range } = c.req.valid("query");
    const now = Date.now();
    const window = statsWindow(range, now);
    const [rows, oldest, unhealthy] = await Promise.all([
      readCounters(c.env.DB, window),
      oldestUndeliveredAt(c.env.DB),
      unhealthyDestinations(c.env.DB, UNHEALTHY_LIMIT),
    ]);
    const overview = buildOverview(window, rows);
    const slotMs = window.slotHours * HOUR_MS;
    const latencyOf = (id: string): Percentiles => overview.destinationLatency.get(id)!;
    return c.json(
      {
        range,
        slot_seconds: slotMs / 1000,
        from: iso(window.fromHour * HOUR_MS)!,
        to: iso(window.toHour * HOUR_MS)!,
        slots: Array.from({ length: window.slots }, (_, i) => iso(window.fromHour * HOUR_MS + i * slotMs)!),
        totals: overview.totals,
        latency_ms: overview.latency_ms,
        sources: owned(overview.owners.source),
        destinations: owned(overview.owners.destination).map((row) => ({ ...row, latency_ms: latencyOf(row.id) })),
        subscribers: owned(overview.owners.subscriber),
        targets: owned(overview.owners.target),
        archives: {
          built: sum(overview.totals.archives_built),
          delivered: sum(overview.totals.files_sent),
          unconfirmed: sum(overview.totals.files_unconfirmed),
        },
        oldest_undelivered_age_s: oldest == null ? null : Math.max(0, Math.round((now - oldest) / 1000)),
        unhealthy_destinations: unhealthy.map((row) => ({
          ...row,
          failing_since: iso(row.failing_since),
          disabled_at: iso(row.disabled_at),
        })),
      },
      200,
    );
  },
);
