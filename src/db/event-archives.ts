/** Which archives an event landed in, for an operator following one event (GET /v1/admin/events/{id}). */

export interface EventArchiveRow {
  id: string;
  subscriber_id: string;
  period_start: string;
  period_end: string;
  partial: boolean;
  status: string;
}

/** Exported for the query-plan check: archive_items is searched by its received_at index, archives by subscriber. */
export const EVENT_ARCHIVES_SQL = `SELECT a.id, a.subscriber_id, a.period_start, a.period_end, a.partial, a.status
  FROM archives a
  WHERE a.subscriber_id IN (SELECT subscriber_id FROM archive_items WHERE received_at = ?1 AND event_id = ?2)
    AND a.from_ms <= ?1 AND a.to_ms > ?1
  ORDER BY a.subscriber_id, a.period_start, a.partial, a.id`;

/**
 * For each subscriber the event was archived for (its archive_items rows, found by received_at's index), that
 * subscriber's archives whose span [from_ms, to_ms) holds the event's received_at: the full archive of its period and
 * any partial export cut after it arrived. Oldest period first, the full archive before its partial exports.
 */
export async function archivesOfEvent(db: D1Database, eventId: string, receivedAt: number): Promise<EventArchiveRow[]> {
  const { results } = await db
    .prepare(EVENT_ARCHIVES_SQL)
    .bind(receivedAt, eventId)
    .all<Omit<EventArchiveRow, "partial"> & { partial: number }>();
  return results.map((row) => ({ ...row, partial: row.partial === 1 }));
}
