import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { getAnnouncement, insertAnnouncement } from "../../src/db/announcements";
import type { AnnounceMessage } from "../../src/domain/messages";
import entry from "../../src/index";
import { isolateCounters, meteredEnv } from "../../src/lib/metered";
import { ANNOUNCE_POLICY, announceArchive, announceBatch, sweepAnnouncements } from "../../src/pipeline/archive-ready";
import { pingHeartbeat } from "../../src/pipeline/heartbeat";
import { api, BASE, sinkConfigure, sinkRequests, sinkUrl, unique } from "../helpers/api";
import { bytesOf, storeArchive } from "../helpers/ready-archive";
import { recordingEnv } from "../helpers/recording-env";

const worker = entry as Required<Pick<ExportedHandler<Env>, "queue">>;

/** One archive's attempt, as the queue consumer makes it (`now` as if it were then). */
async function runAnnouncement(env: Env, archiveId: string, now?: number) {
  return (await announceBatch(env, [archiveId], now)).get(archiveId)!;
}

/** A subscriber whose notify_url is a sink mailbox that checks the Standard Webhooks signature. */
async function announcedSubscriber(script?: Array<{ status: number; headers?: Record<string, string> }>) {
  const mailbox = unique("ready");
  const created = await api("POST", "/v1/admin/subscribers", {
    name: "BI team",
    archive: { schedule: "daily", link_ttl: 3600, notify_url: `${sinkUrl()}/hooks/${mailbox}` },
  });
  expect(created.status).toBe(201);
  await sinkConfigure(mailbox, { secret: created.body.signing_secret, ...(script ? { script } : {}) });
  return { id: created.body.id as string, secret: created.body.signing_secret as string, mailbox };
}

