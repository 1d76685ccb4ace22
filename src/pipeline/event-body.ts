import type { EventRow } from "../db/events";
import type { CloudEvent } from "./cloudevent";

/** Bodies up to this size live in the D1 row; larger ones in R2 under payloads/. */
export const INLINE_BODY_LIMIT = 32 * 1024;

export function payloadKey(eventId: string): string {
  return `payloads/${eventId}.json`;
}

export async function loadCloudEvent(env: Env, row: EventRow): Promise<CloudEvent> {
  if (row.body !== null) return JSON.parse(row.body) as CloudEvent;
  const object = row.body_key ? await env.BUCKET.get(row.body_key) : null;
  if (!object) throw new Error(`event body ${row.body_key} is missing from R2`);
  return (await object.json()) as CloudEvent;
}
