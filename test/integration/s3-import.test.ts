import { env } from "cloudflare:workers";
import { describe, expect, inject, it } from "vitest";
import { getFileDelivery } from "../../src/db/file-deliveries";
import type { FilesMessage } from "../../src/domain/messages";
import { deliverFiles, sendArchiveToTargets } from "../../src/pipeline/file-deliver";
import { sweepDue } from "../../src/pipeline/sweep";
import { api, call, sinkConfigure, sinkRequests, sinkUrl, unique } from "../helpers/api";
import { storeArchive } from "../helpers/ready-archive";
import { recordingEnv } from "../helpers/recording-env";
import { loopbackS3Target } from "../helpers/s3-target";

/**
 * An s3 target with an import trigger, AlumnIQ's way (../shared/reference): the file goes into the bucket, the
 * platform's import webhook is called with the file name, its API key in the body and the callback URL, its answer's
 * jobId is kept, and the callback's SUCCESS or FAILED settles the delivery.
 */

const s3 = inject("s3");
const FAST_RETRY = { max_attempts: 2, initial_delay: 5, max_delay: 10 };
const ALUMNIQ_BODY = '{"apiKey": $secrets.apiKey, "filename": $filename, "notifyWebhook": $callback_url}';
const JOB = "F6494FE4-8642-4F2E-A87DF336916CC246";
const row = async (id: string) => (await getFileDelivery(env.DB, id))!;

async function importTarget(then: Record<string, unknown> = {}, fields: Record<string, unknown> = {}) {
  const subscriber = await api("POST", "/v1/admin/subscribers", { name: "Alumni Office", timezone: "UTC" });
  const mailbox = unique("alumniq");
  const created = await api("POST", `/v1/admin/subscribers/${subscriber.body.id}/archive-targets`, {
    ...loopbackS3Target("qa"),
    name: "AlumnIQ QA warehouse",
    environment: "sandbox",
    retry: FAST_RETRY,
    // biome-ignore lint/suspicious/noThenProperty: CONTRACT §3 names the import trigger `then`; it is never a function
    then: {
      url: `${sinkUrl()}/hooks/${mailbox}/api/v1/index.cfm/webhook/warehouse`,
      body: ALUMNIQ_BODY,
      secrets: { apiKey: "aiq-key-secret" },
      callback_timeout_s: 600,
      ...then,
    },
    ...fields,
  });
  if (created.status !== 201) throw new Error(`target setup failed: ${JSON.stringify(created.body)}`);
  return { subscriberId: subscriber.body.id as string, target: created.body, mailbox };
}

/** A ready archive for the target's subscriber, its delivery attempted once (the trigger answering as scripted). */
async function delivered(script: Array<Record<string, unknown>>, then: Record<string, unknown> = {}) {
  const setup = await importTarget(then);
  await sinkConfigure(setup.mailbox, { script });
  const archive = await storeArchive(setup.subscriberId, { period_start: "2026-11-21" });
  const recording = recordingEnv<FilesMessage>("FILES_QUEUE");
  const [id] = await sendArchiveToTargets(recording.env, archive.id);
  const outcome = (await deliverFiles(recording.env, [id])).get(id);
  return { ...setup, archive, id, outcome, recording };
}

const callbackPath = (url: string) => new URL(url).pathname;
const report = (path: string, body: unknown) => api("POST", path, body, "");

