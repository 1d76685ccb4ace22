import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { signInbound } from "../../src/auth/inbound";
import { api, eventually, sinkConfigure, sinkRequests, sinkUrl, tenant, unique } from "../helpers/api";

/** A tenant whose source resolves ids through a loopback origin mailbox. */
async function notifyTenant(source: Record<string, unknown> = {}) {
  const origin = unique("origin");
  const t = await tenant({
    source: {
      fetch: {
        url: `${sinkUrl()}/hooks/${origin}/profiles/{id}`,
        auth: { type: "api_key", header: "X-Api-Key", value: "origin-key" },
        event_type: "profile.updated",
      },
      ...source,
    },
  });
  const token = new URL(t.source.notify_url).pathname;
  return { ...t, origin, notifyPath: token };
}

async function notification(id: string, done = (s: string) => !["pending", "retrying"].includes(s)) {
  return eventually(async () => {
    const res = await api("GET", `/v1/admin/notifications/${id}`);
    return done(res.body.status) ? res.body : null;
  }, 30_000);
}

const notify = (path: string, init: RequestInit = {}) => exports.default.fetch(`http://relay.test${path}`, init);

describe("ID-only notifications", () => {
  it("fetches the record with the origin's credentials and publishes it, then pushes it", async () => {
    const t = await notifyTenant();
    await sinkConfigure(t.origin, { otherwise: { status: 200, body: '{"id":"42","email":"ada@example.com"}' } });
    const res = await notify(`${t.notifyPath}?id=42`);
    expect(res.status).toBe(202);
    const { id } = await res.json<{ id: string }>();
    expect(id).toMatch(/^ntf_/);
    const done = await notification(id);
    expect(done.status).toBe("published");
    const [fetched] = await sinkRequests(t.origin);
    expect(fetched.path).toBe(`/hooks/${t.origin}/profiles/42`);
    expect(fetched.headers["x-api-key"]).toBe("origin-key");
    const event = await api("GET", `/v1/admin/events/${done.event_id}`);
    expect(event.body.event).toMatchObject({
      type: "profile.updated",
      subject: "42",
      data: { email: "ada@example.com" },
    });
    await eventually(async () => (await sinkRequests(t.mailbox)).length === 1);
  });

  it("reads the id from a JSON body or a form body, URL-encoding it into the fetch URL", async () => {
    const t = await notifyTenant();
    await sinkConfigure(t.origin, { otherwise: { status: 200, body: "{}" } });
    const json = await notify(t.notifyPath, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"id":"a/b c"}',
    });
    expect(json.status).toBe(202);
    const form = await notify(t.notifyPath, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "id=7",
    });
    expect(form.status).toBe(202);
    await notification((await json.json<{ id: string }>()).id);
    await notification((await form.json<{ id: string }>()).id);
    const paths = (await sinkRequests(t.origin)).map((r) => r.path).sort();
    expect(paths).toEqual([`/hooks/${t.origin}/profiles/7`, `/hooks/${t.origin}/profiles/a%2Fb%20c`]);
    const missing = await notify(t.notifyPath, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    expect(missing.status).toBe(422);
  });

  it("retries an origin answering 503 twice, then publishes; a 404 ends as not_found; a 400 as failed", async () => {
    const t = await notifyTenant();
    await sinkConfigure(t.origin, {
      script: [{ status: 503 }, { status: 503 }],
      otherwise: { status: 200, body: '{"ok":true}' },
    });
    const flaky = await (await notify(`${t.notifyPath}?id=1`)).json<{ id: string }>();
    const published = await notification(flaky.id);
    expect(published.status).toBe("published");
    expect(published.attempts).toBe(3);

    await sinkConfigure(t.origin, { otherwise: { status: 404 } });
    const gone = await (await notify(`${t.notifyPath}?id=2`)).json<{ id: string }>();
    expect((await notification(gone.id)).status).toBe("not_found");

    await sinkConfigure(t.origin, { otherwise: { status: 400 } });
    const refused = await (await notify(`${t.notifyPath}?id=3`)).json<{ id: string }>();
    const failed = await notification(refused.id);
    expect(failed.status).toBe("failed");
    expect(failed.last_status_code).toBe(400);
  });

  it("collapses many calls for the same id into one fetch", async () => {
    const t = await notifyTenant();
    await sinkConfigure(t.origin, { otherwise: { status: 200, body: '{"v":2}' } });
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) ids.push((await (await notify(`${t.notifyPath}?id=same`)).json<{ id: string }>()).id);
    const settled = await Promise.all(ids.map((id) => notification(id, (s) => s === "published")));
    expect(new Set(settled.map((n) => n.event_id)).size).toBe(1);
    expect(await sinkRequests(t.origin)).toHaveLength(1);
  });

  it("refuses unknown or rotated tokens, forged HMACs and callers outside the allowlist, storing nothing", async () => {
    const t = await notifyTenant({
      inbound: { ip_allowlist: ["203.0.113.0/24"], hmac: { header: "X-Signature", secret: "shh", prefix: "sha256=" } },
    });
    const count = async () =>
      (
        await env.DB.prepare("SELECT count(*) AS n FROM notifications WHERE source_id = ?")
          .bind(t.source.id)
          .first<{ n: number }>()
      )?.n;
    const body = '{"id":"9"}';
    const good = `sha256=${await signInbound({ algorithm: "sha256", encoding: "hex" }, "shh", body)}`;
    const call = (headers: Record<string, string>, path = t.notifyPath) =>
      notify(path, { method: "POST", body, headers: { "content-type": "application/json", ...headers } });

    expect(
      (await call({ "cf-connecting-ip": "203.0.113.5", "x-signature": good }, "/v1/notify/ntk_unknown")).status,
    ).toBe(404);
    expect((await call({ "cf-connecting-ip": "198.51.100.1", "x-signature": good })).status).toBe(403);
    expect((await call({ "cf-connecting-ip": "203.0.113.5", "x-signature": "sha256=00" })).status).toBe(401);
    expect((await call({ "cf-connecting-ip": "203.0.113.5" })).status).toBe(401);
    expect(await count()).toBe(0);
    expect((await call({ "cf-connecting-ip": "203.0.113.5", "x-signature": good })).status).toBe(202);
    expect(await count()).toBe(1);

    await api("POST", `/v1/admin/sources/${t.source.id}/rotate`);
    expect((await call({ "cf-connecting-ip": "203.0.113.5", "x-signature": good })).status).toBe(404);
  });

  it("applies the same inbound HMAC to publishing", async () => {
    const t = await tenant({
      source: { inbound: { hmac: { header: "X-Signature", secret: "k", encoding: "base64" } } },
    });
    const body = JSON.stringify({ type: "signed", data: {} });
    const headers = { "content-type": "application/json", authorization: `Bearer ${t.source.api_key}` };
    expect((await notify("/v1/events", { method: "POST", body, headers })).status).toBe(401);
    const signature = await signInbound({ algorithm: "sha256", encoding: "base64" }, "k", body);
    expect(
      (await notify("/v1/events", { method: "POST", body, headers: { ...headers, "x-signature": signature } })).status,
    ).toBe(202);
  });
});
