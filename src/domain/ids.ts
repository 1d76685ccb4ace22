import { z } from "@hono/zod-openapi";

/** A Syndic id of one kind (CONTRACT §1): `{prefix}_` and 26 lowercase base32 characters. */
export const Id = (prefix: string) =>
  z
    .string()
    .regex(new RegExp(`^${prefix}_[0-9a-z]{26}$`), `must be a ${prefix}_ id`)
    .openapi({ example: `${prefix}_01jfq3zv7k8m2n4p6r8s0t2v4w` });