describe("s3 import trigger", () => {
  it("shows the callback URL once, and never the trigger's secrets", async () => {
    const { subscriberId, target } = await importTarget();
    expect(target.callback_url).toMatch(/^http:\/\/127\.0\.0\.1:8787\/v1\/callbacks\/cbk_[A-Za-z0-9_-]{40,}$/);
    expect(target.then).toMatchObject({ body: ALUMNIQ_BODY, job_id: "jobId", secrets: { apiKey: "***" } });
    const read = await api("GET", `/v1/admin/subscribers/${subscriberId}/archive-targets/${target.id}`);
    expect(read.body).not.toHaveProperty("callback_url");
    expect(JSON.stringify(read.body)).not.toMatch(/aiq-key-secret|cbk_/);
    // A PATCH keeps the secrets and the callback URL it already has.
    const patched = await api("PATCH", `/v1/admin/subscribers/${subscriberId}/archive-targets/${target.id}`, {
      // biome-ignore lint/suspicious/noThenProperty: CONTRACT §3 names the import trigger `then`; it is never a function
      then: { callback_timeout_s: 900 },
    });
    expect(patched.status).toBe(200);
    expect(patched.body).not.toHaveProperty("callback_url");
    expect(patched.body.then).toMatchObject({ callback_timeout_s: 900, secrets: { apiKey: "***" } });
  });

  it("uploads, calls the trigger with the configured body, and a SUCCESS callback confirms", async () => {
    const run = await delivered([{ status: 200, body: JSON.stringify({ jobId: JOB, job: "warehouse" }) }], {
      auth: { type: "bearer", token: "trigger-bearer-secret" },
      headers: { "X-Tenant": "alumni" },
    });
    expect(run.outcome).toBe("sent");
    const sent = await row(run.id);
    expect(sent).toMatchObject({ status: "sent", job_id: JOB, last_status_code: 200 });
    expect(sent.remote).toBe(`${run.target.prefix}2026-11-21.zip`);
    expect(sent.callback_due_at! - sent.sent_at!).toBe(600_000);

    const recorded: Array<{ method: string; url: string; bodySha256: string }> = await (
      await fetch(`${s3.endpoint}/__recorded`)
    ).json();
    expect(recorded.find((request) => request.url === `/${s3.bucket}/${sent.remote}`)).toMatchObject({
      method: "PUT",
      bodySha256: run.archive.sha256,
    });
    const [trigger] = await sinkRequests(run.mailbox);
    expect(trigger.method).toBe("POST");
    expect(trigger.path).toBe(`/hooks/${run.mailbox}/api/v1/index.cfm/webhook/warehouse`);
    expect(trigger.headers).toMatchObject({
      authorization: "Bearer trigger-bearer-secret",
      "x-tenant": "alumni",
      "content-type": "application/json",
    });
    expect(JSON.parse(trigger.body)).toEqual({
      apiKey: "aiq-key-secret",
      filename: "2026-11-21.zip",
      notifyWebhook: run.target.callback_url,
    });

    const path = callbackPath(run.target.callback_url);
    const done = await report(path, { jobId: JOB, status: "SUCCESS", errors: null, executionCompleted: true });
    expect(done.status).toBe(204);
    expect(await row(run.id)).toMatchObject({ status: "confirmed", callback_due_at: null });
    // Said twice: nothing changes.
    expect((await report(path, { jobId: JOB, status: "SUCCESS" })).status).toBe(204);
    const listed = await api("GET", `/v1/admin/file-deliveries/${run.id}`);
    expect(listed.body).toMatchObject({ status: "confirmed", job_id: JOB });
  });

  it("a FAILED callback sends the file and trigger again on the policy, then ends failed", async () => {
    const run = await delivered([
      { status: 200, body: '{"jobId": "job-1"}' },
      { status: 200, body: '{"jobId": "job-2"}' },
    ]);
    const path = callbackPath(run.target.callback_url);
    const failed = await report(path, {
      jobId: "job-1",
      status: "FAILED",
      errors: ["Error message 1", "Error message 2"],
      executionCompleted: false,
    });
    expect(failed.status).toBe(204);
    const retrying = await row(run.id);
    expect(retrying.status).toBe("retrying");
    expect(retrying.last_error).toBe("import job job-1 failed: Error message 1; Error message 2");
    expect(retrying.next_attempt_at! - Date.now()).toBeGreaterThan(3000);

    const second = (await deliverFiles(run.recording.env, [run.id], retrying.next_attempt_at!)).get(run.id);
    expect(second).toBe("sent");
    expect(await row(run.id)).toMatchObject({ status: "sent", job_id: "job-2", attempts: 2 });
    expect(await sinkRequests(run.mailbox)).toHaveLength(2);
    // The delivery waits for job-2 now: a report on the job it replaced finds nothing.
    expect((await report(path, { jobId: "job-1", status: "SUCCESS" })).status).toBe(404);
    expect((await row(run.id)).status).toBe("sent");

    expect((await report(path, { jobId: "job-2", status: "failed", errors: "disk full" })).status).toBe(204);
    expect(await row(run.id)).toMatchObject({
      status: "failed",
      last_error: "import job job-2 failed: disk full",
      next_attempt_at: null,
    });
  });

  it("an unknown job is a 404, a forged token a 401, a bad report a 422 naming the field", async () => {
    const run = await delivered([{ status: 200, body: '{"jobId": 4711}' }]);
    expect((await row(run.id)).job_id).toBe("4711");
    const path = callbackPath(run.target.callback_url);
    const unknown = await report(path, { jobId: "nobody-started-this", status: "SUCCESS" });
    expect(unknown.status).toBe(404);
    expect(unknown.body.detail).toContain("nobody-started-this");

    const forged = `${path.slice(0, -4)}AAAA`;
    expect((await report(forged, { jobId: "4711", status: "SUCCESS" })).status).toBe(401);
    expect((await report("/v1/callbacks/cbk_forged", "not json")).status).toBe(401);
    expect((await report(`/v1/callbacks/${"x".repeat(500)}`, {})).status).toBe(401);

    const bad = await report(path, { jobId: 4711, status: "MAYBE" });
    expect(bad.status).toBe(422);
    expect(bad.body.errors).toEqual([{ path: "/status", message: "must be SUCCESS or FAILED" }]);
    const missing = await report(path, { status: "SUCCESS" });
    expect(missing.body.errors[0].path).toBe("/jobId");
    const res = await call("POST", path, "{not json", "");
    expect(res.status).toBe(400);
    expect((await row(run.id)).status).toBe("sent");
    // By number, as the trigger's answer gave it.
    expect((await report(path, { jobId: 4711, status: "SUCCESS" })).status).toBe(204);
    expect((await row(run.id)).status).toBe("confirmed");
  });

  it("no callback in time: unconfirmed, the heartbeat is told, and a late SUCCESS still confirms", async () => {
    const run = await delivered([{ status: 200, body: '{"jobId": "slow-job"}' }]);
    const heartbeat = unique("heartbeat");
    const watched = { ...run.recording.env, HEARTBEAT_URL: `${sinkUrl()}/hooks/${heartbeat}` } as Env;
    const sent = await row(run.id);

    await sweepDue(watched, sent.callback_due_at! - 1000, { graceMs: 0 });
    expect((await row(run.id)).status).toBe("sent");
    expect(await sinkRequests(heartbeat)).toEqual([]);

    await sweepDue(watched, sent.callback_due_at! + 1000, { graceMs: 0 });
    const overdue = await row(run.id);
    expect(overdue.status).toBe("unconfirmed");
    expect(overdue.last_error).toMatch(/^no import callback came by \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const pings = await sinkRequests(heartbeat);
    expect(pings).toHaveLength(1);
    expect(pings[0]).toMatchObject({ method: "POST", path: `/hooks/${heartbeat}/fail` });
    expect(pings[0].body).toContain(run.id);
    expect(pings[0].body).toContain("slow-job");
    // Swept again: already unconfirmed, so no second alarm.
    await sweepDue(watched, sent.callback_due_at! + 2000, { graceMs: 0 });
    expect(await sinkRequests(heartbeat)).toHaveLength(1);

    const late = await report(callbackPath(run.target.callback_url), { jobId: "slow-job", status: "SUCCESS" });
    expect(late.status).toBe(204);
    expect((await row(run.id)).status).toBe("confirmed");
  });

  it("a trigger answered 400 is dead with its errors; 503 is retried; an answer without a job id is dead", async () => {
    const refused = await delivered([{ status: 400, body: '{"errors": ["Invalid Job Name: warehouse"]}' }]);
    expect(refused.outcome).toBe("dead");
    const dead = await row(refused.id);
    expect(dead.last_error).toBe('the import trigger answered HTTP 400: {"errors": ["Invalid Job Name: warehouse"]}');
    expect(dead.last_status_code).toBe(400);
    // The file did reach the bucket: the delivery says where.
    expect(dead.remote).toBe(`${refused.target.prefix}2026-11-21.zip`);

    const busy = await delivered([{ status: 503 }]);
    expect(busy.outcome).toBe("retrying");
    expect(busy.recording.sent.at(-1)).toMatchObject({ body: { ids: [busy.id] } });

    const nameless = await delivered([{ status: 200, body: '{"queued": true}' }]);
    expect(nameless.outcome).toBe("dead");
    expect((await row(nameless.id)).last_error).toMatch(
      /^the import trigger's answer has no job id \(jobId gave nothing\)/,
    );

    const custom = await delivered([{ status: 200, body: '{"job": {"id": "nested-7"}}' }], { job_id: "job.id" });
    expect(custom.outcome).toBe("sent");
    expect((await row(custom.id)).job_id).toBe("nested-7");
  });

  it("a test file is uploaded but never imported", async () => {
    const { subscriberId, target, mailbox } = await importTarget();
    const tested = await api("POST", `/v1/admin/subscribers/${subscriberId}/archive-targets/${target.id}/test`);
    expect(tested.status).toBe(202);
    const recording = recordingEnv<FilesMessage>("FILES_QUEUE");
    expect((await deliverFiles(recording.env, [tested.body.id])).get(tested.body.id)).toBe("sent");
    expect((await row(tested.body.id)).job_id).toBeNull();
    expect(await sinkRequests(mailbox)).toEqual([]);
  });
});
