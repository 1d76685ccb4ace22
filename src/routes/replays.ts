import { z } from "@hono/zod-openapi";
import { countDeliveries, type DeliveryFilters } from "../db/deliveries";
import { getDestination } from "../db/destinations";
import { countEvents } from "../db/events";
import { getReplay, insertReplay, type ReplayRow } from "../db/replays";
import { newId } from "../lib/ids";
import { invalid } from "../lib/problem";
import { iso } from "../lib/time";
import type { RouteMessage } from "../pipeline/messages";
import { deliveryFilters, eventFilters, type ReplayCriteria } from "../pipeline/replay";
import { DeliveryStatus } from "./deliveries";
import { TimeQuery, timeRange } from "./events";
import { spec } from "./openapi";
import { newRouter, requireFound } from "./router";
import { Id } from "./schemas";

const ReplayInput = z
  .object({
    from: TimeQuery,
    to: TimeQuery,
    source_id: Id("src").optional(),
    subscriber_id: Id("sub").optional(),
    subscription_id: Id("sbn").optional(),
    event_types: z.array(z.string().min(1).max(200)).max(100).optional(),
    status: DeliveryStatus.optional(),
    stage: z.enum(["route", "deliver"]),
    destination_id: Id("dst").optional(),
  })
  .openapi("ReplayInput");

const Replay = z
  .object({
    id: z.string(),
    stage: z.enum(["route", "deliver"]),
    status: z.enum(["running", "completed", "failed"]),
    matched: z.number(),
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

/** A deliver-stage replay into another destination must stay within the subscriber it resends for. */
async function checkDestination(env: Env, input: z.infer<typeof ReplayInput>): Promise<void> {
  if (!input.destination_id) return;
  if (input.stage !== "deliver") throw invalid([{ path: "/destination_id", message: "only applies to stage deliver" }]);
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
      response: z.object({ id: z.string(), matched: z.number() }),
    }),
    async (c) => {
      const input = c.req.valid("json");
      await checkDestination(c.env, input);
      const now = Date.now();
      const { from, to } = timeRange(input);
      // Work created by the replay itself must not be replayed again: the window ends now.
      const criteria: ReplayCriteria = {
        from,
        to: Math.min(to ?? now + 1, now + 1),
        source_id: input.source_id,
        subscriber_id: input.subscriber_id,
        subscription_id: input.subscription_id,
        event_types: input.event_types,
        status: input.status,
        destination_id: input.destination_id,
      };
      const matched =
        input.stage === "route"
          ? await countEvents(c.env.DB, eventFilters(criteria))
          : await countDeliveries(c.env.DB, { ...deliveryFilters(criteria) } satisfies DeliveryFilters);
      const id = newId("rpl", now);
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
