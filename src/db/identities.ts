import { chunk } from "./util";

export interface IdentityRow {
  subscriber_id: string;
  namespace: string;
  local_id: string;
  remote_id: string | null;
  creating_delivery: string | null;
  creating_until: number | null;
  created_at: number;
  updated_at: number;
}

export interface IdentityKey {
  subscriberId: string;
  namespace: string;
  localId: string;
}

export function getIdentity(db: D1Database, key: IdentityKey): Promise<IdentityRow | null> {
  return db
    .prepare("SELECT * FROM identities WHERE subscriber_id = ? AND namespace = ? AND local_id = ?")
    .bind(key.subscriberId, key.namespace, key.localId)
    .first<IdentityRow>();
}

/**
 * Reserves the right to create this person at the destination. Only one delivery holds it at a time (until it
 * stores the remote id, releases it, or its reservation lapses); everyone else sees `false` and waits.
 */
export async function reserveCreate(
  db: D1Database,
  key: IdentityKey,
  deliveryId: string,
  until: number,
  now: number,
): Promise<boolean> {
  const result = await db
    .prepare(
      `INSERT INTO identities (subscriber_id, namespace, local_id, remote_id, creating_delivery, creating_until, created_at, updated_at)
       VALUES (?, ?, ?, NULL, ?, ?, ?, ?)
       ON CONFLICT (subscriber_id, namespace, local_id) DO UPDATE
         SET creating_delivery = excluded.creating_delivery, creating_until = excluded.creating_until, updated_at = excluded.updated_at
       WHERE identities.remote_id IS NULL
         AND (identities.creating_until IS NULL OR identities.creating_until < ? OR identities.creating_delivery = excluded.creating_delivery)`,
    )
    .bind(key.subscriberId, key.namespace, key.localId, deliveryId, until, now, now, now)
    .run();
  return (result.meta.changes ?? 0) === 1;
}

export function storeRemoteId(db: D1Database, key: IdentityKey, remoteId: string, now: number): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO identities (subscriber_id, namespace, local_id, remote_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (subscriber_id, namespace, local_id) DO UPDATE
         SET remote_id = excluded.remote_id, creating_delivery = NULL, creating_until = NULL, updated_at = excluded.updated_at`,
    )
    .bind(key.subscriberId, key.namespace, key.localId, remoteId, now, now);
}

export function releaseCreate(db: D1Database, key: IdentityKey, deliveryId: string): D1PreparedStatement {
  return db
    .prepare(
      `UPDATE identities SET creating_delivery = NULL, creating_until = NULL
       WHERE subscriber_id = ? AND namespace = ? AND local_id = ? AND creating_delivery = ?`,
    )
    .bind(key.subscriberId, key.namespace, key.localId, deliveryId);
}

export async function upsertIdentities(
  db: D1Database,
  subscriberId: string,
  rows: Array<{ namespace: string; local_id: string; remote_id: string }>,
  now: number,
): Promise<void> {
  const statements = rows.map((row) =>
    storeRemoteId(db, { subscriberId, namespace: row.namespace, localId: row.local_id }, row.remote_id, now),
  );
  for (const group of chunk(statements, 100)) await db.batch(group);
}

/** Known identities in (namespace, local_id) order after `after`, optionally narrowed to a namespace or one id. */
export async function listIdentities(
  db: D1Database,
  subscriberId: string,
  filters: { namespace?: string; local_id?: string },
  after: [string, string] | null,
  limit: number,
): Promise<IdentityRow[]> {
  const where = ["subscriber_id = ?", "remote_id IS NOT NULL"];
  const params: unknown[] = [subscriberId];
  if (filters.namespace) {
    where.push("namespace = ?");
    params.push(filters.namespace);
  }
  if (filters.local_id) {
    where.push("local_id = ?");
    params.push(filters.local_id);
  }
  if (after) {
    where.push("(namespace, local_id) > (?, ?)");
    params.push(...after);
  }
  const { results } = await db
    .prepare(`SELECT * FROM identities WHERE ${where.join(" AND ")} ORDER BY namespace, local_id LIMIT ?`)
    .bind(...params, limit)
    .all<IdentityRow>();
  return results;
}
