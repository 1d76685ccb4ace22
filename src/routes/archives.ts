import { z } from "@hono/zod-openapi";
import { elapsedSpan, isDate, localDate, spanPeriod } from "../archive/periods";
import { requestArchive } from "../archive/schedule";
import { getArchiveTarget } from "../db/archive-targets";
import { type ArchiveRow, getArchive, listArchives } from "../db/archives";
import { fileDeliveriesOfArchive } from "../db/file-delivery-resends";
import { getSubscriber } from "../db/subscribers";
import { ArchiveFormat } from "../domain/archive-settings";
import { Id } from "../domain/ids";
import { ArchiveStatus } from "../domain/status";
import { invalid, notFound, Problem } from "../lib/problem";
import { iso } from "../lib/time";
import { redeliverArchive } from "../pipeline/archive-redeliver";
import { FileDelivery, presentFileDelivery } from "./file-delivery-presenter";
import { spec } from "./openapi";
import { newRouter, requireFound } from "./router";
import { ListQuery, listOf } from "./schemas";

/** Longest span one archive may cover: a year of local days. */
const MAX_SPAN_DAYS = 366;

/** No event is received before the epoch; earlier years also fall outside what the period arithmetic handles. */
const EARLIEST_DATE = "1970-01-01";

const LocalDate = z
  .string()
  .refine(isDate, "must be a date YYYY-MM-DD that exists")
  .refine((date) => date >= EARLIEST_DATE, `must be ${EARLIEST_DATE} or later`)
  .openapi({ example: "2026-11-21", description: "a local date in the subscriber's timezone" });

const ArchiveInput = z
  .object({ subscriber_id: Id("sub"), period_start: LocalDate, period_end: LocalDate })
  .openapi("ArchiveInput");

const Archive = z
  .object({
    id: z.string(),
    subscriber_id: z.string(),
    period_start: z.string(),
    period_end: z.string(),
    timezone: z.string(),
    format: ArchiveFormat,
    from: z.string().openapi({ description: "first instant covered (events by the time Syndic received them)" }),
    to: z.string().openapi({
      description:
        "end of what is covered, exclusive: the period's end, or for a partial archive the time it was asked for",
    }),
    partial: z.boolean().openapi({
      description:
        "an on-demand export of a period that had not ended: what was received until `to`; the full archive of the period is still built when it is due",
    }),
    status: ArchiveStatus,
    events: z.number().nullable(),
    bytes: z.number().nullable(),
    sha256: z.string().nullable().openapi({ description: "of the zip, lowercase hex" }),
    error: z.string().nullable(),
    progress: z.object({ events: z.number() }).openapi({ description: "events written so far while building" }),
    created_at: z.string(),
    updated_at: z.string(),
    ready_at: z.string().nullable(),
    expires_at: z.string().nullable(),
    acknowledged_at: z.string().nullable(),
  })
  .openapi("Archive");

function presentArchive(row: ArchiveRow) {
  return {
    id: row.id,
    subscriber_id: row.subscriber_id,
    period_start: row.period_start,
    period_end: row.period_end,
    timezone: row.timezone,
    format: row.format,
    from: iso(row.from_ms)!,
    to: iso(row.to_ms)!,
    partial: row.partial,
    status: row.status,
    events: row.events,
    bytes: row.bytes,
    sha256: row.sha256,
    error: row.error,
    progress: { events: row.progress_events },
    created_at: iso(row.created_at)!,
    updated_at: iso(row.updated_at)!,
    ready_at: iso(row.ready_at),
    expires_at: iso(row.expires_at),
    acknowledged_at: iso(row.acknowledged_at),
  };
}

const ArchiveWithDeliveries = Archive.extend({
  deliveries: z.array(FileDelivery).openapi({ description: "the archive's deliveries to its subscriber's targets" }),
}).openapi("ArchiveWithDeliveries");

const DeliverInput = z
  .object({
    target_id: Id("atg")
      .optional()
      .openapi({ description: "one of the subscriber's targets; all enabled ones without" }),
  })
  .openapi("ArchiveDeliverInput");

const Redelivery = z.object({ archive_id: z.string(), deliveries: z.array(FileDelivery) }).openapi("ArchiveRedelivery");

const ListFilters = ListQuery.extend({ subscriber_id: Id("sub").optional(), status: ArchiveStatus.optional() });

/**
 * Routes are added one statement at a time rather than chained: the chained type of three routes returning the
 * Archive schema is more than TypeScript can represent once mounted on the admin router (TS2590).
 */
