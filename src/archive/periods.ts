import type { ArchiveSchedule } from "../domain/archive-settings";

/**
 * Archive periods in a subscriber's IANA timezone, with Intl only. A period is a run of whole local days, given both
 * as local dates (what the subscriber reads) and as UTC bounds [from_ms, to_ms) on events.received_at (what the build
 * selects). A local day runs from the first instant whose local date is that day to the first instant of the next, so
 * DST days are 23 or 25 hours long, a day whose midnight is skipped starts at the first instant that exists, and
 * consecutive periods tile the timeline: every instant falls in exactly one of them.
 */

/** The schedules that make periods (`off` makes none). */
export type Schedule = Exclude<ArchiveSchedule, "off">;

export interface Period {
  /** Local dates, inclusive: YYYY-MM-DD. */
  period_start: string;
  period_end: string;
  /** UTC bounds of events.received_at, [from_ms, to_ms). */
  from_ms: number;
  to_ms: number;
}

const DAY_MS = 86_400_000;
/** Zone offsets lie within ±14 h; 15 h either side of UTC midnight always brackets a local midnight. */
const SEARCH_MS = 15 * 3_600_000;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    formatters.set(timeZone, format);
  }
  return format;
}

export function isTimeZone(timeZone: string): boolean {
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** The local wall-clock time at `ms`, read back as if it were UTC: wall - ms is the zone's offset then. */
function wallClock(ms: number, timeZone: string): number {
  const parts: Record<string, number> = {};
  for (const part of formatter(timeZone).formatToParts(ms)) {
    if (part.type !== "literal") parts[part.type] = Number(part.value);
  }
  return Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour % 24, parts.minute, parts.second);
}

function offsetAt(ms: number, timeZone: string): number {
  return wallClock(ms, timeZone) - Math.floor(ms / 1000) * 1000;
}

/** The local date (YYYY-MM-DD) at an instant. */
export function localDate(ms: number, timeZone: string): string {
  return new Date(wallClock(ms, timeZone)).toISOString().slice(0, 10);
}

/** A calendar date YYYY-MM-DD that exists (not 2026-02-30, not 2026-13-45); false, never a throw, otherwise. */
export function isDate(text: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return false;
  const ms = Date.parse(`${text}T00:00:00Z`);
  return !Number.isNaN(ms) && new Date(ms).toISOString().slice(0, 10) === text;
}

export function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

/** 0 for Monday … 6 for Sunday. */
function weekday(date: string): number {
  return (new Date(`${date}T00:00:00Z`).getUTCDay() + 6) % 7;
}

/** The first instant (UTC ms) whose local date is `date`. */
export function startOfLocalDay(date: string, timeZone: string): number {
  const wall = Date.parse(`${date}T00:00:00Z`);
  // Two rounds: the offset at the first guess may differ from the offset at local midnight itself.
  let guess = wall - offsetAt(wall, timeZone);
  guess = wall - offsetAt(guess, timeZone);
  if (localDate(guess, timeZone) === date && localDate(guess - 1, timeZone) < date) return guess;
  // Midnight does not exist that day (a DST jump at 00:00): the day starts at the first instant that does.
  return firstInstant(wall - SEARCH_MS, wall + SEARCH_MS, (ms) => localDate(ms, timeZone) >= date);
}

/** The first instant in (low, high] where `reached` holds, for a test that is false at low and flips once, to true. */
function firstInstant(low: number, high: number, reached: (ms: number) => boolean): number {
  while (high - low > 1) {
    const middle = Math.floor((low + high) / 2);
    if (reached(middle)) high = middle;
    else low = middle;
  }
  return high;
}

/** Local days `first`..`last` inclusive as one period. */
export function spanPeriod(first: string, last: string, timeZone: string): Period {
  return {
    period_start: first,
    period_end: last,
    from_ms: startOfLocalDay(first, timeZone),
    to_ms: startOfLocalDay(addDays(last, 1), timeZone),
  };
}

