import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { insertDeliveries } from "../../src/db/deliveries";
import { insertNotification } from "../../src/db/notifications";
import { newId } from "../../src/lib/ids";
import { deliverBatch } from "../../src/pipeline/deliver";
import { runNotification } from "../../src/pipeline/notify";
import { api, eventually, sinkConfigure, sinkRequests, sinkUrl, tenant, unique } from "../helpers/api";
import { NOTIFY_LIMIT_IN_TESTS } from "../helpers/limits";

const notify = (path: string, init: RequestInit = {}) => exports.default.fetch(`http://relay.test${path}`, init);

/** The relay as production runs it: https only, public hosts only. The loopback sink is then out of bounds. */
const production = { ...env, ALLOW_INSECURE_URLS: "false", PUBLIC_BASE_URL: "https://relay.example" } as Env;

async function notifyTenant() {
  const origin = unique("origin");
  const t = await tenant({
    source: {
      fetch: {
        url: `${sinkUrl()}/hooks/${origin}/api/profiles/{id}`,
        auth: { type: "bearer", token: "origin-token" },
        event_type: "profile.updated",
      },
    },
  });
  return { ...t, origin, notifyPath: new URL(t.source.notify_url).pathname };
}

async function settledNotification(id: string) {
  return eventually(async () => {
    const res = await api("GET", `/v1/admin/notifications/${id}`);
    return ["pending", "retrying"].includes(res.body.status) ? null : res.body;
  }, 30_000);
}

describe("no dot segments through URL templates", () => {
  it("a notify id that is a dot segment is refused, and the origin's parent is never fetched", async () => {
    const t = await notifyTenant();
    await sinkConfigure(t.origin, { otherwise: { status: 200, body: '{"secret":"parent resource"}' } });
    for (const id of ["..", ".", "%2e%2e", "%2E."]) {
      const res = await notify(`${t.notifyPath}?id=${encodeURIComponent(id)}`);
      expect(res.status, id).toBe(422);
      const posted = await notify(t.notifyPath, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ id }),
      });
      expect(posted.status, id).toBe(422);
    }
    expect(await sinkRequests(t.origin)).toEqual([]);
    const fine = await notify(`${t.notifyPath}?id=${encodeURIComponent("...")}`);
    expect(fine.status).toBe(202);
    const done = await settledNotification(((await fine.json()) as { id: string }).id);
    expect(done.status).toBe("published");
    expect((await sinkRequests(t.origin))[0].path).toBe(`/hooks/${t.origin}/api/profiles/...`);
  });

  it("an identity remote_id that is a dot segment is refused on load, and one stored anyway never moves an update", async () => {
    const t = await tenant();
    const updates = unique("upd");
    await api("PATCH", `/v1/admin/subscriptions/${t.subscription.id}`, {
      steps: [
        {
          destination_id: t.destination.id,
          identity: {
            namespace: "learner",
            local_id: "subject",
            remote_id: "id",
            update: { url: `${sinkUrl()}/hooks/${updates}/contacts/{remote_id}`, method: "PUT" },
          },
        },
      ],
    });
    const refused = await api("PUT", `/v1/admin/subscribers/${t.subscriber.id}/identities`, [
      { namespace: "learner", local_id: "u-1", remote_id: ".." },
    ]);
    expect(refused.status).toBe(422);
    expect(refused.body.errors[0].path).toBe("/0/remote_id");
    await env.DB.prepare(
      "INSERT INTO identities (subscriber_id, namespace, local_id, remote_id, created_at, updated_at) VALUES (?, 'learner', 'u-2', '..', ?, ?)",
    )
      .bind(t.subscriber.id, Date.now(), Date.now())
      .run();
    const published = await t.publish({ type: "profile.updated", subject: "u-2", data: {} });
    const dead = await eventually(async () => {
      const event = await api("GET", `/v1/admin/events/${published.body.ids[0]}`);
      const delivery = event.body.deliveries?.[0];
      return delivery?.status === "dead" ? delivery : null;
    });
    expect(dead.last_error).toMatch(/dot segment/);
    expect(await sinkRequests(updates)).toEqual([]);
  });
});

