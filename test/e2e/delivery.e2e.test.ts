// End to end: a real `wrangler dev` relay pushing to a real loopback sink. 1,000 events fan out to two subscribers
// with different credentials; retries and Retry-After are checked on the wire, by the times the sink saw requests.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RecordedRequest, type Scripted, type Sink, startSink } from "../../scripts/sink.mjs";
import { adminClient, freePort, type Relay, rmSync, SWEEP_CRON, startRelay, statePath, waitFor } from "./harness";

const RETRY = { max_attempts: 10, initial_delay: 1, max_delay: 2 };

let sink: Sink;
let relay: Relay;
const persistTo = statePath();
const { api, create, listAll } = adminClient(() => relay);

/** A subscriber with one destination on the sink mailbox `mailbox`, subscribed to every event of `sourceId`. */
async function subscribe(sourceId: string, mailbox: string, destination: Record<string, unknown>) {
  const subscriber = await create("/v1/admin/subscribers", { name: `e2e ${mailbox}`, timezone: "UTC" });
  const dst = await create(`/v1/admin/subscribers/${subscriber.id}/destinations`, {
    name: mailbox,
    url: sink.hook(mailbox),
    retry: RETRY,
    timeout_ms: 10_000,
    ...destination,
  });
  await create("/v1/admin/subscriptions", {
    subscriber_id: subscriber.id,
    source_id: sourceId,
    event_types: ["*"],
    steps: [{ destination_id: dst.id }],
  });
  return {
    subscriberId: subscriber.id as string,
    destinationId: dst.id as string,
    secret: dst.signing_secret as string,
  };
}

function cloudEvents(run: string, from: number, count: number) {
  return Array.from({ length: count }, (_, i) => ({
    specversion: "1.0",
    id: `${run}-${from + i}`,
    source: "/e2e/lms",
    type: "courseCompletion",
    time: new Date().toISOString(),
    data: { n: from + i, user: `learner${from + i}@example.com`, title: "Edge delivery" },
  }));
}

async function publish(apiKey: string, events: unknown[]): Promise<string[]> {
  const res = await api<{ accepted: number; duplicates: number; ids: string[] }>("POST", "/v1/events", events, apiKey);
  if (res.status !== 202) throw new Error(`publish answered ${res.status}: ${JSON.stringify(res.body)}`);
  expect(res.body.accepted).toBe(events.length);
  expect(res.body.duplicates).toBe(0);
  return res.body.ids;
}

/** Distinct CloudEvent ids (= Syndic evt_ ids) that reached a mailbox, read incrementally. */
function arrivals(mailbox: string) {
  const ids = new Set<string>();
  let seen = 0;
  return {
    ids,
    requests: () => sink.requests(mailbox),
    update() {
      const requests = sink.requests(mailbox);
      for (; seen < requests.length; seen++) ids.add(JSON.parse(requests[seen].body).id);
      return requests.length;
    },
  };
}

beforeAll(async () => {
  sink = await startSink();
  relay = await startRelay({ port: await freePort(), persistTo, vars: { SWEEP_GRACE_SECONDS: "3" } });
});

afterAll(async () => {
  relay?.kill("SIGKILL");
  await sink?.close();
  if (relay) await waitFor(() => relay.child.exitCode !== null || relay.child.signalCode !== null, 10_000);
  rmSync(persistTo, { recursive: true, force: true });
});

