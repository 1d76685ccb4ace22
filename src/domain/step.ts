import { z } from "@hono/zod-openapi";
import { Expression } from "./expressions";
import { IdentityConfig } from "./identity";
import { Id } from "./ids";
import { Preset } from "./presets";

/**
 * One push of a subscription: its destination, its body (a built-in `preset`, then a `transform` of what the preset
 * made, both optional), an identity mapping.
 */
export const Step = z.object({
  destination_id: Id("dst"),
  preset: Preset.optional(),
  transform: Expression.optional(),
  identity: IdentityConfig.optional(),
});
export type Step = z.infer<typeof Step>;
