import { type Leased, lostWork, markWorkSwept } from "../db/lost-work";
import type { Ring } from "../queues/ring";

/**
 * The sweeper's half of every leased stage: rows whose doorbell was lost are rung again, and marked swept only once
 * the ring is in the queue, so a failed send leaves them for the next sweep.
 */
export async function ringSwept(
  db: D1Database,
  leased: Leased,
  ids: readonly string[],
  now: number,
  ring: (rings: Ring[]) => Promise<void>,
): Promise<void> {
  await ring(ids.map((id) => ({ id })));
  await markWorkSwept(db, leased, ids, now);
}

/** Rows of `leased` due before the window whose queue message seems lost (db/lost-work.ts), rung again. */
export async function reringLost(
  db: D1Database,
  leased: Leased,
  window: { dueBefore: number; sweptBefore: number; now: number; limit: number },
  ring: (rings: Ring[]) => Promise<void>,
): Promise<string[]> {
  const lost = await lostWork(db, leased, window);
  await ringSwept(db, leased, lost, window.now, ring);
  return lost;
}