describe("delivery over real HTTP", () => {
  it("fans 1,000 events out to two subscribers, every request signed and authenticated", async () => {
    const run = `load-${crypto.randomUUID().slice(0, 8)}`;
    const source = await create("/v1/admin/sources", { name: "e2e LMS" });
    const bearer = await subscribe(source.id, `${run}-bearer`, { auth: { type: "bearer", token: "tok-bearer-e2e" } });
    const keyed = await subscribe(source.id, `${run}-apikey`, {
      auth: { type: "api_key", header: "X-Api-Key", value: "key-e2e-123" },
    });
    sink.configure(`${run}-bearer`, {
      secret: bearer.secret,
      expectHeaders: { authorization: "Bearer tok-bearer-e2e" },
    });
    sink.configure(`${run}-apikey`, { secret: keyed.secret, expectHeaders: { "x-api-key": "key-e2e-123" } });
    const boxes = [arrivals(`${run}-bearer`), arrivals(`${run}-apikey`)];

    const started = Date.now();
    const expected = new Set<string>();
    for (let batch = 0; batch < 10; batch++) {
      for (const id of await publish(source.api_key, cloudEvents(run, batch * 100, 100))) expected.add(id);
    }
    expect(expected.size).toBe(1000);
    const published = Date.now();

    // Bounded wait. When nothing has arrived for a while and events are still missing, the queue message was
    // lost: run the sweeper, as the cron would. How often that was needed is logged.
    const QUIET_MS = 10_000;
    let sweeps = 0;
    let lastCount = 0;
    let lastProgress = Date.now();
    const missing = () => boxes.map((box) => [...expected].filter((id) => !box.ids.has(id)).length);
    await waitFor(
      async () => {
        const count = boxes.reduce((sum, box) => sum + box.update(), 0);
        if (missing().every((n) => n === 0)) return true;
        if (count !== lastCount) {
          lastCount = count;
          lastProgress = Date.now();
        } else if (Date.now() - lastProgress > QUIET_MS) {
          sweeps++;
          lastProgress = Date.now();
          await relay.cron(SWEEP_CRON);
        }
        return false;
      },
      150_000,
      250,
    ).catch((error) => {
      throw new Error(`${error.message}; missing per destination: ${missing()}; sweeps: ${sweeps}`);
    });
    const done = Date.now();
    const [bearerRequests, keyedRequests] = boxes.map((box) => box.requests());
    console.log(
      `1,000 events: published in ${published - started} ms, all 2,000 deliveries arrived ${done - published} ms later; ` +
        `requests: ${bearerRequests.length} + ${keyedRequests.length} (duplicates allowed); sweeper runs needed: ${sweeps}`,
    );

    for (const request of [...bearerRequests, ...keyedRequests]) {
      expect(request.verified).toBe(true);
      expect(request.authorized).toBe(true);
      expect(request.headers["content-type"]).toBe("application/json");
      expect(String(request.headers["webhook-id"])).toMatch(/^dlv_/);
    }
    // Each destination gets its own credential and never the other's.
    expect(bearerRequests.some((request) => request.headers["x-api-key"] !== undefined)).toBe(false);
    expect(keyedRequests.some((request) => request.headers.authorization !== undefined)).toBe(false);
    for (const box of boxes) expect([...box.ids].sort()).toEqual([...expected].sort());

    // The ledger agrees with the wire: one sent delivery per event and destination, none owed.
    for (const { destinationId } of [bearer, keyed]) {
      await waitFor(async () => {
        const sent = await listAll(`status=sent&destination_id=${destinationId}`);
        return sent.length === 1000;
      }, 30_000);
      const sent = await listAll(`status=sent&destination_id=${destinationId}`);
      expect(new Set(sent.map((delivery) => delivery.event_id))).toEqual(expected);
    }
  }, 240_000);

  async function retryTenant(mailbox: string, script: Scripted[]) {
    const source = await create("/v1/admin/sources", { name: `e2e ${mailbox}` });
    const target = await subscribe(source.id, mailbox, { auth: { type: "basic", username: "u", password: "p" } });
    sink.configure(mailbox, {
      secret: target.secret,
      script,
      expectHeaders: { authorization: `Basic ${btoa("u:p")}` },
    });
    const [eventId] = await publish(source.api_key, cloudEvents(mailbox, 0, 1));
    const delivery = await waitForDelivery(target.destinationId, "sent");
    return { eventId, delivery, requests: sink.requests(mailbox) };
  }

  async function waitForDelivery(destinationId: string, status: string) {
    let found: any = null;
    await waitFor(
      async () => {
        const list = await api("GET", `/v1/admin/deliveries?destination_id=${destinationId}`);
        found = list.body.data.find((delivery: { status: string }) => delivery.status === status) ?? null;
        return found !== null;
      },
      60_000,
      250,
    );
    return (await api("GET", `/v1/admin/deliveries/${found.id}`)).body;
  }

  const codes = (requests: RecordedRequest[]) => requests.map((request) => request.answered);

  it("retries a destination answering 500 three times, and the fourth attempt delivers", async () => {
    const { eventId, delivery, requests } = await retryTenant(`r500-${crypto.randomUUID().slice(0, 8)}`, [
      { status: 500 },
      { status: 500 },
      { status: 500 },
    ]);
    expect(delivery.event_id).toBe(eventId);
    expect(delivery.attempts.map((attempt: { n: number }) => attempt.n)).toEqual([1, 2, 3, 4]);
    expect(delivery.attempts.map((attempt: { status_code: number }) => attempt.status_code)).toEqual([
      500, 500, 500, 200,
    ]);
    expect(codes(requests)).toEqual([500, 500, 500, 200]);
    for (const request of requests) {
      expect(request.headers["webhook-id"]).toBe(delivery.id);
      expect(JSON.parse(request.body).id).toBe(eventId);
      expect(request.verified).toBe(true);
      expect(request.authorized).toBe(true);
    }
    // Backoff is at least a second (initial_delay 1, capped at max_delay 2): never an immediate hammering.
    for (let i = 1; i < requests.length; i++) expect(requests[i].at - requests[i - 1].at).toBeGreaterThanOrEqual(1000);
  }, 90_000);

  it("waits as long as Retry-After says after a 429", async () => {
    const { delivery, requests } = await retryTenant(`r429-${crypto.randomUUID().slice(0, 8)}`, [
      { status: 429, headers: { "retry-after": "2" } },
    ]);
    expect(codes(requests)).toEqual([429, 200]);
    expect(delivery.attempts.map((attempt: { status_code: number }) => attempt.status_code)).toEqual([429, 200]);
    const [first, second] = requests;
    expect(second.at - first.at).toBeGreaterThanOrEqual(2000);
    expect(second.headers["webhook-id"]).toBe(first.headers["webhook-id"]);
    expect(second.verified).toBe(true);
  }, 90_000);
});
