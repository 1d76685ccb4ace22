import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { getSource } from "../../src/db/sources";
import entry from "../../src/index";
import type { IncomingEvent } from "../../src/pipeline/formats";
import { publishEvents } from "../../src/pipeline/ingest";
import { api, eventually, sinkConfigure, sinkRequests, sinkUrl, tenant, unique } from "../helpers/api";

const worker = entry as Required<Pick<ExportedHandler<Env>, "queue">>;

interface Delivery {
  id: string;
  event_id: string;
  status: string;
  last_error: string | null;
}

async function deliveriesOf(subscriberId: string): Promise<Delivery[]> {
  return (await api<{ data: Delivery[] }>("GET", `/v1/admin/deliveries?subscriber_id=${subscriberId}&limit=100`)).body
    .data;
}

async function eventOf(id: string) {
  return (await api<{ routed_at: string | null; route_error: string | null }>("GET", `/v1/admin/events/${id}`)).body;
}

/** A subscriber with one destination on its own sink mailbox, subscribed to `source` as `subscription` says. */
async function subscriber(sourceId: string, subscription: Record<string, unknown>) {
  const mailbox = unique("box");
  const created = await api("POST", "/v1/admin/subscribers", { name: unique("sub"), timezone: "UTC" });
  const destination = await api("POST", `/v1/admin/subscribers/${created.body.id}/destinations`, {
    name: "sink",
    url: `${sinkUrl()}/hooks/${mailbox}`,
    retry: { max_attempts: 2, initial_delay: 1, max_delay: 1 },
  });
  await sinkConfigure(mailbox, { secret: destination.body.signing_secret });
  const steps = subscription.steps === undefined ? [{ destination_id: destination.body.id }] : subscription.steps;
  const saved = await api("POST", "/v1/admin/subscriptions", {
    subscriber_id: created.body.id,
    source_id: sourceId,
    ...subscription,
    steps: Array.isArray(steps)
      ? steps.map((step: Record<string, unknown>) => ({ destination_id: destination.body.id, ...step }))
      : steps,
  });
  expect(saved.status, JSON.stringify(saved.body)).toBe(201);
  return { id: created.body.id as string, mailbox };
}

const event = (type: string, externalId: string, data: unknown): IncomingEvent => ({
  externalId,
  type,
  source: null,
  subject: null,
  time: null,
  data,
  extensions: {},
});

/** {"n": {"n": … {"v": 0} …, "v": 1}, "v": 0}: each level a leaf and a branch, so its list of paths grows as depth². */
function nested(levels: number): unknown {
  let value: unknown = { v: 0 };
  for (let i = 1; i <= levels; i++) value = { n: value, v: i };
  return value;
}

