import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { runArchiveJob } from "../../src/archive/build";
import { addDays, localDate, spanPeriod } from "../../src/archive/periods";
import { requestArchive } from "../../src/archive/schedule";
import { commitEventGroups } from "../../src/db/events";
import { getFileDelivery } from "../../src/db/file-deliveries";
import { getSubscriber } from "../../src/db/subscribers";
import {
  hourOf,
  LATENCY_BUCKETS,
  latencyBucket,
  percentileMs,
  STATS_RANGES,
  type StatsRange,
  slotIndex,
  statsWindow,
} from "../../src/domain/stats";
import { newId } from "../../src/lib/ids";
import { deliverBatch } from "../../src/pipeline/deliver";
import { deliverFiles, sendArchiveToTargets } from "../../src/pipeline/file-deliver";
import { sweepOverdueImports } from "../../src/pipeline/import-callback";
import { api, deliveryOf, sinkConfigure, sinkUrl, tenant, unique } from "../helpers/api";
import { deliveryWithLostPayload } from "../helpers/lost-payload";
import { recordingEnv } from "../helpers/recording-env";
import { loopbackS3Target } from "../helpers/s3-target";

type Tenant = Awaited<ReturnType<typeof tenant>>;
type Owned = { id: string } & Record<string, number[]>;

const total = (series: readonly number[] | undefined) => (series ?? []).reduce((sum, n) => sum + n, 0);

async function stats(range: StatsRange = "24h") {
  const res = await api("GET", `/v1/admin/stats?range=${range}`);
  expect(res.status).toBe(200);
  expect(res.body.slots).toHaveLength(STATS_RANGES[range].slots);
  return res.body;
}

const ownerIn = (list: Owned[], id: string) => list.find((row) => row.id === id);

async function publishAll(t: Tenant, events: unknown[]): Promise<string[]> {
  const res = await t.publish(events);
  expect(res.status).toBe(202);
  return res.body.ids as string[];
}

/** Every attempt of the deliveries, as the API shows them (start time and duration). */
async function attemptsOf(deliveryIds: string[]) {
  const attempts: Array<{ at: string; duration_ms: number }> = [];
  for (const id of deliveryIds) attempts.push(...(await api("GET", `/v1/admin/deliveries/${id}`)).body.attempts);
  return attempts;
}

/** The percentiles the overview should show per slot for these attempts, computed from their durations. */
function expectedPercentiles(range: StatsRange, attempts: Array<{ at: string; duration_ms: number }>) {
  const window = statsWindow(range, Date.now());
  const histograms = Array.from({ length: window.slots }, () => new Array<number>(LATENCY_BUCKETS).fill(0));
  for (const attempt of attempts) {
    const slot = slotIndex(window, Math.floor(hourOf(Date.parse(attempt.at)) / window.slotHours) * window.slotHours);
    histograms[slot][latencyBucket(attempt.duration_ms)] += 1;
  }
  return {
    p50: histograms.map((h) => percentileMs(h, 0.5)),
    p99: histograms.map((h) => percentileMs(h, 0.99)),
  };
}

