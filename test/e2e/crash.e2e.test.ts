// End to end: SIGKILL the relay (wrangler dev and workerd, the whole process group) while pushes are in flight,
// start it again on the same local state, and let the sweeper recover. Local queues live in memory and die with
// the process; D1 is the ledger, so every event that got a 202 must still arrive (duplicates allowed).

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Sink, startSink } from "../../scripts/sink.mjs";
import { adminClient, freePort, type Relay, rmSync, SWEEP_CRON, startRelay, statePath, waitFor } from "./harness";

const EVENTS = 300;
/** The sink holds each answer this long (under the destination's 2 s timeout): pushes stay in flight. */
const SINK_DELAY_MS = 1000;

const vars = { SWEEP_GRACE_SECONDS: "3" };
const persistTo = statePath();
const { api, create, listAll } = adminClient(() => relay);
let port: number;
let sink: Sink;
let relay: Relay;

const exited = (running: Relay) => running.child.exitCode !== null || running.child.signalCode !== null;

beforeAll(async () => {
  sink = await startSink();
  port = await freePort();
  relay = await startRelay({ port, persistTo, vars });
});

afterAll(async () => {
  relay?.kill("SIGKILL");
  await sink?.close();
  if (relay) await waitFor(() => exited(relay), 10_000);
  rmSync(persistTo, { recursive: true, force: true });
});

describe("crash recovery", () => {
  it("delivers every accepted event after the relay is SIGKILLed mid-flight and restarted", async () => {
    const mailbox = `crash-${crypto.randomUUID().slice(0, 8)}`;
    const source = await create("/v1/admin/sources", { name: "e2e crash LMS" });
    const subscriber = await create("/v1/admin/subscribers", { name: "e2e crash", timezone: "UTC" });
    const destination = await create(`/v1/admin/subscribers/${subscriber.id}/destinations`, {
      name: mailbox,
      url: sink.hook(mailbox),
      auth: { type: "bearer", token: "tok-crash" },
      timeout_ms: 2000,
      retry: { max_attempts: 10, initial_delay: 1, max_delay: 2 },
    });
    await create("/v1/admin/subscriptions", {
      subscriber_id: subscriber.id,
      source_id: source.id,
      event_types: ["*"],
      steps: [{ destination_id: destination.id }],
    });
    sink.configure(mailbox, {
      secret: destination.signing_secret,
      expectHeaders: { authorization: "Bearer tok-crash" },
      otherwise: { status: 200, delayMs: SINK_DELAY_MS },
    });

    const accepted = new Set<string>();
    for (let batch = 0; batch < 3; batch++) {
      const events = Array.from({ length: EVENTS / 3 }, (_, i) => ({
        specversion: "1.0",
        id: `${mailbox}-${batch * 100 + i}`,
        source: "/e2e/lms",
        type: "courseCompletion",
        data: { n: batch * 100 + i },
      }));
      const res = await api("POST", "/v1/events", events, source.api_key);
      expect(res.status).toBe(202);
      for (const id of res.body.ids) accepted.add(id);
    }
    expect(accepted.size).toBe(EVENTS);

    // Kill as soon as pushes are on the wire: the sink holds each answer for a second, so a batch of them is in
    // flight (claimed, leased, never recorded as sent) and the rest wait in the in-memory queue that dies with it.
    await waitFor(() => sink.requests(mailbox).length > 0, 60_000, 20);
    relay.kill("SIGKILL");
    const arrivedAtKill = new Set(sink.requests(mailbox).map((request) => JSON.parse(request.body).id)).size;
    await waitFor(() => exited(relay), 10_000);
    expect(arrivedAtKill).toBeLessThan(EVENTS);

    const restarted = Date.now();
    relay = await startRelay({ port, persistTo, vars });
    const upAfter = Date.now() - restarted;

    // The sweeper is the only way back for work whose queue message died: run it as the cron would, in a bounded
    // loop, until every event has reached the sink and the ledger shows every delivery sent. Pushes that were in
    // flight at the kill may have reached the sink already, but their rows stay claimed until the lease runs out
    // (timeout_ms + 30 s); only then does the sweeper send them again. A swept row is not swept again for 5
    // minutes, so repeated runs only pick up newly due rows.
    const distinct = () => new Set(sink.requests(mailbox).map((request) => JSON.parse(request.body).id));
    let sweeps = 0;
    let lastSweep = 0;
    let allArrivedIn: number | null = null;
    let sentCount = 0;
    await waitFor(
      async () => {
        if (allArrivedIn === null && distinct().size === EVENTS) allArrivedIn = Date.now() - restarted;
        if (allArrivedIn !== null) {
          sentCount = (await listAll(`status=sent&destination_id=${destination.id}`)).length;
          if (sentCount === EVENTS) return true;
        }
        if (Date.now() - lastSweep >= 3000) {
          lastSweep = Date.now();
          sweeps++;
          await relay.cron(SWEEP_CRON);
        }
        return false;
      },
      180_000,
      500,
    ).catch((error) => {
      throw new Error(
        `${error.message}: ${distinct().size} of ${EVENTS} distinct events arrived, ${sentCount} deliveries sent; ` +
          `sweeps: ${sweeps}`,
      );
    });
    const settledIn = Date.now() - restarted;

    const requests = sink.requests(mailbox);
    expect(distinct()).toEqual(accepted);
    for (const request of requests) {
      expect(request.verified).toBe(true);
      expect(request.authorized).toBe(true);
    }
    const sent = await listAll(`status=sent&destination_id=${destination.id}`);
    expect(new Set(sent.map((delivery) => delivery.event_id))).toEqual(accepted);

    console.log(
      `crash: ${arrivedAtKill}/${EVENTS} events had reached the sink when the relay was killed; restarted in ` +
        `${upAfter} ms; all ${EVENTS} arrived ${allArrivedIn} ms and all were recorded sent ${settledIn} ms after ` +
        `the restart, with ${sweeps} sweeper runs; ` +
        `${requests.length} requests in all (${requests.length - EVENTS} duplicates, at-least-once)`,
    );
  }, 300_000);
});
