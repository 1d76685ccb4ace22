import {
  type ArchiveRow,
  getArchive,
  insertArchive,
  insertArchives,
  type NewArchive,
  resetFailedArchive,
  scheduledSubscribers,
} from "../db/archives";
import { type ArchiveFormat, DEFAULT_ARCHIVE_TIME, type StoredArchiveSettings } from "../domain/archive-settings";
import { newId } from "../lib/ids";
import { logStep } from "../lib/log";
import { ringArchives } from "../queues/ring";
import { type ArchivedSpan, duePeriods, isTimeZone, type Period, type Schedule } from "./periods";

/**
 * Due periods the cron looks back over: the last two days whose archive.time has come (a cron down for a whole day
 * still catches up) or the last week (any hourly run in the following week finds it). Older gaps are for
 * POST /v1/admin/archives.
 */
const LOOK_BACK: Record<Schedule, number> = { daily: 2, weekly: 1 };
const SUBSCRIBERS_PER_PAGE = 200;

/**
 * Where an archive's zip lives in R2: one key per full period; a partial export's key also has its end time and id,
 * so neither the full archive nor another export of the same period ever overwrites it.
 */
export function archiveKey(
  subscriberId: string,
  period: Pick<Period, "period_start" | "period_end">,
  partial?: { to_ms: number; id: string },
): string {
  const base = `archives/${subscriberId}/${period.period_start}_${period.period_end}`;
  return partial ? `${base}_partial-${partial.to_ms}_${partial.id}.zip` : `${base}.zip`;
}

export function newArchive(
  subscriber: { id: string; timezone: string },
  format: ArchiveFormat,
  period: Period | ArchivedSpan,
  now: number,
): NewArchive {
  const id = newId("arc", now);
  const partial = "partial" in period && period.partial;
  return {
    id,
    subscriber_id: subscriber.id,
    period_start: period.period_start,
    period_end: period.period_end,
    timezone: subscriber.timezone,
    format,
    from_ms: period.from_ms,
    to_ms: period.to_ms,
    status: "pending",
    r2_key: archiveKey(subscriber.id, period, partial ? { to_ms: period.to_ms, id } : undefined),
    partial,
    created_at: now,
    updated_at: now,
  };
}

/**
 * The hourly cron: for each subscriber with a schedule, the periods whose archive is due in its timezone at `at` (the
 * cron's scheduled time: its archive.time has come on the day after the period), and that it existed for, get an
 * archive row and one `archive` job. The row is INSERT OR IGNORE on (subscriber, period), and only rows inserted now
 * are enqueued, so a cron that runs twice enqueues once. A failed send is left to the sweeper.
 */
export async function scheduleArchives(env: Env, at: number): Promise<{ subscribers: number; created: number }> {
  const started = Date.now();
  let after = "";
  let subscribers = 0;
  let created = 0;
  for (;;) {
    const page = await scheduledSubscribers(env.DB, after, SUBSCRIBERS_PER_PAGE);
    subscribers += page.length;
    const rows: NewArchive[] = [];
    for (const subscriber of page) {
      const config = subscriber.archive;
      if (config.schedule === "off" || !isTimeZone(subscriber.timezone)) continue;
      const time = config.time ?? DEFAULT_ARCHIVE_TIME;
      for (const period of duePeriods(config.schedule, subscriber.timezone, time, at, LOOK_BACK[config.schedule])) {
        if (period.to_ms > subscriber.created_at) rows.push(newArchive(subscriber, config.format, period, started));
      }
    }
    const ids = await insertArchives(env.DB, rows);
    created += ids.length;
    try {
      await ringArchives(env, ids);
    } catch (error) {
      logStep({ stage: "archive_schedule", outcome: "queue_send_failed", archives: ids.length, error: String(error) });
    }
    if (page.length < SUBSCRIBERS_PER_PAGE) break;
    after = page[page.length - 1].id;
  }
  logStep({ stage: "archive_schedule", outcome: "done", subscribers, created, duration_ms: Date.now() - started });
  return { subscribers, created };
}

/**
 * An archive of a given period, asked for by the operator: the existing one if the period already has an archive
 * (a failed one starts over), else a new one, enqueued now. A partial span (a period still running, see
 * periods.ts elapsedSpan) is a new export every time it is asked for: each holds what had arrived by then, and
 * none takes the place of the full archive the cron builds once the period is due. Once ready it is announced and
 * sent to the subscriber's targets like any archive built on demand (pipeline/archive-job.ts makes no difference).
 */
export async function requestArchive(
  env: Env,
  subscriber: { id: string; timezone: string; archive: StoredArchiveSettings },
  period: Period | ArchivedSpan,
  now: number,
): Promise<ArchiveRow> {
  const { archive, created } = await insertArchive(
    env.DB,
    newArchive(subscriber, subscriber.archive.format, period, now),
  );
  const restarted = archive.status === "failed" && (await resetFailedArchive(env.DB, archive.id, now));
  if (created || restarted) {
    try {
      await ringArchives(env, [archive.id]);
    } catch (error) {
      logStep({ stage: "archive_request", outcome: "queue_send_failed", archive_id: archive.id, error: String(error) });
    }
  }
  return restarted ? ((await getArchive(env.DB, archive.id)) ?? archive) : archive;
}
