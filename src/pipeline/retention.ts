import {
  AGED_LOGS,
  type AgedLog,
  deletableEvents,
  deleteAgedLog,
  deleteArchiveRows,
  deleteEvents,
  expiredArchives,
  type RetentionWindow,
} from "../db/retention";
import { deleteCountersBefore } from "../db/stats";
import { hourOf } from "../domain/stats";
import { newId } from "../lib/ids";
import { logStep } from "../lib/log";
import { ringRetention } from "../queues/ring";

/**
 * The daily retention run: events (with their deliveries, attempts, archive membership, R2 bodies and their
 * deliveries' R2 payloads), notifications, subscription change notices and test files older than RETENTION_DAYS,
 * archives (zip, row and file deliveries) past their own expires_at, and the overview's counters past 35 days. It works in bounded chunks and stops at a budget, so no invocation hits a CPU, time or subrequest
 * limit; what is left is handed to the next pass through the `archive` queue. identities and oauth_tokens are never
 * touched: they are state, not history.
 */

const DAY_MS = 86_400_000;
/** Rows per statement batch. */
const CHUNK_ROWS = 500;
/** Archives per chunk: each is an R2 object to delete too. */
const ARCHIVE_CHUNK = 100;
/** Chunks and wall time per invocation: ~75 D1/R2 calls, far below the 1000-subrequest limit. */
const MAX_CHUNKS = 25;
const BUDGET_MS = 15_000;
/** A day's passes end here even if rows are left (they are picked up tomorrow): a loop can never run away. */
const MAX_PASSES = 200;
/**
 * How long after an event arrives the hourly cron may still create the archive it belongs in: a week-long period,
 * the cron's one-week look-back, and a day of slack. Until then a scheduled subscriber's archived event is kept even
 * if no archive covers it yet, and an expired archive's row is kept so the cron cannot build its period again.
 */
export const SCHEDULER_REACH_MS = 15 * DAY_MS;
/** The overview reads 30 days back at most: its counters are kept a little longer, whatever RETENTION_DAYS says. */
const STATS_KEEP_MS = 35 * DAY_MS;

export interface RetentionReport {
  events: number;
  payloads: number;
  notifications: number;
  /** Subscription change notices and test files sent to archive targets. */
  notices: number;
  testFiles: number;
  archives: number;
  /** The overview's hourly counter rows. */
  stats: number;
  /** Whether rows were left because the budget ran out. */
  more: boolean;
}

export interface RetentionOptions {
  chunkRows?: number;
  maxChunks?: number;
  budgetMs?: number;
}

/** RETENTION_DAYS as a whole number of days, or null (keep events for ever) when unset, zero or not a number. */
export function retentionDays(setting: string | undefined): number | null {
  const days = Number(setting);
  return setting?.trim() && Number.isFinite(days) && days > 0 ? days : null;
}

/** The smallest id of its kind created at `ms`: every id created earlier sorts below it. */
function idAt(prefix: "evt" | (typeof AGED_LOGS)[keyof typeof AGED_LOGS]["prefix"], ms: number): string {
  return newId(prefix, ms).slice(0, prefix.length + 11);
}

/** R2 deletes at most this many keys per call. */
const R2_DELETE_LIMIT = 1000;

async function deleteObjects(bucket: R2Bucket, keys: string[], what: string): Promise<number> {
  let deleted = 0;
  for (let i = 0; i < keys.length; i += R2_DELETE_LIMIT) {
    const group = keys.slice(i, i + R2_DELETE_LIMIT);
    try {
      await bucket.delete(group);
      deleted += group.length;
    } catch (error) {
      logStep({ stage: "retention", outcome: "r2_delete_failed", what, objects: group.length, error: String(error) });
      return deleted;
    }
  }
  return deleted;
}

