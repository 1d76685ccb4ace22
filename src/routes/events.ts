import { z } from "@hono/zod-openapi";
import { deliveriesOfEvent } from "../db/deliveries";
import { archivesOfEvent } from "../db/event-archives";
import { type EventRow, getEvent, listEvents } from "../db/events";
import { loadCloudEvent } from "../db/payloads";
import { Id } from "../domain/ids";
import { TimeQuery } from "../domain/time";
import { invalid } from "../lib/problem";
import { parseTime } from "../lib/time";
import { presentDelivery } from "./delivery-presenter";
import { spec } from "./openapi";
import { newRouter, type Router, requireFound } from "./router";
import { ListQuery, listOf } from "./schemas";

const EventSummary = z
  .object({
    id: z.string(),
    source_id: z.string(),
    external_id: z.string(),
    type: z.string(),
    subject: z.string().nullable(),
    time: z.string(),
    received_at: z.string(),
    routed_at: z.string().nullable(),
    route_error: z.string().nullable(),
  })
  .openapi("EventSummary");

const EventArchive = z
  .object({
    id: z.string(),
    subscriber_id: z.string(),
    period_start: z.string(),
    period_end: z.string(),
    partial: z.boolean(),
    status: z.string(),
  })
  .openapi("EventArchive");

const EventDetail = EventSummary.extend({
  event: z.record(z.string(), z.unknown()).openapi({ description: "the CloudEvent as stored and pushed" }),
  deliveries: z.array(z.record(z.string(), z.unknown())),
  archives: z.array(EventArchive).openapi({
    description:
      "for each subscriber the event is archived for, its archives whose period covers the event's received_at " +
      "(a full archive, and partial exports cut after it arrived); empty until one is built",
  }),
}).openapi("EventDetail");

function summary(row: EventRow) {
  return {
    id: row.id,
    source_id: row.source_id,
    external_id: row.external_id,
    type: row.type,
    subject: row.subject,
    time: row.time,
    received_at: new Date(row.received_at).toISOString(),
    routed_at: row.routed_at === null ? null : new Date(row.routed_at).toISOString(),
    route_error: row.route_error,
  };
}

function timeRange(query: { from?: string; to?: string }) {
  const from = query.from ? parseTime(query.from)! : undefined;
  const to = query.to ? parseTime(query.to)! : undefined;
  if (from !== undefined && to !== undefined && from > to) {
    throw invalid([{ path: "/query/to", message: "must not be before from" }]);
  }
  return { from, to };
}

export const events: Router = newRouter()
  .openapi(
    spec({
      method: "get",
      path: "/events",
      tag: "events",
      summary: "List events, newest first",
      query: ListQuery.extend({
        source_id: Id("src").optional(),
        type: z.string().max(200).optional(),
        from: TimeQuery,
        to: TimeQuery,
      }),
      response: listOf(EventSummary),
    }),
    async (c) => {
      const query = c.req.valid("query");
      const page = await listEvents(
        c.env.DB,
        { source_id: query.source_id, type: query.type, ...timeRange(query) },
        query.limit,
        query.cursor,
      );
      return c.json({ data: page.data.map(summary), next_cursor: page.next_cursor }, 200);
    },
  )
  .openapi(
    spec({
      method: "get",
      path: "/events/{id}",
      tag: "events",
      summary: "An event with its deliveries",
      params: z.object({ id: Id("evt") }),
      response: EventDetail,
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const row = requireFound(await getEvent(c.env.DB, id), "event");
      const [event, deliveries, archives] = await Promise.all([
        loadCloudEvent(c.env.BUCKET, row),
        deliveriesOfEvent(c.env.DB, id),
        archivesOfEvent(c.env.DB, id, row.received_at),
      ]);
      return c.json({ ...summary(row), event, deliveries: deliveries.map(presentDelivery), archives }, 200);
    },
  );
