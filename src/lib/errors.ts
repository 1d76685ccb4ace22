/**
 * The one notion of "would trying again help?": every failure the relay records instead of crashing on says so in
 * `retryable`, and `retryAfter` (seconds) when the other side said when. Callers decide on these two fields and
 * never on which class was thrown. It lives in lib/ because lib's own errors (URL policy, templates) are among them.
 */
export class RelayError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly retryAfter: number | null = null,
  ) {
    super(message);
  }
}
