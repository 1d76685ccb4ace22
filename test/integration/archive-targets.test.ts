import { createExecutionContext, createMessageBatch, getQueueResult, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { jwtVerify } from "jose";
import { describe, expect, inject, it } from "vitest";
import { getFileDelivery } from "../../src/db/file-deliveries";
import type { FilesMessage } from "../../src/domain/messages";
import entry from "../../src/index";
import { deadLetter } from "../../src/jobs/dead-letters";
import { deliverFiles, sendArchiveToTargets } from "../../src/pipeline/file-deliver";
import { sweepDue } from "../../src/pipeline/sweep";
import {
  ADMIN_TOKEN,
  api,
  BASE,
  call,
  eventually,
  type RecordedRequest,
  sinkConfigure,
  sinkRequests,
  sinkUrl,
  unique,
} from "../helpers/api";
import { sha256Hex } from "../helpers/archive";
import type { ReceivedMail } from "../helpers/global-smtp";
import { oauth1Signature } from "../helpers/oauth1";
import { bytesOf, storeArchive } from "../helpers/ready-archive";
import { recordingEnv } from "../helpers/recording-env";

const worker = entry as Required<Pick<ExportedHandler<Env>, "queue">>;
const HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl";
const FAST_RETRY = { max_attempts: 3, initial_delay: 5, max_delay: 10 };

async function newSubscriber(): Promise<string> {
  const created = await api("POST", "/v1/admin/subscribers", { name: "Acme", timezone: "UTC" });
  expect(created.status).toBe(201);
  return created.body.id;
}

const targetsOf = (subscriberId: string) => `/v1/admin/subscribers/${subscriberId}/archive-targets`;

async function createTarget(subscriberId: string, body: Record<string, unknown>) {
  const created = await api("POST", targetsOf(subscriberId), body);
  if (created.status !== 201) throw new Error(`target setup failed: ${JSON.stringify(created.body)}`);
  return created.body;
}

/** An https_put target PUTting into a sink mailbox of its own. */
async function putTarget(subscriberId: string, fields: Record<string, unknown> = {}) {
  const mailbox = unique("files");
  const target = await createTarget(subscriberId, {
    type: "https_put",
    name: "Acme file drop",
    url: `${sinkUrl()}/hooks/${mailbox}/{filename}`,
    retry: FAST_RETRY,
    ...fields,
  });
  return { target, mailbox };
}

const row = async (id: string) => (await getFileDelivery(env.DB, id))!;
const header = (request: RecordedRequest, name: string) => String(request.headers[name] ?? "");

/** A ready archive of a new subscriber with one https_put target, its delivery recorded but not yet attempted. */
async function archiveFor(fields: Record<string, unknown> = {}, script?: Array<Record<string, unknown>>) {
  const subscriberId = await newSubscriber();
  const { target, mailbox } = await putTarget(subscriberId, fields);
  if (script) await sinkConfigure(mailbox, { script });
  const archive = await storeArchive(subscriberId, { period_start: "2026-11-21" });
  const recording = recordingEnv<FilesMessage>("FILES_QUEUE");
  const [id] = await sendArchiveToTargets(recording.env, archive.id);
  return { subscriberId, target, mailbox, archive, id, ...recording };
}

describe("archive targets: the admin API", () => {
  it("creates, reads, lists, changes and deletes an https_put target; credentials never read back", async () => {
    const subscriberId = await newSubscriber();
    const created = await api("POST", targetsOf(subscriberId), {
      type: "https_put",
      url: "https://files.acme.example/in/{filename}",
      headers: { "X-Tenant": "acme", "X-Api-Key": "header-secret" },
      auth: { type: "basic", username: "acme", password: "pa55-secret" },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      id: expect.stringMatching(/^atg_[0-9a-z]{26}$/),
      subscriber_id: subscriberId,
      type: "https_put",
      name: "https_put",
      environment: "production",
      enabled: true,
      url: "https://files.acme.example/in/{filename}",
      headers: { "X-Tenant": "acme", "X-Api-Key": "[redacted]" },
      auth: { type: "basic" },
      retry: { max_attempts: 10, initial_delay: 20, max_delay: 3600 },
      connect_timeout_ms: 60_000,
      transfer_timeout_ms: 300_000,
    });
    const id = created.body.id;
    const read = await api("GET", `${targetsOf(subscriberId)}/${id}`);
    expect(read.body).toEqual(created.body);
    expect(JSON.stringify(read.body)).not.toMatch(/pa55-secret|header-secret/);
    const list = await api("GET", targetsOf(subscriberId));
    expect(list.body.data.map((target: { id: string }) => target.id)).toEqual([id]);

    const patched = await api("PATCH", `${targetsOf(subscriberId)}/${id}`, {
      name: "Acme drop",
      enabled: false,
      retry: { max_attempts: 4 },
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({
      name: "Acme drop",
      enabled: false,
      auth: { type: "basic" },
      retry: { max_attempts: 4, initial_delay: 20, max_delay: 3600 },
    });
    expect((await api("DELETE", `${targetsOf(subscriberId)}/${id}`)).status).toBe(204);
    expect((await api("GET", `${targetsOf(subscriberId)}/${id}`)).status).toBe(404);
  });

  it("s3, sftp (url or fields) and email targets read back without their secrets", async () => {
    const subscriberId = await newSubscriber();
    const s3 = await createTarget(subscriberId, {
      type: "s3",
      name: "Warehouse QA",
      environment: "sandbox",
      endpoint: "https://s3.us-east-1.amazonaws.com",
      region: "us-east-1",
      bucket: "alumniq-imports",
      prefix: "qa/warehouse/",
      access_key_id: "AKIAEXAMPLE",
      secret_access_key: "s3-secret-value",
      // biome-ignore lint/suspicious/noThenProperty: CONTRACT §3 names the import trigger `then`; it is never a function, so nothing awaits it
      then: {
        url: "https://api.alumniq.example/webhook/events",
        auth: { type: "api_key", header: "X-Api-Key", value: "trigger-secret" },
        body: "{ 'filename': $filename, 'notifyWebhook': $callback_url }",
        job_id: "jobId",
      },
    });
    expect(s3).toMatchObject({
      environment: "sandbox",
      bucket: "alumniq-imports",
      prefix: "qa/warehouse/",
      access_key_id: "AKIAEXAMPLE",
      path_style: true,
      // biome-ignore lint/suspicious/noThenProperty: CONTRACT §3 names the import trigger `then`; it is never a function, so nothing awaits it
      then: { method: "POST", auth: { type: "api_key", header: "X-Api-Key" }, job_id: "jobId" },
    });
    expect(s3).not.toHaveProperty("secret_access_key");

    const byUrl = await createTarget(subscriberId, {
      type: "sftp",
      url: "sftp://night%40ly:p%3Ass%2Fw0rd@sftp.acme.example:2222/incoming/events",
      host_key: HOST_KEY,
    });
    expect(byUrl.url).toBe("sftp://night%40ly:***@sftp.acme.example:2222/incoming/events");
    expect(byUrl.login).toBe("password");
    const byFields = await createTarget(subscriberId, {
      type: "sftp",
      host: "sftp.acme.example",
      username: "acme",
      private_key: "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----",
      path: "/upload",
      host_key: HOST_KEY,
    });
    expect(byFields).toMatchObject({
      host: "sftp.acme.example",
      username: "acme",
      path: "/upload",
      login: "private_key",
    });
    const email = await createTarget(subscriberId, { type: "email", to: ["ops@acme.example"], subject: "Events" });
    expect(email).toMatchObject({ to: ["ops@acme.example"], subject: "Events" });

    const all = JSON.stringify((await api("GET", targetsOf(subscriberId))).body);
    expect(all).not.toMatch(/s3-secret-value|trigger-secret|p%3Ass|w0rd|OPENSSH|b3BlbnNz/);
  });

  it("refuses bad input with a 422 naming the field, and stores nothing", async () => {
    const subscriberId = await newSubscriber();
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ type: "ftp", url: "ftp://x" }, "/type"],
      [{ type: "https_put" }, "/url"],
      [{ type: "https_put", url: "https://files.example/in/fixed.zip" }, "/url"],
      [{ type: "https_put", url: "https://{filename}.example/in" }, "/url"],
      [{ type: "https_put", url: "https://files.example/{name}/{filename}" }, "/url"],
      [
        { type: "https_put", url: "https://f.example/{filename}", connect_timeout_ms: 9000, transfer_timeout_ms: 5000 },
        "/connect_timeout_ms",
      ],
      [{ type: "https_put", url: "https://f.example/{filename}", auth: { type: "basic" } }, "/auth/username"],
      [
        { type: "s3", endpoint: "https://s3.example", region: "us-east-1", access_key_id: "a", secret_access_key: "b" },
        "/bucket",
      ],
      [
        {
          type: "s3",
          endpoint: "https://s3.example",
          region: "us-east-1",
          bucket: "b-1",
          access_key_id: "a",
          secret_access_key: "b",
          // biome-ignore lint/suspicious/noThenProperty: CONTRACT §3 names the import trigger `then`; it is never a function, so nothing awaits it
          then: { url: "https://x.example/hook", body: "{ 'a': " },
        },
        "/then/body",
      ],
      [{ type: "sftp", url: "sftp://u:p@h.example/x", host_key: "ssh-rsa AAAAB3NzaC1yc2E" }, "/host_key"],
      [
        { type: "sftp", url: "sftp://u:p@h.example/x", host_key: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA==" },
        "/host_key",
      ],
      [{ type: "sftp", url: "sftp://u:p@h.example/x", host: "h.example", host_key: HOST_KEY }, "/host"],
      [{ type: "sftp", url: "https://h.example/x", host_key: HOST_KEY }, "/url"],
      [{ type: "sftp", host: "h.example", username: "u", host_key: HOST_KEY }, "/password"],
      [
        { type: "sftp", url: "sftp://u:p@h.example/x", private_key: "-----BEGIN PRIVATE KEY-----", host_key: HOST_KEY },
        "/private_key",
      ],
      [{ type: "sftp", username: "u", password: "p", host_key: HOST_KEY }, "/host"],
      [{ type: "email", to: [] }, "/to"],
      [{ type: "email", to: ["not an address"] }, "/to/0"],
      [{ type: "email", to: ["a@b.example"], subject: "two\nlines" }, "/subject"],
    ];
    for (const [body, path] of cases) {
      const res = await api("POST", targetsOf(subscriberId), body);
      expect(res.status, JSON.stringify(body)).toBe(422);
      expect(
        res.body.errors.map((error: { path: string }) => error.path),
        JSON.stringify(body),
      ).toContain(path);
    }
    expect((await api("GET", targetsOf(subscriberId))).body.data).toEqual([]);
  });

  it("another subscriber's target, or an unknown subscriber, is a 404", async () => {
    const owner = await newSubscriber();
    const other = await newSubscriber();
    const { target } = await putTarget(owner);
    const foreign = `${targetsOf(other)}/${target.id}`;
    expect((await api("GET", foreign)).status).toBe(404);
    expect((await api("PATCH", foreign, { name: "mine now" })).status).toBe(404);
    expect((await api("DELETE", foreign)).status).toBe(404);
    expect((await api("POST", `${foreign}/test`)).status).toBe(404);
    expect((await api("GET", `${foreign}/deliveries`)).status).toBe(404);
    const nobody = "sub_00000000000000000000000000";
    expect((await api("GET", targetsOf(nobody))).status).toBe(404);
    expect((await api("POST", targetsOf(nobody), { type: "email", to: ["a@b.example"] })).status).toBe(404);
    expect((await api("GET", `${targetsOf(owner)}/${target.id}`)).status).toBe(200);
  });

  it("a PATCH keeps stored credentials unless replaced, and never lets them follow the target elsewhere", async () => {
    const subscriberId = await newSubscriber();
    const { target, mailbox } = await putTarget(subscriberId, {
      auth: { type: "bearer", token: "kept-token" },
    });
    const path = `${targetsOf(subscriberId)}/${target.id}`;
    expect((await api("PATCH", path, { headers: { "X-Tenant": "acme" } })).status).toBe(200);
    const moved = await api("PATCH", path, { url: "https://elsewhere.example/{filename}" });
    expect(moved.status).toBe(422);
    expect(moved.body.errors[0].path).toBe("/auth");
    expect((await api("PATCH", path, { type: "s3" })).body.errors[0].path).toBe("/type");

    const archive = await storeArchive(subscriberId, { period_start: "2026-11-22" });
    const recording = recordingEnv<FilesMessage>("FILES_QUEUE");
    const [id] = await sendArchiveToTargets(recording.env, archive.id);
    expect((await deliverFiles(recording.env, [id])).get(id)).toBe("sent");
    const [put] = await sinkRequests(mailbox);
    expect(header(put, "authorization")).toBe("Bearer kept-token");
    expect(header(put, "x-tenant")).toBe("acme");

    const sftp = await createTarget(subscriberId, {
      type: "sftp",
      url: "sftp://acme:secret@sftp.acme.example/in",
      host_key: HOST_KEY,
    });
    const sftpPath = `${targetsOf(subscriberId)}/${sftp.id}`;
    const renamed = await api("PATCH", sftpPath, { name: "nightly" });
    expect(renamed.body).toMatchObject({ name: "nightly", url: "sftp://acme:***@sftp.acme.example/in" });
    const rehosted = await api("PATCH", sftpPath, { url: "sftp://acme@other.example/in" });
    expect(rehosted.status).toBe(422);
    expect(rehosted.body.errors.map((error: { path: string }) => error.path)).toContain("/password");
    const withPassword = await api("PATCH", sftpPath, { url: "sftp://acme:n3w@other.example/in" });
    expect(withPassword.body.url).toBe("sftp://acme:***@other.example/in");
  });
});

describe("https_put file deliveries", () => {
  it("a ready archive gets one delivery per enabled target; the zip arrives whole, with its length", async () => {
    const subscriberId = await newSubscriber();
    const on = await putTarget(subscriberId);
    const off = await putTarget(subscriberId, { enabled: false });
    const archive = await storeArchive(subscriberId, { period_start: "2026-11-21", size: 300_000 });
    const recording = recordingEnv<FilesMessage>("FILES_QUEUE");
    const ids = await sendArchiveToTargets(recording.env, archive.id);
    expect(ids).toHaveLength(1);
    expect(recording.sent.map((message) => message.body)).toEqual([{ kind: "file_deliveries", ids }]);
    // Recorded once, however often the build job or the sweeper asks.
    expect(await sendArchiveToTargets(recording.env, archive.id)).toEqual([]);

    expect((await deliverFiles(recording.env, ids)).get(ids[0])).toBe("sent");
    const [put] = await sinkRequests(on.mailbox);
    expect(put.method).toBe("PUT");
    expect(put.path).toBe(`/hooks/${on.mailbox}/2026-11-21.zip`);
    expect(put.sha256).toBe(archive.sha256);
    expect(put.size).toBe(archive.zip.length);
    expect(header(put, "content-length")).toBe(String(archive.zip.length));
    expect(header(put, "content-type")).toBe("application/zip");
    expect(header(put, "user-agent")).toMatch(/^syndic\//);
    expect(await row(ids[0])).toMatchObject({
      status: "sent",
      attempts: 1,
      target_id: on.target.id,
      archive_id: archive.id,
      file_name: "2026-11-21.zip",
      last_status_code: 200,
      bytes: archive.zip.length,
      remote: `${sinkUrl()}/hooks/${on.mailbox}/2026-11-21.zip`,
    });
    // A duplicate message finds it sent and sends nothing.
    expect((await deliverFiles(recording.env, ids)).get(ids[0])).toBe("skipped");
    expect(await sinkRequests(on.mailbox)).toHaveLength(1);

    expect(await sinkRequests(off.mailbox)).toEqual([]);
    const offDeliveries = await api("GET", `${targetsOf(subscriberId)}/${off.target.id}/deliveries`);
    expect(offDeliveries.body.data).toEqual([]);
    const onDeliveries = await api("GET", `${targetsOf(subscriberId)}/${on.target.id}/deliveries?status=sent`);
    expect(onDeliveries.body.data).toMatchObject([
      { id: ids[0], status: "sent", test: false, bytes: archive.zip.length },
    ]);
  });

  const authCases: Array<{
    name: string;
    auth: (tokbox: string) => Record<string, unknown>;
    check: (put: RecordedRequest, url: string) => Promise<void> | void;
  }> = [
    {
      name: "api_key header",
      auth: () => ({ type: "api_key", header: "X-Api-Key", value: "k-123" }),
      check: (put) => expect(header(put, "x-api-key")).toBe("k-123"),
    },
    {
      name: "api_key query",
      auth: () => ({ type: "api_key", query: "api_key", value: "q-456" }),
      check: (put) => expect(put.query.api_key).toBe("q-456"),
    },
    {
      name: "basic",
      auth: () => ({ type: "basic", username: "acme", password: "pä55:w" }),
      check: (put) => expect(header(put, "authorization")).toBe(`Basic ${btoa("acme:p\u00c3\u00a455:w")}`),
    },
    {
      name: "bearer",
      auth: () => ({ type: "bearer", token: "tok-789" }),
      check: (put) => expect(header(put, "authorization")).toBe("Bearer tok-789"),
    },
    {
      name: "oauth2 client credentials",
      auth: (tokbox) => ({
        type: "oauth2",
        token_url: `${sinkUrl()}/hooks/${tokbox}`,
        client_id: "syndic",
        client_secret: "client-secret",
      }),
      check: (put) => expect(put.authorized).toBe(true),
    },
    {
      name: "jwt",
      auth: () => ({ type: "jwt", algorithm: "HS256", key: "jwt-signing-key", claims: { iss: "syndic" }, ttl: 60 }),
      check: async (put) => {
        const token = /^Bearer (.+)$/.exec(header(put, "authorization"))![1];
        const { payload } = await jwtVerify(token, new TextEncoder().encode("jwt-signing-key"), { issuer: "syndic" });
        expect(payload.exp).toBe(payload.iat! + 60);
      },
    },
    {
      name: "oauth1",
      auth: () => ({
        type: "oauth1",
        consumer_key: "ck",
        consumer_secret: "cs/1",
        token: "tk",
        token_secret: "ts",
        signature_method: "HMAC-SHA256",
      }),
      check: async (put, url) => {
        const { oauth, expected } = await oauth1Signature("PUT", url, header(put, "authorization"), "cs/1", "ts");
        expect(oauth.oauth_signature).toBe(expected);
      },
    },
  ];

  for (const { name, auth, check } of authCases) {
    it(`PUTs with ${name} auth`, async () => {
      const tokbox = unique("tok");
      await sinkConfigure(tokbox, { issueTokens: { expiresIn: 3600 } });
      const { id, mailbox, env: recording } = await archiveFor({ auth: auth(tokbox) });
      if (name.startsWith("oauth2")) await sinkConfigure(mailbox, { acceptTokensFrom: tokbox });
      expect((await deliverFiles(recording, [id])).get(id)).toBe("sent");
      const [put] = await sinkRequests(mailbox);
      await check(put, `${sinkUrl()}/hooks/${mailbox}/2026-11-21.zip`);
      // Where the file went is recorded without the credential.
      expect((await row(id)).remote).toBe(`${sinkUrl()}/hooks/${mailbox}/2026-11-21.zip`);
    });
  }

  it("retries 5xx on the target's schedule, honouring Retry-After, until it is sent", async () => {
    const {
      id,
      mailbox,
      env: recording,
      sent,
    } = await archiveFor({}, [{ status: 503 }, { status: 500, headers: { "retry-after": "7" } }]);
    expect((await deliverFiles(recording, [id])).get(id)).toBe("retrying");
    const first = await row(id);
    expect(first).toMatchObject({
      status: "retrying",
      attempts: 1,
      last_status_code: 503,
      last_error: 'HTTP 503: {"ok":true}',
    });
    // initial_delay · 2^0, jittered ±20%
    const delays = sent.slice(1).map((message) => message.delaySeconds);
    expect(delays[0]).toBeGreaterThanOrEqual(4);
    expect(delays[0]).toBeLessThanOrEqual(6);
    expect(sent[1].body).toEqual({ kind: "file_deliveries", ids: [id] });

    // The message arriving early (a stray duplicate) does nothing.
    expect((await deliverFiles(recording, [id])).get(id)).toBe("skipped");
    expect(await sinkRequests(mailbox)).toHaveLength(1);

    expect((await deliverFiles(recording, [id], first.next_attempt_at!)).get(id)).toBe("retrying");
    expect(sent[2].delaySeconds).toBe(7);
    const second = await row(id);
    expect((await deliverFiles(recording, [id], second.next_attempt_at!)).get(id)).toBe("sent");
    expect((await sinkRequests(mailbox)).map((request) => request.answered)).toEqual([503, 500, 200]);
    expect(await row(id)).toMatchObject({ status: "sent", attempts: 3, last_status_code: 200, last_error: null });
  });

  it("gives up after max_attempts, and a manual retry starts a fresh budget", async () => {
    const {
      id,
      mailbox,
      env: recording,
    } = await archiveFor({ retry: { max_attempts: 2, initial_delay: 5, max_delay: 5 } }, [
      { status: 502 },
      { status: 502 },
    ]);
    expect((await deliverFiles(recording, [id])).get(id)).toBe("retrying");
    expect((await deliverFiles(recording, [id], (await row(id)).next_attempt_at!)).get(id)).toBe("dead");
    expect(await row(id)).toMatchObject({ status: "dead", attempts: 2, last_status_code: 502 });

    const retried = await api("POST", `/v1/admin/file-deliveries/${id}/retry`);
    expect(retried.status).toBe(202);
    expect(retried.body).toMatchObject({ id, status: "pending" });
    await eventually(async () => (await row(id)).status === "sent");
    expect((await sinkRequests(mailbox)).map((request) => request.answered)).toEqual([502, 502, 200]);
    expect((await api("POST", "/v1/admin/file-deliveries/fdl_00000000000000000000000000/retry")).status).toBe(404);
  });

  it("an archive the relay builds goes to the target by itself: build job, files queue, PUT", async () => {
    const subscriberId = await newSubscriber();
    const { mailbox } = await putTarget(subscriberId);
    const day = new Date(Date.now() - 3 * 86_400_000).toISOString().slice(0, 10);
    const built = await api("POST", "/v1/admin/archives", {
      subscriber_id: subscriberId,
      period_start: day,
      period_end: day,
    });
    expect(built.status).toBe(202);
    const [put] = await eventually(async () => {
      const requests = await sinkRequests(mailbox);
      return requests.length ? requests : null;
    }, 30_000);
    const archive = (await api("GET", `/v1/admin/archives/${built.body.id}`)).body;
    expect(archive.status).toBe("ready");
    expect(put.path).toBe(`/hooks/${mailbox}/${day}.zip`);
    expect(put.sha256).toBe(archive.sha256);
    expect(put.size).toBe(archive.bytes);
  });

  it("a server that never answers times out, and the file is tried again", async () => {
    const {
      id,
      env: recording,
      sent,
    } = await archiveFor({ connect_timeout_ms: 1000, transfer_timeout_ms: 1000 }, [{ status: 200, delayMs: 3000 }]);
    expect((await deliverFiles(recording, [id])).get(id)).toBe("retrying");
    expect(await row(id)).toMatchObject({
      status: "retrying",
      last_status_code: null,
      last_error: "timed out after 1000 ms",
    });
    expect(sent).toHaveLength(2);
  });

  it("an OAuth 2 token the server stops accepting is fetched again, and the file sent again whole", async () => {
    const tokbox = unique("tok");
    await sinkConfigure(tokbox, { issueTokens: { expiresIn: 3600 } });
    const {
      id,
      mailbox,
      archive,
      env: recording,
    } = await archiveFor({
      auth: { type: "oauth2", token_url: `${sinkUrl()}/hooks/${tokbox}`, client_id: "c", client_secret: "s" },
    });
    await sinkConfigure(mailbox, { acceptTokensFrom: tokbox, script: [{ status: 401 }] });
    expect((await deliverFiles(recording, [id])).get(id)).toBe("sent");
    const puts = await sinkRequests(mailbox);
    expect(puts.map((put) => [put.answered, header(put, "authorization")])).toEqual([
      [401, `Bearer ${tokbox}-1`],
      [200, `Bearer ${tokbox}-2`],
    ]);
    expect(puts[1].sha256).toBe(archive.sha256);
  });

  it("a target disabled or deleted after its file was recorded ends the delivery dead, saying why", async () => {
    const disabled = await archiveFor();
    await api("PATCH", `${targetsOf(disabled.subscriberId)}/${disabled.target.id}`, { enabled: false });
    expect((await deliverFiles(disabled.env, [disabled.id])).get(disabled.id)).toBe("dead");
    expect(await row(disabled.id)).toMatchObject({ status: "dead", last_error: "the target is disabled" });
    const retried = await api("POST", `/v1/admin/file-deliveries/${disabled.id}/retry`);
    expect(retried.status).toBe(409);

    const deleted = await archiveFor();
    expect((await api("DELETE", `${targetsOf(deleted.subscriberId)}/${deleted.target.id}`)).status).toBe(204);
    expect((await deliverFiles(deleted.env, [deleted.id])).get(deleted.id)).toBe("dead");
    expect(await row(deleted.id)).toMatchObject({ status: "dead", last_error: "the target was deleted" });
    expect(await sinkRequests(disabled.mailbox)).toEqual([]);
    expect(await sinkRequests(deleted.mailbox)).toEqual([]);
  });

  it("a 4xx is dead at once, with the status and the answer", async () => {
    const {
      id,
      env: recording,
      sent,
    } = await archiveFor({}, [{ status: 403, body: '{"error":"bucket is read-only"}' }]);
    expect((await deliverFiles(recording, [id])).get(id)).toBe("dead");
    expect(await row(id)).toMatchObject({
      status: "dead",
      attempts: 1,
      last_status_code: 403,
      last_error: 'HTTP 403: {"error":"bucket is read-only"}',
    });
    expect(sent).toHaveLength(1);
  });

  it("the test endpoint sends a small test file named as such through the queue", async () => {
    const subscriberId = await newSubscriber();
    const { target, mailbox } = await putTarget(subscriberId, { enabled: false });
    const res = await api("POST", `${targetsOf(subscriberId)}/${target.id}/test`);
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({
      id: expect.stringMatching(/^fdl_/),
      target_id: target.id,
      archive_id: null,
      test: true,
      file_name: expect.stringMatching(/^syndic-test-\d{8}T\d{6}Z\.txt$/),
      status: "pending",
    });
    const done = await eventually(async () => {
      const delivery = await api("GET", `/v1/admin/file-deliveries/${res.body.id}`);
      return delivery.body.status === "sent" ? delivery.body : null;
    });
    const [put] = await sinkRequests(mailbox);
    expect(put.path).toBe(`/hooks/${mailbox}/${res.body.file_name}`);
    expect(put.body).toContain("This is a test file from Syndic");
    expect(put.body).toContain(target.id);
    expect(header(put, "content-type")).toBe("text/plain; charset=utf-8");
    expect(put.size).toBeGreaterThan(200);
    expect(put.size).toBeLessThan(1000);
    expect(done.bytes).toBe(put.size);
  });

  it("the files queue consumer runs a batch in one stage run and acks it", async () => {
    const first = await archiveFor();
    const second = await archiveFor();
    const batch = createMessageBatch<FilesMessage>("syndic-files", [
      { id: "f1", timestamp: new Date(), attempts: 1, body: { kind: "file_deliveries", ids: [first.id, second.id] } },
      { id: "f2", timestamp: new Date(), attempts: 1, body: { kind: "file_deliveries", ids: [first.id] } },
    ]);
    const ctx = createExecutionContext();
    await worker.queue(batch, env, ctx);
    expect((await getQueueResult(batch, ctx)).explicitAcks.sort()).toEqual(["f1", "f2"]);
    expect((await row(first.id)).status).toBe("sent");
    expect((await row(second.id)).status).toBe("sent");
    expect(await sinkRequests(first.mailbox)).toHaveLength(1);
  });

  it("a dead-lettered message marks its delivery dead with the reason, after trying packed ones alone", async () => {
    const { id } = await archiveFor();
    await deadLetter(env, "syndic-files-dlq", { kind: "file_deliveries", ids: [id] });
    expect(await row(id)).toMatchObject({
      status: "dead",
      last_error: "gave up after repeated errors in the syndic-files consumer",
    });
  });
});

describe("s3 and sftp targets through the stage", () => {
  /** A ready archive of a new subscriber with one target of the given settings, its delivery attempted once. */
  async function deliveredTo(fields: Record<string, unknown>, period: string) {
    const subscriberId = await newSubscriber();
    await createTarget(subscriberId, fields);
    const archive = await storeArchive(subscriberId, { period_start: period });
    const recording = recordingEnv<FilesMessage>("FILES_QUEUE");
    const [id] = await sendArchiveToTargets(recording.env, archive.id);
    const outcome = (await deliverFiles(recording.env, [id])).get(id);
    return { archive, outcome, delivery: await row(id) };
  }

  it("an s3 target gets the archive under its prefix", async () => {
    const s3 = inject("s3");
    const prefix = `${unique("stage")}/`;
    const { archive, outcome, delivery } = await deliveredTo(
      {
        type: "s3",
        endpoint: s3.endpoint,
        region: s3.region,
        bucket: s3.bucket,
        prefix,
        access_key_id: s3.accessKeyId,
        secret_access_key: s3.secretAccessKey,
      },
      "2026-10-05",
    );
    expect(outcome).toBe("sent");
    expect(delivery.remote).toBe(`${prefix}2026-10-05.zip`);
    const recorded: Array<{ method: string; url: string; bodySha256: string }> = await (
      await fetch(`${s3.endpoint}/__recorded`)
    ).json();
    const put = recorded.find((request) => request.url === `/${s3.bucket}/${prefix}2026-10-05.zip`);
    expect(put).toMatchObject({ method: "PUT", bodySha256: archive.sha256 });
  });

  it("an sftp target given by URL with percent-encoded credentials gets the archive; a wrong host key is dead", async () => {
    const sftp = inject("sftp");
    const { username, password } = sftp.users.password;
    const url = `sftp://${encodeURIComponent(username)}:${encodeURIComponent(password)}@${sftp.host}:${sftp.ports.main}/upload`;
    const { archive, outcome, delivery } = await deliveredTo(
      { type: "sftp", url, host_key: sftp.hostKey },
      "2026-10-06",
    );
    expect(outcome).toBe("sent");
    expect(delivery.remote).toMatch(/\/upload\/2026-10-06\.zip$/);
    const query = new URLSearchParams({ user: username, path: "/upload/2026-10-06.zip" });
    const arrived = await (await fetch(`${sftp.controlUrl}/file?${query}`)).json();
    expect(arrived).toMatchObject({ exists: true, size: archive.zip.length, sha256: archive.sha256 });

    const pinned = await deliveredTo({ type: "sftp", url, host_key: sftp.otherHostKey }, "2026-10-07");
    expect(pinned.outcome).toBe("dead");
    expect(pinned.delivery.last_error).toMatch(/host key/i);
    expect(pinned.delivery.last_error).not.toContain(password);
  });
});

describe("the sweeper and file deliveries", () => {
  it("re-rings a delivery whose message was lost, and records those of an archive the build job left", async () => {
    const lost = await archiveFor();
    const subscriberId = await newSubscriber();
    await putTarget(subscriberId);
    const left = await storeArchive(subscriberId, { period_start: "2026-11-23" });

    const sweeping = recordingEnv<FilesMessage>("FILES_QUEUE");
    await sweepDue(sweeping.env, Date.now() + 1000, { graceMs: 0 });
    const rung = sweeping.sent.flatMap((message) => message.body.ids);
    expect(rung).toContain(lost.id);
    const recovered = (await api("GET", `/v1/admin/subscribers/${subscriberId}/archive-targets`)).body.data[0];
    const [recorded] = (await api("GET", `${targetsOf(subscriberId)}/${recovered.id}/deliveries`)).body.data;
    expect(recorded).toMatchObject({ archive_id: left.id, status: "pending" });
    expect(rung).toContain(recorded.id);
    expect((await row(lost.id)).swept_at).not.toBeNull();

    // Not rung again while the doorbell may still be on its way.
    const again = recordingEnv<FilesMessage>("FILES_QUEUE");
    await sweepDue(again.env, Date.now() + 2000, { graceMs: 0 });
    expect(again.sent.flatMap((message) => message.body.ids)).not.toContain(lost.id);
  });
});

const smtp = inject("smtp");
const fetchWorker = entry as Required<Pick<ExportedHandler<Env>, "fetch">>;
const LINK_TTL_S = 3600;

/** recordingEnv with a mail transport (or anything else) bound as well. */
function mailingEnv(extra: Record<string, unknown>) {
  const recording = recordingEnv<FilesMessage>("FILES_QUEUE");
  return { ...recording, env: { ...recording.env, ...extra } as Env };
}

/** A subscriber with one email target to fresh addresses. */
async function emailTarget(fields: Record<string, unknown> = {}) {
  const subscriber = await api("POST", "/v1/admin/subscribers", {
    name: "Acme Learning",
    timezone: "UTC",
    archive: { link_ttl: LINK_TTL_S },
  });
  expect(subscriber.status).toBe(201);
  const to = [`${unique("ops")}@acme.example`, `${unique("data")}@acme.example`];
  const target = await createTarget(subscriber.body.id, {
    type: "email",
    name: "Acme archive mail",
    to,
    retry: FAST_RETRY,
    ...fields,
  });
  return { subscriberId: subscriber.body.id as string, target, to };
}

/** A ready archive with an email target, its delivery recorded but not yet attempted. */
async function emailedArchive(fields: Record<string, unknown> = {}) {
  const { subscriberId, target, to } = await emailTarget(fields);
  const archive = await storeArchive(subscriberId, { period_start: "2026-11-16", period_end: "2026-11-22" });
  const [id] = await sendArchiveToTargets(recordingEnv<FilesMessage>("FILES_QUEUE").env, archive.id);
  return { subscriberId, target, to, archive, id };
}

async function mailboxFor(address: string): Promise<ReceivedMail[]> {
  const all = await (await fetch(`${smtp.mailbox}/messages`)).json<ReceivedMail[]>();
  return all.filter((mail) => mail.envelope.to.includes(address));
}

const mailsTo = (address: string) =>
  eventually(async () => {
    const mails = await mailboxFor(address);
    return mails.length ? mails : null;
  }, 10_000);

describe("email targets through the stage", () => {
  it("emails the archive's link and facts to the target's addresses; the link downloads the same zip", async () => {
    const { archive, id, to } = await emailedArchive({ subject: "Acme weekly events" });
    const recording = mailingEnv({ SMTP_URL: smtp.authUrl });
    const claimedAt = Date.now();
    expect((await deliverFiles(recording.env, [id])).get(id)).toBe("sent");
    expect(await row(id)).toMatchObject({
      status: "sent",
      attempts: 1,
      remote: `mailto:${to.join(",")}`,
      // The link went, not the file.
      bytes: null,
      last_error: null,
    });
    expect((await row(id)).remote).not.toContain(smtp.password);

    const mails = await mailsTo(to[0]);
    expect(mails).toHaveLength(1);
    const [mail] = mails;
    expect(mail.envelope).toEqual({ from: "syndic@localhost", to });
    expect(mail.user).toBe(smtp.user);
    expect(mail.subject).toBe("Acme weekly events");
    for (const body of [mail.text, mail.html]) {
      expect(body).toContain("2026-11-16_2026-11-22.zip");
      expect(body).toContain("2026-11-16 to 2026-11-22 (UTC)");
      expect(body).toContain(archive.zip.length.toLocaleString("en-US"));
      expect(body).toContain(archive.sha256);
    }
    expect(mail.text).toMatch(/Events:\s+1\r?\n/);

    const link = mail.text.split(/\r?\n/).find((line) => line.includes("/v1/links/"));
    expect(link).toMatch(/^http:\/\/127\.0\.0\.1:8787\/v1\/links\/[\w-]+\.[\w-]+\.[\w-]+$/);
    // The expiry stated is the subscriber's link TTL from the attempt.
    const expires = /Link expires:\s+(\S+)/.exec(mail.text)![1];
    expect(Date.parse(expires) - claimedAt).toBeGreaterThan((LINK_TTL_S - 5) * 1000);
    expect(Date.parse(expires) - claimedAt).toBeLessThan((LINK_TTL_S + 5) * 1000);

    const download = await call("GET", new URL(link!).pathname, undefined, "");
    expect(download.status).toBe(200);
    expect(await sha256Hex(await bytesOf(download))).toBe(archive.sha256);
  });

  it("the test endpoint sends a short test email saying so, with no link", async () => {
    const { subscriberId, target, to } = await emailTarget({ enabled: false });
    const recording = mailingEnv({ SMTP_URL: smtp.plainUrl });
    const ctx = createExecutionContext();
    const res = await fetchWorker.fetch(
      new Request(`${BASE}${targetsOf(subscriberId)}/${target.id}/test`, {
        method: "POST",
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      }),
      recording.env,
      ctx,
    );
    await waitOnExecutionContext(ctx);
    expect(res.status).toBe(202);
    const { id } = await res.json<{ id: string }>();
    expect(recording.sent.map((message) => message.body)).toEqual([{ kind: "file_deliveries", ids: [id] }]);

    expect((await deliverFiles(recording.env, [id])).get(id)).toBe("sent");
    const [mail] = await mailsTo(to[1]);
    expect(mail.envelope.to).toEqual(to);
    expect(mail.subject).toBe("[Test] Events archives for Acme Learning");
    expect(mail.text).toContain("This is a test message from Syndic");
    expect(mail.text).toContain(target.id);
    expect(mail.text).toContain(id);
    expect(mail.text).not.toContain("/v1/links/");
    expect(mail.html).toContain("test message");
    expect(await row(id)).toMatchObject({ status: "sent", test: 1, remote: `mailto:${to.join(",")}` });
  });

  it("goes through the send_email binding when one is bound", async () => {
    const { id, to } = await emailedArchive();
    const handed: Array<Record<string, unknown>> = [];
    const binding = {
      async send(message: Record<string, unknown>) {
        handed.push(message);
        return { messageId: "<binding@acme.example>" };
      },
    };
    // The binding wins over SMTP_URL: nothing reaches the SMTP server.
    const recording = mailingEnv({ EMAIL: binding, SMTP_URL: smtp.authUrl });
    expect((await deliverFiles(recording.env, [id])).get(id)).toBe("sent");
    expect(handed).toHaveLength(1);
    expect(handed[0]).toMatchObject({ from: { name: "Syndic", email: "syndic@localhost" }, to });
    expect(String(handed[0].text)).toContain("/v1/links/");
    expect(await mailboxFor(to[0])).toEqual([]);
  });

  it("a refused SMTP password is dead at once, naming the step and not the password", async () => {
    const { id, to } = await emailedArchive();
    const host = new URL(smtp.authUrl.replace("smtp:", "http:")).host;
    const recording = mailingEnv({ SMTP_URL: `smtp://${smtp.user}:wrong-s3cret@${host}` });
    expect((await deliverFiles(recording.env, [id])).get(id)).toBe("dead");
    const delivery = await row(id);
    expect(delivery).toMatchObject({ status: "dead", attempts: 1 });
    expect(delivery.last_error).toMatch(/login/i);
    expect(delivery.last_error).toContain("535");
    expect(delivery.last_error).not.toContain("wrong-s3cret");
    expect(recording.sent).toEqual([]);
    expect(await mailboxFor(to[0])).toEqual([]);
  });

  it("a mail server that is down is tried again on the target's schedule", async () => {
    const { id } = await emailedArchive();
    const recording = mailingEnv({ SMTP_URL: smtp.closedUrl });
    expect((await deliverFiles(recording.env, [id])).get(id)).toBe("retrying");
    const delivery = await row(id);
    expect(delivery).toMatchObject({ status: "retrying", attempts: 1, last_status_code: null });
    expect(delivery.last_error).toMatch(/connect/i);
    expect(recording.sent).toHaveLength(1);
    expect(recording.sent[0].body).toEqual({ kind: "file_deliveries", ids: [id] });
    expect(recording.sent[0].delaySeconds).toBeGreaterThanOrEqual(4);
    expect(recording.sent[0].delaySeconds).toBeLessThanOrEqual(6);
  });

  it("with no mail transport configured the delivery is dead, saying what to set", async () => {
    const { id } = await emailedArchive();
    const recording = recordingEnv<FilesMessage>("FILES_QUEUE");
    expect((await deliverFiles(recording.env, [id])).get(id)).toBe("dead");
    expect(await row(id)).toMatchObject({
      status: "dead",
      attempts: 1,
      last_error: "no mail transport configured (set SMTP_URL or bind EMAIL)",
    });
    expect(recording.sent).toEqual([]);
  });
});
