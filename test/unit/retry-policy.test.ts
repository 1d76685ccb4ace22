import { describe, expect, it } from "vitest";
import { isRetryableStatus, parseRetryAfter, retryDelaySeconds } from "../../src/domain/backoff";

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
});
