import { z } from "@hono/zod-openapi";
import { parseTime } from "../lib/time";

/** An optional RFC 3339 time, as a query or body field (a list's or a replay's window). */
export const TimeQuery = z
  .string()
  .max(64)
  .refine((value) => parseTime(value) !== null, "must be an RFC 3339 time")
  .optional();
