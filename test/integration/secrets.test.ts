import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import app from "../../src/app";
import { api, BASE, deliveryOf, sinkConfigure, sinkRequests, sinkUrl, tenant, unique } from "../helpers/api";

const ADMIN = { authorization: "Bearer test-admin-token", "content-type": "application/json" };
const NEXT_KEY = "q1Xb7VnR3kLz9TfW2cYh5MdP8sGj4AeU6oIw0NxEtBQ=";

/** The app under another configuration: what the Worker is after `wrangler secret put`. */
function withEnv(overrides: Partial<Env>) {
  const configured = { ...env, ...overrides } as Env;
  return async (method: string, path: string, body?: unknown) => {
    const res = await app.fetch(
      new Request(`${BASE}${path}`, {
        method,
        headers: ADMIN,
        body: body === undefined ? undefined : JSON.stringify(body),
      }),
      configured,
      createExecutionContext(),
    );
    return { status: res.status, body: (await res.json()) as any };
  };
}

describe("secrets at rest", () => {
  it("a ciphertext copied into another destination's row does not decrypt there, and nothing is sent", async () => {
    const victim = await tenant({ destination: { auth: { type: "bearer", token: "victim-crm-token" } } });
    const thief = await tenant({ destination: { auth: { type: "bearer", token: "thief-token" } } });
    const { auth_enc } = (await env.DB.prepare("SELECT auth_enc FROM destinations WHERE id = ?")
      .bind(victim.destination.id)
      .first<{ auth_enc: string }>())!;
    await env.DB.prepare("UPDATE destinations SET auth_enc = ? WHERE id = ?")
      .bind(auth_enc, thief.destination.id)
      .run();

    const read = await api("GET", `/v1/admin/subscribers/${thief.subscriber.id}/destinations/${thief.destination.id}`);
    expect(read.status).toBe(200);
    expect(read.body.auth.type).toBe("bearer");
    expect(read.body.auth.unreadable).toMatch(/do not decrypt/);

    const published = await thief.publish({ type: "courseCompletion", data: {} });
    const dead = await deliveryOf(published.body.ids[0], (status) => status === "dead");
    expect(dead.last_error).toMatch(/does not decrypt/);
    expect(await sinkRequests(thief.mailbox)).toEqual([]);

    const kept = await api(
      "PATCH",
      `/v1/admin/subscribers/${thief.subscriber.id}/destinations/${thief.destination.id}`,
      {
        name: "renamed",
      },
    );
    expect(kept.status).toBe(422);
    expect(kept.body.errors[0].path).toBe("/auth");
  });

  it("rotates SECRETS_KEY: old values still open under 'new,old', a reseal pass moves them, then 'new' alone reads them", async () => {
    const t = await tenant({ destination: { auth: { type: "api_key", header: "X-Api-Key", value: "k-123" } } });
    const path = `/v1/admin/subscribers/${t.subscriber.id}/destinations/${t.destination.id}`;
    const newOnly = withEnv({ SECRETS_KEY: NEXT_KEY });
    const rotated = withEnv({ SECRETS_KEY: `${NEXT_KEY},${env.SECRETS_KEY}` });
    expect((await newOnly("GET", path)).body.auth.unreadable).toBeDefined();
    expect((await rotated("GET", path)).body.auth).toEqual({ type: "api_key", header: "X-Api-Key" });

    let pass = await rotated("POST", "/v1/admin/secrets/reseal");
    expect(pass.status).toBe(200);
    expect(pass.body.resealed).toBeGreaterThan(0);
    for (let calls = 0; pass.body.more && calls < 100; calls++)
      pass = await rotated("POST", "/v1/admin/secrets/reseal");
    expect(pass.body.more).toBe(false);

    expect((await newOnly("GET", path)).body.auth).toEqual({ type: "api_key", header: "X-Api-Key" });
    const source = (await newOnly("GET", `/v1/admin/sources/${t.source.id}`)).body;
    expect(source.id).toBe(t.source.id);
    // Back under the test's own key for the rest of this file's tests.
    const back = withEnv({ SECRETS_KEY: `${env.SECRETS_KEY},${NEXT_KEY}` });
    for (let calls = 0, more = true; more && calls < 100; calls++) {
      more = (await back("POST", "/v1/admin/secrets/reseal")).body.more;
    }
    expect((await api("GET", path)).body.auth).toEqual({ type: "api_key", header: "X-Api-Key" });
  });

  it("refuses to run with keys that are not 32 random bytes, saying which", async () => {
    const weakSecrets = await withEnv({ SECRETS_KEY: "dGVzdC1zZWNyZXRzLWtleS0zMi1ieXRlcy1sb25nISE=" })(
      "GET",
      "/healthz",
    );
    expect(weakSecrets.status).toBe(503);
    expect(weakSecrets.body.detail).toMatch(/SECRETS_KEY does not look random/);
    const shortLink = await withEnv({ LINK_SIGNING_KEY: "test-link-signing-key" })("GET", "/v1/admin/sources");
    expect(shortLink.status).toBe(503);
    expect(shortLink.body.detail).toMatch(/LINK_SIGNING_KEY is not base64/);
    expect((await withEnv({})("GET", "/healthz")).status).toBe(200);
  });
});

