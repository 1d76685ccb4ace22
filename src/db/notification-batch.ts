import type { NotificationRow } from "./notifications";
import {
  type EventTypeRow,
  eventTypeFromStored,
  type SourceRow,
  type StoredEventType,
  type StoredSource,
  sourceFromStored,
} from "./sources";
import { IDS } from "./util";

/**
 * The origin-fetch stage's SQL, a batch at a time: one read of the batch's notifications with their sources and
 * event types, one claim, one record (with the events the records become).
 */

export interface NotificationBatch {
  notifications: NotificationRow[];
  sources: Map<string, SourceRow>;
  eventTypes: Map<string, EventTypeRow[]>;
}

export async function readNotificationBatch(db: D1Database, ids: readonly string[]): Promise<NotificationBatch> {
  const list = JSON.stringify(ids);
  const sourceIds = `SELECT source_id FROM notifications WHERE id IN (${IDS})`;
  const [notifications, sources, eventTypes] = await db.batch<unknown>([
    db.prepare(`SELECT * FROM notifications WHERE id IN (${IDS})`).bind(list),
    db.prepare(`SELECT * FROM sources WHERE id IN (${sourceIds})`).bind(list),
    db.prepare(`SELECT * FROM event_types WHERE source_id IN (${sourceIds}) ORDER BY code`).bind(list),
  ]);
  const types = new Map<string, EventTypeRow[]>();
  for (const row of (eventTypes.results as StoredEventType[]).map(eventTypeFromStored)) {
    types.set(row.source_id, [...(types.get(row.source_id) ?? []), row]);
  }
  return {
    notifications: notifications.results as NotificationRow[],
    sources: new Map((sources.results as StoredSource[]).map((row) => [row.id, sourceFromStored(row)])),
    eventTypes: types,
  };
}

export interface ObjectClaim {
  leader: Pick<NotificationRow, "id" | "attempts" | "source_id" | "object_id">;
  leaseUntil: number;
}

/**
 * Makes each leader the one fetch of its object now, folding every other pending call for the same object into it
 * (the collapse window), all in one transaction. Returns the leaders won: a leader another job holds is not.
 */
export async function claimObjects(
  db: D1Database,
  claims: readonly ObjectClaim[],
  failures: ReadonlyArray<{ id: string; error: string }>,
  now: number,
): Promise<Set<string>> {
  const statements: D1PreparedStatement[] = [];
  for (const { leader, leaseUntil } of claims) {
    statements.push(
      db
        .prepare(
          `UPDATE notifications SET attempts = attempts + 1, lease_until = ?1, claimed_by = id, updated_at = ?2
           WHERE id = ?3 AND attempts = ?4 AND status IN ('pending', 'retrying') AND (lease_until IS NULL OR lease_until < ?2)`,
        )
        .bind(leaseUntil, now, leader.id, leader.attempts),
      db
        .prepare(
          `UPDATE notifications SET status = 'collapsed', claimed_by = ?1, updated_at = ?2
           WHERE source_id = ?3 AND object_id = ?4 AND status = 'pending' AND id != ?1
             AND EXISTS (SELECT 1 FROM notifications WHERE id = ?1 AND lease_until = ?5)`,
        )
        .bind(leader.id, now, leader.source_id, leader.object_id, leaseUntil),
    );
  }
  for (const failure of failures)
    statements.push(settleStatements(db, failure.id, { status: "failed", error: failure.error }, now)[0]);
  if (!statements.length) return new Set();
  const results = await db.batch(statements);
  return new Set(claims.filter((_, i) => (results[2 * i].meta.changes ?? 0) === 1).map(({ leader }) => leader.id));
}

export interface Settlement {
  status: "published" | "not_found" | "failed" | "retrying";
  error?: string | null;
  last_status_code?: number | null;
  next_attempt_at?: number | null;
  /** For `published`: the event the record became, found by its external id (`ntf:{leader id}`). */
  event?: { source_id: string; external_id: string };
}

/** Settles a leader and every call folded into it (not while it retries: they wait with it). */
export function settleStatements(
  db: D1Database,
  leaderId: string,
  settlement: Settlement,
  now: number,
): D1PreparedStatement[] {
  const eventId = settlement.event ? "(SELECT id FROM events WHERE source_id = ?7 AND external_id = ?8)" : "NULL";
  const statements = [
    db
      .prepare(
        `UPDATE notifications SET status = ?1, event_id = ${eventId}, error = ?2, last_status_code = ?3,
           next_attempt_at = ?4, lease_until = NULL, swept_at = NULL, updated_at = ?5 WHERE id = ?6`,
      )
      .bind(
        settlement.status,
        settlement.error ?? null,
        settlement.last_status_code ?? null,
        settlement.next_attempt_at ?? null,
        now,
        leaderId,
        ...(settlement.event ? [settlement.event.source_id, settlement.event.external_id] : []),
      ),
  ];
  if (settlement.status !== "retrying") {
    statements.push(
      db
        .prepare(
          `UPDATE notifications SET status = ?1, event_id = (SELECT event_id FROM notifications WHERE id = ?2),
             error = ?3, last_status_code = ?4, updated_at = ?5 WHERE claimed_by = ?2 AND status = 'collapsed'`,
        )
        .bind(settlement.status, leaderId, settlement.error ?? null, settlement.last_status_code ?? null, now),
    );
  }
  return statements;
}
