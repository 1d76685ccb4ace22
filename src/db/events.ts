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
type NewEvent = Pick<EventRow, (typeof INSERT_COLUMNS)[number]>;

/**
 * Inserts the events, skipping (source, external id) pairs already stored, and reads back the id stored for each
 * external id — all in one transaction, so the answer and the rows agree.
 */
export async function insertEvents(db: D1Database, sourceId: string, rows: NewEvent[]): Promise<Map<string, string>> {
  const rowsPerStatement = Math.floor(MAX_PARAMS / INSERT_COLUMNS.length);
  const inserts = chunk(rows, rowsPerStatement).map((group) =>
    db
      .prepare(
        `INSERT INTO events (${INSERT_COLUMNS.join(", ")}) VALUES ${group
          .map(() => `(${placeholders(INSERT_COLUMNS.length)})`)
          .join(", ")} ON CONFLICT (source_id, external_id) DO NOTHING`,
      )
      .bind(...group.flatMap((row) => INSERT_COLUMNS.map((column) => row[column]))),
  );
  const externalIds = [...new Set(rows.map((row) => row.external_id))];
  const lookups = chunk(externalIds, MAX_PARAMS - 1).map((group) =>
    db
      .prepare(
        `SELECT id, external_id FROM events WHERE source_id = ? AND external_id IN (${placeholders(group.length)})`,
      )
      .bind(sourceId, ...group),
  );
  const results = await db.batch<{ id: string; external_id: string }>([...inserts, ...lookups]);
  const stored = new Map<string, string>();
  for (const result of results.slice(inserts.length)) {
    for (const row of result.results) stored.set(row.external_id, row.id);
  }
  return stored;
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