describe("GET /v1/admin/stats", () => {
  it("counts events received, and deliveries sent, failed and dead with their latency, per source and destination", async () => {
    const healthy = await tenant();
    const event = (n: number) => ({ type: "courseCompletion", id: unique("ext"), data: { n } });
    const batch = [event(1), event(2), event(3)];
    const ids = await publishAll(healthy, batch);
    // A publish said again is stored once, and counted once.
    expect(await publishAll(healthy, [batch[0]])).toEqual([ids[0]]);
    const healthyDeliveries = [];
    for (const id of ids) healthyDeliveries.push(await deliveryOf(id, (s) => s === "sent"));

    const flaky = await tenant({ destination: { retry: { max_attempts: 3, initial_delay: 1, max_delay: 1 } } });
    await sinkConfigure(flaky.mailbox, { script: [{ status: 500 }], otherwise: { status: 200 } });
    const [retried] = await publishAll(flaky, [event(4)]);
    const sent = await deliveryOf(retried, (s) => s === "sent");
    await sinkConfigure(flaky.mailbox, { otherwise: { status: 400 } });
    const [refused] = await publishAll(flaky, [event(5)]);
    const dead = await deliveryOf(refused, (s) => s === "dead");

    for (const range of ["24h", "30d"] as const) {
      const body = await stats(range);
      expect(total(ownerIn(body.sources, healthy.source.id)?.events_received)).toBe(3);
      expect(total(ownerIn(body.sources, flaky.source.id)?.events_received)).toBe(2);

      const good = ownerIn(body.destinations, healthy.destination.id)!;
      expect([good.deliveries_sent, good.deliveries_failed, good.deliveries_dead].map(total)).toEqual([3, 0, 0]);
      const bad = ownerIn(body.destinations, flaky.destination.id)!;
      expect([bad.deliveries_sent, bad.deliveries_failed, bad.deliveries_dead].map(total)).toEqual([1, 1, 1]);

      // Percentiles per slot, exactly as the histogram of the recorded attempts' durations gives them.
      const goodAttempts = await attemptsOf(healthyDeliveries.map((d) => d.id));
      expect(goodAttempts).toHaveLength(3);
      expect((good as unknown as { latency_ms: unknown }).latency_ms).toEqual(expectedPercentiles(range, goodAttempts));
      const badAttempts = await attemptsOf([sent.id, dead.id]);
      expect(badAttempts).toHaveLength(3);
      expect((bad as unknown as { latency_ms: unknown }).latency_ms).toEqual(expectedPercentiles(range, badAttempts));

      // Totals are everyone's (the database is shared), so they hold at least this test's counts.
      expect(total(body.totals.deliveries_sent)).toBeGreaterThanOrEqual(4);
      expect(body.latency_ms.p99.some((value: number | null) => value !== null)).toBe(true);
      expect(body.oldest_undelivered_age_s === null || body.oldest_undelivered_age_s >= 0).toBe(true);

      // The last answer was a 400: the destination is in a failure streak; the healthy one is not listed.
      const unhealthy = body.unhealthy_destinations as Array<{ id: string; failing_since: string | null }>;
      expect(unhealthy.find((row) => row.id === flaky.destination.id)?.failing_since).toEqual(expect.any(String));
      expect(unhealthy.find((row) => row.id === healthy.destination.id)).toBeUndefined();
    }
  });

  it("lists a disabled destination among the unhealthy ones", async () => {
    const gone = await tenant();
    await sinkConfigure(gone.mailbox, { script: [{ status: 410 }] });
    const [id] = await publishAll(gone, [{ type: "courseCompletion", data: {} }]);
    await deliveryOf(id, (s) => s === "dead");
    const listed = (await stats()).unhealthy_destinations.find((row: { id: string }) => row.id === gone.destination.id);
    expect(listed).toMatchObject({ disabled_at: expect.any(String), disabled_reason: expect.stringContaining("410") });
    const good = ownerIn((await stats()).destinations, gone.destination.id)!;
    expect(total(good.deliveries_dead)).toBe(1);
  });

  it("counts the identity steps' per-item path too", async () => {
    const crm = await tenant();
    const patched = await api("PATCH", `/v1/admin/subscriptions/${crm.subscription.id}`, {
      steps: [
        {
          destination_id: crm.destination.id,
          identity: {
            namespace: "learner",
            local_id: "subject",
            remote_id: "contact.id",
            update: { url: `${sinkUrl()}/hooks/${unique("upd")}/contacts/{remote_id}` },
          },
        },
      ],
    });
    expect(patched.status).toBe(200);
    await sinkConfigure(crm.mailbox, { otherwise: { status: 201, body: '{"contact":{"id":"crm-{n}"}}' } });
    const [id] = await publishAll(crm, [{ type: "learner.created", subject: unique("learner"), data: {} }]);
    const delivery = await deliveryOf(id, (s) => s === "sent");
    const counted = ownerIn((await stats()).destinations, crm.destination.id)!;
    expect([counted.deliveries_sent, counted.deliveries_failed, counted.deliveries_dead].map(total)).toEqual([1, 0, 0]);
    expect((counted as unknown as { latency_ms: unknown }).latency_ms).toEqual(
      expectedPercentiles("24h", await attemptsOf([delivery.id])),
    );
  });

  it("counts a delivery ended without an attempt (its payload gone) as dead, once", async () => {
    const t = await tenant();
    const id = await deliveryWithLostPayload(t, "stats-lost-object");
    await deliverBatch(env, [id]);
    await deliverBatch(env, [id]);
    expect((await api("GET", `/v1/admin/deliveries/${id}`)).body).toMatchObject({ status: "dead", attempt_count: 0 });
    const counted = ownerIn((await stats()).destinations, t.destination.id)!;
    expect([counted.deliveries_sent, counted.deliveries_failed, counted.deliveries_dead].map(total)).toEqual([0, 0, 1]);
    // No attempt, so no latency.
    expect((counted as unknown as { latency_ms: { p50: unknown[] } }).latency_ms.p50.every((v) => v === null)).toBe(
      true,
    );
  });

  it("counts what a commit stored: nothing for a refused guard, once for a group committed twice", async () => {
    const t = await tenant();
    const now = Date.now();
    const row = (n: number) => {
      const id = newId("evt", now);
      return {
        id,
        source_id: t.source.id,
        external_id: `direct-${n}-${id}`,
        type: "t",
        subject: null,
        time: new Date(now).toISOString(),
        received_at: now,
        body: "{}",
        body_key: null,
      };
    };
    const refused = {
      sourceId: t.source.id,
      guard: { column: "api_key_hash" as const, hash: "stale", version: 1 },
      rows: [row(1)],
    };
    const [stale] = await commitEventGroups(env.DB, [refused]);
    expect(stale.accepted).toBe(false);
    const group = { sourceId: t.source.id, guard: null, rows: [row(2), row(3), row(4)] };
    // A group that timed out waiting for its commit goes again alone (engine/group-commit.ts): stored once.
    await commitEventGroups(env.DB, [group]);
    await commitEventGroups(env.DB, [group, { ...group, rows: [row(5)] }]);
    expect(total(ownerIn((await stats()).sources, t.source.id)?.events_received)).toBe(4);
  });

  it("refuses an unknown range with 422 naming the field", async () => {
    const res = await api("GET", "/v1/admin/stats?range=7d");
    expect(res.status).toBe(422);
    expect(res.body.errors.map((error: { path: string }) => error.path).join(" ")).toContain("range");
  });

  it("counts archives built, their files delivered, confirmed and left unconfirmed, per subscriber and target", async () => {
    const subscriber = await api("POST", "/v1/admin/subscribers", {
      name: "Alumni Office",
      timezone: "UTC",
      archive: { schedule: "daily", format: "json" },
    });
    const trigger = unique("import");
    const target = await api("POST", `/v1/admin/subscribers/${subscriber.body.id}/archive-targets`, {
      ...loopbackS3Target("stats"),
      name: "warehouse",
      environment: "sandbox",
      retry: { max_attempts: 2, initial_delay: 5, max_delay: 10 },
      // biome-ignore lint/suspicious/noThenProperty: CONTRACT §3 names the import trigger `then`; it is never a function
      then: { url: `${sinkUrl()}/hooks/${trigger}/import`, body: '{"file": $filename}', callback_timeout_s: 600 },
    });
    expect(target.status).toBe(201);
    await sinkConfigure(trigger, {
      script: [
        { status: 200, body: '{"jobId": "job-1"}' },
        { status: 200, body: '{"jobId": "job-2"}' },
      ],
    });

    // Two days built for real (the archive queue only recorded, so this test runs the jobs) and sent to the target.
    const archiveQueue = recordingEnv("ARCHIVE_QUEUE");
    const filesQueue = recordingEnv("FILES_QUEUE");
    const stored = (await getSubscriber(env.DB, subscriber.body.id))!;
    const deliveryIds: string[] = [];
    for (const back of [-3, -2]) {
      const day = addDays(localDate(Date.now(), "UTC"), back);
      const archive = await requestArchive(archiveQueue.env, stored, spanPeriod(day, day, "UTC"), Date.now());
      expect(await runArchiveJob(archiveQueue.env, archive.id)).toBe("ready");
      // Run again: already ready, so counted once.
      expect(await runArchiveJob(archiveQueue.env, archive.id)).toBe("skipped");
      const [deliveryId] = await sendArchiveToTargets(filesQueue.env, archive.id);
      expect((await deliverFiles(filesQueue.env, [deliveryId])).get(deliveryId)).toBe("sent");
      deliveryIds.push(deliveryId);
    }

    // The first import reports success (twice: counted once); the second's callback never comes.
    const callback = new URL(target.body.callback_url).pathname;
    for (let i = 0; i < 2; i++) {
      expect((await api("POST", callback, { jobId: "job-1", status: "SUCCESS" }, "")).status).toBe(204);
    }
    const waiting = (await getFileDelivery(env.DB, deliveryIds[1]))!;
    expect(waiting.status).toBe("sent");
    const heartbeat = unique("heartbeat");
    const watched = { ...env, HEARTBEAT_URL: `${sinkUrl()}/hooks/${heartbeat}` } as Env;
    // Overdue as of now (not ten minutes on, which could be an hour the overview does not show yet).
    const now = Date.now();
    await env.DB.prepare("UPDATE file_deliveries SET callback_due_at = ?1 WHERE id = ?2")
      .bind(now - 1000, waiting.id)
      .run();
    expect(await sweepOverdueImports(watched, now)).toBeGreaterThanOrEqual(1);
    expect(await sweepOverdueImports(watched, now)).toBe(0);
    expect((await getFileDelivery(env.DB, deliveryIds[1]))?.status).toBe("unconfirmed");

    for (const range of ["24h", "30d"] as const) {
      const body = await stats(range);
      expect(total(ownerIn(body.subscribers, subscriber.body.id)?.archives_built)).toBe(2);
      const counted = ownerIn(body.targets, target.body.id)!;
      expect(
        ["files_sent", "files_failed", "files_dead", "files_confirmed", "files_unconfirmed", "files_import_failed"].map(
          (name) => total(counted[name]),
        ),
      ).toEqual([2, 0, 0, 1, 1, 0]);
      expect(body.archives.built).toBeGreaterThanOrEqual(2);
      expect(body.archives.delivered).toBeGreaterThanOrEqual(2);
      expect(body.archives.unconfirmed).toBeGreaterThanOrEqual(1);
    }
  });
});
