import { LEASED } from "./lost-work";
import { chunk, placeholders } from "./util";

/** Delivery statuses that still owe the event to a destination: retention keeps such events. */
const OWED = "('pending', 'ready', 'retrying', 'held')";
/** Ids per IN list: well under D1's 100 bound parameters with the others of the statement. */
const IDS_PER_STATEMENT = 90;

export interface RetentionWindow {
  /** Epoch ms: events and notifications received (created) before this are old. */
  cutoff: number;
  /** Ids are time-sortable: every id created before `cutoff` sorts below this prefix, so the scan stops at it. */
  idBound: string;
  /**
   * Epoch ms: an archived event received since this, of a subscriber with a schedule, may still get its archive
   * from the hourly cron even though none covers it yet.
   */
  schedulerReach: number;
}

/**
 * Old events nothing is owed for, by id after `afterId`: routed, with no delivery still due, and not waiting for an
 * archive — one that is pending or building, or one the cron may still create for a scheduled subscriber.
 */
export async function deletableEvents(
  db: D1Database,
  window: RetentionWindow,
  afterId: string,
  limit: number,
): Promise<Array<{ id: string; received_at: number }>> {
  const { results } = await db
    .prepare(
      `SELECT e.id, e.received_at FROM events e
       WHERE e.id > ? AND e.id < ? AND e.received_at < ? AND e.routed_at IS NOT NULL
         AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = e.id AND d.status IN ${OWED})
         AND NOT EXISTS (
           SELECT 1 FROM archive_items ai JOIN subscribers s ON s.id = ai.subscriber_id
           WHERE ai.received_at = e.received_at AND ai.event_id = e.id
             AND (
               EXISTS (SELECT 1 FROM archives a WHERE a.subscriber_id = ai.subscriber_id
                         AND a.status IN ('pending', 'building') AND a.from_ms <= ai.received_at AND ai.received_at < a.to_ms)
               OR (ai.received_at >= ? AND json_extract(s.archive, '$.schedule') IN ('daily', 'weekly')
                   AND NOT EXISTS (SELECT 1 FROM archives a WHERE a.subscriber_id = ai.subscriber_id
                         AND a.status IN ('ready', 'failed') AND a.partial = 0
                         AND a.from_ms <= ai.received_at AND ai.received_at < a.to_ms))
             )
         )
       ORDER BY e.id LIMIT ?`,
    )
    .bind(afterId, window.idBound, window.cutoff, window.schedulerReach, limit)
    .all<{ id: string; received_at: number }>();
  return results;
}

export interface DeletedEvents {
  events: Array<{ id: string; body_key: string | null }>;
  /** R2 payload objects no delivery names any more: the deleted deliveries' keys that no kept delivery shares. */
  payloadKeys: string[];
}

/**
 * One transaction deleting the events with their finished deliveries, those deliveries' attempts and the events'
 * archive membership. A delivery that became due again since the events were picked (a replay) is kept, and so is
 * its event: an event goes only once no delivery of it is left. RETURNING says which events (and R2 bodies) went;
 * a first SELECT, in the same transaction, which payload objects went with their last delivery (a replay copy
 * shares its original's key, and is always a delivery of the same event).
 */
