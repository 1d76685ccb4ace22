import { env, exports } from "cloudflare:workers";
import { afterAll, describe, expect, it } from "vitest";
import { commitEventGroups } from "../../src/db/events";
import { newId } from "../../src/lib/ids";
import { api, tenant } from "../helpers/api";

const count = async (sourceId: string) =>
  (await env.DB.prepare("SELECT count(*) AS n FROM events WHERE source_id = ?").bind(sourceId).first<{ n: number }>())
    ?.n ?? 0;

const publish = (key: string, body: unknown) =>
  exports.default.fetch("http://relay.test/v1/events", {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });

describe("publishing with group commit", () => {
  afterAll(async () => {
    await env.DB.prepare("DROP TRIGGER IF EXISTS refuse_marked_events").run();
  });

  it("concurrent publishes are all stored once, each answered with its own ids", async () => {
    const t = await tenant();
    const bodies = Array.from({ length: 24 }, (_, i) => [
      { specversion: "1.0", id: `g-${i}-a`, source: "/lms", type: "courseCompletion", data: { i } },
      { specversion: "1.0", id: `g-${i}-b`, source: "/lms", type: "courseCompletion", data: { i } },
    ]);
    const answers = await Promise.all(bodies.map((body) => publish(t.source.api_key, body)));
    const results = await Promise.all(answers.map((res) => res.json<{ accepted: number; ids: string[] }>()));
    expect(answers.map((res) => res.status)).toEqual(bodies.map(() => 202));
    expect(results.map((result) => result.accepted)).toEqual(bodies.map(() => 2));
    expect(new Set(results.flatMap((result) => result.ids)).size).toBe(48);
    expect(await count(t.source.id)).toBe(48);
    // The same requests again are duplicates with the ids stored the first time.
    const again = await Promise.all(bodies.map((body) => publish(t.source.api_key, body)));
    const repeated = await Promise.all(again.map((res) => res.json<{ duplicates: number; ids: string[] }>()));
    expect(repeated.map((result) => result.ids)).toEqual(results.map((result) => result.ids));
    expect(await count(t.source.id)).toBe(48);
  });

  it("a group committed twice (a member that timed out commits alone too) stores its rows once", async () => {
    const t = await tenant();
    const now = Date.now();
    const rows = ["x1", "x2"].map((external) => ({
      id: newId("evt", now),
      source_id: t.source.id,
      external_id: external,
      type: "courseCompletion",
      subject: null,
      time: new Date(now).toISOString(),
      received_at: now,
      body: "{}",
      body_key: null,
    }));
    const group = { sourceId: t.source.id, guard: null, rows };
    const [first] = await commitEventGroups(env.DB, [group]);
    const [second] = await commitEventGroups(env.DB, [group]);
    expect([...second.stored.entries()]).toEqual([...first.stored.entries()]);
    expect(await count(t.source.id)).toBe(2);
  });

  it("a rotated key stops at once, even in an isolate that has the source cached", async () => {
    const t = await tenant();
    expect((await publish(t.source.api_key, { type: "courseCompletion", data: {} })).status).toBe(202);
    const rotated = await api("POST", `/v1/admin/sources/${t.source.id}/rotate`);
    expect(rotated.status).toBe(200);
    const refused = await publish(t.source.api_key, { type: "courseCompletion", data: { late: true } });
    expect(refused.status).toBe(401);
    expect(await count(t.source.id)).toBe(1);
    expect((await publish(rotated.body.api_key, { type: "courseCompletion", data: {} })).status).toBe(202);
  });

  it("a tightened rule applies at once to a cached source", async () => {
    const t = await tenant();
    expect((await publish(t.source.api_key, { type: "unregistered.type", data: {} })).status).toBe(202);
    expect((await api("PATCH", `/v1/admin/sources/${t.source.id}`, { strict: true })).status).toBe(200);
    const refused = await publish(t.source.api_key, { type: "unregistered.type", data: {} });
    expect(refused.status).toBe(422);
    expect(await count(t.source.id)).toBe(1);
  });

  it("one request D1 refuses fails alone: the others of its group are stored", async () => {
    const t = await tenant();
    await env.DB.prepare(
      `CREATE TRIGGER refuse_marked_events BEFORE INSERT ON events WHEN NEW.type = 'refuse.me'
       BEGIN SELECT RAISE(ABORT, 'refused for the test'); END`,
    ).run();
    const bodies = Array.from({ length: 12 }, (_, i) => ({
      type: i === 5 ? "refuse.me" : "courseCompletion",
      data: { i },
    }));
    const answers = await Promise.all(bodies.map((body) => publish(t.source.api_key, body)));
    const statuses = answers.map((res) => res.status);
    expect(statuses.filter((status) => status === 202)).toHaveLength(11);
    expect(statuses[5]).toBeGreaterThanOrEqual(500);
    expect(await count(t.source.id)).toBe(11);
    await env.DB.prepare("DROP TRIGGER refuse_marked_events").run();
  });
});