describe("the URL policy holds at send time", () => {
  it("a delivery to a loopback URL is refused when sent, recorded, and nothing leaves", async () => {
    const t = await tenant();
    const now = Date.now();
    const published = await api("POST", "/v1/events", { type: "never.routed", data: {} }, t.source.api_key);
    const id = newId("dlv", now);
    await env.DB.batch(
      insertDeliveries(env.DB, [
        {
          id,
          event_id: published.body.ids[0],
          subscription_id: t.subscription.id,
          subscriber_id: t.subscriber.id,
          destination_id: t.destination.id,
          step: 0,
          generation: "send-time-test",
          chain: 0,
          status: "ready",
          payload: "{}",
          next_attempt_at: now,
          last_error: null,
          created_at: now,
          updated_at: now,
        },
      ]),
    );
    await deliverBatch(production, [id]);
    const detail = await api("GET", `/v1/admin/deliveries/${id}`);
    expect(detail.body.status).toBe("dead");
    expect(detail.body.attempts[0].error).toMatch(/refused to send to http:\/\/127\.0\.0\.1/);
    const pushes = (await sinkRequests(t.mailbox)).filter((request) => request.headers["webhook-id"] === id);
    expect(pushes).toEqual([]);
  });

  it("an origin fetch to a loopback URL is refused when made, and the notification fails saying why", async () => {
    const t = await notifyTenant();
    const id = newId("ntf", Date.now());
    await insertNotification(env.DB, {
      id,
      source_id: t.source.id,
      object_id: "42",
      next_attempt_at: Date.now(),
      created_at: Date.now(),
    });
    await runNotification(production, id);
    const done = (await api("GET", `/v1/admin/notifications/${id}`)).body;
    expect(done.status).toBe("failed");
    expect(done.error).toMatch(/refused to send/);
    expect(await sinkRequests(t.origin)).toEqual([]);
  });

  it("an origin record over 1 MiB ends the notification failed with the reason", async () => {
    const t = await notifyTenant();
    await sinkConfigure(t.origin, {
      otherwise: { status: 200, body: JSON.stringify({ blob: "x".repeat(1024 * 1024 + 10) }) },
    });
    const res = await notify(`${t.notifyPath}?id=big`);
    expect(res.status).toBe(202);
    const done = await settledNotification(((await res.json()) as { id: string }).id);
    expect(done.status).toBe("failed");
    expect(done.error).toMatch(/over 1048576 bytes/);
    expect((await sinkRequests(t.origin)).length).toBe(1);
  });
});

describe("notify URLs are rate limited per source", () => {
  it("answers 429 with Retry-After past the limit, stores nothing then, and leaves other sources alone", async () => {
    const t = await notifyTenant();
    const other = await notifyTenant();
    await sinkConfigure(t.origin, { otherwise: { status: 200, body: "{}" } });
    await sinkConfigure(other.origin, { otherwise: { status: 200, body: "{}" } });
    // Windows are fixed: a window may turn over once during the burst, so twice the limit always reaches a 429.
    let accepted = 0;
    let limited: Response | null = null;
    for (let i = 0; i <= 2 * NOTIFY_LIMIT_IN_TESTS && !limited; i++) {
      const res = await notify(`${t.notifyPath}?id=id-${i}`);
      if (res.status === 202) accepted += 1;
      else limited = res;
    }
    expect(limited?.status).toBe(429);
    expect(limited?.headers.get("retry-after")).toBe("60");
    expect(limited?.headers.get("content-type")).toBe("application/problem+json");
    expect(accepted).toBeGreaterThanOrEqual(NOTIFY_LIMIT_IN_TESTS);
    const stored = await env.DB.prepare("SELECT count(*) AS n FROM notifications WHERE source_id = ?")
      .bind(t.source.id)
      .first<{ n: number }>();
    expect(stored?.n).toBe(accepted);
    expect((await notify(`${other.notifyPath}?id=1`)).status).toBe(202);
  });
});
