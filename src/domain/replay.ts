import { z } from "@hono/zod-openapi";
import { Id } from "./ids";
import { DeliveryStatus } from "./status";
import { TimeQuery } from "./time";

/** `route` runs events through today's subscriptions again; `deliver` resends built payloads. */
export const ReplayStage = z.enum(["route", "deliver"]);
export type ReplayStage = z.infer<typeof ReplayStage>;

export const ReplayInput = z
  .object({
    from: TimeQuery.openapi({
      description: "stage route: events received from then on; stage deliver: deliveries created from then on",
    }),
    to: TimeQuery.openapi({ description: "exclusive end of the same window; at most the time of the request" }),
    source_id: Id("src").optional().openapi({ description: "events of this source (a delivery's is its event's)" }),
    subscriber_id: Id("sub").optional(),
    subscription_id: Id("sbn").optional(),
    event_id: Id("evt")
      .optional()
      .openapi({ description: "this event alone (route), or the deliveries made of it (deliver): one click's replay" }),
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
    stage: ReplayStage,
    destination_id: Id("dst")
      .optional()
      .openapi({ description: "stage deliver: send the copies here instead; it never widens what matches" }),
  })
  .strict()
  .openapi("ReplayInput");
export type ReplayInput = z.infer<typeof ReplayInput>;

/**
 * What a replay selects, as stored (`replays.criteria`). Times are epoch ms, `to` exclusive. `destination_id`
 * selects nothing: it is where a deliver-stage replay sends its copies.
 */
export interface ReplayCriteria {
  from?: number;
  to?: number;
  source_id?: string;
  subscriber_id?: string;
  subscription_id?: string;
  event_id?: string;
  event_types?: string[];
  status?: DeliveryStatus;
  destination_id?: string;
  /** Deliver stage: also copy the copies earlier replays made (generation != ''). */
  include_copies?: boolean;
}
