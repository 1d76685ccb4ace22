import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import app from "../../src/app";
import { ADMIN_TOKEN, api, BASE, sinkConfigure, sinkRequests, tenant } from "../helpers/api";

type Tenant = Awaited<ReturnType<typeof tenant>>;

const testPath = (t: Tenant, destinationId = t.destination.id) =>
  `/v1/admin/subscribers/${t.subscriber.id}/destinations/${destinationId}/test`;

const sendTest = (t: Tenant) => api("POST", testPath(t));

async function rowsOf(destinationId: string) {
  const deliveries = await env.DB.prepare("SELECT count(*) AS n FROM deliveries WHERE destination_id = ?")
    .bind(destinationId)
    .first<{ n: number }>();
  return deliveries?.n ?? 0;
}

describe("POST …/destinations/{id}/test", () => {
  it("pushes a signed sample to the destination and shows the attempt, recording nothing", async () => {
    const t = await tenant();
    const res = await sendTest(t);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status_code: 200, error: null, response_excerpt: '{"ok":true}' });
    expect(res.body.duration_ms).toBeGreaterThanOrEqual(0);
    expect(res.body.event).toMatchObject({ specversion: "1.0", type: "syndic.test" });

    const [received] = await sinkRequests(t.mailbox);
    // The sink checks the Standard Webhooks signature with the destination's secret (the standardwebhooks package).
    expect(received.verified).toBe(true);
    expect(JSON.parse(received.body)).toEqual(res.body.event);
    expect(res.body.request).toMatchObject({ url: t.destination.url, method: "POST" });
    expect(res.body.request.headers["webhook-id"]).toBe(received.headers["webhook-id"]);
    expect(res.body.request.headers["webhook-signature"]).toBe("[redacted]");
    expect(await rowsOf(t.destination.id)).toBe(0);
    const events = await api("GET", `/v1/admin/events?source_id=${t.source.id}`);
    expect(events.body.data).toEqual([]);
  });

  it("applies the destination's bearer auth and redacts it in the answer", async () => {
    const token = "crm-bearer-7f3a9c";
    const t = await tenant({ destination: { auth: { type: "bearer", token } } });
    await sinkConfigure(t.mailbox, {
      secret: t.destination.signing_secret,
      expectHeaders: { authorization: `Bearer ${token}` },
    });
    const res = await sendTest(t);
    expect(res.body.status_code).toBe(200);
    const [received] = await sinkRequests(t.mailbox);
    expect(received.authorized).toBe(true);
    expect(res.body.request.headers.authorization).toBe("[redacted]");
    expect(JSON.stringify(res.body)).not.toContain(token);
  });

  it("redacts an api key sent in a query parameter whose name does not look secret", async () => {
    const value = "qv-2b8e41d0";
    const t = await tenant({ destination: { auth: { type: "api_key", query: "hapi", value } } });
    const res = await sendTest(t);
    const [received] = await sinkRequests(t.mailbox);
    expect(received.query.hapi).toBe(value);
    expect(new URL(res.body.request.url).searchParams.get("hapi")).toBe("[redacted]");
    expect(JSON.stringify(res.body)).not.toContain(value);
  });

  it("shows a 500 as the attempt, and it counts neither towards a failure streak nor auto-disable", async () => {
    const t = await tenant({ destination: { retry: { max_attempts: 1, initial_delay: 1, max_delay: 1 } } });
    await sinkConfigure(t.mailbox, {
      secret: t.destination.signing_secret,
      otherwise: { status: 500, body: '{"error":"database down","api_key":"leaked-in-echo"}' },
    });
    for (let i = 0; i < 3; i++) {
      const res = await sendTest(t);
      expect(res.status).toBe(200);
      expect(res.body.status_code).toBe(500);
      expect(res.body.error).toMatch(/500/);
      expect(res.body.response_excerpt).toBe('{"error":"database down","api_key":"[redacted]"}');
    }
    const destination = await api("GET", `/v1/admin/subscribers/${t.subscriber.id}/destinations/${t.destination.id}`);
    expect(destination.body).toMatchObject({ failing_since: null, disabled_at: null });
    expect(await rowsOf(t.destination.id)).toBe(0);
  });

  it("reports a URL the policy refuses, having sent nothing", async () => {
    const t = await tenant();
    const production = { ...env, ALLOW_INSECURE_URLS: "false" } as Env;
    const res = await app.fetch(
      new Request(`${BASE}${testPath(t)}`, { method: "POST", headers: { authorization: `Bearer ${ADMIN_TOKEN}` } }),
      production,
      createExecutionContext(),
    );
    expect(res.status).toBe(200);
    const body = (await res.json()) as { status_code: number | null; error: string; request: unknown };
    expect(body.status_code).toBeNull();
    expect(body.request).toBeNull();
    expect(body.error).toMatch(/https/);
    expect(await sinkRequests(t.mailbox)).toEqual([]);
  });

  it("answers 404 for another subscriber's destination, or one that does not exist", async () => {
    const mine = await tenant();
    const theirs = await tenant();
    expect((await api("POST", testPath(mine, theirs.destination.id))).status).toBe(404);
    expect((await api("POST", testPath(mine, "dst_00000000000000000000000000"))).status).toBe(404);
    expect(await sinkRequests(theirs.mailbox)).toEqual([]);
  });
});
