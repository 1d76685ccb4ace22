import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import {
  api,
  eventually,
  type RecordedRequest,
  sinkConfigure,
  sinkRequests,
  sinkUrl,
  tenant,
  unique,
} from "../helpers/api";
import { oauth1Signature } from "../helpers/oauth1";

const OAUTH1 = {
  type: "oauth1",
  consumer_key: "sportscloud",
  consumer_secret: "consumer s3cret",
  token: "crm-token",
  token_secret: "token/secret",
  signature_method: "HMAC-SHA256",
} as const;

/**
 * A CRM on the sink: creates go to the destination's mailbox and answer a new contact id each ("crm-{n}"),
 * updates go to a mailbox of their own at /contacts/{remote_id}. The transform shows what was sent.
 */
async function crmTenant(options: { source?: Record<string, unknown>; createScript?: unknown[] } = {}) {
  const updates = unique("upd");
  const t = await tenant({
    source: options.source,
    destination: { auth: OAUTH1, retry: { max_attempts: 5, initial_delay: 1, max_delay: 1 } },
    subscription: {
      event_types: ["*"],
      steps: [], // replaced below, once the destination exists
      archive: true,
    },
  });
  const patched = await api("PATCH", `/v1/admin/subscriptions/${t.subscription.id}`, {
    steps: [
      {
        destination_id: t.destination.id,
        transform: "{ 'email': data.email, 'name': data.name, 'crm_id': $remote_id }",
        identity: {
          namespace: "learner",
          local_id: "subject",
          remote_id: "contact.id",
          update: { url: `${sinkUrl()}/hooks/${updates}/contacts/{remote_id}`, method: "PUT" },
        },
      },
    ],
  });
  expect(patched.status).toBe(200);
  await sinkConfigure(t.mailbox, {
    secret: t.destination.signing_secret,
    script: options.createScript,
    otherwise: { status: 201, body: '{"contact":{"id":"crm-{n}"}}' },
  });
  await sinkConfigure(updates, { secret: t.destination.signing_secret, otherwise: { status: 200 } });
  return { ...t, updates, creates: () => sinkRequests(t.mailbox), updated: () => sinkRequests(updates) };
}

/** Checks the request's OAuth 1.0a signature with the test's own RFC 5849 implementation. */
async function expectOAuth1(request: RecordedRequest, url: string) {
  const authorization = String(request.headers.authorization ?? "");
  const { oauth, expected } = await oauth1Signature(
    request.method,
    url,
    authorization,
    OAUTH1.consumer_secret,
    OAUTH1.token_secret,
  );
  expect(oauth.oauth_consumer_key).toBe(OAUTH1.consumer_key);
  expect(oauth.oauth_signature).toBe(expected);
}

const sentDeliveries = (ids: string[]) =>
  eventually(async () => {
    const events = await Promise.all(ids.map((id) => api("GET", `/v1/admin/events/${id}`)));
    const deliveries = events.map((event) => event.body.deliveries?.[0]);
    return deliveries.every((delivery) => delivery?.status === "sent") ? deliveries : null;
  }, 40_000);

const profile = (subject: string, data: Record<string, unknown>) => ({ type: "profile.updated", subject, data });

