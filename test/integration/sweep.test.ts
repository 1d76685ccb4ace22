import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { commitEventGroups } from "../../src/db/events";
import type { RouteMessage } from "../../src/domain/messages";
import entry from "../../src/index";
import { newId } from "../../src/lib/ids";
import { sweepDue } from "../../src/pipeline/sweep";
import { eventually, sinkRequests, tenant, unique } from "../helpers/api";
import { recordingEnv, type Sent } from "../helpers/recording-env";

const worker = entry as Required<Pick<ExportedHandler<Env>, "queue">>;
const RESWEEP_AFTER_MS = 5 * 60 * 1000;

/** Stores `count` events the way ingest does, but rings no queue: only the sweeper can find them. */
async function storeWithoutDoorbell(sourceId: string, count: number, receivedAt: (i: number) => number) {
  const rows = Array.from({ length: count }, (_, i) => {
    const id = newId("evt");
    const time = new Date(receivedAt(i)).toISOString();
    const body = {
      specversion: "1.0",
      id,
      source: `/sources/${sourceId}`,
      type: "courseCompletion",
      time,
      data: { i },
    };
    return {
      id,
      source_id: sourceId,
      external_id: unique("ext"),
      type: "courseCompletion",
      subject: null,
      time,
      received_at: receivedAt(i),
      body: JSON.stringify(body),
      body_key: null,
    };
  });
  await commitEventGroups(env.DB, [{ sourceId, guard: null, rows }]);
  return rows.map((row) => row.id);
}

function eventMessagesFor(sent: Array<Sent<RouteMessage>>, ids: Set<string>) {
  return sent.flatMap(({ body: message }) =>
    message.kind === "events" && message.event_ids.some((id) => ids.has(id)) ? [message.event_ids] : [],
  );
}

async function column(ids: string[], sql: string): Promise<Array<{ id: string; value: number | null }>> {
  const { results } = await env.DB.prepare(`${sql} WHERE id IN (SELECT value FROM json_each(?))`)
    .bind(JSON.stringify(ids))
    .all<{ id: string; value: number | null }>();
  return results;
}

describe("sweeper: unrouted events", () => {
  it("rings them grouped by source, at most 100 ids a message, marks them swept, and does not ring them again", async () => {
    const a = await tenant();
    const b = await tenant();
    const now = Date.now();
    // Interleaved arrival times, so a sweep in arrival order alone would mix the two sources in one message.
    const fromA = await storeWithoutDoorbell(a.source.id, 130, (i) => now - 60_000 + 2 * i);
    const fromB = await storeWithoutDoorbell(b.source.id, 20, (i) => now - 60_000 + 2 * i + 1);
    const mine = new Set([...fromA, ...fromB]);
    const sourceOf = new Map<string, string>([
      ...fromA.map((id) => [id, "a"] as const),
      ...fromB.map((id) => [id, "b"] as const),
    ]);

    const first = recordingEnv<RouteMessage>("ROUTE_QUEUE");
    await sweepDue(first.env, now, { graceMs: 0 });
    const messages = eventMessagesFor(first.sent, mine);
    for (const ids of messages) {
      expect(ids.length).toBeLessThanOrEqual(100);
      expect(new Set(ids.map((id) => sourceOf.get(id))).size).toBe(1);
      expect(ids.every((id) => mine.has(id))).toBe(true);
    }
    expect(messages.flat().sort()).toEqual([...mine].sort());
    expect(messages.map((ids) => `${sourceOf.get(ids[0])}:${ids.length}`).sort()).toEqual(["a:100", "a:30", "b:20"]);
    const swept = await column([...mine], "SELECT id, swept_at AS value FROM events");
    expect(swept.every((row) => row.value === now)).toBe(true);

    // The route queue has not routed them yet (the doorbells sit in the recorder): the next sweep must not ring again.
    const second = recordingEnv<RouteMessage>("ROUTE_QUEUE");
    await sweepDue(second.env, Date.now(), { graceMs: 0 });
    expect(eventMessagesFor(second.sent, mine)).toEqual([]);

    // The doorbells rung once are enough: each event is routed exactly once.
    const batch = createMessageBatch(
      "syndic-route",
      messages.map((ids, n) => ({
        id: `sweep-${n}`,
        timestamp: new Date(),
        attempts: 1,
        body: { kind: "events", event_ids: ids },
      })),
    );
    const ctx = createExecutionContext();
    await worker.queue(batch, env, ctx);
    expect((await getQueueResult(batch, ctx)).explicitAcks.sort()).toEqual(messages.map((_, n) => `sweep-${n}`).sort());
    const routed = await column([...mine], "SELECT id, routed_at AS value FROM events");
    expect(routed.filter((row) => row.value !== null)).toHaveLength(mine.size);
    const { results } = await env.DB.prepare(
      `SELECT event_id, subscription_id, count(*) AS n FROM deliveries
       WHERE event_id IN (SELECT value FROM json_each(?)) GROUP BY event_id, subscription_id`,
    )
      .bind(JSON.stringify([...mine]))
      .all<{ event_id: string; subscription_id: string; n: number }>();
    expect(results).toHaveLength(mine.size);
    expect(results.every((row) => row.n === 1)).toBe(true);
    for (const row of results) {
      expect(row.subscription_id).toBe(sourceOf.get(row.event_id) === "a" ? a.subscription.id : b.subscription.id);
    }
    // And pushed once each to the subscriber of its own source.
    await eventually(async () => (await sinkRequests(a.mailbox)).length === fromA.length, 30_000);
    await eventually(async () => (await sinkRequests(b.mailbox)).length === fromB.length, 30_000);
    const pushed = (await sinkRequests(a.mailbox)).map((request) => JSON.parse(request.body).id);
    expect(pushed.sort()).toEqual([...fromA].sort());

    // Routed events are never rung again, whenever the sweep runs.
    const later = recordingEnv<RouteMessage>("ROUTE_QUEUE");
    await sweepDue(later.env, now + RESWEEP_AFTER_MS + 1, { graceMs: 0 });
    expect(eventMessagesFor(later.sent, mine)).toEqual([]);
  });

  it("rings an event still unrouted again once the resweep window has passed, and none younger than the grace", async () => {
    const t = await tenant();
    const now = Date.now();
    const [lost] = await storeWithoutDoorbell(t.source.id, 1, () => now - 120_000);
    const [young] = await storeWithoutDoorbell(t.source.id, 1, () => now - 1_000);
    const watched = new Set([lost, young]);

    const first = recordingEnv<RouteMessage>("ROUTE_QUEUE");
    await sweepDue(first.env, now, { graceMs: 60_000 });
    expect(eventMessagesFor(first.sent, watched)).toEqual([[lost]]);

    const withinWindow = recordingEnv<RouteMessage>("ROUTE_QUEUE");
    await sweepDue(withinWindow.env, now + RESWEEP_AFTER_MS - 1, { graceMs: 60_000 });
    expect(eventMessagesFor(withinWindow.sent, watched)).toEqual([[young]]);

    // Its message may have been lost too: once the window has passed, the ledger rings it again.
    const afterWindow = recordingEnv<RouteMessage>("ROUTE_QUEUE");
    await sweepDue(afterWindow.env, now + RESWEEP_AFTER_MS + 1, { graceMs: 60_000 });
    expect(eventMessagesFor(afterWindow.sent, watched)).toEqual([[lost]]);
  });
});
