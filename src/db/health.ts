/** Earliest receipt time of work still owed: an unrouted event or a delivery not yet sent. */
export async function oldestUndeliveredAt(db: D1Database): Promise<number | null> {
  const row = await db
    .prepare(
      `SELECT min(t) AS oldest FROM (
         SELECT min(received_at) AS t FROM events WHERE routed_at IS NULL
         UNION ALL
         SELECT min(created_at) AS t FROM deliveries WHERE status IN ('pending', 'ready', 'retrying'))`,
    )
    .first<{ oldest: number | null }>();
  return row?.oldest ?? null;
}
