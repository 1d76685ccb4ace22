import type { CloudEvent } from "../domain/cloudevent";
import { utf8Length } from "../lib/json-size";
import type { DeliveryRow, NewDelivery } from "./deliveries";
import type { EventRow } from "./events";

/**
 * Bodies that live beside their rows: an event's CloudEvent and a delivery's built payload, up to INLINE_BODY_LIMIT
 * in the D1 row, larger ones in R2 under payloads/ with the key in the row. A delivery row may hold both (an identity
 * step's later, smaller request written inline over an earlier large one): the inline payload wins, and the object
 * stays until retention deletes the last delivery that names it.
 */

/** Bodies up to this size live in the D1 row; larger ones in R2 under payloads/. */
export const INLINE_BODY_LIMIT = 32 * 1024;

export function payloadKey(eventId: string): string {
  return `payloads/${eventId}.json`;
}

export function deliveryPayloadKey(deliveryId: string): string {
  return `payloads/${deliveryId}.json`;
}

/** The event's CloudEvent, from its row or from R2; throws when R2 lost it. */
export async function loadCloudEvent(bucket: R2Bucket, row: Pick<EventRow, "body" | "body_key">): Promise<CloudEvent> {
  if (row.body !== null) return JSON.parse(row.body) as CloudEvent;
  const object = row.body_key ? await bucket.get(row.body_key) : null;
  if (!object) throw new Error(`event body ${row.body_key} is missing from R2`);
  return (await object.json()) as CloudEvent;
}

export interface StoredPayload {
  payload: string | null;
  payload_key: string | null;
}

/** Puts a payload too big for a row in R2 (before any row names it), and says what the row keeps. */
export async function storePayload(bucket: R2Bucket, deliveryId: string, payload: string): Promise<StoredPayload> {
  if (utf8Length(payload) <= INLINE_BODY_LIMIT) return { payload, payload_key: null };
  const key = deliveryPayloadKey(deliveryId);
  await bucket.put(key, payload, { httpMetadata: { contentType: "application/json" } });
  return { payload: null, payload_key: key };
}

/** The rows as they are to be inserted, their large payloads moved to R2 first. */
export async function offloadPayloads(bucket: R2Bucket, rows: NewDelivery[]): Promise<NewDelivery[]> {
  return Promise.all(
    rows.map(async (row) =>
      row.payload === null || row.payload_key ? row : { ...row, ...(await storePayload(bucket, row.id, row.payload)) },
    ),
  );
}

/** The R2 objects rows were given, for cleaning up after a write that did not happen. */
export function payloadKeysOf(rows: NewDelivery[]): string[] {
  return rows.flatMap((row) => (row.payload_key ? [row.payload_key] : []));
}

type PayloadColumns = Pick<DeliveryRow, "payload" | "payload_key">;

/** The payload to send (JSON `null` for a row never given one, as before), or null when R2 lost the row's object. */
export async function loadPayload(bucket: R2Bucket, row: PayloadColumns): Promise<string | null> {
  if (row.payload !== null) return row.payload;
  if (!row.payload_key) return "null";
  const object = await bucket.get(row.payload_key);
  return object ? object.text() : null;
}

/** The payload as a value, to show: null for a row without one, or when R2 lost it. */
export async function loadPayloadValue(bucket: R2Bucket, row: PayloadColumns): Promise<unknown> {
  if (row.payload === null && row.payload_key === null) return null;
  const text = await loadPayload(bucket, row);
  return text === null ? null : JSON.parse(text);
}