describe("archive-ready notification", () => {
  it("POSTs the archive's link and figures to notify_url, signed with the subscriber's signing_secret", async () => {
    const sub = await announcedSubscriber();
    const archive = await storeArchive(sub.id, { period_start: "2026-11-21" });
    expect(await announceArchive(env, archive.id)).toBe("sent");

    const [request] = await sinkRequests(sub.mailbox);
    expect(request.method).toBe("POST");
    expect(request.verified).toBe(true);
    expect(request.headers["content-type"]).toBe("application/json");
    expect(request.headers["webhook-id"]).toBe(archive.id);
    // Verified independently too: the standardwebhooks library, with the secret the subscriber was given.
    const body = new Webhook(sub.secret).verify(request.body, {
      "webhook-id": String(request.headers["webhook-id"]),
      "webhook-timestamp": String(request.headers["webhook-timestamp"]),
      "webhook-signature": String(request.headers["webhook-signature"]),
    }) as Record<string, unknown>;
    expect(body).toMatchObject({
      archive_id: archive.id,
      events: 1,
      bytes: archive.zip.length,
      sha256: archive.sha256,
      name: "2026-11-21.zip",
    });
    const expiresIn = Date.parse(String(body.expires_at)) - Date.now();
    expect(expiresIn).toBeGreaterThan(3500_000);
    expect(expiresIn).toBeLessThanOrEqual(3600_000);
    const download = await exports.default.fetch(`${BASE}${new URL(String(body.url)).pathname}`);
    expect(download.status).toBe(200);
    expect(await bytesOf(download)).toEqual(archive.zip);

    expect(await getAnnouncement(env.DB, archive.id)).toMatchObject({ status: "sent", attempts: 1 });
    // Announced once, however often the build job asks.
    expect(await announceArchive(env, archive.id)).toBe("skipped");
    expect(await sinkRequests(sub.mailbox)).toHaveLength(1);
  });

  it("retries a failed POST with backoff through the archive queue, with the same webhook-id", async () => {
    const sub = await announcedSubscriber([{ status: 503 }, { status: 500 }]);
    const archive = await storeArchive(sub.id, { period_start: "2026-11-20" });
    const { env: recording, sent } = recordingEnv<AnnounceMessage>("ARCHIVE_QUEUE");

    expect(await announceArchive(recording, archive.id)).toBe("retrying");
    const first = await getAnnouncement(env.DB, archive.id);
    expect(first).toMatchObject({ status: "retrying", attempts: 1, last_status_code: 503 });
    expect(sent).toHaveLength(1);
    expect(sent[0].body).toEqual({ kind: "announce", archive_id: archive.id });
    // initial_delay · 2^0, jittered ±20%
    expect(sent[0].delaySeconds).toBeGreaterThanOrEqual(ANNOUNCE_POLICY.initial_delay * 0.8);
    expect(sent[0].delaySeconds).toBeLessThanOrEqual(ANNOUNCE_POLICY.initial_delay * 1.2);

    // The message arriving early (a stray duplicate) does nothing.
    expect(await runAnnouncement(recording, archive.id)).toBe("skipped");
    expect(await sinkRequests(sub.mailbox)).toHaveLength(1);

    expect(await runAnnouncement(recording, archive.id, first!.next_attempt_at!)).toBe("retrying");
    expect(sent[1].delaySeconds).toBeGreaterThanOrEqual(ANNOUNCE_POLICY.initial_delay * 2 * 0.8);
    const second = await getAnnouncement(env.DB, archive.id);
    expect(await runAnnouncement(recording, archive.id, second!.next_attempt_at!)).toBe("sent");

    const requests = await sinkRequests(sub.mailbox);
    expect(requests.map((request) => request.answered)).toEqual([503, 500, 200]);
    expect(new Set(requests.map((request) => request.headers["webhook-id"]))).toEqual(new Set([archive.id]));
    expect(requests.every((request) => request.verified)).toBe(true);
    expect(await getAnnouncement(env.DB, archive.id)).toMatchObject({ status: "sent", attempts: 3 });
  });

  it("the archive queue consumer runs announce messages", async () => {
    const sub = await announcedSubscriber([{ status: 503 }]);
    const archive = await storeArchive(sub.id, { period_start: "2026-11-19" });
    const { env: recording } = recordingEnv<AnnounceMessage>("ARCHIVE_QUEUE");
    expect(await announceArchive(recording, archive.id)).toBe("retrying");
    // Make the retry due now, as if its delay had passed.
    await env.DB.prepare("UPDATE archive_announcements SET next_attempt_at = ? WHERE archive_id = ?")
      .bind(Date.now() - 1, archive.id)
      .run();
    const batch = createMessageBatch("syndic-archive", [
      { id: "m1", timestamp: new Date(), attempts: 1, body: { kind: "announce", archive_id: archive.id } },
    ]);
    const ctx = createExecutionContext();
    await worker.queue(batch, env, ctx);
    expect((await getQueueResult(batch, ctx)).explicitAcks).toEqual(["m1"]);
    expect((await sinkRequests(sub.mailbox)).map((request) => request.answered)).toEqual([503, 200]);
    expect(await getAnnouncement(env.DB, archive.id)).toMatchObject({ status: "sent" });
  });

  it("the archive queue consumer announces a batch's messages in one run, and retries them all when the claim fails", async () => {
    const first = await announcedSubscriber();
    const second = await announcedSubscriber();
    const archives = [
      await storeArchive(first.id, { period_start: "2026-10-11" }),
      await storeArchive(second.id, { period_start: "2026-10-11" }),
    ];
    for (const archive of archives) {
      await insertAnnouncement(env.DB, { archive_id: archive.id, subscriber_id: archive.subscriber_id }, Date.now());
    }
    const messages = () =>
      createMessageBatch(
        "syndic-archive",
        [archives[0], archives[1], archives[0]].map((archive, i) => ({
          id: `m${i}`,
          timestamp: new Date(),
          attempts: 1,
          body: { kind: "announce", archive_id: archive.id },
        })),
      );
    const down = {
      ...env,
      DB: {
        prepare: (sql: string) => env.DB.prepare(sql),
        batch: async () => {
          throw new Error("D1 is unavailable");
        },
      },
    } as unknown as Env;
    const failed = messages();
    const failedCtx = createExecutionContext();
    await worker.queue(failed, down, failedCtx);
    const result = await getQueueResult(failed, failedCtx);
    expect(result.explicitAcks).toEqual([]);
    expect(result.retryMessages.map((message: { msgId: string }) => message.msgId).sort()).toEqual(["m0", "m1", "m2"]);

    const batch = messages();
    const ctx = createExecutionContext();
    await worker.queue(batch, env, ctx);
    expect((await getQueueResult(batch, ctx)).explicitAcks.sort()).toEqual(["m0", "m1", "m2"]);
    expect(await sinkRequests(first.mailbox)).toHaveLength(1);
    expect(await sinkRequests(second.mailbox)).toHaveLength(1);
  });

  it("a 4xx other than 408/425/429 ends it at once; so does the last allowed attempt", async () => {
    const rejected = await announcedSubscriber([{ status: 400 }]);
    const archive = await storeArchive(rejected.id, { period_start: "2026-11-18" });
    const { env: recording, sent } = recordingEnv<AnnounceMessage>("ARCHIVE_QUEUE");
    expect(await announceArchive(recording, archive.id)).toBe("dead");
    expect(sent).toHaveLength(0);
    expect(await getAnnouncement(env.DB, archive.id)).toMatchObject({ status: "dead", last_status_code: 400 });

    const failing = await announcedSubscriber(Array.from({ length: 20 }, () => ({ status: 502 })));
    const doomed = await storeArchive(failing.id, { period_start: "2026-11-18" });
    let outcome = await announceArchive(recording, doomed.id);
    while (outcome === "retrying") {
      const row = await getAnnouncement(env.DB, doomed.id);
      outcome = await runAnnouncement(recording, doomed.id, row!.next_attempt_at!);
    }
    expect(outcome).toBe("dead");
    expect(await sinkRequests(failing.mailbox)).toHaveLength(ANNOUNCE_POLICY.max_attempts);
  });

  it("honours Retry-After", async () => {
    const sub = await announcedSubscriber([{ status: 429, headers: { "retry-after": "120" } }]);
    const archive = await storeArchive(sub.id, { period_start: "2026-11-17" });
    const { env: recording, sent } = recordingEnv<AnnounceMessage>("ARCHIVE_QUEUE");
    expect(await announceArchive(recording, archive.id)).toBe("retrying");
    expect(sent[0].delaySeconds).toBe(120);
    const row = await getAnnouncement(env.DB, archive.id);
    expect(row!.next_attempt_at! - Date.now()).toBeGreaterThan(110_000);
    expect(await runAnnouncement(recording, archive.id, row!.next_attempt_at!)).toBe("sent");
  });

  it("a subscriber without notify_url gets nothing", async () => {
    const created = await api("POST", "/v1/admin/subscribers", { name: "quiet", archive: { schedule: "daily" } });
    const archive = await storeArchive(created.body.id, { period_start: "2026-11-16" });
    expect(await announceArchive(env, archive.id)).toBe("no_notify_url");
    expect(await getAnnouncement(env.DB, archive.id)).toBeNull();
    const building = await storeArchive(created.body.id, { period_start: "2026-11-15", status: "building" });
    expect(await announceArchive(env, building.id)).toBe("skipped");
  });

  it("the sweeper re-enqueues announcements whose message was lost, and announces ready archives never announced", async () => {
    const sub = await announcedSubscriber([{ status: 503 }]);
    const lost = await storeArchive(sub.id, { period_start: "2026-11-14" });
    const { env: recording, sent } = recordingEnv<AnnounceMessage>("ARCHIVE_QUEUE");
    expect(await announceArchive(recording, lost.id)).toBe("retrying");
    const row = await getAnnouncement(env.DB, lost.id);
    // The build job stopped between marking this one ready and announcing it.
    const forgotten = await storeArchive(sub.id, { period_start: "2026-11-13" });

    const later = row!.next_attempt_at! + 10 * 60_000;
    sent.length = 0;
    const swept = await sweepAnnouncements(recording, later);
    expect(swept).toEqual({ requeued: 1, recovered: 1 });
    const announced = sent.map((message) => message.body.archive_id).sort();
    expect(announced).toEqual([lost.id, forgotten.id].sort());
    expect(await getAnnouncement(env.DB, forgotten.id)).toMatchObject({ status: "ready", attempts: 0 });

    // Just swept: not swept again straight away.
    sent.length = 0;
    expect(await sweepAnnouncements(recording, later + 1000)).toEqual({ requeued: 0, recovered: 0 });
    for (const id of [lost.id, forgotten.id]) expect(await runAnnouncement(recording, id, later)).toBe("sent");
  });

  it("announces a batch of several subscribers' archives in one run: each POSTed once, a failure or refusal stays alone", async () => {
    const steady = await announcedSubscriber();
    const other = await announcedSubscriber();
    const failing = await announcedSubscriber([{ status: 503 }]);
    const refused = await announcedSubscriber();
    // Saved before the outbound policy refused it (the API would not take it now): refused where it is used.
    await env.DB.prepare("UPDATE subscribers SET archive = json_set(archive, '$.notify_url', ?) WHERE id = ?")
      .bind("ftp://example.com/hook", refused.id)
      .run();
    const archives = {
      steady: [
        await storeArchive(steady.id, { period_start: "2026-10-01" }),
        await storeArchive(steady.id, { period_start: "2026-10-02" }),
      ],
      other: await storeArchive(other.id, { period_start: "2026-10-01" }),
      failing: await storeArchive(failing.id, { period_start: "2026-10-01" }),
      refused: await storeArchive(refused.id, { period_start: "2026-10-01" }),
    };
    const all = [...archives.steady, archives.other, archives.failing, archives.refused];
    for (const archive of all) {
      await insertAnnouncement(env.DB, { archive_id: archive.id, subscriber_id: archive.subscriber_id }, Date.now());
    }
    const { env: recording, sent } = recordingEnv<AnnounceMessage>("ARCHIVE_QUEUE");
    const { env: metered, meter } = meteredEnv(recording);

    // The first archive twice in the batch, as when a message is delivered again: sent once.
    const outcomes = await announceBatch(metered, [...all.map((archive) => archive.id), all[0].id]);
    expect(Object.fromEntries(outcomes)).toEqual({
      [archives.steady[0].id]: "sent",
      [archives.steady[1].id]: "sent",
      [archives.other.id]: "sent",
      [archives.failing.id]: "retrying",
      [archives.refused.id]: "dead",
    });
    const steadyRequests = await sinkRequests(steady.mailbox);
    expect(steadyRequests.map((request) => request.headers["webhook-id"]).sort()).toEqual(
      archives.steady.map((archive) => archive.id).sort(),
    );
    expect(steadyRequests.every((request) => request.verified)).toBe(true);
    expect((await sinkRequests(other.mailbox)).map((request) => request.verified)).toEqual([true]);
    expect((await sinkRequests(failing.mailbox)).map((request) => request.answered)).toEqual([503]);
    expect(await sinkRequests(refused.mailbox)).toEqual([]);
    expect(await getAnnouncement(env.DB, archives.failing.id)).toMatchObject({ status: "retrying", attempts: 1 });
    expect(await getAnnouncement(env.DB, archives.refused.id)).toMatchObject({
      status: "dead",
      attempts: 0,
      last_error: "archive.notify_url must be an http(s) URL",
    });
    expect(sent.map((message) => message.body)).toEqual([{ kind: "announce", archive_id: archives.failing.id }]);
    // One read, one claim, one record, one ring: the same for a batch of five as for one.
    expect(meter).toEqual({ d1_calls: 3, queue_ops: 1, queue_messages: 1 });

    // A warm isolate signs without opening the subscriber's secret again.
    const later = await storeArchive(steady.id, { period_start: "2026-10-03" });
    await insertAnnouncement(env.DB, { archive_id: later.id, subscriber_id: steady.id }, Date.now());
    const decrypts = isolateCounters.decrypts;
    expect(await runAnnouncement(env, later.id)).toBe("sent");
    expect(isolateCounters.decrypts).toBe(decrypts);
    expect(await sinkRequests(steady.mailbox)).toHaveLength(3);
  });

  it("pings HEARTBEAT_URL with a GET, and never throws when it fails", async () => {
    const local = { ALLOW_INSECURE_URLS: "true", PUBLIC_BASE_URL: "" };
    const mailbox = unique("heartbeat");
    expect(await pingHeartbeat({ ...local, HEARTBEAT_URL: `${sinkUrl()}/hooks/${mailbox}` })).toBe(true);
    const [ping] = await sinkRequests(mailbox);
    expect(ping.method).toBe("GET");
    expect(await pingHeartbeat({ ...local, HEARTBEAT_URL: "" })).toBe(false);
    const down = unique("heartbeat");
    await sinkConfigure(down, { otherwise: { status: 500 } });
    expect(await pingHeartbeat({ ...local, HEARTBEAT_URL: `${sinkUrl()}/hooks/${down}` })).toBe(false);
  });

  it("does not ping a HEARTBEAT_URL the outbound policy refuses", async () => {
    const mailbox = unique("heartbeat");
    const production = { ALLOW_INSECURE_URLS: "false", PUBLIC_BASE_URL: "https://relay.example" };
    expect(await pingHeartbeat({ ...production, HEARTBEAT_URL: `${sinkUrl()}/hooks/${mailbox}` })).toBe(false);
    expect(await pingHeartbeat({ ...production, HEARTBEAT_URL: "https://169.254.169.254/latest" })).toBe(false);
    expect(await sinkRequests(mailbox)).toEqual([]);
  });
});
