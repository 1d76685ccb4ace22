import {
  type ArchiveRow,
  getArchive,
  insertArchive,
  insertArchives,
  type NewArchive,
  resetFailedArchive,
  scheduledSubscribers,
} from "../db/archives";
import type { ArchiveFormat, StoredArchiveSettings } from "../domain/archive-settings";
import { newId } from "../lib/ids";
import { logStep } from "../lib/log";
import { ringArchives } from "../queues/ring";
import { closedPeriods, isTimeZone, type Period, type Schedule } from "./periods";

/**
 * Closed periods the cron looks back over: the last two days (a cron down for a whole day still catches up) or the
 * last week (any hourly run in the following week finds it). Older gaps are for POST /v1/admin/archives.
 */
const LOOK_BACK: Record<Schedule, number> = { daily: 2, weekly: 1 };
const SUBSCRIBERS_PER_PAGE = 200;

export function archiveKey(subscriberId: string, period: Pick<Period, "period_start" | "period_end">): string {
  return `archives/${subscriberId}/${period.period_start}_${period.period_end}.zip`;
}

export function newArchive(
  subscriber: { id: string; timezone: string },
  format: ArchiveFormat,
  period: Period,
  now: number,
): NewArchive {
  return {
    id: newId("arc", now),
    subscriber_id: subscriber.id,
    period_start: period.period_start,
    period_end: period.period_end,
    timezone: subscriber.timezone,
    format,
    from_ms: period.from_ms,
    to_ms: period.to_ms,
    status: "pending",
    r2_key: archiveKey(subscriber.id, period),
    created_at: now,
    updated_at: now,
  };
}

/**
 * The hourly cron: for each subscriber with a schedule, the periods that have closed in its timezone at `at` (the
 * cron's scheduled time), and that it existed for, get an archive row and one `archive` job. The row is INSERT OR IGNORE on (subscriber, period), and only
 * rows inserted now are enqueued, so a cron that runs twice enqueues once. A failed send is left to the sweeper.
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
      for (const period of closedPeriods(config.schedule, subscriber.timezone, at, LOOK_BACK[config.schedule])) {
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
 * (a failed one starts over), else a new one, enqueued now.
 */
export async function requestArchive(
  env: Env,
  subscriber: { id: string; timezone: string; archive: StoredArchiveSettings },
  period: Period,
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
