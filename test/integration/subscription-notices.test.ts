import { env } from "cloudflare:workers";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { noticesOfSubscription } from "../../src/db/subscription-notices";
import {
  NOTICE_POLICY,
  sendSubscriptionNotices,
  sweepSubscriptionNotices,
} from "../../src/pipeline/subscription-notice";
import { api, eventually, type RecordedRequest, sinkConfigure, sinkRequests, sinkUrl, unique } from "../helpers/api";

/** A source whose subscription_notify_url is a sink mailbox that checks signatures with the source's secret. */
async function noticedSource(script?: Array<{ status: number }>) {
  const mailbox = unique("notices");
  const created = await api("POST", "/v1/admin/sources", {
    name: "LMS",
    event_types: [{ code: "courseCompletion" }, { code: "courseEnrollment" }],
    subscription_notify_url: `${sinkUrl()}/hooks/${mailbox}`,
  });
  expect(created.status).toBe(201);
  await sinkConfigure(mailbox, { secret: created.body.signing_secret, ...(script ? { script } : {}) });
  return { id: created.body.id as string, secret: created.body.signing_secret as string, mailbox };
}

async function subscriber() {
  const created = await api("POST", "/v1/admin/subscribers", { name: "Acme Analytics", timezone: "UTC" });
  expect(created.status).toBe(201);
  return created.body.id as string;
}

/** An archive-only subscription: no destination needed. */
async function subscribe(sourceId: string, subscriberId: string, eventTypes = ["courseCompletion"]) {
  const created = await api("POST", "/v1/admin/subscriptions", {
    subscriber_id: subscriberId,
    source_id: sourceId,
    event_types: eventTypes,
    archive: true,
  });
  expect(created.status).toBe(201);
  return created.body as { id: string; version: number };
}

/** The mailbox's requests once there are `count`, polled. */
function received(mailbox: string, count: number): Promise<RecordedRequest[]> {
  return eventually(async () => {
    const requests = await sinkRequests(mailbox);
    return requests.length >= count ? requests : null;
  });
}

/** The request's body, verified by the standardwebhooks library with the secret the source was given. */
function verified(secret: string, request: RecordedRequest): Record<string, any> {
  return new Webhook(secret).verify(request.body, {
    "webhook-id": String(request.headers["webhook-id"]),
    "webhook-timestamp": String(request.headers["webhook-timestamp"]),
    "webhook-signature": String(request.headers["webhook-signature"]),
  }) as Record<string, any>;
}

