import { describe, expect, it } from "vitest";
import { signInbound } from "../../src/auth/inbound";
import { api, eventually, sinkRequests, tenant } from "../helpers/api";

/** PATCH merges: a nested field is reset only when it is named (CONTRACT §3, issue 8 item 19). */
describe("PATCH merges nested objects", () => {
  it("a destination keeps the retry fields, headers and credentials a PATCH does not name", async () => {
    const t = await tenant({
      destination: {
        headers: { "X-Tenant": "acme" },
        auth: { type: "bearer", token: "crm-token" },
        retry: { max_attempts: 7, initial_delay: 3, max_delay: 90 },
      },
    });
    const path = `/v1/admin/subscribers/${t.subscriber.id}/destinations/${t.destination.id}`;
    const patched = await api("PATCH", path, { retry: { max_attempts: 4 } });
    expect(patched.status).toBe(200);
    expect(patched.body.retry).toEqual({ max_attempts: 4, initial_delay: 3, max_delay: 90 });
    expect(patched.body.headers).toEqual({ "X-Tenant": "acme" });
    expect(patched.body.auth).toEqual({ type: "bearer" });

    const renamed = await api("PATCH", path, { name: "CRM 2" });
    expect(renamed.body.retry).toEqual({ max_attempts: 4, initial_delay: 3, max_delay: 90 });
    expect(renamed.body.timeout_ms).toBe(t.destination.timeout_ms);

    // The stored credentials still go out after the PATCHes.
    const published = await t.publish({ type: "courseCompletion", data: { n: 1 } });
    expect(published.status).toBe(202);
    const [request] = await eventually(async () => {
      const requests = await sinkRequests(t.mailbox);
      return requests.length ? requests : null;
    });
    expect(request.headers.authorization).toBe("Bearer crm-token");
    expect(request.headers["x-tenant"]).toBe("acme");

    const broken = await api("PATCH", path, { retry: { initial_delay: 500 } });
    expect(broken.status).toBe(422);
    expect(broken.body.errors[0].path).toBe("/retry/max_delay");
    const cleared = await api("PATCH", path, { retry: { max_attempts: null } });
    expect(cleared.body.retry.max_attempts).toBe(10);
  });

  it("a source keeps strict, its fetch credentials and its HMAC secret when a PATCH names other fields", async () => {
    const created = await api("POST", "/v1/admin/sources", {
      name: "LMS",
      strict: true,
      event_types: [{ code: "courseCompletion" }],
      inbound: { hmac: { header: "X-Signature", secret: "hmac-secret-value", encoding: "base64" } },
      fetch: {
        url: "https://origin.example/api/profiles/{id}",
        headers: { accept: "application/json" },
        auth: { type: "bearer", token: "origin-token-value" },
        event_type: "profile.updated",
      },
    });
    expect(created.status).toBe(201);
    const path = `/v1/admin/sources/${created.body.id}`;

    const renamed = await api("PATCH", path, { name: "LMS 2" });
    expect(renamed.status).toBe(200);
    expect(renamed.body.strict).toBe(true);

    const refetched = await api("PATCH", path, { fetch: { event_type: "profile.changed" } });
    expect(refetched.status).toBe(200);
    expect(refetched.body.fetch).toMatchObject({
      url: "https://origin.example/api/profiles/{id}",
      headers: { accept: "application/json" },
      auth: { type: "bearer" },
      event_type: "profile.changed",
    });

    const retimed = await api("PATCH", path, { inbound: { hmac: { prefix: "sha256=" } } });
    expect(retimed.status).toBe(200);
    expect(retimed.body.inbound.hmac).toMatchObject({ header: "X-Signature", encoding: "base64", prefix: "sha256=" });
    const body = JSON.stringify({ type: "courseCompletion", data: {} });
    const signature = await signInbound({ algorithm: "sha256", encoding: "base64" }, "hmac-secret-value", body);
    const accepted = await api("POST", "/v1/events", body, created.body.api_key, {
      "x-signature": `sha256=${signature}`,
    });
    expect(accepted.status).toBe(202);
    const strict = await api("POST", "/v1/events", JSON.stringify({ type: "other", data: {} }), created.body.api_key, {
      "x-signature": `sha256=${await signInbound({ algorithm: "sha256", encoding: "base64" }, "hmac-secret-value", JSON.stringify({ type: "other", data: {} }))}`,
    });
    expect(strict.status).toBe(422);

    const unfetched = await api("PATCH", path, { fetch: null });
    expect(unfetched.body.fetch).toBeNull();
    const missing = await api("PATCH", path, { fetch: { url: "https://origin.example/{id}" } });
    expect(missing.status).toBe(422);
    expect(missing.body.errors[0].path).toBe("/fetch/event_type");
  });

  it("a subscriber keeps its archive schedule, link lifetime and retention when a PATCH names only the format", async () => {
    const created = await api("POST", "/v1/admin/subscribers", {
      name: "Acme",
      timezone: "Europe/Paris",
      archive: { schedule: "weekly", format: "json", link_ttl: 3600, retention_days: 14 },
    });
    expect(created.status).toBe(201);
    const path = `/v1/admin/subscribers/${created.body.id}`;
    const patched = await api("PATCH", path, { archive: { format: "csv" } });
    expect(patched.status).toBe(200);
    expect(patched.body.archive).toMatchObject({
      schedule: "weekly",
      format: "csv",
      link_ttl: 3600,
      retention_days: 14,
    });
    expect(patched.body.timezone).toBe("Europe/Paris");
    const renamed = await api("PATCH", path, { name: "Acme Corp" });
    expect(renamed.body.archive).toEqual(patched.body.archive);
    expect((await api("GET", path)).body.archive).toEqual(patched.body.archive);
    const reset = await api("PATCH", path, { archive: { link_ttl: null } });
    expect(reset.body.archive.link_ttl).toBe(604_800);
    const bad = await api("PATCH", path, { archive: { format: "xlsx" } });
    expect(bad.status).toBe(422);
    expect(bad.body.errors[0].path).toBe("/archive/format");
  });
});