describe("identity mapping", () => {
  it("SportsCloud: notify with an id → fetch → create the contact (OAuth 1.0a) → a second change updates it", async () => {
    const origin = unique("origin");
    const t = await crmTenant({
      source: {
        fetch: {
          url: `${sinkUrl()}/hooks/${origin}/profiles/{id}`,
          auth: { type: "bearer", token: "origin-token" },
          event_type: "profile.updated",
        },
      },
    });
    const notify = async (body: string) => {
      await sinkConfigure(origin, { otherwise: { status: 200, body } });
      const res = await exports.default.fetch(`http://relay.test${new URL(t.source.notify_url).pathname}?id=u-77`);
      expect(res.status).toBe(202);
      const { id } = await res.json<{ id: string }>();
      return eventually(async () => {
        const row = (await api("GET", `/v1/admin/notifications/${id}`)).body;
        return row.status === "published" ? row.event_id : null;
      }, 30_000);
    };

    const first = await notify('{"email":"ada@example.com","name":"Ada"}');
    const [created] = await sentDeliveries([first]);
    const [create] = await t.creates();
    expect(create.method).toBe("POST");
    expect(create.verified).toBe(true);
    expect(JSON.parse(create.body)).toEqual({ email: "ada@example.com", name: "Ada", crm_id: null });
    await expectOAuth1(create, t.destination.url);
    expect(created.request).toEqual({ url: t.destination.url, method: "POST" });

    const known = await api(
      "GET",
      `/v1/admin/subscribers/${t.subscriber.id}/identities?namespace=learner&local_id=u-77`,
    );
    expect(known.body.data).toEqual([
      expect.objectContaining({ namespace: "learner", local_id: "u-77", remote_id: "crm-1" }),
    ]);

    const second = await notify('{"email":"ada@example.org","name":"Ada L."}');
    const [updatedDelivery] = await sentDeliveries([second]);
    const [update] = await t.updated();
    const updateUrl = `${sinkUrl()}/hooks/${t.updates}/contacts/crm-1`;
    expect(update.method).toBe("PUT");
    expect(update.path).toBe(`/hooks/${t.updates}/contacts/crm-1`);
    expect(update.verified).toBe(true);
    expect(JSON.parse(update.body)).toEqual({ email: "ada@example.org", name: "Ada L.", crm_id: "crm-1" });
    await expectOAuth1(update, updateUrl);
    expect(updatedDelivery.request).toEqual({ url: updateUrl, method: "PUT" });
    expect(await t.creates()).toHaveLength(1);
  });

  it("20 concurrent first events for the same new person create exactly one contact; the rest update it", async () => {
    const t = await crmTenant();
    const events = Array.from({ length: 20 }, (_, i) => profile("u-1", { email: `v${i}@example.com`, name: "Grace" }));
    const res = await t.publish(events);
    expect(res.status).toBe(202);
    await sentDeliveries(res.body.ids);
    const creates = await t.creates();
    const updates = await t.updated();
    expect(creates).toHaveLength(1);
    expect(updates).toHaveLength(19);
    expect(new Set(updates.map((u) => u.path))).toEqual(new Set([`/hooks/${t.updates}/contacts/crm-1`]));
    expect(updates.every((u) => JSON.parse(u.body).crm_id === "crm-1")).toBe(true);
  });

  it("a failed create releases its reservation: the retry creates once and the id is stored", async () => {
    const t = await crmTenant({ createScript: [{ status: 503 }] });
    const res = await t.publish([profile("u-2", { email: "a@example.com" })]);
    const [delivery] = await sentDeliveries(res.body.ids);
    expect(delivery.attempts).toBe(2);
    const creates = await t.creates();
    expect(creates.map((c) => c.answered)).toEqual([503, 201]);
    const known = await api("GET", `/v1/admin/subscribers/${t.subscriber.id}/identities?local_id=u-2`);
    expect(known.body.data[0].remote_id).toBe("crm-2");
  });

  it("bulk-loaded identities are updated directly; a create whose response names no id is recorded, not stored", async () => {
    const t = await crmTenant({ createScript: [{ status: 201, body: '{"ok":true}' }] });
    const put = await api("PUT", `/v1/admin/subscribers/${t.subscriber.id}/identities`, [
      { namespace: "learner", local_id: "known-1", remote_id: "crm-900" },
      { namespace: "learner", local_id: "known-2", remote_id: "crm/901" },
    ]);
    expect(put.status).toBe(200);
    const known = await t.publish([profile("known-2", { email: "k@example.com" })]);
    await sentDeliveries(known.body.ids);
    const [update] = await t.updated();
    expect(update.path).toBe(`/hooks/${t.updates}/contacts/crm%2F901`);
    expect(await t.creates()).toHaveLength(0);

    const unknown = await t.publish([profile("new-1", { email: "n@example.com" })]);
    const [delivery] = await sentDeliveries(unknown.body.ids);
    const detail = await api("GET", `/v1/admin/deliveries/${delivery.id}`);
    expect(detail.body.attempts[0].error).toMatch(/found no id in the response/);
    const stored = await api("GET", `/v1/admin/subscribers/${t.subscriber.id}/identities?local_id=new-1`);
    expect(stored.body.data).toEqual([]);
  });

  it("an event without a local id ends dead with the reason, nothing sent", async () => {
    const t = await crmTenant();
    const res = await t.publish([{ type: "profile.updated", data: { email: "x@example.com" } }]);
    const delivery = await eventually(async () => {
      const event = await api("GET", `/v1/admin/events/${res.body.ids[0]}`);
      const row = event.body.deliveries?.[0];
      return row?.status === "dead" ? row : null;
    });
    expect(delivery.last_error).toMatch(/local_id/);
    expect(await t.creates()).toHaveLength(0);
  });

  it("rejects bad identity input and another subscriber's ids", async () => {
    const t = await crmTenant();
    const other = await crmTenant();
    const bad = await api("PUT", `/v1/admin/subscribers/${t.subscriber.id}/identities`, [{ namespace: "learner" }]);
    expect(bad.status).toBe(422);
    expect(bad.body.errors[0].path).toMatch(/^\/0\//);
    const missing = await api("GET", "/v1/admin/subscribers/sub_00000000000000000000000000/identities");
    expect(missing.status).toBe(404);
    await api("PUT", `/v1/admin/subscribers/${other.subscriber.id}/identities`, [
      { namespace: "learner", local_id: "x", remote_id: "theirs" },
    ]);
    const mine = await api("GET", `/v1/admin/subscribers/${t.subscriber.id}/identities?local_id=x`);
    expect(mine.body.data).toEqual([]);
  });

  it("pages through identities whose ids are any Unicode, and shrugs off forged cursors", async () => {
    const t = await crmTenant();
    const ids = ["学習者-1", "学習者-2", "Ünïcødé-3", "👩‍🎓-4"];
    const put = await api(
      "PUT",
      `/v1/admin/subscribers/${t.subscriber.id}/identities`,
      ids.map((local_id, i) => ({ namespace: "learner", local_id, remote_id: `crm-${i}` })),
    );
    expect(put.status).toBe(200);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = `?namespace=learner&limit=1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
      const page = await api("GET", `/v1/admin/subscribers/${t.subscriber.id}/identities${query}`);
      expect(page.status).toBe(200);
      seen.push(...page.body.data.map((row: { local_id: string }) => row.local_id));
      cursor = page.body.next_cursor;
    } while (cursor);
    expect(seen.sort()).toEqual([...ids].sort());
    const one = await api(
      "GET",
      `/v1/admin/subscribers/${t.subscriber.id}/identities?local_id=${encodeURIComponent("学習者-2")}`,
    );
    expect(one.body.data.map((row: { remote_id: string }) => row.remote_id)).toEqual(["crm-1"]);
    for (const forged of ["学習者", "%%%", "eyJ4Ijo", "W10"]) {
      const res = await api(
        "GET",
        `/v1/admin/subscribers/${t.subscriber.id}/identities?cursor=${encodeURIComponent(forged)}`,
      );
      expect(res.status, forged).toBe(200);
    }
  });
});
