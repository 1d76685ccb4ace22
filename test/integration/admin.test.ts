import { describe, expect, it } from "vitest";
import { api, call, sinkUrl, tenant } from "../helpers/api";

describe("admin API", () => {
  it("rejects missing and wrong admin tokens with 401 problem+json", async () => {
    for (const token of ["", "wrong", "test-admin-tokenX"]) {
      const res = await api("GET", "/v1/admin/sources", undefined, token);
      expect(res.status).toBe(401);
      expect(res.body.title).toBe("Unauthorized");
    }
  });

  it("creates, reads, lists, patches and deletes a source; credentials are shown once", async () => {
    const created = await api("POST", "/v1/admin/sources", {
      name: "LMS",
      strict: true,
      event_types: [{ code: "courseCompletion", description: "a learner finished a course" }],
      inbound: { hmac: { header: "X-Signature", secret: "hmac-secret-value" } },
      fetch: {
        url: "https://origin.example/api/profiles/{id}",
        auth: { type: "bearer", token: "origin-token-value" },
        event_type: "profile.updated",
      },
    });
    expect(created.status).toBe(201);
    expect(created.body.api_key).toMatch(/^sk_src_/);
    expect(created.body.notify_url).toMatch(/\/v1\/notify\/ntk_/);
    const id = created.body.id;

    const read = await api("GET", `/v1/admin/sources/${id}`);
    expect(read.status).toBe(200);
    const text = JSON.stringify(read.body);
    for (const secret of ["hmac-secret-value", "origin-token-value", created.body.api_key])
      expect(text).not.toContain(secret);
    expect(read.body.fetch.auth).toEqual({ type: "bearer" });
    expect(read.body.event_types).toEqual([{ code: "courseCompletion", description: "a learner finished a course" }]);

    const patched = await api("PATCH", `/v1/admin/sources/${id}`, {
      name: "LMS 2",
      event_types: [{ code: "enrolled" }],
    });
    expect(patched.body.name).toBe("LMS 2");
    expect(patched.body.event_types.map((type: { code: string }) => type.code)).toEqual([
      "courseCompletion",
      "enrolled",
    ]);
    expect(patched.body.fetch.url).toBe("https://origin.example/api/profiles/{id}");

    const listed = await api("GET", "/v1/admin/sources?limit=100");
    expect(listed.body.data.some((source: { id: string }) => source.id === id)).toBe(true);

    expect((await call("DELETE", `/v1/admin/sources/${id}`)).status).toBe(204);
    expect((await api("GET", `/v1/admin/sources/${id}`)).status).toBe(404);
  });

  it("pages lists with limit and cursor", async () => {
    for (let i = 0; i < 3; i++) await api("POST", "/v1/admin/subscribers", { name: `page-${i}` });
    const first = await api("GET", "/v1/admin/subscribers?limit=2");
    expect(first.body.data).toHaveLength(2);
    expect(first.body.next_cursor).toBeTypeOf("string");
    const second = await api("GET", `/v1/admin/subscribers?limit=2&cursor=${first.body.next_cursor}`);
    expect(second.body.data[0].id < first.body.data[1].id).toBe(true);
    expect((await api("GET", "/v1/admin/subscribers?limit=0")).status).toBe(422);
    expect((await api("GET", "/v1/admin/subscribers?limit=101")).status).toBe(422);
  });

  it("rotates a source key: the old one stops working at once", async () => {
    const t = await tenant();
    const event = { type: "ping", data: {} };
    expect((await t.publish(event)).status).toBe(202);
    const rotated = await api("POST", `/v1/admin/sources/${t.source.id}/rotate`);
    expect(rotated.body.api_key).not.toBe(t.source.api_key);
    expect((await t.publish(event)).status).toBe(401);
    expect((await api("POST", "/v1/events", event, rotated.body.api_key)).status).toBe(202);
  });

  it("creates subscribers with a whsec_ signing secret and validates the timezone", async () => {
    const created = await api("POST", "/v1/admin/subscribers", {
      name: "Acme",
      timezone: "America/New_York",
      archive: { schedule: "daily", format: "csv" },
    });
    expect(created.status).toBe(201);
    expect(created.body.signing_secret).toMatch(/^whsec_/);
    expect(created.body.api_key).toMatch(/^sk_sub_/);
    expect(created.body.archive).toMatchObject({ schedule: "daily", format: "csv", link_ttl: 604800 });
    const bad = await api("POST", "/v1/admin/subscribers", { name: "X", timezone: "Mars/Olympus" });
    expect(bad.status).toBe(422);
    expect(bad.body.errors[0].path).toBe("/timezone");
  });

  it("keeps destination credentials write-only and scoped to their subscriber", async () => {
    const t = await tenant({ destination: { auth: { type: "basic", username: "u", password: "pw-value" } } });
    const other = await api("POST", "/v1/admin/subscribers", { name: "Other" });
    const read = await api("GET", `/v1/admin/subscribers/${t.subscriber.id}/destinations/${t.destination.id}`);
    expect(read.body.auth).toEqual({ type: "basic" });
    expect(JSON.stringify(read.body)).not.toContain("pw-value");
    expect(JSON.stringify(read.body)).not.toContain("whsec_");
    const crossed = await api("GET", `/v1/admin/subscribers/${other.body.id}/destinations/${t.destination.id}`);
    expect(crossed.status).toBe(404);
    const patch = await api("PATCH", `/v1/admin/subscribers/${other.body.id}/destinations/${t.destination.id}`, {
      name: "x",
    });
    expect(patch.status).toBe(404);
  });

  it("refuses a subscription step on another subscriber's destination, and bad JSONata with its position", async () => {
    const t = await tenant();
    const other = await api("POST", "/v1/admin/subscribers", { name: "Other" });
    const crossed = await api("POST", "/v1/admin/subscriptions", {
      subscriber_id: other.body.id,
      source_id: t.source.id,
      steps: [{ destination_id: t.destination.id }],
    });
    expect(crossed.status).toBe(422);
    expect(crossed.body.errors[0].path).toBe("/steps/0/destination_id");

    const badFilter = await api("POST", "/v1/admin/subscriptions", {
      subscriber_id: t.subscriber.id,
      source_id: t.source.id,
      filter: "data.x = ",
      steps: [{ destination_id: t.destination.id, transform: "{ 'a': }" }],
    });
    expect(badFilter.status).toBe(422);
    expect(badFilter.body.errors.map((error: { path: string }) => error.path)).toEqual([
      "/filter",
      "/steps/0/transform",
    ]);
    expect(badFilter.body.errors[0].message).toMatch(/position \d+/);

    const noSteps = await api("POST", "/v1/admin/subscriptions", {
      subscriber_id: t.subscriber.id,
      source_id: t.source.id,
      steps: [],
    });
    expect(noSteps.status).toBe(422);
    const archiveOnly = await api("POST", "/v1/admin/subscriptions", {
      subscriber_id: t.subscriber.id,
      source_id: t.source.id,
      archive: true,
      steps: [],
    });
    expect(archiveOnly.status).toBe(201);

    const patched = await api("PATCH", `/v1/admin/subscriptions/${t.subscription.id}`, { filter: "type = 'x'" });
    expect(patched.body.version).toBe(2);
    expect(patched.body.filter).toBe("type = 'x'");
  });

  it("refuses insecure destination URLs unless ALLOW_INSECURE_URLS is on (it is, in tests)", async () => {
    const subscriber = await api("POST", "/v1/admin/subscribers", { name: "U" });
    const ok = await api("POST", `/v1/admin/subscribers/${subscriber.body.id}/destinations`, {
      name: "loopback",
      url: `${sinkUrl()}/hooks/x`,
    });
    expect(ok.status).toBe(201);
    const notUrl = await api("POST", `/v1/admin/subscribers/${subscriber.body.id}/destinations`, {
      name: "bad",
      url: "javascript:alert(1)",
    });
    expect(notUrl.status).toBe(422);
    expect(notUrl.body.errors[0].path).toBe("/url");
  });
});
