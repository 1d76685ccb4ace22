import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { getFileDelivery } from "../../src/db/file-deliveries";
import type { FilesMessage } from "../../src/domain/messages";
import { deliverFiles, sendArchiveToTargets } from "../../src/pipeline/file-deliver";
import { api, eventually, sinkConfigure, sinkRequests, sinkUrl, unique } from "../helpers/api";
import { storeArchive } from "../helpers/ready-archive";

const FAST_RETRY = { max_attempts: 2, initial_delay: 5, max_delay: 5 };

async function newSubscriber(): Promise<string> {
  const created = await api("POST", "/v1/admin/subscribers", { name: "Acme", timezone: "UTC" });
  expect(created.status).toBe(201);
  return created.body.id;
}

/** An https_put target PUTting into a loopback sink mailbox of its own. */
async function putTarget(subscriberId: string, fields: Record<string, unknown> = {}) {
  const mailbox = unique("redeliver");
  const created = await api("POST", `/v1/admin/subscribers/${subscriberId}/archive-targets`, {
    type: "https_put",
    url: `${sinkUrl()}/hooks/${mailbox}/{filename}`,
    retry: FAST_RETRY,
    ...fields,
  });
  expect(created.status).toBe(201);
  return { id: created.body.id as string, mailbox };
}

/** An env whose files queue only records, so the first sends happen when the test says. */
function recordingEnv() {
  const queue = {
    send: async (_body: FilesMessage) => {},
    sendBatch: async (_messages: Array<{ body: FilesMessage }>) => {},
  };
  return { ...env, FILES_QUEUE: queue } as unknown as Env;
}

const row = async (id: string) => (await getFileDelivery(env.DB, id))!;
const putsTo = async (mailbox: string) => (await sinkRequests(mailbox)).filter((request) => request.method === "PUT");

/** A ready archive already sent once to each of the subscriber's targets (through the stage, to the sink). */
async function sentArchive(subscriberId: string) {
  const archive = await storeArchive(subscriberId, { period_start: "2026-11-21" });
  const recording = recordingEnv();
  const ids = await sendArchiveToTargets(recording, archive.id);
  const outcomes = await deliverFiles(recording, ids);
  for (const id of ids) expect(outcomes.get(id)).toBe("sent");
  return { archive, ids };
}

