import { describe, expect, it } from "vitest";
import {
  isRetryableStatus,
  parseRetryAfter,
  RETRY_AFTER_CAP_S,
  retryAfterCap,
  retryDelaySeconds,
} from "../../src/domain/backoff";
import { RetryPolicy } from "../../src/domain/retry-policy";

describe("retry policy", () => {
  it("retries network-ish and server statuses only", () => {
    for (const status of [408, 425, 429, 500, 502, 503, 504]) expect(isRetryableStatus(status)).toBe(true);
    for (const status of [400, 401, 403, 404, 409, 410, 422]) expect(isRetryableStatus(status)).toBe(false);
  });

  it("doubles from initial_delay, jittered within ±20%, capped at max_delay", () => {
    const policy = { initial_delay: 20, max_delay: 3600 };
    expect(retryDelaySeconds(policy, 1, null, 0.5)).toBe(20);
    expect(retryDelaySeconds(policy, 2, null, 0.5)).toBe(40);
    expect(retryDelaySeconds(policy, 3, null, 0)).toBe(64);
    expect(retryDelaySeconds(policy, 3, null, 1)).toBe(96);
    expect(retryDelaySeconds(policy, 20, null, 1)).toBe(3600);
  });

  it("honours Retry-After in seconds or as an HTTP date, never sooner", () => {
    const now = Date.parse("2026-11-23T10:00:00Z");
    expect(parseRetryAfter("2", now)).toBe(2);
    expect(parseRetryAfter("Mon, 23 Nov 2026 10:00:30 GMT", now)).toBe(30);
    expect(parseRetryAfter("soon", now)).toBeNull();
    // Not a delay in seconds and not an HTTP-date: the policy's backoff applies (V8 would read these as dates).
    expect(parseRetryAfter("1.5", now)).toBeNull();
    expect(parseRetryAfter("2024-01-01", now)).toBeNull();
    expect(parseRetryAfter("-5", now)).toBeNull();
    expect(retryDelaySeconds({ initial_delay: 20, max_delay: 60 }, 1, 2)).toBe(2);
    expect(retryDelaySeconds({ initial_delay: 1, max_delay: 60 }, 1, 0)).toBe(1);
  });

  it("caps Retry-After at 24 h, or at the policy's longest wait when that is longer", () => {
    const now = Date.parse("2026-11-23T10:00:00Z");
    const day = 24 * 3600;
    expect(retryDelaySeconds({ initial_delay: 20, max_delay: 3600 }, 1, parseRetryAfter("999999999", now))).toBe(day);
    expect(retryDelaySeconds({ initial_delay: 20, max_delay: 3600 }, 1, parseRetryAfter("9".repeat(400), now))).toBe(
      day,
    );
    expect(
      retryDelaySeconds(
        { initial_delay: 20, max_delay: 3600 },
        1,
        parseRetryAfter("Tue, 01 Jan 2058 00:00:00 GMT", now),
      ),
    ).toBe(day);
    expect(retryDelaySeconds({ initial_delay: 20, max_delay: 7 * day }, 1, 999_999_999)).toBe(7 * day);
    expect(retryDelaySeconds({ initial_delay: 20, max_delay: 3600 }, 1, 7200)).toBe(7200);
  });

  it("reads Retry-After leniently: padded seconds, a past date as now, nothing or garbage as absent", () => {
    const now = Date.parse("2026-11-23T10:00:00Z");
    expect(parseRetryAfter(" 7 ", now)).toBe(7);
    expect(parseRetryAfter("Mon, 23 Nov 2026 09:00:00 GMT", now)).toBe(0);
    // A date a fraction of a second ahead is a whole second: never retry before the time given.
    expect(parseRetryAfter(new Date(now + 1500).toUTCString(), now + 500)).toBe(1);
    expect(parseRetryAfter(null, now)).toBeNull();
    expect(parseRetryAfter("", now)).toBeNull();
    expect(parseRetryAfter("in a minute", now)).toBeNull();
  });

  it("jitters every attempt within ±20% of the doubled delay, and never waits less than a second", () => {
    const policy = { initial_delay: 10, max_delay: 10_000 };
    for (let attempt = 1; attempt <= 8; attempt++) {
      const base = 10 * 2 ** (attempt - 1);
      for (const random of [0, 0.25, 0.5, 0.75, 0.999]) {
        const delay = retryDelaySeconds(policy, attempt, null, random);
        expect(delay).toBeGreaterThanOrEqual(Math.round(base * 0.8));
        expect(delay).toBeLessThanOrEqual(Math.round(base * 1.2));
      }
    }
    expect(retryDelaySeconds({ initial_delay: 1, max_delay: 1 }, 1, null, 0)).toBe(1);
    // Attempt numbers far past the budget neither overflow nor escape max_delay.
    expect(retryDelaySeconds(policy, 10_000, null, 1)).toBe(10_000);
  });

  it("caps Retry-After at RETRY_AFTER_CAP_S or the policy's max_delay, whichever is longer", () => {
    expect(retryAfterCap({ initial_delay: 20, max_delay: 3600 })).toBe(RETRY_AFTER_CAP_S);
    expect(retryAfterCap({ initial_delay: 20, max_delay: 2 * RETRY_AFTER_CAP_S })).toBe(2 * RETRY_AFTER_CAP_S);
  });

  it("a policy fills its defaults and refuses a max_delay below initial_delay", () => {
    expect(RetryPolicy.parse({})).toEqual({ max_attempts: 10, initial_delay: 20, max_delay: 3600 });
    const refused = RetryPolicy.safeParse({ initial_delay: 60, max_delay: 30 });
    expect(refused.success).toBe(false);
    expect(refused.error?.issues[0].path).toEqual(["max_delay"]);
    expect(RetryPolicy.safeParse({ max_attempts: 0 }).success).toBe(false);
  });
});
