import { z } from "@hono/zod-openapi";
import { RESEAL_PAGE, resealPage } from "../pipeline/reseal";
import { spec } from "./openapi";
import { newRouter, type Router } from "./router";

const ResealProgress = z
  .object({
    resealed: z.number().openapi({ description: "values sealed again under the first key of SECRETS_KEY" }),
    unreadable: z
      .array(z.object({ table: z.string(), column: z.string(), id: z.string() }))
      .openapi({ description: "values no listed key opens: set those credentials again" }),
    tokens_dropped: z.number().openapi({ description: "cached OAuth 2 tokens under older keys, dropped" }),
    more: z.boolean().openapi({ description: "call again until false; then older keys can leave SECRETS_KEY" }),
  })
  .openapi("ResealProgress");

export const secrets: Router = newRouter().openapi(
  spec({
    method: "post",
    path: "/secrets/reseal",
    tag: "operations",
    summary: `Re-encrypt up to ${RESEAL_PAGE} stored credentials per column under the current SECRETS_KEY`,
    description:
      'After rotating SECRETS_KEY to "new,old", call this (or `npm run secrets:reseal`) until `more` is false, ' +
      "then drop the old key.",
    response: ResealProgress,
  }),
  async (c) => c.json(await resealPage(c.env), 200),
);
