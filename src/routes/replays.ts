import { z } from "@hono/zod-openapi";
import { getDestination } from "../db/destinations";
import { countReplayDeliveries, countReplayEvents } from "../db/replay-queries";
import { getReplay, insertReplay, type ReplayRow } from "../db/replays";
import { Id } from "../domain/ids";
import { type ReplayCriteria, ReplayInput, ReplayStage } from "../domain/replay";
import { ReplayStatus } from "../domain/status";
import { newId } from "../lib/ids";
import { invalid } from "../lib/problem";
import { iso, parseTime } from "../lib/time";
import { ringReplay } from "../queues/ring";
import { spec } from "./openapi";
import { newRouter, type Router, requireFound } from "./router";

const Replay = z
  .object({
    id: z.string(),
    stage: ReplayStage,
    status: ReplayStatus,
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
  const { criteria } = row;
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

/** A criterion the stage cannot apply is refused, never dropped. */
function checkStage(input: ReplayInput): void {
  if (input.stage === "deliver") return;
  for (const field of ["destination_id", "include_copies"] as const) {
    if (input[field]) throw invalid([{ path: `/${field}`, message: "only applies to stage deliver" }]);
  }
}

function timeWindow(input: ReplayInput, now: number): { from?: number; to: number } {
  const from = input.from === undefined ? undefined : parseTime(input.from)!;
  const to = input.to === undefined ? undefined : parseTime(input.to)!;
  if (from !== undefined && to !== undefined && from > to) {
    throw invalid([{ path: "/to", message: "must not be before from" }]);
  }
  // Work created by the replay itself must not be replayed again: the window ends now.
  return { from, to: Math.min(to ?? now + 1, now + 1) };
}

/** A deliver-stage replay into another destination must stay within the subscriber it resends for. */
async function checkDestination(env: Env, input: ReplayInput): Promise<void> {
  if (!input.destination_id) return;
  if (!input.subscriber_id) throw invalid([{ path: "/subscriber_id", message: "is required with destination_id" }]);
  const destination = await getDestination(env.DB, input.destination_id);
  if (destination?.subscriber_id !== input.subscriber_id) {
    throw invalid([{ path: "/destination_id", message: "is not a destination of this subscriber" }]);
  }
}

export const replays: Router = newRouter()
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
        event_id: input.event_id,
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
        criteria,
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
      if (matched) await ringReplay(c.env, id);
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
