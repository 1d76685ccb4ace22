import { createExecutionContext, createMessageBatch, createScheduledController, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { payloadKey } from "../../src/db/payloads";
import type { RetentionMessage } from "../../src/domain/messages";
import entry from "../../src/index";
import { DAILY_CRON } from "../../src/jobs/cron";
import { newId } from "../../src/lib/ids";
import { runRetention, runRetentionPass } from "../../src/pipeline/retention";
import { api, eventually, sinkConfigure, tenant } from "../helpers/api";
import { archiveRow, storeArchive } from "../helpers/ready-archive";

const worker = entry as Required<Pick<ExportedHandler<Env>, "queue" | "scheduled">>;
const DAY_MS = 86_400_000;
/** RETENTION_DAYS is 30 in wrangler.toml: seen from 40 days ahead, everything stored now is old. */
const later = () => Date.now() + 40 * DAY_MS;
const utcDate = (ms: number) => new Date(ms).toISOString().slice(0, 10);

async function eventExists(id: string): Promise<boolean> {
  return (await api("GET", `/v1/admin/events/${id}`)).status === 200;
}

async function count(sql: string, ...params: unknown[]): Promise<number> {
  const row = await env.DB.prepare(sql)
    .bind(...params)
    .first<{ n: number }>();
  return row?.n ?? 0;
}

/** Publishes and waits until every event is routed and its deliveries have settled into one of `statuses`. */
async function publishAndSettle(t: Awaited<ReturnType<typeof tenant>>, body: unknown, statuses: string[]) {
  const res = await t.publish(body);
  expect(res.status).toBe(202);
  const ids = res.body.ids as string[];
  await eventually(async () => {
    for (const id of ids) {
      const event = (await api("GET", `/v1/admin/events/${id}`)).body;
      if (!event.routed_at) return false;
      if (!event.deliveries.every((delivery: { status: string }) => statuses.includes(delivery.status))) return false;
    }
    return true;
  }, 30_000);
  return ids;
}

/** A source whose events go into a subscriber's archives (and nowhere else). */
async function archivingTenant(schedule: "daily" | "off") {
  const source = await api("POST", "/v1/admin/sources", { name: "LMS" });
  const subscriber = await api("POST", "/v1/admin/subscribers", { name: "BI", archive: { schedule } });
  const subscription = await api("POST", "/v1/admin/subscriptions", {
    subscriber_id: subscriber.body.id,
    source_id: source.body.id,
    event_types: ["*"],
    archive: true,
    steps: [],
  });
  expect(subscription.status).toBe(201);
  const publish = async (data: unknown) => {
    const res = await api("POST", "/v1/events", { type: "course.completed", data }, source.body.api_key);
    const [id] = res.body.ids as string[];
    await eventually(async () => !!(await api("GET", `/v1/admin/events/${id}`)).body.routed_at, 30_000);
    return id;
  };
  return { subscriberId: subscriber.body.id as string, publish };
}

const archivedItems = (eventId: string) => count("SELECT COUNT(*) AS n FROM archive_items WHERE event_id = ?", eventId);

describe("retention", () => {
  it("deletes old events with their deliveries, attempts and R2 bodies, and keeps what a destination is still owed", async () => {
    const t = await tenant();
    const [small, large, held, unrouted] = await publishAndSettle(
      t,
      [
        { type: "course.completed", data: { n: 1 } },
        { type: "course.completed", data: { n: 2, blob: "x".repeat(40_000) } },
        { type: "course.completed", data: { n: 3 } },
        { type: "course.completed", data: { n: 4 } },
      ],
      ["sent"],
    );
    expect(await env.BUCKET.head(payloadKey(large))).not.toBeNull();
    // A destination that keeps failing: its event stays owed, retrying in an hour.
    const failing = await tenant({
      destination: { retry: { max_attempts: 10, initial_delay: 3600, max_delay: 3600 } },
    });
    await sinkConfigure(failing.mailbox, { otherwise: { status: 503 } });
    const [retrying] = await publishAndSettle(failing, { type: "course.completed", data: { n: 5 } }, ["retrying"]);
    // A disabled destination's delivery waits as held; an event routing has not reached yet waits too.
    await env.DB.prepare("UPDATE deliveries SET status = 'held' WHERE event_id = ?").bind(held).run();
    await env.DB.prepare("UPDATE events SET routed_at = NULL WHERE id = ?").bind(unrouted).run();
    const smallDelivery = (await api("GET", `/v1/admin/events/${small}`)).body.deliveries[0].id;

    const report = await runRetention(env, later());
    expect(report.events).toBeGreaterThanOrEqual(2);
    expect(report.payloads).toBeGreaterThanOrEqual(1);

    for (const id of [small, large]) expect(await eventExists(id)).toBe(false);
    expect((await api("GET", `/v1/admin/deliveries/${smallDelivery}`)).status).toBe(404);
    expect(await count("SELECT COUNT(*) AS n FROM attempts WHERE delivery_id = ?", smallDelivery)).toBe(0);
    expect(await env.BUCKET.head(payloadKey(large))).toBeNull();

    for (const id of [retrying, held, unrouted]) expect(await eventExists(id), id).toBe(true);
    const owed = (await api("GET", `/v1/admin/events/${retrying}`)).body.deliveries[0];
    expect(owed.status).toBe("retrying");
    expect(await count("SELECT COUNT(*) AS n FROM attempts WHERE delivery_id = ?", owed.id)).toBe(1);
    await env.DB.prepare("UPDATE events SET routed_at = ? WHERE id = ?").bind(Date.now(), unrouted).run();
  });

  it("keeps archived events until their archive is built, then lets them go", async () => {
    const t = await archivingTenant("daily");
    const eventId = await t.publish({ who: "ada" });
    expect(await archivedItems(eventId)).toBe(1);
    const pending = await storeArchive(t.subscriberId, { period_start: utcDate(Date.now()), status: "pending" });

    await runRetention(env, later());
    expect(await eventExists(eventId)).toBe(true);
    expect(await archivedItems(eventId)).toBe(1);

    await env.DB.prepare("UPDATE archives SET status = 'ready', ready_at = ?, expires_at = ? WHERE id = ?")
      .bind(Date.now(), later() + DAY_MS, pending.id)
      .run();
    await runRetention(env, later());
    expect(await eventExists(eventId)).toBe(false);
    expect(await archivedItems(eventId)).toBe(0);
  });

  it("keeps a scheduled subscriber's archived events the cron may still build, not those nobody will", async () => {
    const scheduled = await archivingTenant("daily");
    const unscheduled = await archivingTenant("off");
    const waiting = await scheduled.publish({ who: "grace" });
    const orphan = await unscheduled.publish({ who: "alan" });
    // One day of retention, seen two days on: both events are old, but the daily archive is not built yet.
    await runRetention({ ...env, RETENTION_DAYS: "1" } as Env, Date.now() + 2 * DAY_MS);
    expect(await eventExists(waiting)).toBe(true);
    expect(await eventExists(orphan)).toBe(false);
  });

  it("deletes finished notifications older than RETENTION_DAYS and keeps those still running", async () => {
    const source = await api("POST", "/v1/admin/sources", { name: "origin" });
    const now = Date.now();
    const insert = async (status: string) => {
      const id = newId("ntf", now);
      await env.DB.prepare(
        `INSERT INTO notifications (id, source_id, object_id, status, next_attempt_at, created_at, updated_at)
         VALUES (?, ?, 'obj-1', ?, ?, ?, ?)`,
      )
        .bind(id, source.body.id, status, status === "retrying" ? now + 3_600_000 : null, now, now)
        .run();
      return id;
    };
    const published = await insert("published");
    const notFound = await insert("not_found");
    const running = await insert("retrying");
    const report = await runRetention(env, later());
    expect(report.notifications).toBeGreaterThanOrEqual(2);
    expect((await api("GET", `/v1/admin/notifications/${published}`)).status).toBe(404);
    expect((await api("GET", `/v1/admin/notifications/${notFound}`)).status).toBe(404);
    expect((await api("GET", `/v1/admin/notifications/${running}`)).status).toBe(200);
  });

  it("deletes finished subscription notices and test files older than RETENTION_DAYS, keeps what is still owed", async () => {
    const now = Date.now();
    const notice = async (status: string) => {
      const id = newId("snt", now);
      await env.DB.prepare(
        `INSERT INTO subscription_notices (id, source_id, subscription_id, change, body, status, created_at, updated_at)
         VALUES (?, 'src_x', 'sbn_x', 'created', '{}', ?, ?, ?)`,
      )
        .bind(id, status, now, now)
        .run();
      return id;
    };
    const file = async (status: string, archiveId: string | null) => {
      const id = newId("fdl", now);
      await env.DB.prepare(
        `INSERT INTO file_deliveries (id, target_id, subscriber_id, archive_id, test, file_name, status, created_at,
           updated_at)
         VALUES (?, 'atg_x', 'sub_x', ?, ?, 'f.zip', ?, ?, ?)`,
      )
        .bind(id, archiveId, archiveId === null ? 1 : 0, status, now, now)
        .run();
      return id;
    };
    const sentNotice = await notice("sent");
    const owedNotice = await notice("retrying");
    const sentTest = await file("sent", null);
    const owedTest = await file("pending", null);
    const ofArchive = await file("sent", `arc_${crypto.randomUUID()}`);
    const report = await runRetention(env, later());
    expect(report.notices).toBeGreaterThanOrEqual(1);
    expect(report.testFiles).toBeGreaterThanOrEqual(1);
    const left = async (table: string, ids: string[]) =>
      (
        await env.DB.prepare(`SELECT id FROM ${table} WHERE id IN (SELECT value FROM json_each(?))`)
          .bind(JSON.stringify(ids))
          .all<{ id: string }>()
      ).results.map((row) => row.id);
    expect(await left("subscription_notices", [sentNotice, owedNotice])).toEqual([owedNotice]);
    // An archive's own file deliveries stay while the archive does.
    expect((await left("file_deliveries", [sentTest, owedTest, ofArchive])).sort()).toEqual(
      [owedTest, ofArchive].sort(),
    );
  });

  it("deletes expired archives, zip and row, once the cron can no longer build their period again", async () => {
    const subscriber = (await api("POST", "/v1/admin/subscribers", { name: "BI" })).body;
    const at = later();
    const expired = await storeArchive(subscriber.id, { period_start: utcDate(at - 30 * DAY_MS), expires_at: at - 1 });
    await env.DB.prepare(
      "INSERT INTO archive_announcements (archive_id, subscriber_id, status, created_at, updated_at) VALUES (?, ?, 'sent', 0, 0)",
    )
      .bind(expired.id, subscriber.id)
      .run();
    await env.DB.prepare(
      `INSERT INTO file_deliveries (id, target_id, subscriber_id, archive_id, file_name, status, created_at, updated_at)
       VALUES (?, 'atg_x', ?, ?, 'f.zip', 'sent', 0, 0)`,
    )
      .bind(newId("fdl", at), subscriber.id, expired.id)
      .run();
    const current = await storeArchive(subscriber.id, {
      period_start: utcDate(at - 31 * DAY_MS),
      expires_at: at + DAY_MS,
    });
    const recent = await storeArchive(subscriber.id, { period_start: utcDate(at - 3 * DAY_MS), expires_at: at - 1 });

    const report = await runRetention(env, at);
    expect(report.archives).toBeGreaterThanOrEqual(1);
    expect(await archiveRow(expired.id)).toBeNull();
    expect(await env.BUCKET.head(expired.r2_key)).toBeNull();
    expect(await count("SELECT COUNT(*) AS n FROM archive_announcements WHERE archive_id = ?", expired.id)).toBe(0);
    expect(await count("SELECT COUNT(*) AS n FROM file_deliveries WHERE archive_id = ?", expired.id)).toBe(0);
    for (const kept of [current, recent]) {
      expect(await archiveRow(kept.id)).not.toBeNull();
      expect(await env.BUCKET.head(kept.r2_key)).not.toBeNull();
    }
  });

  it("never touches identities or OAuth tokens", async () => {
    const subscriber = (await api("POST", "/v1/admin/subscribers", { name: "CRM owner" })).body;
    const put = await api("PUT", `/v1/admin/subscribers/${subscriber.id}/identities`, [
      { namespace: "learner", local_id: "u-1", remote_id: "c-1" },
    ]);
    expect(put.status).toBe(200);
    await env.DB.prepare(
      "INSERT OR REPLACE INTO oauth_tokens (cache_key, token_enc, expires_at, refresh_at) VALUES ('retention-test', 'x', 0, 0)",
    ).run();
    await runRetention(env, later());
    const identities = await api("GET", `/v1/admin/subscribers/${subscriber.id}/identities?namespace=learner`);
    expect(identities.body.data).toHaveLength(1);
    expect(await count("SELECT COUNT(*) AS n FROM oauth_tokens WHERE cache_key = 'retention-test'")).toBe(1);
  });

  it("works in bounded chunks and hands what is left to the next pass through the archive queue", async () => {
    const source = await api("POST", "/v1/admin/sources", { name: "quiet" });
    const res = await api(
      "POST",
      "/v1/events",
      Array.from({ length: 5 }, (_, i) => ({ type: "ping", data: { i } })),
      source.body.api_key,
    );
    const ids = res.body.ids as string[];
    await eventually(async () => {
      for (const id of ids) if (!(await api("GET", `/v1/admin/events/${id}`)).body.routed_at) return false;
      return true;
    }, 30_000);

    const sent: RetentionMessage[] = [];
    const recording = {
      ...env,
      ARCHIVE_QUEUE: { send: async (body: RetentionMessage) => void sent.push(body) },
    } as unknown as Env;
    const at = later();
    const first = await runRetentionPass(recording, 0, at, { chunkRows: 2, maxChunks: 1 });
    expect(first.more).toBe(true);
    expect(first.events).toBeLessThanOrEqual(2);
    expect(sent).toEqual([{ kind: "retention", pass: 1 }]);

    let passes = 1;
    for (let report = first; report.more && passes < 50; passes++) {
      report = await runRetention(env, at, { chunkRows: 2, maxChunks: 1 });
    }
    expect(passes).toBeGreaterThanOrEqual(3);
    expect(passes).toBeLessThan(50);
    for (const id of ids) expect(await eventExists(id)).toBe(false);

    // The next pass arrives as an archive-queue message, which the consumer runs and acks.
    const batch = createMessageBatch("syndic-archive", [
      { id: "r1", timestamp: new Date(), attempts: 1, body: { kind: "retention", pass: 1 } },
    ]);
    const ctx = createExecutionContext();
    await worker.queue(batch, env, ctx);
    expect((await getQueueResult(batch, ctx)).explicitAcks).toEqual(["r1"]);
  });

  it("runs from the daily cron", async () => {
    const subscriber = (await api("POST", "/v1/admin/subscribers", { name: "BI" })).body;
    const at = later();
    const expired = await storeArchive(subscriber.id, { period_start: utcDate(at - 20 * DAY_MS), expires_at: at - 1 });
    await worker.scheduled(
      createScheduledController({ cron: DAILY_CRON, scheduledTime: at }),
      env,
      createExecutionContext(),
    );
    expect(await archiveRow(expired.id)).toBeNull();
  });
});
