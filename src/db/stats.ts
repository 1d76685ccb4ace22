import { type Counter, type CounterRow, hourOf, type StatsWindow } from "../domain/stats";

/**
 * The overview's counters (`stats_hourly`, migration 0018). Every write here is one statement that a stage adds to
 * the `DB.batch` it already commits, so a counter moves in the same transaction as the rows it counts, and lists
 * travel as one JSON parameter, so a batch of any size is one statement under D1's 100 bound parameters.
 */

const UPSERT = "ON CONFLICT (hour, metric, key) DO UPDATE SET count = count + excluded.count";

/** Rows a stage has already folded in JS (domain/stats.ts): none, or one statement. */
export function addCounters(db: D1Database, rows: readonly CounterRow[]): D1PreparedStatement[] {
  if (!rows.length) return [];
  return [
    db
      .prepare(
        `INSERT INTO stats_hourly (hour, metric, key, count)
         SELECT json_extract(value, '$.hour'), json_extract(value, '$.metric'), json_extract(value, '$.key'),
           json_extract(value, '$.count')
         FROM json_each(?1) WHERE true ${UPSERT}`,
      )
      .bind(JSON.stringify(rows)),
  ];
}

/**
 * Counts the rows a write is about to change, per key: `keysSql` selects a column `key` with the write's own
 * condition (and numbered parameters `params`). Placed before the write in the same batch, it counts exactly what
 * the write changes, however often the write is tried.
 */
export function countRowsStatement(
  db: D1Database,
  metric: Counter,
  at: number,
  keysSql: string,
  ...params: unknown[]
): D1PreparedStatement {
  const hourParam = params.length + 1;
  return db
    .prepare(
      `INSERT INTO stats_hourly (hour, metric, key, count)
       SELECT ?${hourParam}, ?${hourParam + 1}, key, count(*) FROM (${keysSql}) WHERE true GROUP BY key ${UPSERT}`,
    )
    .bind(...params, hourOf(at), metric);
}

/**
 * Counts the events the statement just before it in the batch inserted (`changes()`: an insert that skips stored
 * external ids, or that a stale guard refuses, counts only what it stored). It must follow that insert directly.
 * Exact however often a group is committed (a second commit stores nothing), and it reads no table at all: a
 * pre-insert count of the external ids not stored yet (the other way) cost from a third to all of the insert itself.
 */
export function countInsertedEvents(db: D1Database, sourceId: string, at: number): D1PreparedStatement {
  const metric: Counter = "events_received";
  return db
    .prepare(
      `INSERT INTO stats_hourly (hour, metric, key, count) SELECT ?1, ?2, ?3, changes() WHERE changes() > 0 ${UPSERT}`,
    )
    .bind(hourOf(at), metric, sourceId);
}

export interface StoredCounter {
  /** The first hour of the slot the count falls in. */
  slot: number;
  metric: string;
  key: string;
  count: number;
}

/** The window's counters summed per slot (an hour, or a day of 24): a range search on the primary key. */
export const STATS_READ_SQL = `SELECT (hour - ?1) / ?3 * ?3 + ?1 AS slot, metric, key, sum(count) AS count
  FROM stats_hourly WHERE hour >= ?1 AND hour < ?2 GROUP BY slot, metric, key`;

export async function readCounters(db: D1Database, window: StatsWindow): Promise<StoredCounter[]> {
  const { results } = await db
    .prepare(STATS_READ_SQL)
    .bind(window.fromHour, window.toHour, window.slotHours)
    .all<StoredCounter>();
  return results;
}

export interface UnhealthyDestination {
  id: string;
  subscriber_id: string;
  name: string;
  url: string;
  failing_since: number | null;
  disabled_at: number | null;
  disabled_reason: string | null;
}

/** Destinations in a failure streak or disabled, the longest-troubled first (destinations is a small table). */
export async function unhealthyDestinations(db: D1Database, limit: number): Promise<UnhealthyDestination[]> {
  const { results } = await db
    .prepare(
      `SELECT id, subscriber_id, name, url, failing_since, disabled_at, disabled_reason FROM destinations
       WHERE failing_since IS NOT NULL OR disabled_at IS NOT NULL
       ORDER BY coalesce(disabled_at, failing_since), id LIMIT ?1`,
    )
    .bind(limit)
    .all<UnhealthyDestination>();
  return results;
}

/** Drops the counters of hours before `beforeHour`; returns how many rows went. */
export async function deleteCountersBefore(db: D1Database, beforeHour: number): Promise<number> {
  const result = await db.prepare("DELETE FROM stats_hourly WHERE hour < ?1").bind(beforeHour).run();
  return result.meta.changes ?? 0;
}
