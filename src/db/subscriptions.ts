import type { Step } from "../domain/step";
import { jsonColumn, listNewestFirst, mapPage, type Page, updateById } from "./util";

export interface SubscriptionRow {
  id: string;
  subscriber_id: string;
  source_id: string;
  event_types: string[];
  filter: string | null;
  archive: number;
  steps: Step[];
  version: number;
  created_at: number;
  updated_at: number;
}

export type StoredSubscription = Omit<SubscriptionRow, "event_types" | "steps"> & {
  event_types: string;
  steps: string;
};

export function subscriptionFromStored(row: StoredSubscription): SubscriptionRow {
  return { ...row, event_types: JSON.parse(row.event_types) as string[], steps: JSON.parse(row.steps) as Step[] };
}

/** `also` joins the insert's transaction, ahead of it (a change notice: db/subscription-notices.ts). */
export async function insertSubscription(
  db: D1Database,
  row: SubscriptionRow,
  also: readonly D1PreparedStatement[] = [],
): Promise<void> {
  const insert = db
    .prepare(
      `INSERT INTO subscriptions (id, subscriber_id, source_id, event_types, filter, archive, steps, version, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .bind(
      row.id,
      row.subscriber_id,
      row.source_id,
      JSON.stringify(row.event_types),
      row.filter,
      row.archive,
      JSON.stringify(row.steps),
      row.version,
      row.created_at,
      row.updated_at,
    );
  await db.batch([...also, insert]);
}

export async function getSubscription(db: D1Database, id: string): Promise<SubscriptionRow | null> {
  const row = await db.prepare("SELECT * FROM subscriptions WHERE id = ?").bind(id).first<StoredSubscription>();
  return row && subscriptionFromStored(row);
}

export async function listSubscriptions(
  db: D1Database,
  filters: { subscriber_id?: string; source_id?: string },
  limit: number,
  cursor?: string,
): Promise<Page<SubscriptionRow>> {
  return mapPage(
    await listNewestFirst<StoredSubscription>(db, "subscriptions", filters, limit, cursor),
    subscriptionFromStored,
  );
}

export async function subscriptionsForSources(db: D1Database, sourceIds: string[]): Promise<SubscriptionRow[]> {
  if (!sourceIds.length) return [];
  const { results } = await db
    .prepare(`SELECT * FROM subscriptions WHERE source_id IN (${sourceIds.map(() => "?").join(", ")}) ORDER BY id`)
    .bind(...sourceIds)
    .all<StoredSubscription>();
  return results.map(subscriptionFromStored);
}

export async function updateSubscription(
  db: D1Database,
  id: string,
  fields: Partial<Omit<SubscriptionRow, "id" | "subscriber_id" | "created_at" | "version">>,
  also: readonly D1PreparedStatement[] = [],
): Promise<void> {
  await db.batch([
    ...also,
    updateById(db, "subscriptions", id, {
      ...fields,
      event_types: jsonColumn(fields.event_types),
      steps: jsonColumn(fields.steps),
    }),
    db.prepare("UPDATE subscriptions SET version = version + 1 WHERE id = ?").bind(id),
  ]);
}

export async function deleteSubscription(
  db: D1Database,
  id: string,
  also: readonly D1PreparedStatement[] = [],
): Promise<boolean> {
  const results = await db.batch([...also, db.prepare("DELETE FROM subscriptions WHERE id = ?").bind(id)]);
  return (results[results.length - 1].meta.changes ?? 0) > 0;
}