describe("subscription change notices", () => {
  it("shows the source's signing_secret once, in the 201, and never in a GET or a list", async () => {
    const source = await noticedSource();
    expect(source.secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    const got = await api("GET", `/v1/admin/sources/${source.id}`);
    expect(got.status).toBe(200);
    expect(got.body.subscription_notify_url).toMatch(/\/hooks\/notices-/);
    expect(JSON.stringify(got.body)).not.toContain(source.secret);
    expect(got.body).not.toHaveProperty("signing_secret");
    const list = await api("GET", "/v1/admin/sources?limit=100");
    expect(JSON.stringify(list.body)).not.toContain(source.secret);
    const patched = await api("PATCH", `/v1/admin/sources/${source.id}`, { name: "LMS 2" });
    expect(patched.status).toBe(200);
    expect(patched.body).not.toHaveProperty("signing_secret");
    const stored = await env.DB.prepare("SELECT signing_secret_enc FROM sources WHERE id = ?")
      .bind(source.id)
      .first<{ signing_secret_enc: string }>();
    expect(stored!.signing_secret_enc).toMatch(/^v2:/);
    expect(stored!.signing_secret_enc).not.toContain(source.secret.slice(6));
  });

  it("POSTs a signed notice when a subscription is created, changed and deleted", async () => {
    const source = await noticedSource();
    const subscriberId = await subscriber();
    const subscription = await subscribe(source.id, subscriberId);

    const [created] = await received(source.mailbox, 1);
    expect(created.method).toBe("POST");
    expect(created.verified).toBe(true);
    expect(created.headers["content-type"]).toBe("application/json");
    const first = verified(source.secret, created);
    expect(created.headers["webhook-id"]).toBe(first.id);
    expect(first).toMatchObject({
      type: "subscription.created",
      source_id: source.id,
      subscription: {
        id: subscription.id,
        version: 1,
        subscriber: { id: subscriberId, name: "Acme Analytics" },
        event_types: ["courseCompletion"],
        filtered: false,
        push: false,
        archive: true,
      },
    });
    expect(first).not.toHaveProperty("previous");

    const patched = await api("PATCH", `/v1/admin/subscriptions/${subscription.id}`, {
      event_types: ["courseCompletion", "courseEnrollment"],
      filter: "data.score > 50",
    });
    expect(patched.status).toBe(200);
    const changed = verified(source.secret, (await received(source.mailbox, 2))[1]);
    expect(changed).toMatchObject({
      type: "subscription.updated",
      subscription: {
        id: subscription.id,
        version: patched.body.version,
        event_types: ["courseCompletion", "courseEnrollment"],
        filtered: true,
      },
      previous: { version: 1, event_types: ["courseCompletion"], filtered: false },
    });

    expect((await api("DELETE", `/v1/admin/subscriptions/${subscription.id}`)).status).toBe(204);
    const requests = await received(source.mailbox, 3);
    const deleted = verified(source.secret, requests[2]);
    expect(deleted).toMatchObject({
      type: "subscription.deleted",
      subscription: { id: subscription.id, version: patched.body.version, subscriber: { id: subscriberId } },
    });
    expect(requests.every((request) => request.verified)).toBe(true);
    expect(new Set(requests.map((request) => request.headers["webhook-id"])).size).toBe(3);
    const rows = await noticesOfSubscription(env.DB, subscription.id);
    expect(rows.map((row) => [row.change, row.status, row.attempts])).toEqual([
      ["created", "sent", 1],
      ["updated", "sent", 1],
      ["deleted", "sent", 1],
    ]);
  });

  it("retries a notice the receiver refused, with the same webhook-id and body", async () => {
    const source = await noticedSource([{ status: 500 }]);
    const subscription = await subscribe(source.id, await subscriber());
    const [refused] = await received(source.mailbox, 1);
    expect(refused.answered).toBe(500);
    const [row] = await eventually(async () => {
      const rows = await noticesOfSubscription(env.DB, subscription.id);
      return rows[0]?.status === "retrying" ? rows : null;
    });
    expect(row).toMatchObject({ attempts: 1, last_status_code: 500 });
    // initial_delay · 2^0, jittered ±20%
    const delay = row.next_attempt_at! - row.updated_at;
    expect(delay).toBeGreaterThanOrEqual(NOTICE_POLICY.initial_delay * 800);
    expect(delay).toBeLessThanOrEqual(NOTICE_POLICY.initial_delay * 1200);

    // Early, the retry does nothing; once due, it is sent.
    expect((await sendSubscriptionNotices(env, [row.id])).get(row.id)).toBe("skipped");
    expect((await sendSubscriptionNotices(env, [row.id], row.next_attempt_at!)).get(row.id)).toBe("sent");
    const requests = await sinkRequests(source.mailbox);
    expect(requests.map((request) => request.answered)).toEqual([500, 200]);
    expect(requests.map((request) => request.headers["webhook-id"])).toEqual([row.id, row.id]);
    expect(requests[1].body).toBe(requests[0].body);
    expect(requests.every((request) => request.verified)).toBe(true);
    expect(verified(source.secret, requests[1]).subscription.id).toBe(subscription.id);
    expect((await noticesOfSubscription(env.DB, subscription.id))[0]).toMatchObject({ status: "sent", attempts: 2 });
  });

  it("a subscriber's deletion is a subscription.deleted for each of its subscriptions to a noticed source", async () => {
    const noticed = await noticedSource();
    const quiet = await api("POST", "/v1/admin/sources", { name: "Quiet LMS" });
    const subscriberId = await subscriber();
    const first = await subscribe(noticed.id, subscriberId);
    const second = await subscribe(noticed.id, subscriberId, ["courseEnrollment"]);
    const unnoticed = await subscribe(quiet.body.id, subscriberId);
    await received(noticed.mailbox, 2);

    expect((await api("DELETE", `/v1/admin/subscribers/${subscriberId}`)).status).toBe(204);
    const requests = await received(noticed.mailbox, 4);
    const deleted = requests.slice(2).map((request) => verified(noticed.secret, request));
    expect(deleted.map((body) => body.type)).toEqual(["subscription.deleted", "subscription.deleted"]);
    expect(deleted.map((body) => body.subscription.id).sort()).toEqual([first.id, second.id].sort());
    expect(deleted.every((body) => body.subscription.subscriber.name === "Acme Analytics")).toBe(true);
    expect(await noticesOfSubscription(env.DB, unnoticed.id)).toEqual([]);
    expect((await api("GET", `/v1/admin/subscriptions/${first.id}`)).status).toBe(404);
  });

  it("records nothing for a source without a subscription_notify_url", async () => {
    const source = await api("POST", "/v1/admin/sources", { name: "Quiet LMS" });
    expect(source.status).toBe(201);
    expect(source.body.subscription_notify_url).toBeNull();
    expect(source.body.signing_secret).toMatch(/^whsec_/);
    const subscription = await subscribe(source.body.id, await subscriber(), ["*"]);
    expect((await api("PATCH", `/v1/admin/subscriptions/${subscription.id}`, { archive: true })).status).toBe(200);
    expect((await api("DELETE", `/v1/admin/subscriptions/${subscription.id}`)).status).toBe(204);
    expect(await noticesOfSubscription(env.DB, subscription.id)).toEqual([]);
  });

  it("tells only the subscription's own source, never another tenant's", async () => {
    const mine = await noticedSource();
    const theirs = await noticedSource();
    const subscriberId = await subscriber();
    const subscription = await subscribe(mine.id, subscriberId);
    // The other source's own subscription is its marker: once its notice has arrived, anything of ours would have.
    const marker = await subscribe(theirs.id, await subscriber());
    const [ours] = await received(mine.mailbox, 1);
    expect(verified(mine.secret, ours).subscription.id).toBe(subscription.id);
    const [their] = await received(theirs.mailbox, 1);
    expect(verified(theirs.secret, their).subscription.id).toBe(marker.id);
    expect(() => verified(theirs.secret, ours)).toThrow();
    expect((await noticesOfSubscription(env.DB, subscription.id)).map((row) => row.source_id)).toEqual([mine.id]);
    expect(await sinkRequests(theirs.mailbox)).toHaveLength(1);
  });

  it("signs with the new secret after a rotate, and the old one no longer verifies", async () => {
    const source = await noticedSource();
    const rotated = await api("POST", `/v1/admin/sources/${source.id}/rotate`);
    expect(rotated.status).toBe(200);
    expect(rotated.body.signing_secret).toMatch(/^whsec_/);
    expect(rotated.body.signing_secret).not.toBe(source.secret);
    await subscribe(source.id, await subscriber());
    const [request] = await received(source.mailbox, 1);
    expect(verified(rotated.body.signing_secret, request).type).toBe("subscription.created");
    expect(() => verified(source.secret, request)).toThrow();
  });

  it("gives a source from before notices its signing_secret with its first URL", async () => {
    const created = await api("POST", "/v1/admin/sources", { name: "Old LMS" });
    await env.DB.prepare("UPDATE sources SET signing_secret_enc = NULL WHERE id = ?").bind(created.body.id).run();
    const mailbox = unique("notices");
    const patched = await api("PATCH", `/v1/admin/sources/${created.body.id}`, {
      subscription_notify_url: `${sinkUrl()}/hooks/${mailbox}`,
    });
    expect(patched.status).toBe(200);
    expect(patched.body.signing_secret).toMatch(/^whsec_/);
    await subscribe(created.body.id, await subscriber());
    const [request] = await received(mailbox, 1);
    expect(verified(patched.body.signing_secret, request).type).toBe("subscription.created");
  });

  it("refuses a subscription_notify_url that is not an http(s) URL, naming the field", async () => {
    const refused = await api("POST", "/v1/admin/sources", {
      name: "LMS",
      subscription_notify_url: "ftp://x.example/",
    });
    expect(refused.status).toBe(422);
    expect(refused.body.errors.map((error: { path: string }) => error.path)).toContain("/subscription_notify_url");
  });

  it("ends a notice whose source took its URL away, and the sweeper re-rings one whose message was lost", async () => {
    const source = await noticedSource([{ status: 503 }]);
    const subscription = await subscribe(source.id, await subscriber());
    const [row] = await eventually(async () => {
      const rows = await noticesOfSubscription(env.DB, subscription.id);
      return rows[0]?.status === "retrying" ? rows : null;
    });
    const rung: unknown[] = [];
    const queue = {
      send: async (body: unknown) => void rung.push(body),
      sendBatch: async (messages: Array<{ body: unknown }>) => void rung.push(...messages.map((m) => m.body)),
    };
    const recording = { ...env, ARCHIVE_QUEUE: queue } as unknown as Env;
    const due = row.next_attempt_at! + 60_000;
    const window = { dueBefore: due, sweptBefore: due, now: due, limit: 1000 };
    expect(await sweepSubscriptionNotices(recording, window)).toBeGreaterThanOrEqual(1);
    expect(rung).toContainEqual({ kind: "subscription_notices", ids: expect.arrayContaining([row.id]) });

    expect((await api("PATCH", `/v1/admin/sources/${source.id}`, { subscription_notify_url: null })).status).toBe(200);
    expect((await sendSubscriptionNotices(env, [row.id], due)).get(row.id)).toBe("dead");
    expect((await noticesOfSubscription(env.DB, subscription.id))[0]).toMatchObject({
      status: "dead",
      last_error: "the source has no subscription_notify_url any more",
    });
    expect(await sinkRequests(source.mailbox)).toHaveLength(1);
  });
});
