import { z } from "@hono/zod-openapi";
import type { DeliveryRow } from "../db/deliveries";
import { DeliveryStatus } from "../domain/status";
import { iso } from "../lib/time";

/** A delivery as every route shows it: the deliveries list and detail, and an event's deliveries. */
export const Delivery = z
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
