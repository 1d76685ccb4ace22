import { DISABLE_AFTER_MS, isRetryableStatus, retryDelaySeconds } from "./backoff";
import type { RetryPolicy } from "./retry-policy";

/** What an attempt's answer means for its delivery and its destination (CONTRACT §6). */
export interface AttemptDecision {
  outcome: "sent" | "retrying" | "dead" | "held";
  delaySeconds: number | null;
  /** Set when the destination is to be disabled: a 410, or failing without a success for 3 days. */
  disableReason: string | null;
}

export interface AttemptFacts {
  /** The answer's status, or null when none came (network error, timeout, nothing sent). */
  statusCode: number | null;
  /** Nothing was sent and sending again cannot help (credentials that will not open, a URL the policy refuses). */
  permanent: boolean;
  retryAfter: number | null;
  /** The attempt's number within the current budget (1 for the first attempt since a manual retry). */
  attemptInBudget: number;
  /** When the destination's failure streak began, or null. */
  failingSince: number | null;
  policy: RetryPolicy;
  now: number;
}

export function decideAttempt(facts: AttemptFacts): AttemptDecision {
  const status = facts.statusCode;
  if (status !== null && status >= 200 && status < 300)
    return { outcome: "sent", delaySeconds: null, disableReason: null };
  if (facts.permanent) return { outcome: "dead", delaySeconds: null, disableReason: null };
  if (status === 410)
    return { outcome: "dead", delaySeconds: null, disableReason: "the destination answered 410 Gone" };
  if (status !== null && !isRetryableStatus(status))
    return { outcome: "dead", delaySeconds: null, disableReason: null };
  if (facts.failingSince !== null && facts.now - facts.failingSince >= DISABLE_AFTER_MS) {
    return { outcome: "held", delaySeconds: null, disableReason: "failing without a success for 3 days" };
  }
  if (facts.attemptInBudget >= facts.policy.max_attempts) {
    return { outcome: "dead", delaySeconds: null, disableReason: null };
  }
  const delaySeconds = retryDelaySeconds(facts.policy, facts.attemptInBudget, facts.retryAfter);
  return { outcome: "retrying", delaySeconds, disableReason: null };
}
