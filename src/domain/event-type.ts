import { z } from "@hono/zod-openapi";

/** An event type a source registers; `schema`, when given, is enforced on `data` at publish. */
export const EventType = z.object({
  code: z.string().min(1).max(200),
  description: z.string().max(2000).optional(),
  schema: z.record(z.string(), z.unknown()).optional().openapi({ description: "JSON Schema for `data`" }),
});
export type EventType = z.infer<typeof EventType>;
