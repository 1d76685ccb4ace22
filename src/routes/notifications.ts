import { z } from "@hono/zod-openapi";
import { getNotification, listNotifications, type NotificationRow } from "../db/notifications";
import { Id } from "../domain/ids";
import { NotificationStatus } from "../domain/status";
import { iso } from "../lib/time";
import { spec } from "./openapi";
import { newRouter, type Router, requireFound } from "./router";
import { ListQuery, listOf } from "./schemas";

const Notification = z
  .object({
    id: z.string(),
    source_id: z.string(),
    object_id: z.string(),
    status: NotificationStatus.openapi({ description: "collapsed: answered by the fetch of `collapsed_into`" }),
    attempts: z.number(),
    event_id: z.string().nullable(),
    last_status_code: z.number().nullable(),
    error: z.string().nullable(),
    collapsed_into: z.string().nullable(),
    next_attempt_at: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("Notification");

function present(row: NotificationRow) {
  return {
    id: row.id,
    source_id: row.source_id,
    object_id: row.object_id,
    status: row.status,
    attempts: row.attempts,
    event_id: row.event_id,
    last_status_code: row.last_status_code,
    error: row.error,
    collapsed_into: row.claimed_by && row.claimed_by !== row.id ? row.claimed_by : null,
    next_attempt_at: row.status === "pending" || row.status === "retrying" ? iso(row.next_attempt_at) : null,
    created_at: iso(row.created_at)!,
    updated_at: iso(row.updated_at)!,
  };
}

export const notifications: Router = newRouter()
  .openapi(
    spec({
      method: "get",
      path: "/notifications",
      tag: "notifications",
      summary: "List ID-only notifications, newest first",
      query: ListQuery.extend({ source_id: Id("src").optional(), status: NotificationStatus.optional() }),
      response: listOf(Notification),
    }),
    async (c) => {
      const { limit, cursor, ...filters } = c.req.valid("query");
      const page = await listNotifications(c.env.DB, filters, limit, cursor);
      return c.json({ data: page.data.map(present), next_cursor: page.next_cursor }, 200);
    },
  )
  .openapi(
    spec({
      method: "get",
      path: "/notifications/{id}",
      tag: "notifications",
      summary: "A notification and what became of it",
      params: z.object({ id: Id("ntf") }),
      response: Notification,
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      return c.json(present(requireFound(await getNotification(c.env.DB, id), "notification")), 200);
    },
  );
