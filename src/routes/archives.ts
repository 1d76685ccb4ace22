import { z } from "@hono/zod-openapi";
import { isDate, localDate, spanPeriod } from "../archive/periods";
import { requestArchive } from "../archive/schedule";
import { type ArchiveRow, getArchive, listArchives } from "../db/archives";
import { getSubscriber } from "../db/subscribers";
import { ArchiveFormat } from "../domain/archive-settings";
import { Id } from "../domain/ids";
import { ArchiveStatus } from "../domain/status";
import { invalid } from "../lib/problem";
import { iso } from "../lib/time";
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
    to: z.string().openapi({ description: "end of the period, exclusive" }),
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
      "Answers 202 with the archive, queued. A period that already has an archive answers with it (a failed one is built again).",
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
    const period = spanPeriod(input.period_start, input.period_end, subscriber.timezone);
    // An archive of a period still running would miss its later events, and the period is then built for good.
    if (period.to_ms > now) {
      throw invalid([
        {
          path: "/period_end",
          message: `the period has not ended yet in ${subscriber.timezone} (today is ${localDate(now, subscriber.timezone)})`,
        },
      ]);
    }
    const archive = await requestArchive(c.env, subscriber, period, now);
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
    summary: "An archive: its status, and once ready its size, event count and sha256",
    params: z.object({ id: Id("arc") }),
    response: Archive,
  }),
  async (c) => {
    const { id } = c.req.valid("param");
    return c.json(presentArchive(requireFound(await getArchive(c.env.DB, id), "archive")), 200);
  },
);
