import { CloudEvent, HTTP } from "cloudevents";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { signInbound } from "../../src/auth/inbound";
import { api, eventually, type RecordedRequest, sinkRequests, tenant, unique } from "../helpers/api";

type Tenant = Awaited<ReturnType<typeof tenant>>;

/**
 * The SDK's CloudEvent, always with an explicit id: under the workers pool the SDK's uuid import does not load, and
 * only the id default needs it.
 */
function sdkEvent(extra: Record<string, unknown> = {}) {
  return new CloudEvent({
    id: unique("ce"),
    type: "courseCompletion",
    source: "/lms/eu",
    subject: "learner-7",
    time: "2026-11-21T10:00:00.000Z",
    datacontenttype: "application/json",
    tenant: "acme",
    region: "eu",
    data: { user: "ada@example.com", course: { title: "Rust 101", score: 97 } },
    ...extra,
  });
}

/** Sends an SDK message (HTTP.binary or HTTP.structured) as the source's publisher. */
function send(t: Tenant, message: { headers: unknown; body: unknown }, headers: Record<string, string> = {}) {
  const sdkHeaders = Object.fromEntries(
    Object.entries(message.headers as Record<string, unknown>).map(([name, value]) => [name, String(value)]),
  );
  return api("POST", "/v1/events", String(message.body), t.source.api_key, { ...sdkHeaders, ...headers });
}

async function storedEvents(sourceId: string) {
  return (await api("GET", `/v1/admin/events?source_id=${sourceId}`)).body.data as unknown[];
}

async function onlyPush(mailbox: string): Promise<RecordedRequest> {
  const [request] = await eventually(async () => {
    const requests = await sinkRequests(mailbox);
    return requests.length ? requests : null;
  }, 25_000);
  return request;
}

/** What the SDK's receiver reads from a push, and whether its Standard Webhooks signature holds over the body sent. */
function readPush(push: RecordedRequest, secret: string) {
  const headers = push.headers as Record<string, string>;
  const verified = new Webhook(secret).verify(push.body, {
    "webhook-id": headers["webhook-id"],
    "webhook-timestamp": headers["webhook-timestamp"],
    "webhook-signature": headers["webhook-signature"],
  });
  return { event: HTTP.toEvent({ headers, body: push.body }) as CloudEvent, verified };
}

describe("CloudEvents with the official SDK: publishing", () => {
  it("accepts an event sent with HTTP.binary and stores its attributes, extensions and data", async () => {
    const t = await tenant();
    // The SDK sends header values as they are, unencoded: a lone "%" is kept, not refused.
    const published = sdkEvent({ promo: "50% off" });
    const res = await send(t, HTTP.binary(published));
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ accepted: 1, duplicates: 0 });
    const stored = await api("GET", `/v1/admin/events/${res.body.ids[0]}`);
    expect(stored.body.external_id).toBe(published.id);
    expect(stored.body.event).toEqual({
      specversion: "1.0",
      id: res.body.ids[0],
      originid: published.id,
      type: "courseCompletion",
      source: "/lms/eu",
      subject: "learner-7",
      time: "2026-11-21T10:00:00.000Z",
      datacontenttype: "application/json",
      tenant: "acme",
      region: "eu",
      promo: "50% off",
      data: { user: "ada@example.com", course: { title: "Rust 101", score: 97 } },
    });
    // The same event again in binary mode is a duplicate, as in structured mode.
    const again = await send(t, HTTP.binary(published));
    expect(again.body).toMatchObject({ accepted: 0, duplicates: 1, ids: res.body.ids });
  });

  it("accepts an event sent with HTTP.structured and stores it the same way", async () => {
    const t = await tenant();
    const published = sdkEvent({ subject: "learner-8" });
    const res = await send(t, HTTP.structured(published));
    expect(res.status).toBe(202);
    const stored = await api("GET", `/v1/admin/events/${res.body.ids[0]}`);
    expect(stored.body.event).toMatchObject({
      originid: published.id,
      type: "courseCompletion",
      source: "/lms/eu",
      subject: "learner-8",
      time: "2026-11-21T10:00:00.000Z",
      tenant: "acme",
      region: "eu",
      data: published.data,
    });
  });

  it("percent-decodes binary headers and keeps a UTF-8 text body as a string", async () => {
    const t = await tenant();
    const res = await api("POST", "/v1/events", "hello, Zoë", t.source.api_key, {
      "content-type": "text/plain; charset=utf-8",
      "ce-specversion": "1.0",
      "ce-id": unique("txt"),
      "ce-source": "/lms",
      "ce-type": "note.added",
      "ce-subject": "Zo%C3%AB%20%C3%9Cnal",
      "ce-tenant": "acme%2Feu",
    });
    expect(res.status).toBe(202);
    const stored = await api("GET", `/v1/admin/events/${res.body.ids[0]}`);
    expect(stored.body.event).toMatchObject({ subject: "Zoë Ünal", tenant: "acme/eu", data: "hello, Zoë" });
  });

  it("checks an inbound HMAC over the raw binary-mode body", async () => {
    const rule = { header: "X-Signature", secret: "binary-hmac-secret", algorithm: "sha256", encoding: "hex" } as const;
    const t = await tenant({ source: { inbound: { hmac: rule } } });
    const message = HTTP.binary(sdkEvent());
    const signature = await signInbound(rule, rule.secret, String(message.body));
    expect((await send(t, message, { "x-signature": signature })).status).toBe(202);
    const otherBody = HTTP.binary(sdkEvent({ data: { user: "mallory@example.com" } }));
    expect((await send(t, otherBody, { "x-signature": signature })).status).toBe(401);
    expect(await storedEvents(t.source.id)).toHaveLength(1);
  });

  it("refuses bad binary-mode input with problem+json naming the header or the body, and stores nothing", async () => {
    const t = await tenant();
    const headers = (event: CloudEvent<unknown>) =>
      Object.fromEntries(Object.entries(HTTP.binary(event).headers).map(([name, value]) => [name, String(value)]));
    const { "ce-type": _, ...noType } = headers(sdkEvent());
    const cases: Array<[Record<string, string>, string, number, string]> = [
      [noType, '{"a":1}', 422, "/headers/ce-type"],
      [{ ...headers(sdkEvent()), "ce-specversion": "0.3" }, '{"a":1}', 422, "/headers/ce-specversion"],
      [headers(sdkEvent()), '{"a":', 400, "/body"],
      [{ ...headers(sdkEvent()), "ce-time": "not a time" }, "{}", 422, "/headers/ce-time"],
      [{ ...headers(sdkEvent()), "ce-bad_ext": "x" }, "{}", 422, "/headers/ce-bad_ext"],
      [{ ...headers(sdkEvent()), "ce-subject": "%C0%A0" }, "{}", 422, "/headers/ce-subject"],
      [{ ...headers(sdkEvent()), "content-type": "application/octet-stream" }, "AAEC", 415, "/headers/content-type"],
    ];
    for (const [requestHeaders, body, status, path] of cases) {
      const res = await api("POST", "/v1/events", body, t.source.api_key, requestHeaders);
      expect([res.status, res.headers.get("content-type")]).toEqual([status, "application/problem+json"]);
      expect(res.body.errors.map((error: { path: string }) => error.path)).toContain(path);
    }
    expect(await storedEvents(t.source.id)).toEqual([]);
  });
});

