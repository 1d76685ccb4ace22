import { z } from "@hono/zod-openapi";
import { type DeliveryRow, getDelivery, listAttempts, listDeliveries, requeueDelivery } from "../db/deliveries";
import { getDestination } from "../db/destinations";
import { Problem } from "../lib/problem";
import { redactText } from "../lib/redact";
import { iso } from "../lib/time";
import { loadPayload } from "../pipeline/delivery-payload";
import { enqueueDeliveries } from "../pipeline/messages";
import { spec } from "./openapi";
import { newRouter, requireFound } from "./router";
import { Id, ListQuery, listOf } from "./schemas";

export const DeliveryStatus = z.enum(["pending", "ready", "sent", "retrying", "dead", "skipped", "held"]);

const Delivery = z
  .object({
    id: z.string(),
    event_id: z.string(),
    subscription_id: z.string(),
    subscriber_id: z.string(),
    destination_id: z.string().nullable(),
    step: z.number(),
    status: DeliveryStatus,
    attempts: z.number(),
    next_attempt_at: z.string().nullable(),
    last_status_code: z.number().nullable(),
    last_error: z.string().nullable(),
    replay_id: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
    sent_at: z.string().nullable(),
    request: z
      .object({ url: z.string(), method: z.string() })
      .nullable()
      .openapi({ description: "for identity steps: the create or update request last made" }),
  })
  .openapi("Delivery");

const Attempt = z.object({
  n: z.number(),
  at: z.string(),
  duration_ms: z.number(),
  status_code: z.number().nullable(),
  error: z.string().nullable(),
  response_excerpt: z.string().nullable(),
});

const DeliveryDetail = Delivery.omit({ attempts: true })
  .extend({ attempt_count: z.number(), payload: z.unknown(), attempts: z.array(Attempt) })
  .openapi("DeliveryDetail");

export function presentDelivery(row: DeliveryRow) {
  return {
    id: row.id,
    event_id: row.event_id,
    subscription_id: row.subscription_id,
    subscriber_id: row.subscriber_id,
    destination_id: row.destination_id,
    step: row.step,
    status: row.status,
    attempts: row.attempts,
    next_attempt_at: row.status === "ready" || row.status === "retrying" ? iso(row.next_attempt_at) : null,
    last_status_code: row.last_status_code,
    last_error: row.last_error,
    replay_id: row.generation ? row.generation.split(":")[0] : null,
    created_at: iso(row.created_at)!,
    updated_at: iso(row.updated_at)!,
    sent_at: iso(row.sent_at),
    request: row.request_url ? { url: row.request_url, method: row.request_method ?? "POST" } : null,
  };
}

const Params = z.object({ id: Id("dlv") });

export const deliveries = newRouter()
  .openapi(
    spec({
      method: "get",
      path: "/deliveries",
      tag: "deliveries",
      summary: "List deliveries, newest first",
      query: ListQuery.extend({
        subscriber_id: Id("sub").optional(),
        destination_id: Id("dst").optional(),
        subscription_id: Id("sbn").optional(),
        status: DeliveryStatus.optional(),
        event_id: Id("evt").optional(),
      }),
      response: listOf(Delivery),
    }),
    async (c) => {
      const { limit, cursor, ...filters } = c.req.valid("query");
      const page = await listDeliveries(c.env.DB, filters, limit, cursor);
      return c.json({ data: page.data.map(presentDelivery), next_cursor: page.next_cursor }, 200);
    },
  )
  .openapi(
    spec({
      method: "get",
      path: "/deliveries/{id}",
      tag: "deliveries",
      summary: "A delivery with its payload and every attempt",
      params: Params,
      response: DeliveryDetail,
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const row = requireFound(await getDelivery(c.env.DB, id), "delivery");
      const [attempts, payload] = await Promise.all([
        listAttempts(c.env.DB, id),
        row.payload === null && row.payload_key === null ? null : loadPayload(c.env, row),
      ]);
      return c.json(
        {
          ...presentDelivery(row),
          attempt_count: row.attempts,
          payload: payload === null ? null : JSON.parse(payload),
          attempts: attempts.map((attempt) => ({
            n: attempt.n,
            at: iso(attempt.at)!,
            duration_ms: attempt.duration_ms,
            status_code: attempt.status_code,
            error: attempt.error,
            response_excerpt: attempt.response_excerpt && redactText(attempt.response_excerpt),
          })),
        },
        200,
      );
    },
  )
  .openapi(
    spec({
      method: "post",
      path: "/deliveries/{id}/retry",
      tag: "deliveries",
      summary: "Send a delivery again now, with a fresh attempt budget",
      params: Params,
      status: 202,
      response: Delivery,
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const row = requireFound(await getDelivery(c.env.DB, id), "delivery");
      if (row.payload === null && row.payload_key === null)
        throw new Problem(409, "Conflict", `a ${row.status} delivery has no payload to send`);
      const destination = row.destination_id ? await getDestination(c.env.DB, row.destination_id) : null;
      if (!destination) throw new Problem(409, "Conflict", "the destination of this delivery was deleted");
      if (destination.disabled_at !== null) {
        throw new Problem(409, "Conflict", "the destination is disabled: enable it and its held deliveries resume");
      }
      if (!(await requeueDelivery(c.env.DB, id, Date.now()))) {
        throw new Problem(409, "Conflict", `a ${row.status} delivery is already on its way`);
      }
      await enqueueDeliveries(c.env, [id]).catch(() => {});
      return c.json(presentDelivery(requireFound(await getDelivery(c.env.DB, id), "delivery")), 202);
    },
  );