describe("one bad event, subscription or expression never stops anyone else's deliveries", () => {
  it("routes one message with a 4 MB transform, a 4,000-level event for an archive and a filter that never ends", async () => {
    const source = await api("POST", "/v1/admin/sources", { name: unique("src") });
    const sourceId = source.body.id as string;
    // Good subscribers: one takes everything as CloudEvents, one transforms three types.
    const everything = await subscriber(sourceId, { event_types: ["*"] });
    const transformed = await subscriber(sourceId, {
      event_types: ["ok", "big", "loop"],
      steps: [{ transform: "{ 'type': type, 'keys': $count($keys(data)) }" }],
    });
    // Bad ones. Each passes the save-time run (on the sample, data is empty) and breaks only on real events.
    const huge = await subscriber(sourceId, {
      event_types: ["big"],
      steps: [
        {
          transform:
            "{ 'a': $pad('', data.width, 'a'), 'b': $pad('', data.width, 'b'), 'c': $pad('', data.width, 'c'), 'd': $pad('', data.width, 'd') }",
        },
      ],
    });
    const archiveOnly = await subscriber(sourceId, { event_types: ["deep"], archive: true, steps: [] });
    const endless = await subscriber(sourceId, {
      event_types: ["loop"],
      filter: "($f := function($n){ $n > 0 ? $f($n) : false }; $f(data.n))",
    });

    // One publish, so one route message: the 4,000-level event is past what POST /v1/events now accepts (it
    // stands for one stored before that limit, or brought in by another path), so the ingest stage is called directly.
    const sourceRow = await getSource(env.DB, sourceId);
    const published = await publishEvents(env, sourceRow!, [
      event("ok", "ok-1", { hello: "world" }),
      event("big", "big-1", { width: 1_000_000 }),
      event("deep", "deep-1", nested(4000)),
      event("loop", "loop-1", { n: 1 }),
    ]);
    expect(published.accepted).toBe(4);
    const [ok, big, deep, loop] = published.ids;

    const all = await eventually(async () => {
      const rows = await deliveriesOf(everything.id);
      return rows.length === 4 && rows.every((row) => row.status === "sent") ? rows : null;
    }, 30_000);
    expect(all.map((row) => row.event_id).sort()).toEqual([ok, big, deep, loop].sort());
    const pushedIds = (await sinkRequests(everything.mailbox)).map((request) => JSON.parse(request.body).id);
    expect(pushedIds.sort()).toEqual([ok, big, deep, loop].sort());

    await eventually(async () => {
      const rows = await deliveriesOf(transformed.id);
      return rows.length === 3 && rows.every((row) => row.status === "sent");
    }, 30_000);
    expect((await sinkRequests(transformed.mailbox)).map((request) => JSON.parse(request.body).type).sort()).toEqual([
      "big",
      "loop",
      "ok",
    ]);

    const [tooBig] = await deliveriesOf(huge.id);
    expect(tooBig).toMatchObject({ event_id: big, status: "dead" });
    expect(tooBig.last_error).toContain("transform failed");
    expect(tooBig.last_error).toContain("output size limit");
    const [runaway] = await deliveriesOf(endless.id);
    expect(runaway).toMatchObject({ event_id: loop, status: "dead" });
    expect(runaway.last_error).toContain("filter failed");
    expect(runaway.last_error).toContain("step budget");
    expect(await sinkRequests(huge.mailbox)).toHaveLength(0);
    expect(await sinkRequests(endless.mailbox)).toHaveLength(0);
    // The archive-only subscriber has no deliveries; whatever became of its item, the event was routed, not failed.
    expect(await deliveriesOf(archiveOnly.id)).toHaveLength(0);
    for (const id of [ok, big, deep, loop]) {
      const stored = await eventOf(id);
      expect(stored.routed_at).not.toBeNull();
      expect(stored.route_error).toBeNull();
    }
  });

  it("commits event by event when D1 refuses the batch, and retries only the event it refused", async () => {
    const t = await tenant();
    const poison = unique("poison");
    // A real refusal from D1 for one event's rows: a trigger aborts any delivery insert for events of this type.
    await env.DB.prepare(
      `CREATE TRIGGER refuse_poison BEFORE INSERT ON deliveries
       WHEN NEW.event_id IN (SELECT id FROM events WHERE type = '${poison}')
       BEGIN SELECT RAISE(ABORT, 'refused for the test'); END`,
    ).run();
    try {
      const published = await t.publish([
        { type: "courseCompletion", id: "fine-1", data: { i: 1 } },
        { type: poison, id: "refused-1", data: { i: 2 } },
        { type: "courseCompletion", id: "fine-2", data: { i: 3 } },
      ]);
      expect(published.status).toBe(202);
      const [fine1, refused, fine2] = published.body.ids;
      const requests = await eventually(async () => {
        const seen = await sinkRequests(t.mailbox);
        return seen.length >= 2 ? seen : null;
      }, 30_000);
      expect(requests.map((request) => JSON.parse(request.body).id).sort()).toEqual([fine1, fine2].sort());
      expect((await eventOf(fine1)).routed_at).not.toBeNull();
      expect(await eventOf(refused)).toMatchObject({ routed_at: null, route_error: null });

      await env.DB.prepare("DROP TRIGGER refuse_poison").run();
      // The retried message finds the two others routed and routes the one that was refused.
      const after = await eventually(async () => {
        const seen = await sinkRequests(t.mailbox);
        return seen.length >= 3 ? seen : null;
      }, 60_000);
      expect(after.map((request) => JSON.parse(request.body).id).sort()).toEqual([fine1, refused, fine2].sort());
    } finally {
      await env.DB.prepare("DROP TRIGGER IF EXISTS refuse_poison").run();
    }
  });
});

