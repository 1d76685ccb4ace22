import { chunk, MAX_PARAMS, placeholders } from "./util";

export interface UnroutedEvent {
  id: string;
  source_id: string;
}

/**
 * Events received before `receivedBefore` and still unrouted, whose route message seems lost: not rung by a sweep
 * since `sweptBefore`. Oldest first.
 */
export async function unroutedEventsToRing(
  db: D1Database,
  receivedBefore: number,
  sweptBefore: number,
  limit: number,
): Promise<UnroutedEvent[]> {
  const { results } = await db
    .prepare(
      `SELECT id, source_id FROM events WHERE routed_at IS NULL AND received_at <= ?
         AND (swept_at IS NULL OR swept_at < ?)
       ORDER BY received_at LIMIT ?`,
    )
    .bind(receivedBefore, sweptBefore, limit)
    .all<UnroutedEvent>();
  return results;
}

export async function markEventsSwept(db: D1Database, ids: string[], now: number): Promise<void> {
  if (!ids.length) return;
  await db.batch(
    chunk(ids, MAX_PARAMS - 1).map((group) =>
      db.prepare(`UPDATE events SET swept_at = ? WHERE id IN (${placeholders(group.length)})`).bind(now, ...group),
    ),
  );
}
