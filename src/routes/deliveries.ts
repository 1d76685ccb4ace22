import { z } from "@hono/zod-openapi";
import { getDelivery, listAttempts, listDeliveries, requeueDelivery } from "../db/deliveries";
import { getDestination } from "../db/destinations";
import { loadPayloadValue } from "../db/payloads";
import { Id } from "../domain/ids";
import { DeliveryStatus } from "../domain/status";
import { Problem } from "../lib/problem";
import { redactText } from "../lib/redact";
import { iso } from "../lib/time";
import { ringDeliveries } from "../queues/ring";
import { Delivery, presentDelivery } from "./delivery-presenter";
import { spec } from "./openapi";
import { newRouter, type Router, requireFound } from "./router";
import { ListQuery, listOf } from "./schemas";

const Attempt = z.object({
  n: z.number(),
  at: z.string(),
  duration_ms: z.number(),
  status_code: z.number().nullable(),
  error: z.string().nullable(),
  response_excerpt: z.string().nullable(),
  request: z
    .object({ method: z.string(), url: z.string(), headers: z.record(z.string(), z.string()) })
    .nullable()
    .openapi({
      description:
        "what the attempt sent, credentials redacted (`[redacted]`: auth headers, api keys, userinfo, secret query " +
        "values; headers capped at 4 KiB, the body is the delivery's payload); null when nothing was sent, or for " +
        "attempts recorded before requests were kept",
    }),
});

const DeliveryDetail = Delivery.omit({ attempts: true })
  .extend({ attempt_count: z.number(), payload: z.unknown(), attempts: z.array(Attempt) })
  .openapi("DeliveryDetail");

const Params = z.object({ id: Id("dlv") });

export const deliveries: Router = newRouter()
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
      const [attempts, payload] = await Promise.all([listAttempts(c.env.DB, id), loadPayloadValue(c.env.BUCKET, row)]);
      return c.json(
        {
          ...presentDelivery(row),
          attempt_count: row.attempts,
          payload,
          attempts: attempts.map((attempt) => ({
            n: attempt.n,
            at: iso(attempt.at)!,
            duration_ms: attempt.duration_ms,
            status_code: attempt.status_code,
            error: attempt.error,
            response_excerpt: attempt.response_excerpt && redactText(attempt.response_excerpt),
            request: attempt.request,
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
      await ringDeliveries(c.env, [{ id }]).catch(() => {});
      return c.json(presentDelivery(requireFound(await getDelivery(c.env.DB, id), "delivery")), 202);
    },
  );