describe("the route dead-letter consumer", () => {
  /** Stores events without ringing the route queue, as after a message that failed every retry. */
  async function unroutedEvents(sourceId: string, count: number): Promise<string[]> {
    const sourceRow = await getSource(env.DB, sourceId);
    const silent = { ...env, ROUTE_QUEUE: { send: async () => {} } } as unknown as Env;
    const result = await publishEvents(
      silent,
      sourceRow!,
      Array.from({ length: count }, () => event("courseCompletion", unique("dl"), {})),
    );
    return result.ids;
  }

  it("splits a message of several events into one retry per event; only a one-event message is marked failed", async () => {
    const t = await tenant();
    const [a, b, c, single, split] = await unroutedEvents(t.source.id, 5);
    const batch = createMessageBatch("syndic-route-dlq", [
      { id: "several", timestamp: new Date(), attempts: 1, body: { kind: "events", event_ids: [a, b, c] } },
      { id: "one", timestamp: new Date(), attempts: 1, body: { kind: "events", event_ids: [single] } },
      {
        id: "one-split",
        timestamp: new Date(),
        attempts: 1,
        body: { kind: "events", event_ids: [split], retried_alone: true },
      },
    ]);
    const ctx = createExecutionContext();
    await worker.queue(batch, env, ctx);
    expect((await getQueueResult(batch, ctx)).explicitAcks.sort()).toEqual(["one", "one-split", "several"]);

    for (const id of [a, b, c]) expect((await eventOf(id)).route_error).toBeNull();
    const requests = await eventually(async () => {
      const seen = await sinkRequests(t.mailbox);
      return seen.length >= 3 ? seen : null;
    }, 30_000);
    expect(requests.map((request) => JSON.parse(request.body).id).sort()).toEqual([a, b, c].sort());

    for (const id of [single, split]) {
      const stored = await eventOf(id);
      expect(stored.route_error).toContain("gave up");
      expect(stored.routed_at).not.toBeNull();
    }
  });
});

describe("expressions are checked against a sample event when saved", () => {
  it.each([
    ["filter", { filter: "$sum([1..10000000])" }, "/filter", "sequence limit"],
    [
      "transform",
      { steps: [{ transform: "($f := function($x){ $f($x) }; $f(1))" }] },
      "/steps/0/transform",
      "step budget",
    ],
    [
      "transform",
      { steps: [{ transform: "{ 'blob': $pad('', 300000) }" }] },
      "/steps/0/transform",
      "output size limit",
    ],
    ["regex", { filter: "$contains(data.s, /(a+)+$/)" }, "/filter", "regex limit"],
  ])("refuses a runaway %s with a 422 naming the field and the limit", async (_what, fields, path, limit) => {
    const t = await tenant();
    const withDestination = (fields as { steps?: Array<Record<string, unknown>> }).steps
      ? {
          steps: (fields as { steps: Array<Record<string, unknown>> }).steps.map((step) => ({
            destination_id: t.destination.id,
            ...step,
          })),
        }
      : fields;
    const created = await api("POST", "/v1/admin/subscriptions", {
      subscriber_id: t.subscriber.id,
      source_id: t.source.id,
      steps: [{ destination_id: t.destination.id }],
      ...withDestination,
    });
    expect(created.status).toBe(422);
    expect(created.body.errors).toEqual([{ path, message: expect.stringContaining(limit) }]);
    const patched = await api("PATCH", `/v1/admin/subscriptions/${t.subscription.id}`, withDestination);
    expect(patched.status).toBe(422);
    expect(patched.body.errors[0].path).toBe(path);

    // What merely fails on the sample (a path it lacks, $error) is saved: only a limit is refused.
    const fine = await api("PATCH", `/v1/admin/subscriptions/${t.subscription.id}`, {
      filter: "$exists(data.userDetail) ? data.userDetail.ref2 = 'Engineering' : $error('no userDetail')",
      steps: [{ destination_id: t.destination.id, transform: "{ 'id': data.userDetail.id }" }],
    });
    expect(fine.status).toBe(200);
  });

  it("refuses a runaway sync expression with a 422 naming the field", async () => {
    const t = await tenant({ source: { fetch: { url: `${sinkUrl()}/hooks/origin/{id}`, event_type: "profile" } } });
    const started = await api("POST", `/v1/admin/sources/${t.source.id}/sync`, {
      list_url: `${sinkUrl()}/hooks/${unique("list")}`,
      items: "($f := function($x){ $f($x) }; $f(1))",
      id: "id",
      pagination: { type: "none" },
    });
    expect(started.status).toBe(422);
    expect(started.body.errors).toEqual([{ path: "/items", message: expect.stringContaining("step budget") }]);
  });
});
