import { RelayError } from "../lib/errors";

/**
 * The failures a stage records on a row rather than crashing on. Each says whether trying again can help
 * (`retryable`, from lib/errors.ts), so callers never have to know which class they caught.
 */

/** An auth config that can never work as saved (e.g. a key that is not a PKCS#8 PEM): retrying will not help. */
export class AuthConfigError extends RelayError {
  override name = "AuthConfigError";
  constructor(message: string) {
    super(message, false);
  }
}

/**
 * The token endpoint refused or failed. `retryable` for a network error, a timeout, 408, 429 and 5xx; any other
 * answer (bad client credentials, an unknown scope, no access_token) will not get better by itself.
 */
export class TokenError extends RelayError {
  override name = "TokenError";
  constructor(
    message: string,
    readonly status: number | null,
    retryable: boolean,
    /** Seconds, from the token endpoint's Retry-After. */
    retryAfter: number | null = null,
  ) {
    super(message, retryable, retryAfter);
  }
}

/** The event cannot be mapped as configured (no local id, a transform that fails): retrying will not help. */
export class IdentityError extends RelayError {
  constructor(
    message: string,
    /** The expression's own error behind this one, when there is one: a preview shows its position or limit. */
    readonly expressionError: unknown = null,
  ) {
    super(message, false);
  }
}

/** A sync page failed in a way the origin may recover from: the queue retries the page with backoff. */
export class RetryableSyncError extends RelayError {
  constructor(message: string) {
    super(message, true);
  }
}
