import { isDate } from "./periods";

/**
 * The name a subscriber sees for an archive, in the pull API and in content-disposition: the local date for a
 * one-day period (`2026-11-21.zip`), first and last local dates for a longer one (`2026-11-16_2026-11-22.zip`).
 * A subscriber has one archive per period, so the name identifies it.
 */
export function eventFileName(period: { period_start: string; period_end: string }): string {
  return period.period_start === period.period_end
    ? `${period.period_start}.zip`
    : `${period.period_start}_${period.period_end}.zip`;
}

/** The period a name stands for; null unless it is a name eventFileName would give (one spelling per file). */
export function parseEventFileName(name: string): { period_start: string; period_end: string } | null {
  const match = /^(\d{4}-\d{2}-\d{2})(?:_(\d{4}-\d{2}-\d{2}))?\.zip$/.exec(name);
  if (!match) return null;
  const [, start, end = start] = match;
  if (!isDate(start) || !isDate(end) || end < start) return null;
  const period = { period_start: start, period_end: end };
  return eventFileName(period) === name ? period : null;
}
