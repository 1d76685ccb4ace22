import { z } from "@hono/zod-openapi";
import { type IdentityRow, listIdentities, upsertIdentities } from "../db/identities";
import { getSubscriber } from "../db/subscribers";
import { IdentityField, IdentityRecord } from "../domain/identity";
import { Id } from "../domain/ids";
import { decodeJsonCursor, encodeJsonCursor } from "../lib/cursor";
import { iso } from "../lib/time";
import { spec } from "./openapi";
import { newRouter, type Router, requireFound } from "./router";
import { ListQuery, listOf } from "./schemas";

const Params = z.object({ id: Id("sub") });

/** Cursors are the last (namespace, local_id) of a page. */
function encode(row: IdentityRow): string {
  return encodeJsonCursor([row.namespace, row.local_id]);
}

function decode(cursor: string | undefined): [string, string] | null {
  const value = decodeJsonCursor(cursor);
  return Array.isArray(value) && value.length === 2 && value.every((part) => typeof part === "string")
    ? [value[0], value[1]]
    : null;
}

export const identities: Router = newRouter()
  .openapi(
    spec({
      method: "get",
      path: "/subscribers/{id}/identities",
      tag: "identities",
      summary: "Known identities of a subscriber",
      params: Params,
      query: ListQuery.extend({ namespace: IdentityField.optional(), local_id: IdentityField.optional() }),
      response: listOf(IdentityRecord.extend({ updated_at: z.string() })),
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const { limit, cursor, namespace, local_id } = c.req.valid("query");
      requireFound(await getSubscriber(c.env.DB, id), "subscriber");
      const rows = await listIdentities(c.env.DB, id, { namespace, local_id }, decode(cursor), limit + 1);
      const page = rows.slice(0, limit);
      return c.json(
        {
          data: page.map((row) => ({
            namespace: row.namespace,
            local_id: row.local_id,
            remote_id: row.remote_id!,
            updated_at: iso(row.updated_at)!,
          })),
          next_cursor: rows.length > limit ? encode(page[page.length - 1]) : null,
        },
        200,
      );
    },
  )
  .openapi(
    spec({
      method: "put",
      path: "/subscribers/{id}/identities",
      tag: "identities",
      summary: "Bulk upsert of identities (e.g. a CRM export before going live)",
      params: Params,
      body: z.array(IdentityRecord).min(1).max(1000),
      response: z.object({ upserted: z.number() }),
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const rows = c.req.valid("json");
      requireFound(await getSubscriber(c.env.DB, id), "subscriber");
      await upsertIdentities(c.env.DB, id, rows, Date.now());
      return c.json({ upserted: rows.length }, 200);
    },
  );
