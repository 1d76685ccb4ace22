/** The notify rate limit the workers pool runs with (vitest.config.ts), small so the limit test stays quick. */
export const NOTIFY_LIMIT_IN_TESTS = 25;
