import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { meteredEnv } from "../../src/lib/metered";

describe("metered env", () => {
  it("counts D1 calls (a batch is one), queue operations and messages, and works like the real bindings", async () => {
    const sent: unknown[] = [];
    const fakeQueue = {
      send: async (body: unknown) => void sent.push(body),
      sendBatch: async (messages: Array<{ body: unknown }>) => void sent.push(...messages.map((m) => m.body)),
    };
    const { env: metered, meter } = meteredEnv({ ...env, TEST_QUEUE: fakeQueue } as unknown as Env);
    const one = await metered.DB.prepare("SELECT ? AS n").bind(7).first<{ n: number }>();
    expect(one?.n).toBe(7);
    const [a, b] = await metered.DB.batch<{ n: number }>([
      metered.DB.prepare("SELECT 1 AS n"),
      metered.DB.prepare("SELECT ? AS n").bind(2),
    ]);
    expect([a.results[0].n, b.results[0].n]).toEqual([1, 2]);
    await metered.DB.prepare("SELECT 1").all();
    const queue = (metered as unknown as { TEST_QUEUE: Queue<string> }).TEST_QUEUE;
    await queue.sendBatch([{ body: "a" }, { body: "b" }]);
    expect(sent).toEqual(["a", "b"]);
    expect(meter).toEqual({ d1_calls: 3, queue_ops: 1, queue_messages: 2 });
  });
});
