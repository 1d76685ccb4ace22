import { createExecutionContext, createMessageBatch } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { type DeliveryRow, insertDeliveries } from "../../src/db/deliveries";
import { deleteEvents } from "../../src/db/retention";
import entry from "../../src/index";
import { newId } from "../../src/lib/ids";
import { runRetention } from "../../src/pipeline/retention";
import { api, eventually, sinkConfigure, sinkRequests, sinkUrl, tenant, unique } from "../helpers/api";
import { deliveryWithLostPayload } from "../helpers/lost-payload";

const worker = entry as Required<Pick<ExportedHandler<Env>, "queue">>;
const DAY_MS = 86_400_000;

const row = (id: string) => env.DB.prepare("SELECT * FROM deliveries WHERE id = ?").bind(id).first<DeliveryRow>();

/** Publishes one event and waits for its first delivery to reach `status`. */
async function deliveredOnce(t: Awaited<ReturnType<typeof tenant>>, data: unknown, status = "sent") {
  const published = await t.publish({ type: "courseCompletion", id: unique("evt"), data });
  expect(published.status).toBe(202);
  const [eventId] = published.body.ids as string[];
  const delivery = await eventually(async () => {
    const event = await api("GET", `/v1/admin/events/${eventId}`);
    const first = event.body.deliveries?.[0];
    return first?.status === status ? first : null;
  }, 30_000);
  return { eventId, delivery: (await row(delivery.id))! };
}

async function objectText(key: string): Promise<string | null> {
  const object = await env.BUCKET.get(key);
  return object ? object.text() : null;
}

// Non-ASCII on purpose: the limit and the copy are in bytes, and the body must arrive byte for byte.
const blob = "é∑x".repeat(15_000);

describe("payloads too big for a row go to R2", () => {
  it("keeps a built payload over 32 KiB in R2 under payloads/{dlv_id}.json and delivers it intact", async () => {
    const t = await tenant();
    const { eventId, delivery } = await deliveredOnce(t, { blob });
    expect(delivery.payload).toBeNull();
    expect(delivery.payload_key).toBe(`payloads/${delivery.id}.json`);
    const stored = await objectText(delivery.payload_key!);
    const [request] = await sinkRequests(t.mailbox);
    expect(request.verified).toBe(true);
    expect(request.body).toBe(stored);
    expect(JSON.parse(request.body)).toMatchObject({ id: eventId, data: { blob } });
  });

  it("does the same for a transform's output, and keeps small payloads inline", async () => {
    const t = await tenant();
    await api("PATCH", `/v1/admin/subscriptions/${t.subscription.id}`, {
      steps: [{ destination_id: t.destination.id, transform: "{ 'big': data.blob, 'n': data.n }" }],
    });
    const large = await deliveredOnce(t, { blob, n: 1 });
    expect(large.delivery.payload_key).toBe(`payloads/${large.delivery.id}.json`);
    const small = await deliveredOnce(t, { blob: "small", n: 2 });
    expect(small.delivery.payload_key).toBeNull();
    expect(small.delivery.payload).toBe(JSON.stringify({ big: "small", n: 2 }));
    const bodies = (await sinkRequests(t.mailbox)).map((request) => request.body);
    expect(bodies).toEqual([JSON.stringify({ big: blob, n: 1 }), JSON.stringify({ big: "small", n: 2 })]);
  });

  it("stores an identity step's request over 32 KiB in R2 too", async () => {
    const updates = unique("upd");
    const t = await tenant();
    const patched = await api("PATCH", `/v1/admin/subscriptions/${t.subscription.id}`, {
      steps: [
        {
          destination_id: t.destination.id,
          transform: "{ 'email': data.email, 'notes': data.blob }",
          identity: {
            namespace: "learner",
            local_id: "data.email",
            remote_id: "contact.id",
            update: { url: `${sinkUrl()}/hooks/${updates}/contacts/{remote_id}`, method: "PUT" },
          },
        },
      ],
    });
    expect(patched.status).toBe(200);
    await sinkConfigure(t.mailbox, {
      secret: t.destination.signing_secret,
      otherwise: { status: 201, body: '{"contact":{"id":"crm-1"}}' },
    });
    const { delivery } = await deliveredOnce(t, { email: "ada@example.com", blob });
    expect(delivery.request_url).toBe(t.destination.url);
    expect(delivery.payload).toBeNull();
    expect(delivery.payload_key).toBe(`payloads/${delivery.id}.json`);
    const [create] = await sinkRequests(t.mailbox);
    expect(await objectText(delivery.payload_key!)).toBe(create.body);
    expect(JSON.parse(create.body)).toEqual({ email: "ada@example.com", notes: blob });
  });

  it("ends a delivery whose R2 payload is gone as dead with the reason, without spending an attempt", async () => {
    const t = await tenant();
    const id = await deliveryWithLostPayload(t, "lost-object-test");
    const batch = createMessageBatch("syndic-deliver", [
      { id: "lost", timestamp: new Date(), attempts: 1, body: { delivery_id: id } },
    ]);
    await worker.queue(batch, env, createExecutionContext());
    const after = await row(id);
    expect(after).toMatchObject({ status: "dead", attempts: 0 });
    expect(after?.last_error).toBe(`the payload payloads/${id}.json is missing from R2`);
    expect(await sinkRequests(t.mailbox)).toHaveLength(0);
  });

  it("retention deletes a payload object only with the last delivery that names it (a replay copy shares it)", async () => {
    const t = await tenant();
    const { eventId, delivery } = await deliveredOnce(t, { blob });
    const key = delivery.payload_key!;
    const now = Date.now();
    // A deliver-stage replay copy: same event, same object, still owed.
    const copyId = newId("dlv", now);
    await env.DB.batch(
      insertDeliveries(env.DB, [
        {
          ...delivery,
          id: copyId,
          generation: `rpl_test:${delivery.id}`,
          chain: 0,
          status: "ready",
          next_attempt_at: now + DAY_MS,
          last_error: null,
        },
      ]),
    );
    const event = await env.DB.prepare("SELECT id, received_at FROM events WHERE id = ?")
      .bind(eventId)
      .first<{ id: string; received_at: number }>();

    // The original goes (it is finished); the copy stays, so the object must stay.
    const first = await deleteEvents(env.DB, [event!]);
    expect(first.events).toEqual([]);
    expect(first.payloadKeys).toEqual([]);
    expect(await row(delivery.id)).toBeNull();
    expect(await objectText(key)).not.toBeNull();

    // Once the copy is finished too, the next run deletes it, its event, and the object.
    await env.DB.prepare("UPDATE deliveries SET status = 'sent' WHERE id = ?").bind(copyId).run();
    const report = await runRetention(env, Date.now() + 40 * DAY_MS);
    expect(report.events).toBeGreaterThanOrEqual(1);
    expect(await row(copyId)).toBeNull();
    expect(await objectText(key)).toBeNull();
  });
});
