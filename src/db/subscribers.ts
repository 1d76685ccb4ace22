import type { StoredArchiveSettings } from "../domain/archive-settings";
import { jsonColumn, listNewestFirst, mapPage, type Page, updateById } from "./util";

export interface SubscriberRow {
  id: string;
  name: string;
  timezone: string;
  archive: StoredArchiveSettings;
  api_key_hash: string;
  signing_secret_enc: string;
  /** Unix seconds; signed links issued before it no longer work. */
  links_not_before: number | null;
  created_at: number;
  updated_at: number;
}

export type StoredSubscriber = Omit<SubscriberRow, "archive"> & { archive: string };

export function subscriberFromStored(row: StoredSubscriber): SubscriberRow {
  return { ...row, archive: JSON.parse(row.archive) as StoredArchiveSettings };
}

export async function insertSubscriber(db: D1Database, row: SubscriberRow): Promise<void> {
  await db
    .prepare(
      `INSERT INTO subscribers (id, name, timezone, archive, api_key_hash, signing_secret_enc, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .bind(
      row.id,
      row.name,
      row.timezone,
      JSON.stringify(row.archive),
      row.api_key_hash,
      row.signing_secret_enc,
      row.created_at,
      row.updated_at,
    )
    .run();
}

export async function getSubscriber(db: D1Database, id: string): Promise<SubscriberRow | null> {
  const row = await db.prepare("SELECT * FROM subscribers WHERE id = ?").bind(id).first<StoredSubscriber>();
  return row && subscriberFromStored(row);
}

export async function getSubscriberByKeyHash(db: D1Database, hash: string): Promise<SubscriberRow | null> {
  const row = await db.prepare("SELECT * FROM subscribers WHERE api_key_hash = ?").bind(hash).first<StoredSubscriber>();
  return row && subscriberFromStored(row);
}

export async function listSubscribers(db: D1Database, limit: number, cursor?: string): Promise<Page<SubscriberRow>> {
  return mapPage(await listNewestFirst<StoredSubscriber>(db, "subscribers", {}, limit, cursor), subscriberFromStored);
}

export async function updateSubscriber(
  db: D1Database,
  id: string,
  fields: Partial<Omit<SubscriberRow, "id" | "created_at">>,
): Promise<void> {
  await updateById(db, "subscribers", id, { ...fields, archive: jsonColumn(fields.archive) }).run();
}

/**
 * A subscriber goes with its destinations and subscriptions; its events and delivery history stay for audit. `also`
 * joins the transaction, ahead of it (the subscriptions' change notices: db/subscription-notices.ts).
 */
export async function deleteSubscriber(
  db: D1Database,
  id: string,
  also: readonly D1PreparedStatement[] = [],
): Promise<boolean> {
  const results = await db.batch([
    ...also,
    db.prepare("DELETE FROM subscribers WHERE id = ?").bind(id),
    db.prepare("DELETE FROM destinations WHERE subscriber_id = ?").bind(id),
    db.prepare("DELETE FROM subscriptions WHERE subscriber_id = ?").bind(id),
  ]);
  return (results[also.length].meta.changes ?? 0) > 0;
}
