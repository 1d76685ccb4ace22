import { z } from "@hono/zod-openapi";

/** How a push is retried (CONTRACT §3 Destinations): `max_attempts` counts the first; delays are seconds. */
export const RetryPolicy = z
  .object({
    max_attempts: z.number().int().min(1).max(100).default(10),
    initial_delay: z.number().int().min(1).max(86_400).default(20),
    max_delay: z.number().int().min(1).max(604_800).default(3600),
  })
  .refine((retry) => retry.max_delay >= retry.initial_delay, {
    message: "max_delay must be at least initial_delay",
    path: ["max_delay"],
  });
export type RetryPolicy = z.infer<typeof RetryPolicy>;

/** A destination's default, and what archive-ready announcements use: 10 attempts, 20 s doubling up to an hour. */
export const DEFAULT_RETRY_POLICY = {
  max_attempts: 10,
  initial_delay: 20,
  max_delay: 3600,
} as const satisfies RetryPolicy;