/** One bounded retention pass. */
export async function runRetention(
  env: Env,
  now = Date.now(),
  options: RetentionOptions = {},
): Promise<RetentionReport> {
  const chunkRows = options.chunkRows ?? CHUNK_ROWS;
  const maxChunks = options.maxChunks ?? MAX_CHUNKS;
  const deadline = Date.now() + (options.budgetMs ?? BUDGET_MS);
  const report: RetentionReport = {
    events: 0,
    payloads: 0,
    notifications: 0,
    notices: 0,
    testFiles: 0,
    archives: 0,
    stats: 0,
    more: false,
  };
  // Only chunks that found rows count: a phase with nothing to do must not use up the budget of the next one.
  let chunks = 0;
  const budgetLeft = () => chunks < maxChunks && Date.now() < deadline;

  // Archives first: the object goes before the row, so a failed R2 delete leaves the row to try again tomorrow.
  const archiveChunk = Math.min(chunkRows, ARCHIVE_CHUNK);
  let archivesDone = false;
  while (!archivesDone && budgetLeft()) {
    const expired = await expiredArchives(env.DB, now, now - SCHEDULER_REACH_MS, archiveChunk);
    archivesDone = expired.length < archiveChunk;
    if (!expired.length) break;
    chunks += 1;
    const keys = expired.map((archive) => archive.r2_key);
    if ((await deleteObjects(env.BUCKET, keys, "archives")) === 0) break;
    await deleteArchiveRows(
      env.DB,
      expired.map((archive) => archive.id),
    );
    report.archives += expired.length;
  }
  // Left only when the budget ran out; after a failed R2 delete the rest waits for tomorrow.
  const archivesLeft = !archivesDone && !budgetLeft();

  const days = retentionDays(env.RETENTION_DAYS);
  let eventsLeft = false;
  let logsLeft = false;
  if (days !== null) {
    const cutoff = now - days * DAY_MS;
    const window: RetentionWindow = {
      cutoff,
      idBound: idAt("evt", cutoff),
      schedulerReach: now - SCHEDULER_REACH_MS,
    };
    // Keyset within the pass: events kept because they are still owed are looked at once, not once per chunk.
    let after = "";
    let eventsDone = false;
    while (!eventsDone && budgetLeft()) {
      const candidates = await deletableEvents(env.DB, window, after, chunkRows);
      if (candidates.length) chunks += 1;
      const deleted = await deleteEvents(env.DB, candidates);
      const keys = deleted.events.map((event) => event.body_key).filter((key): key is string => !!key);
      report.payloads += await deleteObjects(env.BUCKET, [...keys, ...deleted.payloadKeys], "payloads");
      report.events += deleted.events.length;
      after = candidates.at(-1)?.id ?? after;
      eventsDone = candidates.length < chunkRows;
    }
    eventsLeft = !eventsDone;

    for (const [name, log] of Object.entries(AGED_LOGS) as Array<[keyof typeof AGED_LOGS, AgedLog]>) {
      let done = false;
      while (!done && budgetLeft()) {
        const count = await deleteAgedLog(env.DB, log, cutoff, idAt(log.prefix, cutoff), chunkRows);
        if (count) chunks += 1;
        report[name] += count;
        done = count < chunkRows;
      }
      logsLeft ||= !done;
    }
  }
  // One statement: a day's counters are a few thousand rows at most.
  report.stats = await deleteCountersBefore(env.DB, hourOf(now - STATS_KEEP_MS));
  report.more = archivesLeft || eventsLeft || logsLeft;
  return report;
}

/**
 * The daily cron's entry (pass 0) and the `retention` queue job's (later passes): one bounded pass, then the next
 * one enqueued while rows are left. A lost message only delays the rest until tomorrow's run.
 */
export async function runRetentionPass(
  env: Env,
  pass = 0,
  now = Date.now(),
  options: RetentionOptions = {},
): Promise<RetentionReport> {
  const started = Date.now();
  const report = await runRetention(env, now, options);
  if (report.more && pass + 1 < MAX_PASSES) {
    await ringRetention(env, pass + 1).catch((error) =>
      logStep({ stage: "retention", outcome: "queue_send_failed", pass, error: String(error) }),
    );
  }
  logStep({
    stage: "retention",
    outcome: report.more ? "continues" : "done",
    pass,
    retention_days: retentionDays(env.RETENTION_DAYS),
    ...report,
    duration_ms: Date.now() - started,
  });
  return report;
}
