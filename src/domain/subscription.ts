import { z } from "@hono/zod-openapi";
import { Expression } from "./expressions";
import { Id } from "./ids";
import { Step } from "./step";

/** What goes where (CONTRACT §3 Subscriptions): the fields a subscription has besides its two ends. */
export const SubscriptionFields = {
  event_types: z.array(z.string().min(1).max(200)).min(1).max(200).default(["*"]),
  filter: Expression.nullable().optional(),
  archive: z.boolean().default(false),
  steps: z.array(Step).max(10).default([]),
};

export const SubscriptionInput = z
  .object({ subscriber_id: Id("sub"), source_id: Id("src"), ...SubscriptionFields })
  .openapi("SubscriptionInput");
export type SubscriptionInput = z.infer<typeof SubscriptionInput>;
