import { listNewestFirst, type Page, updateById } from "./util";

export interface SourceRow {
  id: string;
  name: string;
  strict: number;
  inbound: string | null;
  fetch_config: string | null;
  secrets_enc: string | null;
  api_key_hash: string;
  notify_token_hash: string;
  created_at: number;
  updated_at: number;
}

export interface EventTypeRow {
  source_id: string;
  code: string;
  description: string | null;
  schema: string | null;
  created_at: number;
}

function upsertEventType(db: D1Database, row: EventTypeRow): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO event_types (source_id, code, description, schema, created_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (source_id, code) DO UPDATE SET description = excluded.description, schema = excluded.schema`,
    )
    .bind(row.source_id, row.code, row.description, row.schema, row.created_at);
}

export async function insertSource(db: D1Database, row: SourceRow, eventTypes: EventTypeRow[]): Promise<void> {
  await db.batch([
    db
      .prepare(
        `INSERT INTO sources (id, name, strict, inbound, fetch_config, secrets_enc, api_key_hash, notify_token_hash, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .bind(
        row.id,
        row.name,
        row.strict,
        row.inbound,
        row.fetch_config,
        row.secrets_enc,
        row.api_key_hash,
        row.notify_token_hash,
        row.created_at,
        row.updated_at,
      ),
    ...eventTypes.map((eventType) => upsertEventType(db, eventType)),
  ]);
}

export function getSource(db: D1Database, id: string): Promise<SourceRow | null> {
  return db.prepare("SELECT * FROM sources WHERE id = ?").bind(id).first<SourceRow>();
}

export function getSourceByKeyHash(db: D1Database, hash: string): Promise<SourceRow | null> {
  return db.prepare("SELECT * FROM sources WHERE api_key_hash = ?").bind(hash).first<SourceRow>();
}

export function getSourceByNotifyHash(db: D1Database, hash: string): Promise<SourceRow | null> {
  return db.prepare("SELECT * FROM sources WHERE notify_token_hash = ?").bind(hash).first<SourceRow>();
}

export function listSources(db: D1Database, limit: number, cursor?: string): Promise<Page<SourceRow>> {
  return listNewestFirst<SourceRow>(db, "sources", {}, limit, cursor);
}

export async function updateSource(
  db: D1Database,
  id: string,
  fields: Partial<Omit<SourceRow, "id" | "created_at">>,
  eventTypes: EventTypeRow[] = [],
): Promise<void> {
  await db.batch([updateById(db, "sources", id, fields), ...eventTypes.map((row) => upsertEventType(db, row))]);
}

export async function deleteSource(db: D1Database, id: string): Promise<boolean> {
  const [deleted] = await db.batch([
    db.prepare("DELETE FROM sources WHERE id = ?").bind(id),
    db.prepare("DELETE FROM event_types WHERE source_id = ?").bind(id),
  ]);
  return (deleted.meta.changes ?? 0) > 0;
}

export async function listEventTypes(db: D1Database, sourceId: string): Promise<EventTypeRow[]> {
  const { results } = await db
    .prepare("SELECT * FROM event_types WHERE source_id = ? ORDER BY code")
    .bind(sourceId)
    .all<EventTypeRow>();
  return results;
}

export async function upsertEventTypes(db: D1Database, rows: EventTypeRow[]): Promise<void> {
  if (rows.length) await db.batch(rows.map((row) => upsertEventType(db, row)));
}

/**
 * The publish path's one read before it writes: the source an API key hash belongs to and that source's registered
 * event types, in a single D1 round trip (they used to be two, one after the other, on every publish).
 */
export async function publisherByKeyHash(
  db: D1Database,
  keyHash: string,
): Promise<{ source: SourceRow; eventTypes: EventTypeRow[] } | null> {
  const [sources, eventTypes] = await db.batch<SourceRow | EventTypeRow>([
    db.prepare("SELECT * FROM sources WHERE api_key_hash = ?").bind(keyHash),
    db
      .prepare(
        `SELECT event_types.* FROM event_types JOIN sources ON sources.id = event_types.source_id
         WHERE sources.api_key_hash = ? ORDER BY event_types.code`,
      )
      .bind(keyHash),
  ]);
  const source = sources.results[0] as SourceRow | undefined;
  if (!source) return null;
  return {
    source,
    eventTypes: (eventTypes.results as EventTypeRow[]).filter((row) => row.source_id === source.id),
  };
}
