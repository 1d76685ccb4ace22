import { z } from "@hono/zod-openapi";
import { getDestination } from "../db/destinations";
import { countReplayDeliveries, countReplayEvents, type ReplayCriteria } from "../db/replay-queries";
import { getReplay, insertReplay, type ReplayRow } from "../db/replays";
import { newId } from "../lib/ids";
import { invalid } from "../lib/problem";
import { iso, parseTime } from "../lib/time";
import type { RouteMessage } from "../pipeline/messages";
import { DeliveryStatus } from "./deliveries";
import { TimeQuery } from "./events";
import { spec } from "./openapi";
import { newRouter, requireFound } from "./router";
import { Id } from "./schemas";

const ReplayInput = z
  .object({
    from: TimeQuery.openapi({
      description: "stage route: events received from then on; stage deliver: deliveries created from then on",
    }),
    to: TimeQuery.openapi({ description: "exclusive end of the same window; at most the time of the request" }),
    source_id: Id("src").optional().openapi({ description: "events of this source (a delivery's is its event's)" }),
    subscriber_id: Id("sub").optional(),
    subscription_id: Id("sbn").optional(),
    event_types: z
      .array(z.string().min(1).max(200))
      .max(100)
      .optional()
      .openapi({ description: "events of these types (a delivery's is its event's)" }),
    status: DeliveryStatus.optional().openapi({
      description:
        "stage deliver: deliveries in this status (without it, finished ones only: not pending, ready or retrying); " +
        "stage route: events with a delivery in this status, of the given subscriber or subscription",
    }),
    include_copies: z.boolean().optional().openapi({
      description: "stage deliver: also resend the copies earlier replays made (default false: originals only)",
    }),
    stage: z.enum(["route", "deliver"]),
    destination_id: Id("dst")
      .optional()
      .openapi({ description: "stage deliver: send the copies here instead; it never widens what matches" }),
  })
  .strict()
  .openapi("ReplayInput");

const Replay = z
  .object({
    id: z.string(),
    stage: z.enum(["route", "deliver"]),
    status: z.enum(["running", "completed", "failed"]),
    matched: z
      .number()
      .openapi({ description: "stage route: events to route again; stage deliver: deliveries to copy" }),
    processed: z.number(),
    created: z.number().openapi({ description: "deliveries created so far" }),
    criteria: z.record(z.string(), z.unknown()),
    error: z.string().nullable(),
    created_at: z.string(),
    finished_at: z.string().nullable(),
  })
  .openapi("Replay");

function present(row: ReplayRow) {
  const criteria = JSON.parse(row.criteria) as ReplayCriteria;
  return {
    id: row.id,
    stage: row.stage,
    status: row.status,
    matched: row.matched,
    processed: row.processed,
    created: row.created_count,
    criteria: { ...criteria, from: iso(criteria.from), to: iso(criteria.to) },
    error: row.error,
    created_at: iso(row.created_at)!,
    finished_at: iso(row.finished_at),
  };
}

type Input = z.infer<typeof ReplayInput>;

/** A criterion the stage cannot apply is refused, never dropped. */
function checkStage(input: Input): void {
  if (input.stage === "deliver") return;
  for (const field of ["destination_id", "include_copies"] as const) {
    if (input[field]) throw invalid([{ path: `/${field}`, message: "only applies to stage deliver" }]);
  }
}

function timeWindow(input: Input, now: number): { from?: number; to: number } {
  const from = input.from === undefined ? undefined : parseTime(input.from)!;
  const to = input.to === undefined ? undefined : parseTime(input.to)!;
  if (from !== undefined && to !== undefined && from > to) {
    throw invalid([{ path: "/to", message: "must not be before from" }]);
  }
  // Work created by the replay itself must not be replayed again: the window ends now.
  return { from, to: Math.min(to ?? now + 1, now + 1) };
}

/** A deliver-stage replay into another destination must stay within the subscriber it resends for. */
async function checkDestination(env: Env, input: Input): Promise<void> {
  if (!input.destination_id) return;
  if (!input.subscriber_id) throw invalid([{ path: "/subscriber_id", message: "is required with destination_id" }]);
  const destination = await getDestination(env.DB, input.destination_id);
  if (destination?.subscriber_id !== input.subscriber_id) {
    throw invalid([{ path: "/destination_id", message: "is not a destination of this subscriber" }]);
  }
}

export const replays = newRouter()
  .openapi(
    spec({
      method: "post",
      path: "/replays",
      tag: "replays",
      summary: "Replay events through routing again, or resend built payloads (optionally to another destination)",
      body: ReplayInput,
      status: 202,
      response: z.object({
        id: z.string(),
        matched: z
          .number()
          .openapi({ description: "what the replay will run: events (route) or deliveries (deliver)" }),
      }),
    }),
    async (c) => {
      const input = c.req.valid("json");
      checkStage(input);
      await checkDestination(c.env, input);
      const now = Date.now();
      const criteria: ReplayCriteria = {
        ...timeWindow(input, now),
        source_id: input.source_id,
        subscriber_id: input.subscriber_id,
        subscription_id: input.subscription_id,
        event_types: input.event_types,
        status: input.status,
        destination_id: input.destination_id,
        include_copies: input.include_copies,
      };
      const id = newId("rpl", now);
      // Counted by the conditions the pages walk, so `matched` is what the replay really routes or sends.
      const matched =
        input.stage === "route"
          ? await countReplayEvents(c.env.DB, criteria)
          : await countReplayDeliveries(c.env.DB, criteria, id);
      await insertReplay(c.env.DB, {
        id,
        stage: input.stage,
        criteria: JSON.stringify(criteria),
        status: matched ? "running" : "completed",
        matched,
        processed: 0,
        created_count: 0,
        cursor: null,
        error: null,
        created_at: now,
        updated_at: now,
        finished_at: matched ? null : now,
      });
      if (matched) await c.env.ROUTE_QUEUE.send({ kind: "replay", replay_id: id } satisfies RouteMessage);
      return c.json({ id, matched }, 202);
    },
  )
  .openapi(
    spec({
      method: "get",
      path: "/replays/{id}",
      tag: "replays",
      summary: "A replay's progress",
      params: z.object({ id: Id("rpl") }),
      response: Replay,
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      return c.json(present(requireFound(await getReplay(c.env.DB, id), "replay")), 200);
    },
  );
