import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, eventually, sinkConfigure, sinkRequests, sinkUrl, unique } from "../helpers/api";

// Every criterion of a replay is applied by both stages, or refused: one row that matches, one that must not.

interface Source {
  id: string;
  api_key: string;
}

interface Destination {
  id: string;
  mailbox: string;
}

interface Replayed {
  id: string;
  matched: number;
  processed: number;
  created: number;
  /** The deliveries the replay made: copies (deliver) or a fresh generation (route). */
  deliveries: Array<{ id: string; event_id: string; subscription_id: string; destination_id: string; status: string }>;
}

const FINISHED = ["sent", "dead", "skipped", "held"];

async function created<T = any>(path: string, body: unknown): Promise<T> {
  const res = await api("POST", path, body);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

const newSource = () => created<Source>("/v1/admin/sources", { name: unique("LMS") });
const newSubscriber = async () => (await created("/v1/admin/subscribers", { name: unique("Acme") })).id as string;

/** A destination on its own sink mailbox; `reply` scripts every answer (e.g. 422 makes deliveries dead). */
async function newDestination(
  subscriberId: string,
  options: { reply?: { status: number }; retry?: Record<string, number> } = {},
): Promise<Destination> {
  const mailbox = unique("box");
  const destination = await created(`/v1/admin/subscribers/${subscriberId}/destinations`, {
    name: mailbox,
    url: `${sinkUrl()}/hooks/${mailbox}`,
    retry: options.retry ?? { max_attempts: 2, initial_delay: 1, max_delay: 1 },
  });
  await sinkConfigure(mailbox, { secret: destination.signing_secret, otherwise: options.reply });
  return { id: destination.id, mailbox };
}

async function subscribe(
  subscriberId: string,
  sourceId: string,
  destination: Destination,
  extra: Record<string, unknown> = {},
): Promise<string> {
  const subscription = await created("/v1/admin/subscriptions", {
    subscriber_id: subscriberId,
    source_id: sourceId,
    event_types: ["*"],
    steps: [{ destination_id: destination.id }],
    ...extra,
  });
  return subscription.id;
}

async function deliveriesOf(eventIds: string[]) {
  const { results } = await env.DB.prepare(
    "SELECT id, status FROM deliveries WHERE generation = '' AND event_id IN (SELECT value FROM json_each(?))",
  )
    .bind(JSON.stringify(eventIds))
    .all<{ id: string; status: string }>();
  return results;
}

/** Publishes and waits until each event has `perEvent` original deliveries, all in one of `settled`. */
async function publish(
  source: Source,
  events: Array<{ type?: string; data?: unknown }>,
  perEvent = 1,
  settled = FINISHED,
): Promise<string[]> {
  const res = await api(
    "POST",
    "/v1/events",
    events.map((event) => ({ type: event.type ?? "courseCompletion", data: event.data ?? {} })),
    source.api_key,
  );
  expect(res.status).toBe(202);
  const ids = res.body.ids as string[];
  await eventually(async () => {
    const rows = await deliveriesOf(ids);
    return rows.length === ids.length * perEvent && rows.every((row) => settled.includes(row.status));
  }, 25_000);
  return ids;
}

async function replayDeliveries(replayId: string): Promise<Replayed["deliveries"]> {
  const { results } = await env.DB.prepare(
    `SELECT id, event_id, subscription_id, destination_id, status FROM deliveries
     WHERE generation = ?1 OR instr(generation, ?1 || ':') = 1 ORDER BY id`,
  )
    .bind(replayId)
    .all<Replayed["deliveries"][number]>();
  return results;
}

/** Starts a replay, waits for it to finish and for what it made to be sent (or to fail). */
async function replay(body: Record<string, unknown>): Promise<Replayed> {
  const res = await api("POST", "/v1/admin/replays", body);
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  const done = await eventually(async () => {
    const progress = await api("GET", `/v1/admin/replays/${res.body.id}`);
    return progress.body.status !== "running" ? progress.body : null;
  });
  expect(done.status, done.error).toBe("completed");
  const deliveries = await eventually(async () => {
    const rows = await replayDeliveries(res.body.id);
    return rows.every((row) => !["pending", "ready"].includes(row.status)) ? rows : null;
  }, 25_000);
  const result = { id: res.body.id, matched: res.body.matched, processed: done.processed, created: done.created };
  // `matched` is what the replay really runs: the pages walk the same conditions it was counted by.
  expect(result.processed).toBe(result.matched);
  return { ...result, deliveries };
}

async function refused(body: Record<string, unknown>, path: string) {
  const res = await api("POST", "/v1/admin/replays", body);
  expect(res.status).toBe(422);
  expect(res.body.errors.map((error: { path: string }) => error.path)).toContain(path);
}

/** The pushes a mailbox received from these deliveries (their webhook-id), and how many it received in all. */
async function arrivals(destination: Destination, deliveries: Array<{ id: string }>) {
  const requests = await sinkRequests(destination.mailbox);
  const ids = new Set(deliveries.map((delivery) => delivery.id));
  return { from: requests.filter((r) => ids.has(String(r.headers["webhook-id"]))).length, total: requests.length };
}

/** A time strictly after everything so far, and only returns once the clock has passed it. */
async function boundary(): Promise<number> {
  const at = Date.now() + 1;
  await eventually(async () => Date.now() > at);
  return at;
}

describe("stage deliver", () => {
  it("source_id: copies only deliveries of that source's events", async () => {
    const subscriber = await newSubscriber();
    const [s1, s2] = [await newSource(), await newSource()];
    const a = await newDestination(subscriber);
    await subscribe(subscriber, s1.id, a);
    await subscribe(subscriber, s2.id, a);
    const [e1] = await publish(s1, [{}]);
    await publish(s2, [{}]);

    const r = await replay({ stage: "deliver", subscriber_id: subscriber, source_id: s1.id });
    expect(r.matched).toBe(1);
    expect(r.deliveries.map((d) => d.event_id)).toEqual([e1]);
    expect(await arrivals(a, r.deliveries)).toEqual({ from: 1, total: 3 });
  });

  it("event_id: copies only the deliveries made of that event", async () => {
    const subscriber = await newSubscriber();
    const source = await newSource();
    const a = await newDestination(subscriber);
    await subscribe(subscriber, source.id, a);
    const [e1] = await publish(source, [{}, {}]);

    const r = await replay({ stage: "deliver", event_id: e1 });
    expect(r.matched).toBe(1);
    expect(r.deliveries.map((d) => d.event_id)).toEqual([e1]);
    expect(await arrivals(a, r.deliveries)).toEqual({ from: 1, total: 3 });
  });

  it("event_types: copies only deliveries of events of those types", async () => {
    const subscriber = await newSubscriber();
    const s1 = await newSource();
    const a = await newDestination(subscriber);
    await subscribe(subscriber, s1.id, a);
    const [wanted] = await publish(s1, [{ type: "courseCompletion" }, { type: "courseEnrolment" }]);

    const r = await replay({ stage: "deliver", subscriber_id: subscriber, event_types: ["courseCompletion"] });
    expect(r.matched).toBe(1);
    expect(r.deliveries.map((d) => d.event_id)).toEqual([wanted]);
    expect(await arrivals(a, r.deliveries)).toEqual({ from: 1, total: 3 });
  });

  it("status: copies only deliveries in that status", async () => {
    const subscriber = await newSubscriber();
    const s1 = await newSource();
    const ok = await newDestination(subscriber);
    const rejecting = await newDestination(subscriber, { reply: { status: 422 } });
    await subscribe(subscriber, s1.id, ok);
    const failing = await subscribe(subscriber, s1.id, rejecting);
    // Dead too, but before anything was built: there is nothing to resend, so it is not counted either.
    await subscribe(subscriber, s1.id, ok, {
      steps: [{ destination_id: ok.id, transform: "data.fail ? $error('boom') : data" }],
    });
    await publish(s1, [{ data: { fail: true } }], 3);

    const r = await replay({ stage: "deliver", subscriber_id: subscriber, status: "dead" });
    expect(r.matched).toBe(1);
    expect(r.deliveries.map((d) => d.subscription_id)).toEqual([failing]);
    expect(await arrivals(rejecting, r.deliveries)).toEqual({ from: 1, total: 2 });
    expect((await arrivals(ok, [])).total).toBe(1);
  });

  it("subscriber_id: copies only that subscriber's deliveries", async () => {
    const [x, y] = [await newSubscriber(), await newSubscriber()];
    const s1 = await newSource();
    const [toX, toY] = [await newDestination(x), await newDestination(y)];
    const fromX = await subscribe(x, s1.id, toX);
    // X's too, but filtered out: a skipped delivery has nothing to resend, so it is not counted either.
    await subscribe(x, s1.id, toX, { filter: "false" });
    await subscribe(y, s1.id, toY);
    await publish(s1, [{}], 3);

    const r = await replay({ stage: "deliver", subscriber_id: x, source_id: s1.id });
    expect(r.matched).toBe(1);
    expect(r.deliveries.map((d) => d.subscription_id)).toEqual([fromX]);
    expect(await arrivals(toX, r.deliveries)).toEqual({ from: 1, total: 2 });
    expect((await arrivals(toY, [])).total).toBe(1);
  });

  it("subscription_id: copies only that subscription's deliveries", async () => {
    const subscriber = await newSubscriber();
    const s1 = await newSource();
    const [a, b] = [await newDestination(subscriber), await newDestination(subscriber)];
    // Its second event is filtered out: skipped, nothing to resend, not counted.
    const wanted = await subscribe(subscriber, s1.id, a, { filter: "data.send = true" });
    await subscribe(subscriber, s1.id, b);
    const [sent] = await publish(s1, [{ data: { send: true } }, { data: { send: false } }], 2);

    const r = await replay({ stage: "deliver", subscription_id: wanted });
    expect(r.matched).toBe(1);
    expect(r.deliveries.map((d) => [d.event_id, d.subscription_id])).toEqual([[sent, wanted]]);
    expect(await arrivals(a, r.deliveries)).toEqual({ from: 1, total: 2 });
    expect((await arrivals(b, [])).total).toBe(2);
  });

  it("from and to: copies only deliveries created in the window", async () => {
    const subscriber = await newSubscriber();
    const s1 = await newSource();
    const a = await newDestination(subscriber);
    await subscribe(subscriber, s1.id, a);
    // In each window, a skipped delivery too: nothing to resend, not counted.
    await subscribe(subscriber, s1.id, a, { filter: "false" });
    const [early] = await publish(s1, [{}], 2);
    const between = await boundary();
    const [late] = await publish(s1, [{}], 2);

    const after = await replay({ stage: "deliver", subscriber_id: subscriber, from: new Date(between).toISOString() });
    expect(after.matched).toBe(1);
    expect(after.deliveries.map((d) => d.event_id)).toEqual([late]);
    const before = await replay({ stage: "deliver", subscriber_id: subscriber, to: new Date(between).toISOString() });
    expect(before.matched).toBe(1);
    expect(before.deliveries.map((d) => d.event_id)).toEqual([early]);
    expect((await arrivals(a, [...after.deliveries, ...before.deliveries])).from).toBe(2);
  });

  it("destination_id: sends the matching copies there, and never widens what matches", async () => {
    const subscriber = await newSubscriber();
    const [s1, s2] = [await newSource(), await newSource()];
    const sandbox = await newDestination(subscriber);
    const production = await newDestination(subscriber);
    await subscribe(subscriber, s1.id, sandbox);
    await subscribe(subscriber, s2.id, sandbox);
    const [e1] = await publish(s1, [{ data: { n: 1 } }]);
    await publish(s2, [{ data: { n: 2 } }]);

    const r = await replay({
      stage: "deliver",
      subscriber_id: subscriber,
      source_id: s1.id,
      destination_id: production.id,
    });
    expect(r.matched).toBe(1);
    expect(r.deliveries.map((d) => [d.event_id, d.destination_id])).toEqual([[e1, production.id]]);
    const [arrived] = await sinkRequests(production.mailbox);
    expect(await arrivals(production, r.deliveries)).toEqual({ from: 1, total: 1 });
    expect(JSON.parse(arrived.body).data).toEqual({ n: 1 });
    expect((await arrivals(sandbox, [])).total).toBe(2);
  });

  it("copies a payload too big for a row (kept in R2) like any other", async () => {
    const subscriber = await newSubscriber();
    const s1 = await newSource();
    const a = await newDestination(subscriber);
    await subscribe(subscriber, s1.id, a);
    const [original] = await deliveriesOf(await publish(s1, [{ data: { text: "x".repeat(40_000) } }]));
    const stored = await env.DB.prepare("SELECT payload, payload_key FROM deliveries WHERE id = ?")
      .bind(original.id)
      .first<{ payload: string | null; payload_key: string | null }>();
    expect(stored?.payload).toBeNull();
    expect(stored?.payload_key).toBeTruthy();

    const r = await replay({ stage: "deliver", subscriber_id: subscriber });
    expect(r.matched).toBe(1);
    expect(r.deliveries.map((d) => d.status)).toEqual(["sent"]);
    const [first, copy] = await sinkRequests(a.mailbox);
    expect(copy.headers["webhook-id"]).toBe(r.deliveries[0].id);
    expect(copy.body).toBe(first.body);
  });

  it("leaves deliveries still in flight alone unless their status is asked for", async () => {
    const subscriber = await newSubscriber();
    const s1 = await newSource();
    const ok = await newDestination(subscriber);
    const down = await newDestination(subscriber, {
      reply: { status: 503 },
      retry: { max_attempts: 5, initial_delay: 3600, max_delay: 3600 },
    });
    const finished = await subscribe(subscriber, s1.id, ok);
    const retrying = await subscribe(subscriber, s1.id, down);
    await publish(s1, [{}], 2, ["sent", "retrying"]);

    const byDefault = await replay({ stage: "deliver", subscriber_id: subscriber });
    expect(byDefault.matched).toBe(1);
    expect(byDefault.deliveries.map((d) => d.subscription_id)).toEqual([finished]);
    expect((await arrivals(down, [])).total).toBe(1);

    const asked = await replay({ stage: "deliver", subscriber_id: subscriber, status: "retrying" });
    expect(asked.matched).toBe(1);
    expect(asked.deliveries.map((d) => d.subscription_id)).toEqual([retrying]);
    expect((await arrivals(down, asked.deliveries)).from).toBe(1);
  });

  it("leaves earlier replays' copies alone unless include_copies is given", async () => {
    const subscriber = await newSubscriber();
    const s1 = await newSource();
    const a = await newDestination(subscriber);
    await subscribe(subscriber, s1.id, a);
    const [original] = await deliveriesOf(await publish(s1, [{}]));
    const first = await replay({ stage: "deliver", subscriber_id: subscriber });
    expect(first.matched).toBe(1);

    const again = await replay({ stage: "deliver", subscriber_id: subscriber });
    expect(again.matched).toBe(1);
    const copied = await replayDeliveries(again.id);
    expect(copied).toHaveLength(1);
    const source = await env.DB.prepare("SELECT generation FROM deliveries WHERE generation LIKE ?")
      .bind(`${again.id}:%`)
      .first<{ generation: string }>();
    expect(source?.generation).toBe(`${again.id}:${original.id}`);

    const withCopies = await replay({ stage: "deliver", subscriber_id: subscriber, include_copies: true });
    expect(withCopies.matched).toBe(3);
    expect(withCopies.deliveries).toHaveLength(3);
    expect(await arrivals(a, withCopies.deliveries)).toEqual({ from: 3, total: 6 });
  });
});

describe("stage route", () => {
  it("source_id: routes only that source's events", async () => {
    const subscriber = await newSubscriber();
    const [s1, s2] = [await newSource(), await newSource()];
    const a = await newDestination(subscriber);
    await subscribe(subscriber, s1.id, a);
    await subscribe(subscriber, s2.id, a);
    const [e1] = await publish(s1, [{}]);
    await publish(s2, [{}]);

    const r = await replay({ stage: "route", source_id: s1.id });
    expect(r.matched).toBe(1);
    expect(r.deliveries.map((d) => d.event_id)).toEqual([e1]);
    expect(await arrivals(a, r.deliveries)).toEqual({ from: 1, total: 3 });
  });

  it("event_id: routes that event alone", async () => {
    const subscriber = await newSubscriber();
    const source = await newSource();
    const a = await newDestination(subscriber);
    await subscribe(subscriber, source.id, a);
    const [, e2] = await publish(source, [{}, {}]);

    const r = await replay({ stage: "route", event_id: e2 });
    expect(r.matched).toBe(1);
    expect(r.deliveries.map((d) => d.event_id)).toEqual([e2]);
    expect(await arrivals(a, r.deliveries)).toEqual({ from: 1, total: 3 });
  });

  it("event_types: routes only events of those types", async () => {
    const subscriber = await newSubscriber();
    const s1 = await newSource();
    const a = await newDestination(subscriber);
    await subscribe(subscriber, s1.id, a);
    const [wanted] = await publish(s1, [{ type: "courseCompletion" }, { type: "courseEnrolment" }]);

    const r = await replay({ stage: "route", source_id: s1.id, event_types: ["courseCompletion"] });
    expect(r.matched).toBe(1);
    expect(r.deliveries.map((d) => d.event_id)).toEqual([wanted]);
    expect(await arrivals(a, r.deliveries)).toEqual({ from: 1, total: 3 });
  });

  it("status: routes only events with a delivery in that status, of the subscriber named", async () => {
    const [x, y] = [await newSubscriber(), await newSubscriber()];
    const s1 = await newSource();
    const [toX, toY] = [await newDestination(x), await newDestination(y)];
    await subscribe(x, s1.id, toX, { filter: "data.ok = true" });
    await subscribe(y, s1.id, toY);
    const [, filteredForX] = await publish(s1, [{ data: { ok: true } }, { data: { ok: false } }], 2);

    const forX = await replay({ stage: "route", subscriber_id: x, status: "skipped" });
    expect(forX.matched).toBe(1);
    expect(forX.deliveries.map((d) => [d.event_id, d.status])).toEqual([[filteredForX, "skipped"]]);
    expect((await arrivals(toX, [])).total).toBe(1);

    // Y's deliveries of the same events were all sent: nothing of Y's is skipped.
    const forY = await replay({ stage: "route", subscriber_id: y, status: "skipped" });
    expect(forY.matched).toBe(0);
    expect(forY.deliveries).toEqual([]);

    // Without a subscriber, any subscriber's delivery counts, and the event goes through every subscription again.
    const anyone = await replay({ stage: "route", source_id: s1.id, status: "skipped" });
    expect(anyone.matched).toBe(1);
    expect(new Set(anyone.deliveries.map((d) => d.event_id))).toEqual(new Set([filteredForX]));
    expect(anyone.deliveries).toHaveLength(2);
    expect(await arrivals(toY, anyone.deliveries)).toEqual({ from: 1, total: 3 });
  });

  it("subscriber_id: routes only events that subscriber's subscriptions take, through them only", async () => {
    const since = new Date().toISOString();
    const [x, y] = [await newSubscriber(), await newSubscriber()];
    const [s1, s2] = [await newSource(), await newSource()];
    const [toX, toY] = [await newDestination(x), await newDestination(y)];
    const fromX = await subscribe(x, s1.id, toX);
    await subscribe(y, s1.id, toY);
    await subscribe(y, s2.id, toY);
    const [e1] = await publish(s1, [{}], 2);
    await publish(s2, [{}]);

    const r = await replay({ stage: "route", subscriber_id: x, from: since });
    expect(r.matched).toBe(1);
    expect(r.deliveries.map((d) => [d.event_id, d.subscription_id])).toEqual([[e1, fromX]]);
    expect(await arrivals(toX, r.deliveries)).toEqual({ from: 1, total: 2 });
    expect((await arrivals(toY, [])).total).toBe(2);
  });

  it("subscription_id: routes only events that subscription takes, through it only", async () => {
    const subscriber = await newSubscriber();
    const s1 = await newSource();
    const [a, b] = [await newDestination(subscriber), await newDestination(subscriber)];
    const completions = await subscribe(subscriber, s1.id, a, { event_types: ["courseCompletion"] });
    await subscribe(subscriber, s1.id, b, { event_types: ["courseEnrolment"] });
    const [wanted] = await publish(s1, [{ type: "courseCompletion" }, { type: "courseEnrolment" }]);

    const r = await replay({ stage: "route", subscription_id: completions });
    expect(r.matched).toBe(1);
    expect(r.deliveries.map((d) => [d.event_id, d.subscription_id])).toEqual([[wanted, completions]]);
    expect(await arrivals(a, r.deliveries)).toEqual({ from: 1, total: 2 });
    expect((await arrivals(b, [])).total).toBe(1);
  });

  it("from and to: routes only events received in the window", async () => {
    const subscriber = await newSubscriber();
    const s1 = await newSource();
    const a = await newDestination(subscriber);
    await subscribe(subscriber, s1.id, a);
    const [early] = await publish(s1, [{}]);
    const between = await boundary();
    const [late] = await publish(s1, [{}]);

    const after = await replay({ stage: "route", source_id: s1.id, from: new Date(between).toISOString() });
    expect(after.matched).toBe(1);
    expect(after.deliveries.map((d) => d.event_id)).toEqual([late]);
    const before = await replay({ stage: "route", source_id: s1.id, to: new Date(between).toISOString() });
    expect(before.matched).toBe(1);
    expect(before.deliveries.map((d) => d.event_id)).toEqual([early]);
    expect((await arrivals(a, [...after.deliveries, ...before.deliveries])).from).toBe(2);
  });

  it("refuses what it cannot apply, naming the field: destination_id, include_copies, unknown criteria", async () => {
    const subscriber = await newSubscriber();
    const destination = await newDestination(subscriber);
    await refused({ stage: "route", subscriber_id: subscriber, destination_id: destination.id }, "/destination_id");
    await refused({ stage: "route", subscriber_id: subscriber, include_copies: true }, "/include_copies");
    const typo = await api("POST", "/v1/admin/replays", { stage: "route", subscriber_id: subscriber, types: ["x"] });
    expect(typo.status).toBe(422);
    expect(typo.body.detail).toContain("types");
    await refused({ stage: "deliver", from: "2026-02-02T00:00:00Z", to: "2026-02-01T00:00:00Z" }, "/to");
  });
});

describe("replay criteria in the OpenAPI document", () => {
  it("documents include_copies and refuses unknown criteria in the schema", async () => {
    const doc = await (await exports.default.fetch("http://relay.test/openapi.json")).json<any>();
    const input = doc.components.schemas.ReplayInput;
    expect(input.properties.include_copies).toMatchObject({ type: "boolean" });
    expect(input.properties.include_copies.description).toContain("copies");
    expect(input.additionalProperties).toBe(false);
  });
});