describe("OAuth 2 tokens", () => {
  it("never cross destinations: same token URL and client id, another secret, gets its own token", async () => {
    const tokbox = unique("tok");
    await sinkConfigure(tokbox, { issueTokens: { expiresIn: 3600 } });
    const oauth = (secret: string) => ({
      type: "oauth2",
      token_url: `${sinkUrl()}/hooks/${tokbox}`,
      client_id: "shared-client",
      client_secret: secret,
    });
    const first = await tenant({ destination: { auth: oauth("right-secret") } });
    const second = await tenant({ destination: { auth: oauth("wrong-secret") } });
    const one = await first.publish({ type: "courseCompletion", data: {} });
    await deliveryOf(one.body.ids[0], (status) => status === "sent");
    const two = await second.publish({ type: "courseCompletion", data: {} });
    await deliveryOf(two.body.ids[0], (status) => status === "sent");

    const [firstPush] = await sinkRequests(first.mailbox);
    const [secondPush] = await sinkRequests(second.mailbox);
    expect(secondPush.headers.authorization).not.toBe(firstPush.headers.authorization);
    const tokenRequests = await sinkRequests(tokbox);
    expect(tokenRequests).toHaveLength(2);
    expect(new Set(tokenRequests.map((request) => request.headers.authorization)).size).toBe(2);

    // Changing the auth drops the destination's cached token: the next push asks for a new one.
    const patched = await api(
      "PATCH",
      `/v1/admin/subscribers/${first.subscriber.id}/destinations/${first.destination.id}`,
      {
        auth: { ...oauth("right-secret"), scope: "events:write" },
      },
    );
    expect(patched.status).toBe(200);
    const three = await first.publish({ type: "courseCompletion", data: { again: true } });
    await deliveryOf(three.body.ids[0], (status) => status === "sent");
    expect(await sinkRequests(tokbox)).toHaveLength(3);
  });
});

