import { z } from "@hono/zod-openapi";
import { Expression } from "./expressions";
import { IdentityConfig } from "./identity";
import { Id } from "./ids";

/** One push of a subscription: its destination, the transform of its body, an identity mapping. */
export const Step = z.object({
  destination_id: Id("dst"),
  transform: Expression.optional(),
  identity: IdentityConfig.optional(),
});
export type Step = z.infer<typeof Step>;