describe("CloudEvents with the official SDK: pushing", () => {
  for (const mode of ["structured", "binary"] as const) {
    it(`a ${mode}-mode destination gets pushes HTTP.toEvent reads back as published, signed`, async () => {
      const t = await tenant({ destination: { cloudevents_mode: mode } });
      expect(t.destination.cloudevents_mode).toBe(mode);
      const published = sdkEvent();
      const res = await send(t, HTTP.binary(published));
      expect(res.status).toBe(202);
      const push = await onlyPush(t.mailbox);
      const { event, verified } = readPush(push, t.destination.signing_secret);
      expect(verified).toBeTruthy();
      expect(push.verified).toBe(true);
      expect({ ...event }).toEqual({ ...published, id: res.body.ids[0], originid: published.id });
      if (mode === "structured") {
        expect(push.headers["content-type"]).toBe("application/cloudevents+json");
        expect(JSON.parse(push.body).data).toEqual(published.data);
      } else {
        expect(push.headers).toMatchObject({
          "content-type": "application/json",
          "ce-specversion": "1.0",
          "ce-id": res.body.ids[0],
          "ce-originid": published.id,
          "ce-tenant": "acme",
        });
        expect(JSON.parse(push.body)).toEqual(published.data);
      }
    });
  }

  it("a json-mode destination (the default) is framed as before: the CloudEvent as application/json", async () => {
    const t = await tenant();
    expect(t.destination.cloudevents_mode).toBe("json");
    const res = await send(t, HTTP.binary(sdkEvent()));
    const push = await onlyPush(t.mailbox);
    expect(push.headers["content-type"]).toBe("application/json");
    expect(Object.keys(push.headers).filter((name) => name.startsWith("ce-"))).toEqual([]);
    const stored = await api("GET", `/v1/admin/events/${res.body.ids[0]}`);
    expect(JSON.parse(push.body)).toEqual(stored.body.event);
    expect(push.verified).toBe(true);
    expect(() => HTTP.toEvent({ headers: push.headers as Record<string, string>, body: push.body })).toThrow(
      /no cloud event detected/,
    );
  });

  it("a transform's output is sent as application/json whatever the mode", async () => {
    const t = await tenant({ destination: { cloudevents_mode: "binary" } });
    const step = { destination_id: t.destination.id, transform: "{ 'email': data.user }" };
    const patched = await api("PATCH", `/v1/admin/subscriptions/${t.subscription.id}`, { steps: [step] });
    expect(patched.status).toBe(200);
    await send(t, HTTP.binary(sdkEvent()));
    const push = await onlyPush(t.mailbox);
    expect(push.headers["content-type"]).toBe("application/json");
    expect(Object.keys(push.headers).filter((name) => name.startsWith("ce-"))).toEqual([]);
    expect(JSON.parse(push.body)).toEqual({ email: "ada@example.com" });
    expect(push.verified).toBe(true);
  });

  it("keeps cloudevents_mode through a PATCH of another field, changes it when named, and refuses an unknown one", async () => {
    const t = await tenant({ destination: { cloudevents_mode: "structured" } });
    const path = `/v1/admin/subscribers/${t.subscriber.id}/destinations/${t.destination.id}`;
    expect((await api("PATCH", path, { name: "CRM 2" })).body.cloudevents_mode).toBe("structured");
    expect((await api("PATCH", path, { cloudevents_mode: "binary" })).body.cloudevents_mode).toBe("binary");
    expect((await api("GET", path)).body.cloudevents_mode).toBe("binary");
    const bad = await api("PATCH", path, { cloudevents_mode: "avro" });
    expect(bad.status).toBe(422);
    expect(bad.body.errors[0].path).toBe("/cloudevents_mode");
  });
});
