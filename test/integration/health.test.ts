import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";

describe("operations routes", () => {
  it("GET /healthz reports the database reachable and no owed work", async () => {
    const res = await exports.default.fetch("http://relay.test/healthz");
    expect(res.status).toBe(200);
    const body = await res.json<{ ok: boolean; database: string; oldest_undelivered_age_s: number | null }>();
    expect(body.ok).toBe(true);
    expect(body.database).toBe("ok");
  });

  it("answers unknown routes with problem+json 404", async () => {
    const res = await exports.default.fetch("http://relay.test/nope");
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    const body = await res.json<{ status: number; detail: string }>();
    expect(body.status).toBe(404);
    expect(body.detail).toContain("/nope");
  });

  it("serves an OpenAPI 3.1 document and the interactive reference", async () => {
    const spec = await exports.default.fetch("http://relay.test/openapi.json");
    expect(spec.status).toBe(200);
    const doc = await spec.json<{ openapi: string; paths: Record<string, unknown> }>();
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.keys(doc.paths)).toContain("/healthz");
    const page = await exports.default.fetch("http://relay.test/docs");
    // The page loads Swagger UI from the Worker itself (test/integration/docs.test.ts checks it in depth).
    expect(await page.text()).toContain("/docs/assets/");
  });
});
