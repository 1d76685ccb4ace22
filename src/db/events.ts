import type { StoredArchiveSettings } from "../domain/archive-settings";
import { countInsertedEvents } from "./stats";
import { type StoredSubscription, type SubscriptionRow, subscriptionFromStored } from "./subscriptions";
import { chunk, decodeCursor, MAX_PARAMS, type Page, placeholders, toPage } from "./util";

export interface EventRow {
  id: string;
  source_id: string;
  external_id: string;
  type: string;
  subject: string | null;
  time: string;
  received_at: number;
  body: string | null;
  body_key: string | null;
  routed_at: number | null;
  route_error: string | null;
}

const INSERT_COLUMNS = [
  "id",
  "source_id",
  "external_id",
  "type",
  "subject",
  "time",
  "received_at",
  "body",
  "body_key",
] as const;
export type NewEvent = Pick<EventRow, (typeof INSERT_COLUMNS)[number]>;

/** A publish request's rows (or a notify's, a sync page's), committed with others in one transaction. */
export interface EventGroup {
  sourceId: string;
  /**
   * For a source served from an isolate's cache: the rows go in only if the source still has this key (or notify
   * token) hash and this version, so a revoked key or a changed rule stops working at once. Null for callers that
   * read the source from D1 just now (queue stages).
   */
  guard: { column: "api_key_hash" | "notify_token_hash"; hash: string; version: number } | null;
  rows: NewEvent[];
}

export interface StoredGroup {
  /** False when the guard refused: nothing of the group was stored. */
  accepted: boolean;
  /** The id stored for each external id: the new row's, or the one stored the first time (a duplicate). */
  stored: Map<string, string>;
}

/** Rows travel as JSON in one bound value each; D1 takes up to 2 MB a value, chunks stay well under that. */
const CHUNK_BYTES = 512 * 1024;

function chunksBySize(rows: NewEvent[]): NewEvent[][] {
  const chunks: NewEvent[][] = [];
  let current: NewEvent[] = [];
  let size = 0;
  for (const row of rows) {
    const rowSize = (row.body?.length ?? 0) + 512;
    if (current.length && size + rowSize > CHUNK_BYTES) {
      chunks.push(current);
      current = [];
      size = 0;
    }
    current.push(row);
    size += rowSize;
  }
  if (current.length) chunks.push(current);
  return chunks;
}

const VALUES = INSERT_COLUMNS.map((column) => `json_extract(value, '$.${column}')`).join(", ");

/**
 * The statements that insert every group's events (skipping (source, external id) pairs already stored) and read
 * back the id stored for each external id, and how to read the answers: for a caller that writes more in the same
 * transaction (the origin-fetch stage settles its notifications with them).
 */
export function eventGroupStatements(
  db: D1Database,
  groups: readonly EventGroup[],
): { statements: D1PreparedStatement[]; read(results: readonly D1Result<unknown>[]): StoredGroup[] } {
  const statements: D1PreparedStatement[] = [];
  const layout: Array<{ guard: number | null; readBack: number }> = [];
  for (const group of groups) {
    const guard = group.guard;
    const allowed = guard
      ? `EXISTS (SELECT 1 FROM sources WHERE id = ?2 AND ${guard.column} = ?3 AND version = ?4)`
      : "?2 IS NOT NULL";
    const guardParams = guard ? [group.sourceId, guard.hash, guard.version] : [group.sourceId];
    let guardAt: number | null = null;
    if (guard) {
      guardAt = statements.length;
      statements.push(
        db
          .prepare(`SELECT count(*) AS n FROM sources WHERE id = ?1 AND ${guard.column} = ?2 AND version = ?3`)
          .bind(group.sourceId, guard.hash, guard.version),
      );
    }
    for (const rows of chunksBySize(group.rows)) {
      statements.push(
        db
          .prepare(
            `INSERT INTO events (${INSERT_COLUMNS.join(", ")}) SELECT ${VALUES} FROM json_each(?1) WHERE ${allowed}
             ON CONFLICT (source_id, external_id) DO NOTHING`,
          )
          .bind(JSON.stringify(rows), ...guardParams),
        countInsertedEvents(db, group.sourceId, rows[0].received_at),
      );
    }
    layout.push({ guard: guardAt, readBack: statements.length });
    statements.push(
      db
        .prepare(
          "SELECT id, external_id FROM events WHERE source_id = ?1 AND external_id IN (SELECT value FROM json_each(?2))",
        )
        .bind(group.sourceId, JSON.stringify([...new Set(group.rows.map((row) => row.external_id))])),
    );
  }
  const read = (results: readonly D1Result<unknown>[]) =>
    layout.map(({ guard, readBack }) => {
      const accepted = guard === null || ((results[guard].results[0] as { n: number } | undefined)?.n ?? 0) > 0;
      const stored = new Map<string, string>();
      if (accepted) {
        for (const row of results[readBack].results as Array<{ id: string; external_id: string }>) {
          stored.set(row.external_id, row.id);
        }
      }
      return { accepted, stored };
    });
  return { statements, read };
}

/** Every group's events in one transaction (one D1 call), so the answers and the rows agree. */
export async function commitEventGroups(db: D1Database, groups: readonly EventGroup[]): Promise<StoredGroup[]> {
  const { statements, read } = eventGroupStatements(db, groups);
  return read(await db.batch(statements));
}

