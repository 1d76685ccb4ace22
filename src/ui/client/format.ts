/**
 * Pure formatting: numbers, times and sizes as the dashboard shows them. No DOM here, so the unit tests run these
 * in Node; Intl formatters are built once, at import, because they are costly to construct per call.
 */

import type { FieldError } from "./api";

export const isBlank = (v: unknown): v is null | undefined | "" => v == null || v === "";
// A short name on purpose: test/integration/ui.test.ts rebuilds every admin path from `"…" + enc(x) + "…"`.
export const enc = encodeURIComponent;

/** Seconds (below 1e11) or milliseconds since the epoch, or an ISO string; null when it is not a time. */
export function toMs(value: unknown): number | null {
  if (isBlank(value)) return null;
  if (typeof value === "number") return value < 1e11 ? value * 1000 : value;
  const ms = Date.parse(String(value));
  return Number.isNaN(ms) ? null : ms;
}

export const absFormat = new Intl.DateTimeFormat(undefined, {
  year: "numeric",
  month: "short",
  day: "numeric",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
  hourCycle: "h23",
});

export function relative(ms: number, now: number = Date.now()): string {
  const diff = (ms - now) / 1000;
  const a = Math.abs(diff);
  if (a < 5) return "just now";
  let text: string;
  if (a < 60) text = `${Math.round(a)} s`;
  else if (a < 3600) text = `${Math.round(a / 60)} min`;
  else if (a < 86400) text = `${Math.round(a / 3600)} h`;
  else if (a < 86400 * 60) text = `${Math.round(a / 86400)} d`;
  else if (a < 86400 * 730) text = `${Math.round(a / (86400 * 30))} mo`;
  else text = `${Math.round(a / (86400 * 365))} y`;
  return diff < 0 ? `${text} ago` : `in ${text}`;
}

export function age(seconds: unknown): string {
  const s = Number(seconds);
  if (!Number.isFinite(s)) return "—";
  if (s < 90) return `${Math.round(s)} s`;
  if (s < 5400) return `${Math.round(s / 60)} min`;
  if (s < 172800) return `${(s / 3600).toFixed(s < 36000 ? 1 : 0)} h`;
  return `${Math.round(s / 86400)} d`;
}

export function duration(ms: unknown): string {
  if (ms == null || !Number.isFinite(Number(ms))) return "—";
  const n = Number(ms);
  return n < 1000 ? `${Math.round(n)} ms` : `${(n / 1000).toFixed(n < 10000 ? 2 : 1)} s`;
}

export function bytes(n: unknown): string {
  if (isBlank(n) || !Number.isFinite(Number(n))) return "—";
  const v = Number(n);
  if (v < 1024) return `${v} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let x = v / 1024;
  let i = 0;
  while (x >= 1024 && i < units.length - 1) {
    x /= 1024;
    i++;
  }
  return `${x.toFixed(x < 10 ? 1 : 0)} ${units[i]}`;
}

// Archive periods are local calendar dates (YYYY-MM-DD); they are shown as dates, never shifted to this browser's zone.
const dayFormat = new Intl.DateTimeFormat(undefined, {
  weekday: "short",
  year: "numeric",
  month: "short",
  day: "numeric",
  timeZone: "UTC",
});
export function dayLabel(date: unknown): string {
  const ms = Date.parse(`${String(date)}T00:00:00Z`);
  return Number.isNaN(ms) ? String(date) : dayFormat.format(ms);
}

export interface Period {
  period_start?: string | null;
  period_end?: string | null;
}
export function periodDays(a: Period): number | null {
  const ms = Date.parse(`${String(a.period_end)}T00:00:00Z`) - Date.parse(`${String(a.period_start)}T00:00:00Z`);
  return Number.isFinite(ms) ? Math.round(ms / 86400000) + 1 : null;
}
export function periodText(a: Period): string {
  if (isBlank(a.period_start)) return "—";
  return a.period_start === a.period_end || isBlank(a.period_end)
    ? String(a.period_start)
    : `${a.period_start} → ${a.period_end}`;
}

export const plural = (n: unknown, one: string, many?: string): string =>
  `${Number(n).toLocaleString()} ${Number(n) === 1 ? one : many || `${one}s`}`;

/** A problem+json error's path (["steps", 0, "url"] or "steps.0.url") as one dotted string. */
export const pathText = (p: unknown): string => (Array.isArray(p) ? p.join(".") : isBlank(p) ? "" : String(p));

/** The field errors worth listing under a toast's detail: "path: message", without repeating the detail. */
export function fieldLines(errors: readonly FieldError[] | undefined, detail?: string | null): string[] {
  const text = (e: FieldError) => (pathText(e.path) ? `${pathText(e.path)}: ` : "") + (e.message || "");
  return (errors || []).map(text).filter((t) => t && t !== detail);
}

/** The form field a problem+json path names: its last segment. */
export const fieldName = (p: unknown): string | undefined => pathText(p).split(/[./]/).filter(Boolean).pop();

export const chipText = (v: unknown): string => {
  if (v && typeof v === "object") {
    const o = v as { code?: unknown; name?: unknown };
    return String(o.code || o.name || JSON.stringify(v));
  }
  return String(v);
};

/** JSON pretty-printed; a string that holds JSON is parsed first, one that does not is shown as it is. */
export function jsonText(value: unknown): string {
  if (typeof value === "string") {
    try {
      return JSON.stringify(JSON.parse(value), null, 2);
    } catch (_) {
      return value;
    }
  }
  return JSON.stringify(value === undefined ? null : value, null, 2);
}

/** The colour an HTTP status reads as: success, worth retrying (timeouts, rate limits, 5xx), or refused. */
export function statusColour(code: unknown): "green" | "amber" | "red" {
  const c = Number(code);
  return c >= 200 && c < 300 ? "green" : c === 408 || c === 425 || c === 429 || c >= 500 ? "amber" : "red";
}

/** A local calendar date as YYYY-MM-DD (not toISOString, which is the UTC day). */
export const isoDay = (d: Date): string =>
  `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;

/** Only http(s) links become an href: a javascript: or data: URL from the API stays text. */
export function safeHref(url: string, base: string): string | null {
  try {
    const u = new URL(url, base);
    return u.protocol === "https:" || u.protocol === "http:" ? u.href : null;
  } catch (_) {
    return null;
  }
}

export const sum = (values: ReadonlyArray<number | null | undefined>): number =>
  values.reduce<number>((a, b) => a + (b || 0), 0);

export function slotLabel(iso: string, range: string): string {
  const d = new Date(iso);
  return range === "24h"
    ? d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })
    : d.toLocaleDateString([], { month: "short", day: "numeric" });
}

/** "UTC+02:00" for a getTimezoneOffset() value (minutes west of UTC, so the sign flips). */
export function utcOffsetText(timezoneOffset: number): string {
  const offset = -timezoneOffset;
  const sign = offset >= 0 ? "+" : "−";
  const hh = String(Math.floor(Math.abs(offset) / 60)).padStart(2, "0");
  const mm = String(Math.abs(offset) % 60).padStart(2, "0");
  return `UTC${sign}${hh}:${mm}`;
}
