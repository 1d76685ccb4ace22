import type { RetryPolicy } from "./retry-policy";

/** Statuses worth another try: the destination may recover. Every other 4xx is the request's fault. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 425 || status === 429 || status >= 500;
}

/** Seconds to wait from `Retry-After` (delta seconds or an HTTP date), or null when absent or unreadable. */
export function parseRetryAfter(header: string | null, now: number): number | null {
  if (!header) return null;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  // An HTTP-date always names its month; V8's lenient Date.parse would read "1.5" or "2024-01-01" as one.
  if (!/[a-z]{3}/i.test(trimmed)) return null;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? null : Math.max(0, Math.ceil((date - now) / 1000));
}

export type BackoffPolicy = Pick<RetryPolicy, "initial_delay" | "max_delay">;

/**
 * The longest a Retry-After answer may park a delivery: 24 hours, or the policy's own longest wait when that is
 * longer. A destination that says `Retry-After: 999999999` would otherwise hold the delivery until 2058, where the
 * operator cannot see it fail and the sweeper never looks again.
 */
export const RETRY_AFTER_CAP_S = 24 * 60 * 60;

export function retryAfterCap(policy: BackoffPolicy): number {
  return Math.max(RETRY_AFTER_CAP_S, policy.max_delay);
}

/**
 * `initial_delay · 2^(n-1)` seconds for attempt n, with ±20% jitter so a recovering destination is not hit by a
 * thundering herd, capped at `max_delay`. A Retry-After answer wins (never retry earlier than told), up to
 * `retryAfterCap`.
 */
export function retryDelaySeconds(
  policy: BackoffPolicy,
  attempt: number,
  retryAfter: number | null,
  random = Math.random(),
): number {
  if (retryAfter !== null) return Math.max(1, Math.min(retryAfter, retryAfterCap(policy)));
  const exponential = policy.initial_delay * 2 ** Math.min(attempt - 1, 30);
  const jittered = exponential * (0.8 + 0.4 * random);
  return Math.max(1, Math.round(Math.min(policy.max_delay, jittered)));
}

/** A destination failing without a single success for this long is disabled. */
export const DISABLE_AFTER_MS = 3 * 24 * 60 * 60 * 1000;
