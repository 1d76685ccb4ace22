import { createRoute, z } from "@hono/zod-openapi";
import { eventFileName, parseEventFileName } from "../archive/eventfile-name";
import { archiveLink, linkTtlOf } from "../archive/links";
import type { ArchiveRow } from "../db/archives";
import {
  acknowledgeArchive,
  type EventFileCursor,
  readyArchiveOfPeriod,
  unacknowledgedArchives,
} from "../db/eventfiles";
import { getSubscriber } from "../db/subscribers";
import { toBase64Url } from "../lib/encoding";
import { invalid, notFound } from "../lib/problem";
import { iso } from "../lib/time";
import { requireSubscriber } from "./middleware";
import { spec } from "./openapi";
import { newRouter } from "./router";
import { errorResponses, listOf } from "./schemas";
import { zipResponse } from "./zip-download";

/** The pull API hands out a few files at a time: a loader takes them, acknowledges them, and asks again. */
const MAX_FILES = 10;

const EventFile = z
  .object({
    name: z.string().openapi({ example: "2026-11-21.zip" }),
    id: z.string(),
    period_start: z.string(),
    period_end: z.string(),
    format: z.string(),
    events: z.number(),
    bytes: z.number(),
    sha256: z.string(),
    created_at: z.string(),
    ready_at: z.string().nullable(),
    url: z.string().openapi({ description: "a fresh signed link to the file, valid for the subscriber's link_ttl" }),
    url_expires_at: z.string(),
  })
  .openapi("EventFile");

const ListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(MAX_FILES).default(MAX_FILES),
  cursor: z.string().max(400).optional(),
});

const NameParams = z.object({
  name: z
    .string()
    .max(40)
    .refine((name) => parseEventFileName(name) !== null, "must be an event file name such as 2026-11-21.zip")
    .openapi({ example: "2026-11-21.zip" }),
});

function encodeCursor(row: ArchiveRow): string {
  return toBase64Url(new TextEncoder().encode(JSON.stringify([row.period_start, row.period_end, row.id])));
}

function decodeCursor(cursor: string | undefined): EventFileCursor | null {
  if (!cursor) return null;
  try {
    const [period_start, period_end, id] = JSON.parse(atob(cursor.replace(/-/g, "+").replace(/_/g, "/")));
    if ([period_start, period_end, id].every((part) => typeof part === "string")) {
      return { period_start, period_end, id };
    }
  } catch {
    // falls through to the 422 below
  }
  throw invalid([{ path: "/query/cursor", message: "is not a cursor this API returned" }]);
}

/** The subscriber's own ready archive by file name: another subscriber's file, or none, is a 404. */
async function ownFile(env: Env, subscriberId: string, name: string): Promise<ArchiveRow> {
  const period = parseEventFileName(name);
  const archive = period && (await readyArchiveOfPeriod(env.DB, subscriberId, period.period_start, period.period_end));
  if (!archive) throw notFound(`event file ${name}`);
  return archive;
}

/** Subscriber API: the subscriber's api_key, and only its own files. */
export const eventfiles = newRouter();
eventfiles.use("/v1/eventfiles", requireSubscriber);
eventfiles.use("/v1/eventfiles/*", requireSubscriber);

eventfiles.openapi(
  spec({
    method: "get",
    path: "/v1/eventfiles",
    tag: "event files",
    summary: `Up to ${MAX_FILES} ready archives not yet acknowledged, oldest period first, each with a fresh signed link`,
    query: ListQuery,
    response: listOf(EventFile),
  }),
  async (c) => {
    const subscriberId = c.get("subscriberId")!;
    const { limit, cursor } = c.req.valid("query");
    const [rows, subscriber] = await Promise.all([
      unacknowledgedArchives(c.env.DB, subscriberId, decodeCursor(cursor), limit),
      getSubscriber(c.env.DB, subscriberId),
    ]);
    const page = rows.slice(0, limit);
    const ttl = linkTtlOf(subscriber);
    const origin = new URL(c.req.url).origin;
    const data = await Promise.all(
      page.map(async (row) => {
        const link = await archiveLink(c.env, row, ttl, { requestOrigin: origin });
        return {
          name: eventFileName(row),
          id: row.id,
          period_start: row.period_start,
          period_end: row.period_end,
          format: row.format,
          events: row.events ?? 0,
          bytes: row.bytes ?? 0,
          sha256: row.sha256 ?? "",
          created_at: iso(row.created_at)!,
          ready_at: iso(row.ready_at),
          url: link.url,
          url_expires_at: iso(link.expires_at)!,
        };
      }),
    );
    const next_cursor = rows.length > limit ? encodeCursor(page[page.length - 1]) : null;
    return c.json({ data, next_cursor }, 200);
  },
);

eventfiles.openapi(
  createRoute({
    method: "get",
    path: "/v1/eventfiles/{name}",
    tags: ["event files"],
    summary: "Download one event file (HEAD and a single Range are supported)",
    security: [{ bearer: [] }],
    request: { params: NameParams },
    responses: {
      200: {
        description: "the zip",
        content: { "application/zip": { schema: z.string().openapi({ format: "binary" }) } },
      },
      206: { description: "the requested byte range of the zip" },
      ...errorResponses,
    },
  }),
  async (c) => {
    const archive = await ownFile(c.env, c.get("subscriberId")!, c.req.valid("param").name);
    return zipResponse(c.env.BUCKET, c.req.raw, {
      key: archive.r2_key,
      filename: eventFileName(archive),
      sha256: archive.sha256,
    });
  },
);

eventfiles.openapi(
  spec({
    method: "delete",
    path: "/v1/eventfiles/{name}",
    tag: "event files",
    summary: "Acknowledge an event file: it leaves the listing (it stays downloadable until it expires)",
    params: NameParams,
    status: 204,
  }),
  async (c) => {
    const subscriberId = c.get("subscriberId")!;
    const archive = await ownFile(c.env, subscriberId, c.req.valid("param").name);
    await acknowledgeArchive(c.env.DB, archive.id, subscriberId, Date.now());
    return c.body(null, 204);
  },
);
