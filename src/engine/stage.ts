import { logStep } from "../lib/log";
import { runBounded } from "./limiter";

/**
 * The one engine for every claim → act → record → re-ring stage (deliver, origin fetch, archive-ready): a batch at a
 * time, so a batch of any size costs a handful of D1 calls, never a few per item (../shared/PIPELINE.md).
 *
 * - `claim` takes every due item of the batch under a lease in one round trip and settles what needs no action
 *   (a deleted destination, a disabled one) in the same transaction. A failed claim throws: nothing was taken, the
 *   queue retries the messages.
 * - `act` runs per item with bounded concurrency, per batch and per target. It must not throw for what the other
 *   side does; anything it throws anyway becomes the item's outcome through `failed`, so one item never sinks the batch.
 * - `record` writes every outcome in one `DB.batch` and says what to ring again. A failed record leaves the claimed
 *   rows leased: a redelivered message finds them in flight, and the sweeper takes them once the lease ends (at most
 *   one extra attempt, nothing lost).
 * - `ring` sends what is left (retries with their delays, next steps) with as few queue operations as it can.
 */
/** A queue message may arrive a little before its row's due time; later than this it is a stray duplicate. */
export const EARLY_SLACK_MS = 2000;

interface LeasedRow {
  status: string;
  next_attempt_at: number | null;
  lease_until: number | null;
}

/**
 * Why a row a message names may not be claimed now, or null when it may: it is gone, in a status no longer owed
 * (db/lost-work.ts LEASED's `statuses`: the reason is the status), not due yet, or held by a live lease. Every
 * stage's claim asks this before it takes a row.
 */
export function notClaimable(row: LeasedRow | null | undefined, owed: readonly string[], now: number): string | null {
  if (!row) return "missing";
  if (!owed.includes(row.status)) return row.status;
  if ((row.next_attempt_at ?? 0) > now + EARLY_SLACK_MS) return "not due";
  return row.lease_until !== null && row.lease_until > now ? "in flight" : null;
}

export function claimable<R extends LeasedRow>(
  row: R | null | undefined,
  owed: readonly string[],
  now: number,
): row is R {
  return notClaimable(row, owed, now) === null;
}

export interface Stage<Item, Outcome, Ring> {
  name: string;
  claim(ids: readonly string[], now: number): Promise<Item[]>;
  act(item: Item): Promise<Outcome>;
  failed(item: Item, error: unknown): Outcome;
  targetOf(item: Item): string;
  record(done: ReadonlyArray<Done<Item, Outcome>>, now: number): Promise<Ring[]>;
  ring(rings: Ring[]): Promise<void>;
}

export interface Done<Item, Outcome> {
  item: Item;
  outcome: Outcome;
}

export interface StageLimits {
  /** Items acted on at once in one invocation. */
  concurrency: number;
  /** …and at once per target. */
  perTarget: number;
}

export const DEFAULT_LIMITS: StageLimits = { concurrency: 32, perTarget: 8 };

export interface StageReport {
  claimed: number;
  rung: number;
  durationMs: number;
}

export async function runStage<Item, Outcome, Ring>(
  stage: Stage<Item, Outcome, Ring>,
  ids: readonly string[],
  limits: StageLimits = DEFAULT_LIMITS,
): Promise<StageReport> {
  const started = Date.now();
  const unique = [...new Set(ids)];
  const items = unique.length ? await stage.claim(unique, started) : [];
  if (!items.length) return { claimed: 0, rung: 0, durationMs: Date.now() - started };
  const outcomes = await runBounded(
    items,
    { total: limits.concurrency, perKey: limits.perTarget, keyOf: (item) => stage.targetOf(item) },
    async (item) => {
      try {
        return await stage.act(item);
      } catch (error) {
        return stage.failed(item, error);
      }
    },
  );
  const rings = await stage.record(
    items.map((item, i) => ({ item, outcome: outcomes[i] })),
    Date.now(),
  );
  if (rings.length) {
    // The outcomes are committed: a lost ring is the sweeper's to find, never a lost item.
    await stage
      .ring(rings)
      .catch((error) =>
        logStep({ stage: stage.name, outcome: "queue_send_failed", rings: rings.length, error: String(error) }),
      );
  }
  const report = { claimed: items.length, rung: rings.length, durationMs: Date.now() - started };
  logStep({ stage: stage.name, outcome: "batch_done", ...report, ids: unique.length });
  return report;
}