/** The daily or Monday–Sunday weekly period that contains local date `date`. */
export function periodContaining(schedule: Schedule, date: string, timeZone: string): Period {
  if (schedule === "daily") return spanPeriod(date, date, timeZone);
  const monday = addDays(date, -weekday(date));
  return spanPeriod(monday, addDays(monday, 6), timeZone);
}

/** The period that contains the instant `ms`. */
export function periodAt(schedule: Schedule, ms: number, timeZone: string): Period {
  return periodContaining(schedule, localDate(ms, timeZone), timeZone);
}

/**
 * The first instant whose local wall-clock time on `date` is `time` ("HH:MM"), or later when the day skips it. A time
 * a fall-back change repeats is its first occurrence; one a spring-forward change skips (02:30 on a day that jumps
 * from 02:00 to 03:00) is the first instant after the gap (03:00), so it still happens that day.
 */
export function instantOfLocalTime(date: string, time: string, timeZone: string): number {
  const wall = Date.parse(`${date}T${time}:00Z`);
  // Within ±15 h of the wall time read as UTC lies the instant itself; the offsets at both ends are every offset
  // that can apply (a zone changes at most once in that span).
  const candidates = [...new Set([offsetAt(wall - SEARCH_MS, timeZone), offsetAt(wall + SEARCH_MS, timeZone)])]
    .map((offset) => wall - offset)
    .sort((a, b) => a - b);
  const exact = candidates.find((ms) => wallClock(ms, timeZone) === wall);
  if (exact !== undefined) return exact;
  // Skipped: the wall clock jumps over `time` between the candidates; find the first instant at or past it.
  return firstInstant(candidates[0], candidates[candidates.length - 1], (ms) => wallClock(ms, timeZone) >= wall);
}

/** When a period's archive is due: `time` local on the day after its last day (midnight: as soon as it ends). */
export function periodDueAt(period: Period, time: string, timeZone: string): number {
  return instantOfLocalTime(addDays(period.period_end, 1), time, timeZone);
}

/**
 * The most recent periods whose archive is due at `now` (local `time` on the day after the period, see periodDueAt),
 * newest first: `count` of them, so a cron that missed runs (or a day) still catches up. The period in progress, and
 * one that ended but whose time has not come, are never among them.
 */
export function duePeriods(schedule: Schedule, timeZone: string, time: string, now: number, count = 1): Period[] {
  const current = periodAt(schedule, now, timeZone);
  const step = schedule === "daily" ? 1 : 7;
  const previous = periodContaining(schedule, addDays(current.period_start, -step), timeZone);
  // The period before the previous one was due during the previous one (a time of day comes before the day ends).
  const first = periodDueAt(previous, time, timeZone) <= now ? 1 : 2;
  const out: Period[] = [];
  for (let i = first; i < first + count; i++) {
    out.push(periodContaining(schedule, addDays(current.period_start, -step * i), timeZone));
  }
  return out;
}

/** The most recent periods that have ended at `now`, newest first (duePeriods at local midnight). */
export function closedPeriods(schedule: Schedule, timeZone: string, now: number, count = 1): Period[] {
  return duePeriods(schedule, timeZone, "00:00", now, count);
}

/** A period, or the part of one that had passed when an on-demand export of it was asked for. */
export interface ArchivedSpan extends Period {
  /** True when the period had not ended: to_ms is then the request's time, not the period's end. */
  partial: boolean;
}

/**
 * What of `period` has been received by `now`: all of it once it has ended, else [from_ms, now) marked partial (an
 * on-demand export). Null for a period that has not started, which has nothing to archive yet.
 */
export function elapsedSpan(period: Period, now: number): ArchivedSpan | null {
  if (period.from_ms >= now) return null;
  return period.to_ms <= now ? { ...period, partial: false } : { ...period, to_ms: now, partial: true };
}

/** Hours in a period: 24 for an ordinary day, 23 or 25 on DST changes. */
export function periodHours(period: Period): number {
  return (period.to_ms - period.from_ms) / 3_600_000;
}
