import { env } from "cloudflare:workers";
import { insertDeliveries } from "../../src/db/deliveries";
import { newId } from "../../src/lib/ids";

/**
 * A ready delivery of a tenant's destination whose payload lives in R2 under a key nothing was ever written to: what
 * a lost (or wrongly deleted) payload object looks like to the deliver stage. Returns the delivery id.
 */
export async function deliveryWithLostPayload(
  t: { subscription: { id: string }; subscriber: { id: string }; destination: { id: string } },
  generation: string,
): Promise<string> {
  const now = Date.now();
  const id = newId("dlv", now);
  await env.DB.batch(
    insertDeliveries(env.DB, [
      {
        id,
        event_id: newId("evt", now),
        subscription_id: t.subscription.id,
        subscriber_id: t.subscriber.id,
        destination_id: t.destination.id,
        step: 0,
        generation,
        chain: 0,
        status: "ready",
        payload: null,
        payload_key: `payloads/${id}.json`,
        next_attempt_at: now,
        last_error: null,
        created_at: now,
        updated_at: now,
      },
    ]),
  );
  return id;
}
