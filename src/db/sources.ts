import type { InboundRules } from "../domain/inbound";
import type { StoredFetch } from "../domain/source-fetch";
import { jsonColumn, listNewestFirst, mapPage, type Page, parseJsonColumn, updateById } from "./util";

export interface SourceRow {
  id: string;
  name: string;
  strict: number;
  /** The inbound checks without the HMAC secret, which is sealed in `secrets_enc`. */
  inbound: InboundRules | null;
  /** The fetch config with the auth's readable part; the credentials are sealed in `secrets_enc`. */
  fetch_config: StoredFetch | null;
  secrets_enc: string | null;
  api_key_hash: string;
  notify_token_hash: string;
  /** Where subscription change notices go (migration 0016), signed with `signing_secret_enc`. */
  subscription_notify_url: string | null;
  /** Sealed under SECRETS_KEY; null for a source made before notices existed, until it is rotated or given a URL. */
  signing_secret_enc: string | null;
  /** Bumped by every change to the source or its event types (migration 0013). */
  version: number;
  created_at: number;
  updated_at: number;
}

export interface EventTypeRow {
  source_id: string;
  code: string;
  description: string | null;
  /** JSON Schema for `data`. */
  schema: Record<string, unknown> | null;
  created_at: number;
}

export type StoredSource = Omit<SourceRow, "inbound" | "fetch_config"> & {
  inbound: string | null;
  fetch_config: string | null;
};
export type StoredEventType = Omit<EventTypeRow, "schema"> & { schema: string | null };

export function sourceFromStored(row: StoredSource): SourceRow {
  return {
    ...row,
    inbound: parseJsonColumn<InboundRules>(row.inbound),
    fetch_config: parseJsonColumn<StoredFetch>(row.fetch_config),
  };
}

export function eventTypeFromStored(row: StoredEventType): EventTypeRow {
  return { ...row, schema: parseJsonColumn<Record<string, unknown>>(row.schema) };
}

function upsertEventType(db: D1Database, row: EventTypeRow): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO event_types (source_id, code, description, schema, created_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (source_id, code) DO UPDATE SET description = excluded.description, schema = excluded.schema`,
    )
    .bind(row.source_id, row.code, row.description, jsonColumn(row.schema), row.created_at);
}

export async function insertSource(db: D1Database, row: SourceRow, eventTypes: EventTypeRow[]): Promise<void> {
  await db.batch([
    db
      .prepare(
        `INSERT INTO sources (id, name, strict, inbound, fetch_config, secrets_enc, api_key_hash, notify_token_hash,
           subscription_notify_url, signing_secret_enc, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .bind(
        row.id,
        row.name,
        row.strict,
        jsonColumn(row.inbound),
        jsonColumn(row.fetch_config),
        row.secrets_enc,
        row.api_key_hash,
        row.notify_token_hash,
        row.subscription_notify_url,
        row.signing_secret_enc,
        row.created_at,
        row.updated_at,
      ),
    ...eventTypes.map((eventType) => upsertEventType(db, eventType)),
  ]);
}

async function sourceWhere(db: D1Database, column: "id" | "api_key_hash" | "notify_token_hash", value: string) {
  const row = await db.prepare(`SELECT * FROM sources WHERE ${column} = ?`).bind(value).first<StoredSource>();
  return row && sourceFromStored(row);
}

export function getSource(db: D1Database, id: string): Promise<SourceRow | null> {
  return sourceWhere(db, "id", id);
}

export function getSourceByKeyHash(db: D1Database, hash: string): Promise<SourceRow | null> {
  return sourceWhere(db, "api_key_hash", hash);
}

export function getSourceByNotifyHash(db: D1Database, hash: string): Promise<SourceRow | null> {
  return sourceWhere(db, "notify_token_hash", hash);
}

export async function listSources(db: D1Database, limit: number, cursor?: string): Promise<Page<SourceRow>> {
  return mapPage(await listNewestFirst<StoredSource>(db, "sources", {}, limit, cursor), sourceFromStored);
}

export async function updateSource(
  db: D1Database,
  id: string,
  fields: Partial<Omit<SourceRow, "id" | "created_at">>,
  eventTypes: EventTypeRow[] = [],
): Promise<void> {
  const columns = { ...fields, inbound: jsonColumn(fields.inbound), fetch_config: jsonColumn(fields.fetch_config) };
  await db.batch([
    updateById(db, "sources", id, columns),
    ...eventTypes.map((row) => upsertEventType(db, row)),
    bumpVersion(db, id),
  ]);
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
    .all<StoredEventType>();
  return results.map(eventTypeFromStored);
}

export async function upsertEventTypes(db: D1Database, sourceId: string, rows: EventTypeRow[]): Promise<void> {
  if (rows.length) await db.batch([...rows.map((row) => upsertEventType(db, row)), bumpVersion(db, sourceId)]);
}

/** Every change to a source moves its version on: cached copies of it are refused at their next commit. */
function bumpVersion(db: D1Database, id: string): D1PreparedStatement {
  return db.prepare("UPDATE sources SET version = version + 1 WHERE id = ?").bind(id);
}

/**
 * The publish path's one read before it writes: the source an API key hash belongs to and that source's registered
 * event types, in a single D1 round trip (they used to be two, one after the other, on every publish).
 */
export async function publisherByKeyHash(
  db: D1Database,
  keyHash: string,
): Promise<{ source: SourceRow; eventTypes: EventTypeRow[] } | null> {
  const [sources, eventTypes] = await db.batch<StoredSource | StoredEventType>([
    db.prepare("SELECT * FROM sources WHERE api_key_hash = ?").bind(keyHash),
    db
      .prepare(
        `SELECT event_types.* FROM event_types JOIN sources ON sources.id = event_types.source_id
         WHERE sources.api_key_hash = ? ORDER BY event_types.code`,
      )
      .bind(keyHash),
  ]);
  const source = sources.results[0] as StoredSource | undefined;
  if (!source) return null;
  return {
    source: sourceFromStored(source),
    eventTypes: (eventTypes.results as StoredEventType[])
      .filter((row) => row.source_id === source.id)
      .map(eventTypeFromStored),
  };
}
