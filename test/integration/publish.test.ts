import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, tenant } from "../helpers/api";

async function countEvents(sourceId: string): Promise<number> {
  const row = await env.DB.prepare("SELECT count(*) AS n FROM events WHERE source_id = ?")
    .bind(sourceId)
    .first<{ n: number }>();
  return row?.n ?? 0;
}

const cloudEvent = (id: string, data: unknown = { n: 1 }) => ({
  specversion: "1.0",
  id,
  source: "/lms",
  type: "courseCompletion",
  data,
});

describe("POST /v1/events", () => {
  it("stores a CloudEvents batch and answers ids in request order, deduplicating on (source, id)", async () => {
    const t = await tenant();
    const first = await t.publish([cloudEvent("a"), cloudEvent("b")], "application/cloudevents-batch+json");
    expect(first.status).toBe(202);
    expect(first.body).toMatchObject({ accepted: 2, duplicates: 0 });
    const again = await t.publish([cloudEvent("b"), cloudEvent("c"), cloudEvent("c")]);
    expect(again.body.accepted).toBe(1);
    expect(again.body.duplicates).toBe(2);
    expect(again.body.ids[0]).toBe(first.body.ids[1]);
    expect(again.body.ids[1]).toBe(again.body.ids[2]);
    expect(await countEvents(t.source.id)).toBe(3);
  });

  it("accepts a single structured CloudEvent, a plain envelope and UBX batches", async () => {
    const t = await tenant();
    expect((await t.publish(cloudEvent("single"), "application/cloudevents+json")).body.accepted).toBe(1);
    expect((await t.publish({ type: "enrolled", subject: "u1", data: { course: "Go" } })).body.accepted).toBe(1);
    const ubx = await t.publish({
      channel: "web",
      eventbatch: [
        {
          identifiers: [{ name: "email", value: "ada@example.com" }],
          events: [
            {
              code: "ibmcartAbandonment",
              timestamp: "2026-11-21T10:00:00Z",
              attributes: [{ name: "total", value: "12", type: "number" }],
            },
            {
              code: "ibmcartAbandonmentItem",
              timestamp: "2026-11-21T10:00:00Z",
              attributes: [{ name: "sku", value: "A-1", type: "string" }],
            },
          ],
        },
      ],
    });
    expect(ubx.status).toBe(202);
    expect(ubx.body.accepted).toBe(2);
    const event = await api("GET", `/v1/admin/events/${ubx.body.ids[1]}`);
    expect(event.body.event).toMatchObject({
      type: "ibmcartAbandonmentItem",
      subject: "ada@example.com",
      data: { attributes: { sku: "A-1" } },
    });
  });

  it("is all or nothing: one invalid event names its index and stores nothing", async () => {
    const t = await tenant();
    const res = await t.publish([
      cloudEvent("ok-1"),
      { specversion: "1.0", id: "bad", source: "/lms" },
      cloudEvent("ok-2"),
    ]);
    expect(res.status).toBe(422);
    expect(res.body.errors[0].path).toBe("/1/type");
    expect(await countEvents(t.source.id)).toBe(0);
  });

  it("enforces strict sources and registered JSON Schemas", async () => {
    const t = await tenant({
      source: {
        strict: true,
        event_types: [
          {
            code: "courseCompletion",
            schema: {
              type: "object",
              required: ["user"],
              properties: { user: { type: "string", format: "email" }, score: { type: "number" } },
            },
          },
        ],
      },
    });
    const unknownType = await t.publish({ type: "somethingElse", data: {} });
    expect(unknownType.status).toBe(422);
    expect(unknownType.body.errors[0].path).toBe("/0/type");
    const badData = await t.publish([
      { type: "courseCompletion", data: { user: "a@b.co" } },
      { type: "courseCompletion", data: { score: "high" } },
    ]);
    expect(badData.status).toBe(422);
    expect(badData.body.errors.map((error: { path: string }) => error.path)).toContain("/1/data");
    expect(badData.body.errors.map((error: { path: string }) => error.path)).toContain("/1/data/score");
    expect((await t.publish({ type: "courseCompletion", data: { user: "a@b.co", score: 3 } })).status).toBe(202);
    expect(await countEvents(t.source.id)).toBe(1);
  });

  it("refuses hostile input with the right 4xx problem and stores nothing", async () => {
    const t = await tenant();
    const key = t.source.api_key;
    const cases: Array<[string, RequestInit, number]> = [
      ["malformed JSON", { body: '{"type": "a", ', headers: { "content-type": "application/json" } }, 400],
      ["wrong content type", { body: "type=a", headers: { "content-type": "application/x-www-form-urlencoded" } }, 415],
      ["no content type", { body: JSON.stringify({ type: "a", data: {} }) }, 415],
      ["a number", { body: "42", headers: { "content-type": "application/json" } }, 422],
      [
        "wrong types",
        { body: JSON.stringify({ type: 5, data: {} }), headers: { "content-type": "application/json" } },
        422,
      ],
      ["empty batch", { body: "[]", headers: { "content-type": "application/json" } }, 422],
      [
        "501 events",
        {
          body: JSON.stringify(Array.from({ length: 501 }, (_, i) => cloudEvent(`e${i}`))),
          headers: { "content-type": "application/json" },
        },
        413,
      ],
      [
        "nested 10,000 levels deep",
        {
          body: `{"type":"deep","data":${"[".repeat(10_000)}${"]".repeat(10_000)}}`,
          headers: { "content-type": "application/json" },
        },
        422,
      ],
      [
        "over 1 MiB",
        {
          body: JSON.stringify({ type: "big", data: { blob: "x".repeat(1024 * 1024) } }),
          headers: { "content-type": "application/json" },
        },
        413,
      ],
    ];
    for (const [name, init, status] of cases) {
      const real = await exports.default.fetch("http://relay.test/v1/events", {
        method: "POST",
        ...init,
        headers: { authorization: `Bearer ${key}`, ...(init.headers as Record<string, string>) },
      });
      expect(real.status, name).toBe(status);
      expect(real.headers.get("content-type"), name).toBe("application/problem+json");
    }
    expect(await countEvents(t.source.id)).toBe(0);
  });

  it("accepts JSON nested up to the depth limit, and names the limit past it", async () => {
    const t = await tenant();
    const nest = (levels: number) => `${"[".repeat(levels)}${"]".repeat(levels)}`;
    // The envelope's own object is one level: data may nest 63 more.
    const ok = await t.publish(`{"type":"deep","data":${nest(63)},"note":"[[[ in a string does not count"}`);
    expect(ok.status).toBe(202);
    const deep = await t.publish(`{"type":"deep","data":${nest(64)}}`);
    expect(deep.status).toBe(422);
    expect(deep.body.errors[0].message).toMatch(/at most 64 levels/);
    const admin = await api(
      "POST",
      "/v1/admin/sources",
      `{"name":"x","event_types":[{"code":"a","schema":${nest(5000)}}]}`,
    );
    expect(admin.status).toBe(422);
    expect(await countEvents(t.source.id)).toBe(1);
  });

  it("refuses forged and missing source keys, and an admin token is not a source key", async () => {
    for (const key of ["", "sk_src_forged", "test-admin-token", `${"x".repeat(5000)}`]) {
      const res = await api("POST", "/v1/events", { type: "a", data: {} }, key);
      expect(res.status).toBe(401);
    }
  });

  it("keeps unicode and injection strings intact as data", async () => {
    const t = await tenant();
    const data = { name: "Zoë 🚀 ' OR 1=1; DROP TABLE events; --", html: "<script>alert(1)</script>", nul: "a\u0000b" };
    const res = await t.publish({ type: "weird'type\"", subject: "ü", data });
    expect(res.status).toBe(202);
    const event = await api("GET", `/v1/admin/events/${res.body.ids[0]}`);
    expect(event.body.event.data).toEqual(data);
    expect(event.body.type).toBe("weird'type\"");
  });

  it("stores bodies over 32 KiB in R2 and still serves them", async () => {
    const t = await tenant();
    const data = { blob: "y".repeat(40 * 1024) };
    const res = await t.publish({ type: "large", data });
    expect(res.status).toBe(202);
    const row = await env.DB.prepare("SELECT body, body_key FROM events WHERE id = ?")
      .bind(res.body.ids[0])
      .first<{ body: string | null; body_key: string }>();
    expect(row?.body).toBeNull();
    expect(await env.BUCKET.head(row!.body_key)).not.toBeNull();
    expect((await api("GET", `/v1/admin/events/${res.body.ids[0]}`)).body.event.data).toEqual(data);
  });
});
