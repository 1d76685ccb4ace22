import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { localDate } from "../../src/archive/periods";
import { EVENT_ARCHIVES_SQL } from "../../src/db/event-archives";
import { api, deliveryOf, eventually, sinkConfigure, sinkRequests, sinkUrl, tenant, unique } from "../helpers/api";

/**
 * Following an event (issue 11): event → deliveries → attempts, each with the request it sent (credentials
 * redacted) and the answer's excerpt, and the archives the event landed in.
 */

type Tenant = Awaited<ReturnType<typeof tenant>>;
type Headers = Record<string, string>;

const R = "[redacted]";

async function publishOne(t: Tenant, data: unknown = { n: 1 }): Promise<string> {
  const res = await t.publish({ type: "courseCompletion", data });
  expect(res.status).toBe(202);
  return res.body.ids[0];
}

/** A header of a recorded request by name, whatever case it was sent in. */
const header = (headers: Headers, name: string) =>
  Object.entries(headers).find(([key]) => key.toLowerCase() === name.toLowerCase())?.[1];

const deliveryDetail = async (id: string) => {
  const res = await api("GET", `/v1/admin/deliveries/${id}`);
  expect(res.status).toBe(200);
  return res;
};

describe("following an event: attempts show the request they sent", () => {
  it("shows method, URL and headers with the api key and secret-looking headers redacted, the rest visible", async () => {
    const apiKey = `hk-${crypto.randomUUID()}`;
    const configured = `cfg-${crypto.randomUUID()}`;
    const t = await tenant({
      destination: {
        auth: { type: "api_key", header: "X-Hapi", value: apiKey },
        headers: { "X-Tenant": "acme", "X-Upstream-Token": configured },
      },
    });
    const eventId = await publishOne(t);
    const delivery = await deliveryOf(eventId, (status) => status === "sent");

    // What went out carried the real credentials…
    const [received] = await sinkRequests(t.mailbox);
    expect(received.verified).toBe(true);
    expect(received.headers["x-hapi"]).toBe(apiKey);
    expect(received.headers["x-upstream-token"]).toBe(configured);

    // …what the attempt keeps does not.
    const detail = await deliveryDetail(delivery.id);
    expect(detail.body.attempts).toHaveLength(1);
    const [attempt] = detail.body.attempts;
    expect(attempt).toMatchObject({ n: 1, status_code: 200, error: null });
    expect(attempt.request).toMatchObject({ method: "POST", url: t.destination.url });
    const sent: Headers = attempt.request.headers;
    expect(header(sent, "content-type")).toBe("application/json");
    expect(header(sent, "user-agent")).toMatch(/^syndic\//);
    expect(header(sent, "webhook-id")).toBe(delivery.id);
    expect(header(sent, "x-tenant")).toBe("acme");
    expect(header(sent, "x-hapi")).toBe(R);
    expect(header(sent, "x-upstream-token")).toBe(R);
    expect(header(sent, "webhook-signature")).toBe(R);
    // The body is the delivery's payload, not kept again with the attempt.
    expect(Object.keys(attempt.request).sort()).toEqual(["headers", "method", "url"]);

    const text = JSON.stringify(detail.body);
    expect(text).not.toContain(apiKey);
    expect(text).not.toContain(configured);
    expect(text).not.toContain(String(received.headers["webhook-signature"]));
    expect(text).not.toContain(t.destination.signing_secret);
  });

  it("redacts an api key that travels in a query parameter of any name", async () => {
    const apiKey = `qk-${crypto.randomUUID()}`;
    const t = await tenant({ destination: { auth: { type: "api_key", query: "hapi", value: apiKey } } });
    const delivery = await deliveryOf(await publishOne(t), (status) => status === "sent");
    const [received] = await sinkRequests(t.mailbox);
    expect(received.query.hapi).toBe(apiKey);
    const detail = await deliveryDetail(delivery.id);
    const url = new URL(detail.body.attempts[0].request.url);
    expect(`${url.origin}${url.pathname}`).toBe(t.destination.url);
    expect(url.searchParams.get("hapi")).toBe(R);
    expect(JSON.stringify(detail.body)).not.toContain(apiKey);
  });

  it("a failing destination (500): every attempt has its request and the response excerpt", async () => {
    const token = `bt-${crypto.randomUUID()}`;
    const t = await tenant({
      destination: { auth: { type: "bearer", token }, retry: { max_attempts: 2, initial_delay: 1, max_delay: 1 } },
    });
    await sinkConfigure(t.mailbox, {
      secret: t.destination.signing_secret,
      otherwise: { status: 500, body: '{"error":"database down"}' },
    });
    const delivery = await deliveryOf(await publishOne(t));
    expect(delivery.status).toBe("dead");
    const received = await sinkRequests(t.mailbox);
    expect(received.map((request) => request.headers.authorization)).toEqual([`Bearer ${token}`, `Bearer ${token}`]);

    const detail = await deliveryDetail(delivery.id);
    expect(detail.body.attempts.map((attempt: { n: number }) => attempt.n)).toEqual([1, 2]);
    for (const attempt of detail.body.attempts) {
      expect(attempt.status_code).toBe(500);
      expect(attempt.response_excerpt).toContain("database down");
      expect(attempt.request).toMatchObject({ method: "POST", url: t.destination.url });
      expect(header(attempt.request.headers, "authorization")).toBe(R);
      expect(header(attempt.request.headers, "content-type")).toBe("application/json");
    }
    expect(JSON.stringify(detail.body)).not.toContain(token);
  });

  it("an identity step's attempts show the create and the update, each to its own URL", async () => {
    const updates = unique("upd");
    const token = `it-${crypto.randomUUID()}`;
    const t = await tenant({ destination: { auth: { type: "bearer", token } } });
    const updateUrl = `${sinkUrl()}/hooks/${updates}/contacts/{remote_id}`;
    const patched = await api("PATCH", `/v1/admin/subscriptions/${t.subscription.id}`, {
      steps: [
        {
          destination_id: t.destination.id,
          identity: { namespace: "learner", local_id: "subject", remote_id: "contact.id", update: { url: updateUrl } },
        },
      ],
    });
    expect(patched.status).toBe(200);
    await sinkConfigure(t.mailbox, {
      secret: t.destination.signing_secret,
      otherwise: { status: 201, body: '{"contact":{"id":"crm-{n}"}}' },
    });
    await sinkConfigure(updates, { secret: t.destination.signing_secret, otherwise: { status: 200 } });
    const person = unique("person");
    const publish = async () => {
      const res = await t.publish({ type: "profile.updated", subject: person, data: { name: "Ada" } });
      expect(res.status).toBe(202);
      return deliveryOf(res.body.ids[0], (status) => status === "sent");
    };

    const created = await deliveryDetail((await publish()).id);
    expect(created.body.attempts[0].request).toMatchObject({ method: "POST", url: t.destination.url });
    const updated = await deliveryDetail((await publish()).id);
    expect(updated.body.attempts[0].request).toMatchObject({
      method: "PUT",
      url: updateUrl.replace("{remote_id}", "crm-1"),
    });
    for (const detail of [created, updated]) {
      expect(header(detail.body.attempts[0].request.headers, "authorization")).toBe(R);
      expect(JSON.stringify(detail.body)).not.toContain(token);
    }
  });

  it("an attempt recorded before requests were kept shows request: null", async () => {
    const t = await tenant();
    const delivery = await deliveryOf(await publishOne(t), (status) => status === "sent");
    // The shape of a row written before migration 0019: no request columns.
    await env.DB.prepare(
      "INSERT INTO attempts (delivery_id, n, at, duration_ms, status_code) VALUES (?, 99, ?, 5, 200)",
    )
      .bind(delivery.id, Date.now())
      .run();
    const detail = await deliveryDetail(delivery.id);
    expect(detail.body.attempts.map((attempt: { n: number }) => attempt.n)).toEqual([1, 99]);
    expect(detail.body.attempts[0].request).not.toBeNull();
    expect(detail.body.attempts[1].request).toBeNull();
  });

  it("is documented in /openapi.json", async () => {
    const doc = await api("GET", "/openapi.json");
    const schemas = doc.body.components.schemas;
    expect(Object.keys(schemas.DeliveryDetail.properties.attempts.items.properties)).toContain("request");
    expect(JSON.stringify(schemas.EventDetail)).toContain('"archives"');
    expect(Object.keys(schemas.EventArchive.properties)).toEqual([
      "id",
      "subscriber_id",
      "period_start",
      "period_end",
      "partial",
      "status",
    ]);
  });
});

describe("following an event: the archives it landed in", () => {
  const archived = () =>
    tenant({ subscription: { archive: true } }).then(async (t) => {
      const routed = async (eventId: string) =>
        eventually(async () => {
          const event = await api("GET", `/v1/admin/events/${eventId}`);
          return event.body.routed_at && event.body.deliveries?.[0]?.status === "sent" ? event.body : null;
        }, 30_000);
      return { ...t, routed };
    });

  it("lists [] before an archive of its period is built, and the archive once it is", async () => {
    const t = await archived();
    const other = await tenant();
    const eventId = await publishOne(t);
    const otherEvent = await publishOne(other);
    expect((await t.routed(eventId)).archives).toEqual([]);

    const today = localDate(Date.now(), "UTC");
    const built = await api("POST", "/v1/admin/archives", {
      subscriber_id: t.subscriber.id,
      period_start: today,
      period_end: today,
    });
    expect(built.status).toBe(202);
    const ready = await eventually(async () => {
      const archive = (await api("GET", `/v1/admin/archives/${built.body.id}`)).body;
      return archive.status === "ready" ? archive : null;
    }, 30_000);
    expect(ready.events).toBeGreaterThanOrEqual(1);

    const detail = await api("GET", `/v1/admin/events/${eventId}`);
    expect(detail.body.archives).toEqual([
      {
        id: built.body.id,
        subscriber_id: t.subscriber.id,
        period_start: today,
        period_end: today,
        partial: true,
        status: "ready",
      },
    ]);

    // An event of a subscriber that archives nothing is in no archive.
    expect((await t.routed(otherEvent)).archives).toEqual([]);
    // One received after the partial export was cut is not in it.
    const later = await publishOne(t);
    expect((await t.routed(later)).archives).toEqual([]);
  });

  it("finds them by index, never by scanning archive_items or archives", async () => {
    const { results } = await env.DB.prepare(`EXPLAIN QUERY PLAN ${EVENT_ARCHIVES_SQL}`)
      .bind(0, "evt_x")
      .all<{ detail: string }>();
    const plan = results.map((row) => row.detail).join("\n");
    expect(plan).toMatch(/SEARCH archive_items USING (COVERING )?INDEX archive_items_by_received/);
    expect(plan).toMatch(/SEARCH a USING INDEX archives_/);
    expect(plan).not.toMatch(/SCAN (a|archives|archive_items)\b/);
  });
});
