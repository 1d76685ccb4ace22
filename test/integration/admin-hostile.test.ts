import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, call } from "../helpers/api";

async function subscriberCount(): Promise<number> {
  return (await env.DB.prepare("SELECT count(*) AS n FROM subscribers").first<{ n: number }>())?.n ?? 0;
}

describe("admin API under hostile input", () => {
  it("answers malformed JSON, wrong content types and wrong types with 4xx problems and stores nothing", async () => {
    const before = await subscriberCount();
    const malformed = await api("POST", "/v1/admin/subscribers", '{"name": "x",', undefined, {
      "content-type": "application/json",
    });
    expect(malformed.status).toBe(400);
    const form = await call("POST", "/v1/admin/subscribers", "name=x", undefined, {
      "content-type": "application/x-www-form-urlencoded",
    });
    expect(form.status).toBe(415);
    expect(form.headers.get("content-type")).toBe("application/problem+json");
    const wrongType = await api("POST", "/v1/admin/subscribers", { name: 42 });
    expect(wrongType.status).toBe(422);
    expect(wrongType.body.errors[0].path).toBe("/name");
    const empty = await api("POST", "/v1/admin/subscribers", { name: "" });
    expect(empty.status).toBe(422);
    const huge = await api("POST", "/v1/admin/subscribers", { name: "x".repeat(2 * 1024 * 1024) });
    expect(huge.status).toBe(413);
    expect(await subscriberCount()).toBe(before);
  });

  it("answers unknown ids with 404, whatever their shape", async () => {
    expect((await api("GET", "/v1/admin/sources/src_00000000000000000000000000")).status).toBe(404);
    expect((await api("GET", "/v1/admin/events/evt_00000000000000000000000000")).status).toBe(404);
    expect((await api("GET", "/v1/admin/replays/rpl_00000000000000000000000000")).status).toBe(404);
    for (const path of [
      "/v1/admin/sources/' OR 1=1 --",
      "/v1/admin/sources/src_doesnotexist",
      "/v1/admin/deliveries/dlv_nope",
      "/v1/admin/events/nope",
      "/v1/admin/subscribers/sub_%C3%A9t%C3%A9",
      `/v1/admin/subscribers/sub_${"x".repeat(500)}`,
      "/v1/admin/replays/rpl_",
    ]) {
      const res = await api("GET", path);
      expect(res.status, path).toBe(404);
      expect(res.body.status).toBe(404);
    }
    expect((await api("POST", "/v1/admin/deliveries/dlv_nope/retry")).status).toBe(404);
    expect((await api("PATCH", "/v1/admin/sources/src_doesnotexist", { name: "x" })).status).toBe(404);
    expect((await api("DELETE", "/v1/admin/subscriptions/nope")).status).toBe(404);
    expect((await api("GET", "/v1/admin/deliveries?status=lost")).status).toBe(422);
    expect((await api("GET", "/v1/admin/events?from=yesterday")).status).toBe(422);
  });

  it("ignores forged cursors instead of failing", async () => {
    const res = await api("GET", "/v1/admin/subscribers?cursor=%27%3B%20DROP%20TABLE%20subscribers%3B--");
    expect(res.status).toBe(200);
    expect(Array.isArray(res.body.data)).toBe(true);
  });
});
