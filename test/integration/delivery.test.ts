import { createExecutionContext, createMessageBatch, createScheduledController, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { insertDeliveries } from "../../src/db/deliveries";
import entry from "../../src/index";
import { newId } from "../../src/lib/ids";
import { publishEvents } from "../../src/pipeline/ingest";
import { api, deliveryOf, eventually, sinkConfigure, sinkRequests, tenant } from "../helpers/api";

type Tenant = Awaited<ReturnType<typeof tenant>>;
const worker = entry as Required<Pick<ExportedHandler<Env>, "queue" | "scheduled">>;

async function publishOne(t: Tenant, data: unknown = { n: 1 }) {
  const res = await t.publish({ type: "courseCompletion", data });
  expect(res.status).toBe(202);
  return res.body.ids[0] as string;
}

describe("delivery", () => {
  it("retries 5xx with backoff until it succeeds, recording every attempt", async () => {
    const t = await tenant({ destination: { retry: { max_attempts: 10, initial_delay: 1, max_delay: 1 } } });
    await sinkConfigure(t.mailbox, { script: [{ status: 500 }, { status: 503 }, { status: 502 }] });
    const eventId = await publishOne(t);
    const delivery = await deliveryOf(eventId, (s) => s === "sent");
    const detail = await api("GET", `/v1/admin/deliveries/${delivery.id}`);
    expect(detail.body.attempts.map((a: { status_code: number }) => a.status_code)).toEqual([500, 503, 502, 200]);
    const requests = await sinkRequests(t.mailbox);
    expect(new Set(requests.map((r) => r.headers["webhook-id"]))).toEqual(new Set([delivery.id]));
    for (let i = 1; i < requests.length; i++) expect(requests[i].at - requests[i - 1].at).toBeGreaterThanOrEqual(900);
  });

  it("waits as long as Retry-After says", async () => {
    const t = await tenant({ destination: { retry: { max_attempts: 5, initial_delay: 1, max_delay: 1 } } });
    await sinkConfigure(t.mailbox, { script: [{ status: 429, headers: { "retry-after": "2" } }] });
    const eventId = await publishOne(t);
    await deliveryOf(eventId, (s) => s === "sent");
    const [first, second] = await sinkRequests(t.mailbox);
    expect(second.at - first.at).toBeGreaterThanOrEqual(2000);
  });

  it("caps an absurd Retry-After at 24 hours instead of parking the delivery for decades", async () => {
    const t = await tenant({ destination: { retry: { max_attempts: 5, initial_delay: 1, max_delay: 60 } } });
    await sinkConfigure(t.mailbox, { script: [{ status: 503, headers: { "retry-after": "999999999" } }] });
    const before = Date.now();
    const eventId = await publishOne(t);
    const delivery = await deliveryOf(eventId, (s) => s === "retrying");
    const due = Date.parse(delivery.next_attempt_at);
    expect(due).toBeGreaterThanOrEqual(before + 24 * 3600 * 1000 - 5000);
    expect(due).toBeLessThanOrEqual(Date.now() + 24 * 3600 * 1000 + 5000);
  });

  it("gives up at once on a non-retryable 4xx, and after max_attempts on 5xx", async () => {
    const rejecting = await tenant();
    await sinkConfigure(rejecting.mailbox, { otherwise: { status: 422, body: '{"error":"bad email"}' } });
    const dead = await deliveryOf(await publishOne(rejecting));
    expect(dead.status).toBe("dead");
    const detail = await api("GET", `/v1/admin/deliveries/${dead.id}`);
    expect(detail.body.attempts).toHaveLength(1);
    expect(detail.body.attempts[0].response_excerpt).toContain("bad email");

    const failing = await tenant({ destination: { retry: { max_attempts: 2, initial_delay: 1, max_delay: 1 } } });
    await sinkConfigure(failing.mailbox, { otherwise: { status: 500 } });
    const exhausted = await deliveryOf(await publishOne(failing));
    expect(exhausted.status).toBe("dead");
    expect(exhausted.attempts).toBe(2);
  });

  it("disables a destination that answers 410; its deliveries are held until it is enabled", async () => {
    const t = await tenant();
    await sinkConfigure(t.mailbox, { script: [{ status: 410 }] });
    expect((await deliveryOf(await publishOne(t))).status).toBe("dead");
    const destination = await api("GET", `/v1/admin/subscribers/${t.subscriber.id}/destinations/${t.destination.id}`);
    expect(destination.body.disabled_at).not.toBeNull();
    expect(destination.body.disabled_reason).toContain("410");

    const heldEvent = await publishOne(t);
    expect((await deliveryOf(heldEvent)).status).toBe("held");
    const enabled = await api(
      "POST",
      `/v1/admin/subscribers/${t.subscriber.id}/destinations/${t.destination.id}/enable`,
    );
    expect(enabled.body.released).toBe(1);
    expect(enabled.body.disabled_at).toBeNull();
    expect((await deliveryOf(heldEvent, (s) => s === "sent")).status).toBe("sent");
  });

  it("disables a destination failing for 3 days and holds instead of dropping", async () => {
    const t = await tenant({ destination: { retry: { max_attempts: 10, initial_delay: 1, max_delay: 1 } } });
    await env.DB.prepare("UPDATE destinations SET failing_since = ? WHERE id = ?")
      .bind(Date.now() - 3 * 24 * 3600 * 1000 - 1000, t.destination.id)
      .run();
    await sinkConfigure(t.mailbox, { otherwise: { status: 503 } });
    const held = await deliveryOf(await publishOne(t));
    expect(held.status).toBe("held");
    const destination = await api("GET", `/v1/admin/subscribers/${t.subscriber.id}/destinations/${t.destination.id}`);
    expect(destination.body.disabled_reason).toContain("3 days");
  });

  it("retries a dead delivery on request with a fresh budget", async () => {
    const t = await tenant();
    await sinkConfigure(t.mailbox, { script: [{ status: 400 }] });
    const eventId = await publishOne(t);
    const dead = await deliveryOf(eventId);
    expect(dead.status).toBe("dead");
    const retried = await api("POST", `/v1/admin/deliveries/${dead.id}/retry`);
    expect(retried.status).toBe(202);
    expect((await deliveryOf(eventId, (s) => s === "sent")).attempts).toBe(2);
    expect((await api("POST", `/v1/admin/deliveries/${dead.id}/retry`)).status).toBe(202);
    expect((await api("POST", "/v1/admin/deliveries/dlv_00000000000000000000000000/retry")).status).toBe(404);
  });

  it("transforms, filters (skipped rows say why) and runs steps in order", async () => {
    const t = await tenant({
      subscription: { filter: "data.dept = 'Engineering'" },
    });
    const second = await api("POST", `/v1/admin/subscribers/${t.subscriber.id}/destinations`, {
      name: "BI",
      url: t.destination.url.replace(t.mailbox, `${t.mailbox}-bi`),
    });
    await sinkConfigure(`${t.mailbox}-bi`, { secret: second.body.signing_secret });
    const patched = await api("PATCH", `/v1/admin/subscriptions/${t.subscription.id}`, {
      steps: [
        { destination_id: t.destination.id, transform: "{ 'email': data.user, 'kind': type }" },
        { destination_id: second.body.id },
      ],
    });
    expect(patched.status).toBe(200);

    const skipped = await deliveryOf(await publishOne(t, { dept: "Sales", user: "s@x.io" }));
    expect(skipped.status).toBe("skipped");
    expect(skipped.last_error).toBe("filtered out");

    const eventId = await publishOne(t, { dept: "Engineering", user: "e@x.io" });
    const second_ = await eventually(async () => {
      const event = await api("GET", `/v1/admin/events/${eventId}`);
      const steps = event.body.deliveries;
      return steps.length === 2 && steps.every((d: { status: string }) => d.status === "sent") ? steps : null;
    }, 20_000);
    expect(second_.map((d: { step: number }) => d.step).sort()).toEqual([0, 1]);
    const [crm] = await sinkRequests(t.mailbox);
    const [bi] = await sinkRequests(`${t.mailbox}-bi`);
    expect(JSON.parse(crm.body)).toEqual({ email: "e@x.io", kind: "courseCompletion" });
    expect(crm.verified).toBe(true);
    expect(JSON.parse(bi.body).id).toBe(eventId);
    expect(bi.verified).toBe(true);
    expect(bi.at).toBeGreaterThanOrEqual(crm.at);
  });

  it("a delivery message delivered twice sends once and records one attempt", async () => {
    const t = await tenant();
    const eventId = await publishOne(t);
    await deliveryOf(eventId, (s) => s === "sent");
    const id = newId("dlv");
    const now = Date.now();
    await env.DB.batch(
      insertDeliveries(env.DB, [
        {
          id,
          event_id: eventId,
          subscription_id: t.subscription.id,
          subscriber_id: t.subscriber.id,
          destination_id: t.destination.id,
          step: 0,
          generation: "manual-test",
          chain: 0,
          status: "ready",
          payload: '{"hello":"once"}',
          next_attempt_at: now,
          last_error: null,
          created_at: now,
          updated_at: now,
        },
      ]),
    );
    const batch = createMessageBatch("syndic-deliver", [
      { id: "m1", timestamp: new Date(), attempts: 1, body: { delivery_id: id } },
      { id: "m2", timestamp: new Date(), attempts: 1, body: { delivery_id: id } },
    ]);
    const ctx = createExecutionContext();
    await worker.queue(batch, env, ctx);
    const result = await getQueueResult(batch, ctx);
    expect(result.explicitAcks.sort()).toEqual(["m1", "m2"]);
    const again = createMessageBatch("syndic-deliver", [
      { id: "m3", timestamp: new Date(), attempts: 1, body: { delivery_id: id } },
    ]);
    await worker.queue(again, env, createExecutionContext());
    const requests = (await sinkRequests(t.mailbox)).filter((r) => r.headers["webhook-id"] === id);
    expect(requests).toHaveLength(1);
    const detail = await api("GET", `/v1/admin/deliveries/${id}`);
    expect(detail.body.status).toBe("sent");
    expect(detail.body.attempts).toHaveLength(1);
  });

  it("a publish whose queue send throws still answers 202, and the sweeper delivers it", async () => {
    const t = await tenant();
    const source = await env.DB.prepare("SELECT * FROM sources WHERE id = ?").bind(t.source.id).first();
    const brokenQueue = {
      ...env,
      ROUTE_QUEUE: {
        send: async () => {
          throw new Error("QuotaExceededError: max active timeouts");
        },
      },
    } as unknown as Env;
    const result = await publishEvents(brokenQueue, source as never, [
      {
        externalId: "lost-doorbell",
        type: "courseCompletion",
        source: null,
        subject: null,
        time: null,
        data: {},
        extensions: {},
      },
    ]);
    expect(result.accepted).toBe(1);
    const routedBefore = await env.DB.prepare("SELECT routed_at FROM events WHERE id = ?")
      .bind(result.ids[0])
      .first<{ routed_at: number | null }>();
    expect(routedBefore?.routed_at).toBeNull();

    const controller = createScheduledController({ cron: "*/2 * * * *", scheduledTime: Date.now() + 120_000 });
    await worker.scheduled(controller, env, createExecutionContext());
    expect((await deliveryOf(result.ids[0], (s) => s === "sent")).status).toBe("sent");
  });

  it("the dead-letter consumer marks the delivery dead", async () => {
    const t = await tenant();
    await sinkConfigure(t.mailbox, { otherwise: { status: 503 } });
    const eventId = await publishOne(t);
    const delivery = await deliveryOf(eventId, (s) => s === "retrying");
    const batch = createMessageBatch("syndic-deliver-dlq", [
      { id: "d1", timestamp: new Date(), attempts: 1, body: { delivery_id: delivery.id } },
    ]);
    const ctx = createExecutionContext();
    await worker.queue(batch, env, ctx);
    expect((await getQueueResult(batch, ctx)).explicitAcks).toEqual(["d1"]);
    const detail = await api("GET", `/v1/admin/deliveries/${delivery.id}`);
    expect(detail.body.status).toBe("dead");
    expect(detail.body.last_error).toContain("gave up");
  });
});

describe("replays", () => {
  it("routes events again through today's subscriptions, paged through the queue", async () => {
    const t = await tenant();
    const res = await t.publish(
      Array.from({ length: 3 }, (_, i) => ({ type: "courseCompletion", id: `r${i}`, data: { i } })),
    );
    for (const id of res.body.ids) await deliveryOf(id, (s) => s === "sent");
    const replay = await api("POST", "/v1/admin/replays", { stage: "route", source_id: t.source.id });
    expect(replay.status).toBe(202);
    expect(replay.body.matched).toBe(3);
    const done = await eventually(async () => {
      const progress = await api("GET", `/v1/admin/replays/${replay.body.id}`);
      return progress.body.status === "completed" ? progress.body : null;
    });
    expect(done.processed).toBe(3);
    expect(done.created).toBe(3);
    await eventually(async () => (await sinkRequests(t.mailbox)).length === 6);
    const replayed = await api("GET", `/v1/admin/deliveries?subscriber_id=${t.subscriber.id}&status=sent&limit=100`);
    expect(replayed.body.data.filter((d: { replay_id: string | null }) => d.replay_id === replay.body.id)).toHaveLength(
      3,
    );
  });

  it("resends built payloads into another destination of the same subscriber (sandbox → production)", async () => {
    const t = await tenant({ destination: { environment: "sandbox" } });
    const eventId = await publishOne(t, { sandbox: true });
    const original = await deliveryOf(eventId, (s) => s === "sent");
    const production = await api("POST", `/v1/admin/subscribers/${t.subscriber.id}/destinations`, {
      name: "CRM production",
      environment: "production",
      url: t.destination.url.replace(t.mailbox, `${t.mailbox}-prod`),
    });
    await sinkConfigure(`${t.mailbox}-prod`, { secret: production.body.signing_secret });
    const other = await api("POST", "/v1/admin/subscribers", { name: "Other" });
    const refused = await api("POST", "/v1/admin/replays", {
      stage: "deliver",
      subscriber_id: other.body.id,
      destination_id: production.body.id,
    });
    expect(refused.status).toBe(422);
    const replay = await api("POST", "/v1/admin/replays", {
      stage: "deliver",
      subscriber_id: t.subscriber.id,
      status: "sent",
      destination_id: production.body.id,
    });
    expect(replay.body.matched).toBe(1);
    const [arrived] = await eventually(async () => {
      const requests = await sinkRequests(`${t.mailbox}-prod`);
      return requests.length ? requests : null;
    });
    expect(arrived.verified).toBe(true);
    const [sandbox] = await sinkRequests(t.mailbox);
    expect(arrived.body).toBe(sandbox.body);
    expect(arrived.headers["webhook-id"]).not.toBe(original.id);
  });
});
