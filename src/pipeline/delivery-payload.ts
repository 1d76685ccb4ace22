import type { DeliveryRow, NewDelivery } from "../db/deliveries";
import { utf8Length } from "../lib/json-size";
import { INLINE_BODY_LIMIT } from "./event-body";

/**
 * Built payloads follow the rule event bodies do: up to INLINE_BODY_LIMIT in the row, larger ones in R2 under
 * payloads/{dlv_id}.json with the key in `payload_key`. A row may hold both (an identity step's later, smaller
 * request written inline over an earlier large one): the inline payload wins, and the object stays until retention
 * deletes the last delivery that names it.
 */

export function deliveryPayloadKey(deliveryId: string): string {
  return `payloads/${deliveryId}.json`;
}

export interface StoredPayload {
  payload: string | null;
  payload_key: string | null;
}

/** Puts a payload too big for a row in R2 (before any row names it), and says what the row keeps. */
export async function storePayload(env: Env, deliveryId: string, payload: string): Promise<StoredPayload> {
  if (utf8Length(payload) <= INLINE_BODY_LIMIT) return { payload, payload_key: null };
  const key = deliveryPayloadKey(deliveryId);
  await env.BUCKET.put(key, payload, { httpMetadata: { contentType: "application/json" } });
  return { payload: null, payload_key: key };
}

/** The rows as they are to be inserted, their large payloads moved to R2 first. */
export async function offloadPayloads(env: Env, rows: NewDelivery[]): Promise<NewDelivery[]> {
  return Promise.all(
    rows.map(async (row) =>
      row.payload === null || row.payload_key ? row : { ...row, ...(await storePayload(env, row.id, row.payload)) },
    ),
  );
}

/** The R2 objects rows were given, for cleaning up after a write that did not happen. */
export function payloadKeysOf(rows: NewDelivery[]): string[] {
  return rows.flatMap((row) => (row.payload_key ? [row.payload_key] : []));
}

/** The payload to send (JSON `null` for a row never given one, as before), or null when R2 lost the row's object. */
export async function loadPayload(env: Env, row: Pick<DeliveryRow, "payload" | "payload_key">): Promise<string | null> {
  if (row.payload !== null) return row.payload;
  if (!row.payload_key) return "null";
  const object = await env.BUCKET.get(row.payload_key);
  return object ? object.text() : null;
}