describe("POST /v1/admin/archives/{id}/deliver", () => {
  it("sends again to one target: its delivery back in line with a fresh budget; GET lists the deliveries", async () => {
    const subscriberId = await newSubscriber();
    const a = await putTarget(subscriberId);
    const b = await putTarget(subscriberId);
    const { archive, ids } = await sentArchive(subscriberId);

    const before = (await api("GET", `/v1/admin/archives/${archive.id}`)).body;
    expect(before.deliveries).toHaveLength(2);
    for (const delivery of before.deliveries) {
      expect(delivery).toMatchObject({
        id: expect.stringMatching(/^fdl_/),
        archive_id: archive.id,
        status: "sent",
        attempts: 1,
        last_error: null,
        job_id: null,
        sent_at: expect.any(String),
        file_name: "2026-11-21.zip",
      });
    }
    expect(before.deliveries.map((delivery: { target_id: string }) => delivery.target_id).sort()).toEqual(
      [a.id, b.id].sort(),
    );
    const ofA = before.deliveries.find((delivery: { target_id: string }) => delivery.target_id === a.id).id;

    const sent = await api("POST", `/v1/admin/archives/${archive.id}/deliver`, { target_id: a.id });
    expect(sent.status).toBe(202);
    expect(sent.body.archive_id).toBe(archive.id);
    expect(sent.body.deliveries).toHaveLength(1);
    expect(sent.body.deliveries[0]).toMatchObject({ id: ofA, target_id: a.id, status: "pending" });
    await eventually(async () => (await row(ofA)).status === "sent" && (await row(ofA)).attempts === 2);
    const again = await putsTo(a.mailbox);
    expect(again).toHaveLength(2);
    expect(again[1].sha256).toBe(archive.sha256);
    // A fresh budget: the retry counts from the attempts made before it.
    expect(await row(ofA)).toMatchObject({ budget_start: 1, attempts: 2 });
    // The other target was not sent to again.
    const ofB = ids.find((id) => id !== ofA)!;
    expect(await row(ofB)).toMatchObject({ status: "sent", attempts: 1 });
    expect(await putsTo(b.mailbox)).toHaveLength(1);
  });

  it("a dead delivery whose budget ran out is tried again from a fresh budget", async () => {
    const subscriberId = await newSubscriber();
    const target = await putTarget(subscriberId);
    await sinkConfigure(target.mailbox, { script: [{ status: 503 }, { status: 503 }] });
    const archive = await storeArchive(subscriberId, { period_start: "2026-11-22" });
    const recording = recordingEnv();
    const [id] = await sendArchiveToTargets(recording, archive.id);
    expect((await deliverFiles(recording, [id])).get(id)).toBe("retrying");
    expect((await deliverFiles(recording, [id], (await row(id)).next_attempt_at!)).get(id)).toBe("dead");

    const sent = await api("POST", `/v1/admin/archives/${archive.id}/deliver`, { target_id: target.id });
    expect(sent.status).toBe(202);
    await eventually(async () => (await row(id)).status === "sent");
    expect((await putsTo(target.mailbox)).map((request) => request.answered)).toEqual([503, 503, 200]);
    const listed = (await api("GET", `/v1/admin/archives/${archive.id}`)).body.deliveries;
    expect(listed).toEqual([expect.objectContaining({ id, status: "sent", attempts: 3, last_error: null })]);
  });

  it("sends to all enabled targets: a new target gets its first delivery, a disabled one none", async () => {
    const subscriberId = await newSubscriber();
    const old = await putTarget(subscriberId);
    const { archive, ids } = await sentArchive(subscriberId);
    // Created after the archive was ready, so the build never sent it there.
    const late = await putTarget(subscriberId);
    const off = await putTarget(subscriberId, { enabled: false });

    // No body at all means every enabled target.
    const sent = await api("POST", `/v1/admin/archives/${archive.id}/deliver`);
    expect(sent.status).toBe(202);
    const byTarget = new Map(
      sent.body.deliveries.map((delivery: { target_id: string; id: string }) => [delivery.target_id, delivery.id]),
    );
    expect([...byTarget.keys()].sort()).toEqual([old.id, late.id].sort());
    expect(byTarget.get(old.id)).toBe(ids[0]);
    const [put] = await eventually(async () => {
      const puts = await putsTo(late.mailbox);
      return puts.length ? puts : null;
    });
    expect(put.path).toBe(`/hooks/${late.mailbox}/2026-11-21.zip`);
    expect(put.sha256).toBe(archive.sha256);
    await eventually(async () => (await putsTo(old.mailbox)).length === 2);
    expect(await putsTo(off.mailbox)).toEqual([]);
    const listed = (await api("GET", `/v1/admin/archives/${archive.id}`)).body.deliveries;
    expect(listed.map((delivery: { target_id: string }) => delivery.target_id).sort()).toEqual(
      [old.id, late.id].sort(),
    );
  });

  it("another subscriber's target or an unknown archive is a 404; not ready, disabled or no target a 409", async () => {
    const subscriberId = await newSubscriber();
    const own = await putTarget(subscriberId);
    const off = await putTarget(subscriberId, { enabled: false });
    const other = await putTarget(await newSubscriber());
    const ready = await storeArchive(subscriberId, { period_start: "2026-11-23" });
    const deliver = (archiveId: string, body: Record<string, unknown>) =>
      api("POST", `/v1/admin/archives/${archiveId}/deliver`, body);

    const foreign = await deliver(ready.id, { target_id: other.id });
    expect(foreign.status).toBe(404);
    expect((await deliver(ready.id, { target_id: "atg_00000000000000000000000000" })).status).toBe(404);
    expect((await deliver("arc_00000000000000000000000000", {})).status).toBe(404);

    const building = await storeArchive(subscriberId, { period_start: "2026-11-24", status: "building" });
    const notReady = await deliver(building.id, { target_id: own.id });
    expect(notReady.status).toBe(409);
    expect(notReady.headers.get("content-type")).toMatch(/problem\+json/);
    expect(notReady.body.detail).toMatch(/building/);

    const disabled = await deliver(ready.id, { target_id: off.id });
    expect(disabled.status).toBe(409);
    expect(disabled.body.detail).toMatch(/disabled/);

    const lonely = await newSubscriber();
    const alone = await storeArchive(lonely, { period_start: "2026-11-23" });
    const none = await deliver(alone.id, {});
    expect(none.status).toBe(409);
    expect(none.body.detail).toMatch(/no enabled archive target/);
    // Nothing was recorded by any refused request.
    expect((await api("GET", `/v1/admin/archives/${ready.id}`)).body.deliveries).toEqual([]);
    expect((await api("GET", `/v1/admin/archives/${building.id}`)).body.deliveries).toEqual([]);
  });
});
