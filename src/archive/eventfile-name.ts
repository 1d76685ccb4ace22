import { isDate } from "./periods";

/**
 * The name a subscriber sees for an archive, in the pull API, in content-disposition and on its archive targets: the
 * local date for a one-day period (`2026-11-21.zip`), first and last local dates for a longer one
 * (`2026-11-16_2026-11-22.zip`). A subscriber has one full archive per period, so the name identifies it. A partial
 * export adds the instant it runs to (`2026-11-21_partial-20261121T143000Z.zip`), so it never lands on a target
 * under the name the full archive will overwrite it with, nor passes for it.
 */
export function eventFileName(archive: {
  period_start: string;
  period_end: string;
  partial?: boolean;
  to_ms?: number;
}): string {
  const period =
    archive.period_start === archive.period_end
      ? archive.period_start
      : `${archive.period_start}_${archive.period_end}`;
  if (!archive.partial || archive.to_ms === undefined) return `${period}.zip`;
  const upTo = new Date(archive.to_ms)
    .toISOString()
    .replace(/\.\d{3}Z$/, "Z")
    .replace(/[-:]/g, "");
  return `${period}_partial-${upTo}.zip`;
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