export async function getEventsByIds(db: D1Database, ids: string[]): Promise<EventRow[]> {
  const out: EventRow[] = [];
  for (const group of chunk(ids, MAX_PARAMS)) {
    const { results } = await db
      .prepare(`SELECT * FROM events WHERE id IN (${placeholders(group.length)})`)
      .bind(...group)
      .all<EventRow>();
    out.push(...results);
  }
  return out;
}

export function getEvent(db: D1Database, id: string): Promise<EventRow | null> {
  return db.prepare("SELECT * FROM events WHERE id = ?").bind(id).first<EventRow>();
}

export function markRouted(db: D1Database, ids: string[], now: number): D1PreparedStatement[] {
  return chunk(ids, MAX_PARAMS - 1).map((group) =>
    db.prepare(`UPDATE events SET routed_at = ? WHERE id IN (${placeholders(group.length)})`).bind(now, ...group),
  );
}

/** Which of these events are still waiting to be routed. */
export async function unroutedAmong(db: D1Database, ids: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const group of chunk(ids, MAX_PARAMS)) {
    const { results } = await db
      .prepare(`SELECT id FROM events WHERE id IN (${placeholders(group.length)}) AND routed_at IS NULL ORDER BY id`)
      .bind(...group)
      .all<{ id: string }>();
    out.push(...results.map((row) => row.id));
  }
  return out;
}

export async function markRouteFailed(db: D1Database, ids: string[], error: string, now: number): Promise<void> {
  await db.batch(
    chunk(ids, MAX_PARAMS - 2).map((group) =>
      db
        .prepare(
          `UPDATE events SET routed_at = ?, route_error = ? WHERE id IN (${placeholders(group.length)}) AND routed_at IS NULL`,
        )
        .bind(now, error, ...group),
    ),
  );
}

export interface EventFilters {
  source_id?: string;
  type?: string;
  from?: number;
  to?: number;
  event_types?: string[];
}

function eventWhere(filters: EventFilters): { where: string[]; params: unknown[] } {
  const where: string[] = [];
  const params: unknown[] = [];
  if (filters.source_id) {
    where.push("source_id = ?");
    params.push(filters.source_id);
  }
  if (filters.type) {
    where.push("type = ?");
    params.push(filters.type);
  }
  if (filters.event_types?.length) {
    where.push(`type IN (${placeholders(filters.event_types.length)})`);
    params.push(...filters.event_types);
  }
  if (filters.from !== undefined) {
    where.push("received_at >= ?");
    params.push(filters.from);
  }
  if (filters.to !== undefined) {
    where.push("received_at < ?");
    params.push(filters.to);
  }
  return { where, params };
}

export async function listEvents(
  db: D1Database,
  filters: EventFilters,
  limit: number,
  cursor?: string,
): Promise<Page<EventRow>> {
  const { where, params } = eventWhere(filters);
  const after = decodeCursor(cursor);
  if (after) {
    where.push("id < ?");
    params.push(after);
  }
  const { results } = await db
    .prepare(`SELECT * FROM events ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY id DESC LIMIT ?`)
    .bind(...params, limit + 1)
    .all<EventRow>();
  return toPage(results, limit);
}

export async function countEvents(db: D1Database, filters: EventFilters): Promise<number> {
  const { where, params } = eventWhere(filters);
  const row = await db
    .prepare(`SELECT count(*) AS n FROM events ${where.length ? `WHERE ${where.join(" AND ")}` : ""}`)
    .bind(...params)
    .first<{ n: number }>();
  return row?.n ?? 0;
}

/**
 * What routing a batch reads, in one round trip: the events, the subscriptions of their sources (ordered by id, so
 * every isolate routes them in the same order), and the archive settings of the subscribers those archive for.
 */
export async function readRouteBatch(
  db: D1Database,
  ids: readonly string[],
): Promise<{
  events: EventRow[];
  subscriptions: SubscriptionRow[];
  archivingSubscribers: Array<{ id: string; archive: StoredArchiveSettings }>;
}> {
  const list = JSON.stringify(ids);
  const sourcesOfBatch = "SELECT DISTINCT source_id FROM events WHERE id IN (SELECT value FROM json_each(?1))";
  const [events, subscriptions, subscribers] = await db.batch<unknown>([
    db.prepare("SELECT * FROM events WHERE id IN (SELECT value FROM json_each(?1))").bind(list),
    db.prepare(`SELECT * FROM subscriptions WHERE source_id IN (${sourcesOfBatch}) ORDER BY id`).bind(list),
    db
      .prepare(
        `SELECT id, archive FROM subscribers WHERE id IN
           (SELECT subscriber_id FROM subscriptions WHERE archive = 1 AND source_id IN (${sourcesOfBatch}))`,
      )
      .bind(list),
  ]);
  return {
    events: events.results as EventRow[],
    subscriptions: (subscriptions.results as StoredSubscription[]).map(subscriptionFromStored),
    archivingSubscribers: (subscribers.results as Array<{ id: string; archive: string }>).map((row) => ({
      id: row.id,
      archive: JSON.parse(row.archive) as StoredArchiveSettings,
    })),
  };
}