describe("stored credentials never follow a new host", () => {
  it("a destination URL moving to another origin needs its auth again; a new path on the same origin does not", async () => {
    const t = await tenant({ destination: { auth: { type: "bearer", token: "crm-token" } } });
    const path = `/v1/admin/subscribers/${t.subscriber.id}/destinations/${t.destination.id}`;
    const samePlace = await api("PATCH", path, { url: `${t.destination.url}-v2` });
    expect(samePlace.status).toBe(200);
    const moved = await api("PATCH", path, { url: "https://attacker.example/collect" });
    expect(moved.status).toBe(422);
    expect(moved.body.errors[0].path).toBe("/auth");
    expect((await api("GET", path)).body.url).toBe(`${t.destination.url}-v2`);
    const given = await api("PATCH", path, {
      url: "https://crm2.example/api",
      auth: { type: "bearer", token: "crm2-token" },
    });
    expect(given.status).toBe(200);
    const noAuth = await tenant();
    const free = await api(
      "PATCH",
      `/v1/admin/subscribers/${noAuth.subscriber.id}/destinations/${noAuth.destination.id}`,
      {
        url: "https://elsewhere.example/hook",
      },
    );
    expect(free.status).toBe(200);
  });

  it("a source's fetch URL moving origin, or a sync listing another origin, needs the auth again", async () => {
    const source = await api("POST", "/v1/admin/sources", {
      name: "Origin",
      fetch: {
        url: `${sinkUrl()}/hooks/origin/{id}`,
        auth: { type: "bearer", token: "origin-token" },
        event_type: "profile.updated",
      },
    });
    const path = `/v1/admin/sources/${source.body.id}`;
    const moved = await api("PATCH", path, { fetch: { url: "https://attacker.example/{id}" } });
    expect(moved.status).toBe(422);
    expect(moved.body.errors[0].path).toBe("/fetch/auth");
    expect((await api("PATCH", path, { fetch: { url: `${sinkUrl()}/hooks/origin2/{id}` } })).status).toBe(200);

    const sync = await api("POST", `/v1/admin/sources/${source.body.id}/sync`, {
      list_url: "https://attacker.example/list",
    });
    expect(sync.status).toBe(422);
    expect(sync.body.errors[0].path).toBe("/auth");
  });
});

describe("bad configuration is refused when saved", () => {
  it("header names and values that are not valid HTTP are a 422 naming the header", async () => {
    const t = await tenant();
    const path = `/v1/admin/subscribers/${t.subscriber.id}/destinations`;
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ headers: { "X Tenant": "acme" } }, "/headers/X Tenant"],
      [{ headers: { "X-Tenant": "acme\r\nX-Injected: 1" } }, "/headers/X-Tenant"],
      [{ headers: { "X-Tenant": " padded" } }, "/headers/X-Tenant"],
      [{ headers: { "X-Tenant": "日本" } }, "/headers/X-Tenant"],
      [{ headers: { Host: "evil.example" } }, "/headers/Host"],
      [{ headers: { "webhook-signature": "v1,forged" } }, "/headers/webhook-signature"],
      [{ auth: { type: "api_key", header: "Api Key", value: "k" } }, "/auth"],
      [{ auth: { type: "bearer", token: "abc\ndef" } }, "/auth"],
    ];
    for (const [fields, errorPath] of cases) {
      const res = await api("POST", path, { name: "x", url: `${sinkUrl()}/hooks/x`, ...fields });
      expect(res.status, JSON.stringify(fields)).toBe(422);
      expect(res.body.errors.map((e: { path: string }) => e.path).join(" "), JSON.stringify(fields)).toContain(
        errorPath,
      );
    }
  });

  it("shows credential-like header values and response excerpts redacted", async () => {
    const t = await tenant({ destination: { headers: { "X-Api-Key": "hdr-secret", "X-Tenant": "acme" } } });
    const read = await api("GET", `/v1/admin/subscribers/${t.subscriber.id}/destinations/${t.destination.id}`);
    expect(read.body.headers).toEqual({ "X-Api-Key": "[redacted]", "X-Tenant": "acme" });
    await sinkConfigure(t.mailbox, {
      otherwise: {
        status: 400,
        body: '{"error":"bad","access_token":"tok-leak","echo":"Authorization: Bearer abcdefghijkl"}',
      },
    });
    const published = await t.publish({ type: "courseCompletion", data: {} });
    const dead = await deliveryOf(published.body.ids[0], (status) => status === "dead");
    const detail = await api("GET", `/v1/admin/deliveries/${dead.id}`);
    const excerpt = detail.body.attempts[0].response_excerpt as string;
    expect(excerpt).toContain('"error":"bad"');
    expect(excerpt).not.toContain("tok-leak");
    expect(excerpt).not.toContain("abcdefghijkl");
    // The push itself carried the real header.
    expect((await sinkRequests(t.mailbox))[0].headers["x-api-key"]).toBe("hdr-secret");
  });
});
