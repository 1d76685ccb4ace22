import { describe, expect, it } from "vitest";
import { type AttemptFacts, decideAttempt } from "../../src/domain/attempt-decision";
import { DISABLE_AFTER_MS } from "../../src/domain/backoff";
import { DEFAULT_RETRY_POLICY } from "../../src/domain/retry-policy";

const NOW = Date.parse("2026-11-23T10:00:00Z");

/** A first attempt that got no answer, on a healthy destination with the default policy. */
function facts(overrides: Partial<AttemptFacts> = {}): AttemptFacts {
  return {
    statusCode: null,
    permanent: false,
    retryAfter: null,
    attemptInBudget: 1,
    failingSince: null,
    policy: DEFAULT_RETRY_POLICY,
    now: NOW,
    ...overrides,
  };
}

describe("what an attempt's answer means (CONTRACT §6)", () => {
  it("2xx is sent, even on a destination failing for days", () => {
    for (const statusCode of [200, 201, 204, 299]) {
      expect(decideAttempt(facts({ statusCode, failingSince: NOW - 10 * DISABLE_AFTER_MS }))).toEqual({
        outcome: "sent",
        delaySeconds: null,
        disableReason: null,
      });
    }
  });

  it("network errors, timeouts, 408, 425, 429 and 5xx are retried after the policy's backoff", () => {
    for (const statusCode of [null, 408, 425, 429, 500, 502, 503, 504]) {
      const decision = decideAttempt(facts({ statusCode }));
      expect(decision.outcome).toBe("retrying");
      expect(decision.disableReason).toBeNull();
      // Attempt 1 of the default policy: initial_delay 20 s, jittered ±20%.
      expect(decision.delaySeconds).toBeGreaterThanOrEqual(16);
      expect(decision.delaySeconds).toBeLessThanOrEqual(24);
    }
  });

  it("waits as long as Retry-After says, never less", () => {
    expect(decideAttempt(facts({ statusCode: 429, retryAfter: 120 }))).toEqual({
      outcome: "retrying",
      delaySeconds: 120,
      disableReason: null,
    });
    expect(decideAttempt(facts({ statusCode: 503, retryAfter: 0 })).delaySeconds).toBe(1);
  });

  it("other 4xx are dead at once, and leave the destination enabled", () => {
    for (const statusCode of [400, 401, 403, 404, 409, 422]) {
      expect(decideAttempt(facts({ statusCode, attemptInBudget: 1 }))).toEqual({
        outcome: "dead",
        delaySeconds: null,
        disableReason: null,
      });
    }
  });

  it("410 is dead and disables the destination", () => {
    expect(decideAttempt(facts({ statusCode: 410 }))).toEqual({
      outcome: "dead",
      delaySeconds: null,
      disableReason: "the destination answered 410 Gone",
    });
  });

  it("a permanent failure (nothing sent, sending again cannot help) is dead without disabling anything", () => {
    expect(decideAttempt(facts({ permanent: true }))).toEqual({
      outcome: "dead",
      delaySeconds: null,
      disableReason: null,
    });
    expect(decideAttempt(facts({ permanent: true, failingSince: NOW - DISABLE_AFTER_MS })).outcome).toBe("dead");
  });

  it("the last attempt of the budget is dead; the one before it is still retried", () => {
    const max = DEFAULT_RETRY_POLICY.max_attempts;
    expect(decideAttempt(facts({ statusCode: 503, attemptInBudget: max - 1 })).outcome).toBe("retrying");
    expect(decideAttempt(facts({ statusCode: 503, attemptInBudget: max }))).toEqual({
      outcome: "dead",
      delaySeconds: null,
      disableReason: null,
    });
    const once = { max_attempts: 1, initial_delay: 20, max_delay: 3600 };
    expect(decideAttempt(facts({ statusCode: 503, policy: once })).outcome).toBe("dead");
  });

  it("a retryable failure 3 days into a failure streak is held and disables the destination, not dropped", () => {
    const held = { outcome: "held", delaySeconds: null, disableReason: "failing without a success for 3 days" };
    expect(decideAttempt(facts({ statusCode: 503, failingSince: NOW - DISABLE_AFTER_MS }))).toEqual(held);
    expect(decideAttempt(facts({ statusCode: null, failingSince: NOW - DISABLE_AFTER_MS - 1 }))).toEqual(held);
    // Held wins over an exhausted budget: the delivery waits for the destination to be enabled again.
    expect(
      decideAttempt(
        facts({
          statusCode: 503,
          failingSince: NOW - DISABLE_AFTER_MS,
          attemptInBudget: DEFAULT_RETRY_POLICY.max_attempts,
        }),
      ),
    ).toEqual(held);
    // A millisecond short of 3 days it is still retried.
    expect(decideAttempt(facts({ statusCode: 503, failingSince: NOW - DISABLE_AFTER_MS + 1 })).outcome).toBe(
      "retrying",
    );
  });

  it("a non-retryable answer is dead even on a destination failing for 3 days (not held)", () => {
    expect(decideAttempt(facts({ statusCode: 404, failingSince: NOW - DISABLE_AFTER_MS })).outcome).toBe("dead");
  });
});