export const archives = newRouter();

archives.openapi(
  spec({
    method: "post",
    path: "/archives",
    tag: "archives",
    summary: "Build the archive of a period now (local dates in the subscriber's timezone, both included)",
    description:
      "Answers 202 with the archive, queued. A period that already has an archive answers with it (a failed one is built again). A period that has started but not ended is exported as it stands: a new partial archive (`partial: true`) of what was received until now, every time it is asked for; the full archive of the period is still built when it is due.",
    body: ArchiveInput,
    status: 202,
    response: Archive,
  }),
  async (c) => {
    const input = c.req.valid("json");
    if (input.period_end < input.period_start) {
      throw invalid([{ path: "/period_end", message: "must not be before period_start" }]);
    }
    const days = (Date.parse(input.period_end) - Date.parse(input.period_start)) / 86_400_000 + 1;
    if (days > MAX_SPAN_DAYS) {
      throw invalid([{ path: "/period_end", message: `a period covers at most ${MAX_SPAN_DAYS} days` }]);
    }
    const subscriber = await getSubscriber(c.env.DB, input.subscriber_id);
    if (!subscriber) throw invalid([{ path: "/subscriber_id", message: "no such subscriber" }]);
    const now = Date.now();
    const span = elapsedSpan(spanPeriod(input.period_start, input.period_end, subscriber.timezone), now);
    if (!span) {
      throw invalid([
        {
          path: "/period_start",
          message: `the period has not started yet in ${subscriber.timezone} (today is ${localDate(now, subscriber.timezone)})`,
        },
      ]);
    }
    const archive = await requestArchive(c.env, subscriber, span, now);
    return c.json(presentArchive(archive), 202);
  },
);

archives.openapi(
  spec({
    method: "get",
    path: "/archives",
    tag: "archives",
    summary: "Archives, newest first",
    query: ListFilters,
    response: listOf(Archive),
  }),
  async (c) => {
    const { limit, cursor, subscriber_id, status } = c.req.valid("query");
    const page = await listArchives(c.env.DB, { subscriber_id, status }, limit, cursor);
    return c.json({ data: page.data.map(presentArchive), next_cursor: page.next_cursor }, 200);
  },
);

archives.openapi(
  spec({
    method: "get",
    path: "/archives/{id}",
    tag: "archives",
    summary: "An archive: its status, once ready its size, event count and sha256, and its deliveries to targets",
    params: z.object({ id: Id("arc") }),
    response: ArchiveWithDeliveries,
  }),
  async (c) => {
    const { id } = c.req.valid("param");
    const archive = requireFound(await getArchive(c.env.DB, id), "archive");
    const deliveries = await fileDeliveriesOfArchive(c.env.DB, id);
    return c.json({ ...presentArchive(archive), deliveries: deliveries.map(presentFileDelivery) }, 200);
  },
);

archives.openapi(
  spec({
    method: "post",
    path: "/archives/{id}/deliver",
    tag: "archives",
    summary: "Send a ready archive again to one of its subscriber's targets, or to all its enabled targets",
    description:
      "A target that already has a delivery of the archive gets it back in line with a fresh attempt budget (one in flight is left to finish); a target without one gets a new delivery. 409 when the archive is not ready, the target is disabled, or the subscriber has no enabled target.",
    params: z.object({ id: Id("arc") }),
    body: DeliverInput,
    bodyRequired: false,
    status: 202,
    response: Redelivery,
  }),
  async (c) => {
    const { id } = c.req.valid("param");
    const { target_id } = c.req.valid("json");
    const archive = requireFound(await getArchive(c.env.DB, id), "archive");
    if (archive.status !== "ready") {
      throw new Problem(409, "Conflict", `the archive is ${archive.status}: only a ready archive can be sent`);
    }
    if (target_id !== undefined) {
      const target = await getArchiveTarget(c.env.DB, target_id);
      // Another subscriber's target is not found from here, like any id a caller may not see.
      if (!target || target.subscriber_id !== archive.subscriber_id) throw notFound("archive target");
      if (!target.enabled) throw new Problem(409, "Conflict", "the target is disabled: enable it first");
    }
    const deliveries = await redeliverArchive(c.env, archive, target_id === undefined ? null : [target_id]);
    if (!deliveries.length) {
      throw new Problem(409, "Conflict", "the archive's subscriber has no enabled archive target");
    }
    return c.json({ archive_id: archive.id, deliveries: deliveries.map(presentFileDelivery) }, 202);
  },
);