export async function deleteEvents(
  db: D1Database,
  events: Array<{ id: string; received_at: number }>,
): Promise<DeletedEvents> {
  if (!events.length) return { events: [], payloadKeys: [] };
  const keyLookups: D1PreparedStatement[] = [];
  const statements: D1PreparedStatement[] = [];
  const groups = chunk(events, IDS_PER_STATEMENT);
  for (const group of groups) {
    const ids = group.map((event) => event.id);
    const list = placeholders(ids.length);
    keyLookups.push(
      db
        .prepare(
          `SELECT DISTINCT d.payload_key FROM deliveries d
           WHERE d.event_id IN (${list}) AND d.status NOT IN ${OWED} AND d.payload_key IS NOT NULL
             AND NOT EXISTS (SELECT 1 FROM deliveries o WHERE o.event_id = d.event_id
                               AND o.payload_key = d.payload_key AND o.status IN ${OWED})`,
        )
        .bind(...ids),
    );
    statements.push(
      db
        .prepare(
          `DELETE FROM attempts WHERE delivery_id IN
             (SELECT id FROM deliveries WHERE event_id IN (${list}) AND status NOT IN ${OWED})`,
        )
        .bind(...ids),
      db.prepare(`DELETE FROM deliveries WHERE event_id IN (${list}) AND status NOT IN ${OWED}`).bind(...ids),
    );
  }
  for (const group of groups) {
    const ids = group.map((event) => event.id);
    const times = group.map((event) => event.received_at);
    // The receipt-time range lets SQLite find the items through their received_at index.
    statements.push(
      db
        .prepare(
          `DELETE FROM archive_items WHERE received_at >= ? AND received_at <= ? AND event_id IN (${placeholders(ids.length)})
             AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = archive_items.event_id)`,
        )
        .bind(Math.min(...times), Math.max(...times), ...ids),
    );
  }
  const deletes = groups.map((group) =>
    db
      .prepare(
        `DELETE FROM events WHERE id IN (${placeholders(group.length)})
           AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = events.id)
         RETURNING id, body_key`,
      )
      .bind(...group.map((event) => event.id)),
  );
  const results = await db.batch<Record<string, string | null>>([...keyLookups, ...statements, ...deletes]);
  const payloadKeys = results
    .slice(0, keyLookups.length)
    .flatMap((result) => result.results.map((row) => row.payload_key as string));
  const deleted = results
    .slice(keyLookups.length + statements.length)
    .flatMap((result) => result.results as Array<{ id: string; body_key: string | null }>);
  return { events: deleted, payloadKeys };
}

/**
 * Logs of finished work kept RETENTION_DAYS: notifications, subscription change notices and test files sent to
 * targets (an archive's own file deliveries go with the archive). `idBound` is the id an entry created at the cutoff
 * would have, so the scan walks the primary key.
 */
export const AGED_LOGS = {
  notifications: { leased: LEASED.notifications, prefix: "ntf", only: "1" },
  notices: { leased: LEASED.subscriptionNotices, prefix: "snt", only: "1" },
  testFiles: { leased: LEASED.fileDeliveries, prefix: "fdl", only: "archive_id IS NULL" },
} as const;
export type AgedLog = (typeof AGED_LOGS)[keyof typeof AGED_LOGS];

/** Finished entries of a log created before the cutoff, a bounded chunk per call; returns how many went. */
export async function deleteAgedLog(
  db: D1Database,
  log: AgedLog,
  cutoff: number,
  idBound: string,
  limit: number,
): Promise<number> {
  const { table, statuses } = log.leased;
  const owed = statuses.map((status) => `'${status}'`).join(", ");
  const result = await db
    .prepare(
      `DELETE FROM ${table} WHERE id IN (
         SELECT id FROM ${table} WHERE id < ? AND created_at < ? AND status NOT IN (${owed}) AND ${log.only}
         ORDER BY id LIMIT ?)`,
    )
    .bind(idBound, cutoff, limit)
    .run();
  return result.meta.changes ?? 0;
}

/**
 * Archives past their expires_at whose period ended before `periodEndedBefore` (so the hourly cron, which looks a
 * week back, cannot create the period again once its row is gone).
 */
export async function expiredArchives(
  db: D1Database,
  now: number,
  periodEndedBefore: number,
  limit: number,
): Promise<Array<{ id: string; r2_key: string }>> {
  const { results } = await db
    .prepare(
      `SELECT id, r2_key FROM archives WHERE expires_at < ? AND to_ms < ? AND status IN ('ready', 'failed')
       ORDER BY expires_at LIMIT ?`,
    )
    .bind(now, periodEndedBefore, limit)
    .all<{ id: string; r2_key: string }>();
  return results;
}

/** Deletes archive rows (their R2 objects are already gone), their announcements and their file deliveries. */
export async function deleteArchiveRows(db: D1Database, ids: string[]): Promise<void> {
  if (!ids.length) return;
  await db.batch(
    chunk(ids, IDS_PER_STATEMENT).flatMap((group) => [
      db
        .prepare(`DELETE FROM archive_announcements WHERE archive_id IN (${placeholders(group.length)})`)
        .bind(...group),
      db.prepare(`DELETE FROM file_deliveries WHERE archive_id IN (${placeholders(group.length)})`).bind(...group),
      db.prepare(`DELETE FROM archives WHERE id IN (${placeholders(group.length)})`).bind(...group),
    ]),
  );
}
