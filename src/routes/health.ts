import { createRoute, z } from "@hono/zod-openapi";
import { oldestUndeliveredAt } from "../db/health";
import { newRouter, type Router } from "./router";

const Health = z.object({
  ok: z.boolean(),
  database: z.enum(["ok", "unreachable"]),
  oldest_undelivered_age_s: z
    .number()
    .nullable()
    .openapi({ description: "age of the oldest event or delivery still owed" }),
  time: z.string(),
});

export const health: Router = newRouter().openapi(
  createRoute({
    method: "get",
    path: "/healthz",
    tags: ["operations"],
    summary: "Liveness, database reachability and the age of the oldest undelivered work",
    responses: {
      200: { description: "healthy", content: { "application/json": { schema: Health } } },
      503: { description: "database unreachable", content: { "application/json": { schema: Health } } },
    },
  }),
  async (c) => {
    const now = Date.now();
    try {
      const oldest = await oldestUndeliveredAt(c.env.DB);
      const age = oldest == null ? null : Math.max(0, Math.round((now - oldest) / 1000));
      return c.json(
        { ok: true, database: "ok" as const, oldest_undelivered_age_s: age, time: new Date(now).toISOString() },
        200,
      );
    } catch {
      return c.json(
        {
          ok: false,
          database: "unreachable" as const,
          oldest_undelivered_age_s: null,
          time: new Date(now).toISOString(),
        },
        503,
      );
    }
  },
);
