import { describe, expect, it } from "vitest";
import { isBinaryMode, parseBinaryCloudEvent, parsePublishBody } from "../../src/pipeline/formats";

describe("publish body formats", () => {
  it("reads a single CloudEvent, keeping extensions", async () => {
    const result = await parsePublishBody({
      specversion: "1.0",
      id: "a1",
      source: "/lms",
      type: "courseCompletion",
      subject: "u-1",
      tenant: "acme",
      data: { x: 1 },
    });
    expect(result).toEqual({
      ok: true,
      events: [
        {
          externalId: "a1",
          type: "courseCompletion",
          source: "/lms",
          subject: "u-1",
          time: null,
          data: { x: 1 },
          extensions: { tenant: "acme" },
        },
      ],
    });
  });

  it("reads an array mixing CloudEvents and plain envelopes, naming the index of a bad one", async () => {
    const result = await parsePublishBody([
      { type: "a", data: {} },
      { specversion: "1.0", id: "x", source: "/s", type: "b" },
      { specversion: "0.3", id: "x", source: "/s", type: "b" },
    ]);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors[0].path).toBe("/2/specversion");
  });

  it("reads UBX simple and compound batches, one event per code with a stable content id", async () => {
    const simple = {
      channel: "web",
      identifiers: [{ name: "email", value: "ada@example.com" }],
      events: [
        {
          code: "ibmcartAbandonment",
          timestamp: "2026-11-21T10:00:00Z",
          attributes: [{ name: "total", value: "42.50", type: "number" }],
        },
        { code: "ibmcartAbandonmentItem", timestamp: "2026-11-21T10:00:00Z", attributes: [] },
      ],
    };
    const first = await parsePublishBody(simple);
    const again = await parsePublishBody(simple);
    expect(first.ok && first.events.map((event) => event.type)).toEqual([
      "ibmcartAbandonment",
      "ibmcartAbandonmentItem",
    ]);
    expect(first.ok && first.events[0].data).toEqual({
      channel: "web",
      identifiers: [{ name: "email", value: "ada@example.com" }],
      attributes: { total: "42.50" },
    });
    expect(first.ok && again.ok && first.events[0].externalId === again.events[0].externalId).toBe(true);
    expect(first.ok && first.events[0].subject).toBe("ada@example.com");

    const compound = await parsePublishBody({
      channel: "mobile",
      eventbatch: [
        { identifiers: [{ name: "id", value: "1" }], events: [{ code: "a", timestamp: "2026-11-21T10:00:00Z" }] },
        { identifiers: [{ name: "id", value: "2" }], events: [{ code: "b", timestamp: "2026-11-21T10:00:01Z" }] },
      ],
    });
    expect(compound.ok && compound.events.map((event) => [event.type, event.subject])).toEqual([
      ["a", "1"],
      ["b", "2"],
    ]);
  });

  it("rejects what is not an event", async () => {
    expect((await parsePublishBody("hello")).ok).toBe(false);
    expect((await parsePublishBody([])).ok).toBe(false);
    const missing = await parsePublishBody({ data: {} });
    expect(!missing.ok && missing.errors[0].path).toBe("/type");
    const badTime = await parsePublishBody({ type: "a", time: "yesterday", data: {} });
    expect(!badTime.ok && badTime.errors[0].path).toBe("/time");
  });
});

describe("binary content mode (CloudEvents HTTP binding)", () => {
  const required = {
    "ce-specversion": "1.0",
    "ce-id": "b-1",
    "ce-source": "/lms",
    "ce-type": "courseCompletion",
  };
  const utf8 = (text: string) => new TextEncoder().encode(text);
  const parse = (headers: Record<string, string>, body = "") => parseBinaryCloudEvent(new Headers(headers), utf8(body));
  const failure = (result: ReturnType<typeof parse>) =>
    result.ok ? null : { status: result.status, paths: result.errors.map((error) => error.path) };

  it("is told by its ce- headers, unless the content type is a CloudEvents format", () => {
    expect(isBinaryMode(new Headers({ "content-type": "application/json", "ce-specversion": "1.0" }))).toBe(true);
    expect(isBinaryMode(new Headers({ "content-type": "text/plain", "ce-type": "a" }))).toBe(true);
    expect(isBinaryMode(new Headers({ "content-type": "application/json", "ce-tenant": "acme" }))).toBe(false);
    expect(isBinaryMode(new Headers({ "content-type": "application/json" }))).toBe(false);
    const structured = { "content-type": "application/cloudevents+json; charset=utf-8", "ce-id": "x" };
    expect(isBinaryMode(new Headers(structured))).toBe(false);
  });

  it("reads attributes and extensions from percent-decoded headers and the data from a JSON body", () => {
    const result = parse(
      {
        ...required,
        "content-type": "application/json; charset=utf-8",
        "ce-time": "2026-11-21T10:00:00Z",
        "ce-subject": "Zo%C3%AB%20%C3%9Cnal",
        "ce-tenant": "acme%2Feu",
        "ce-dataschema": "https://lms.example/schemas/completion",
        "x-other": "ignored",
      },
      '{"user":"ada@example.com"}',
    );
    expect(result).toEqual({
      ok: true,
      events: [
        {
          externalId: "b-1",
          type: "courseCompletion",
          source: "/lms",
          subject: "Zoë Ünal",
          time: "2026-11-21T10:00:00Z",
          data: { user: "ada@example.com" },
          extensions: { tenant: "acme/eu" },
        },
      ],
    });
  });

  it("keeps UTF-8 text as a JSON string, an empty body as no data, and parses +json types", () => {
    const text = parse({ ...required, "content-type": "text/plain; charset=utf-8" }, "hello, world");
    expect(text.ok && text.events[0].data).toBe("hello, world");
    const none = parse(required);
    expect(none.ok && none.events[0].data).toBeNull();
    const vendor = parse({ ...required, "content-type": "application/vnd.lms+json" }, "[1,2]");
    expect(vendor.ok && vendor.events[0].data).toEqual([1, 2]);
  });

  it("names the header of every missing or invalid attribute", () => {
    const { "ce-type": _type, ...noType } = required;
    expect(failure(parse({ ...noType, "content-type": "application/json" }, "{}"))).toEqual({
      status: 422,
      paths: ["/headers/ce-type"],
    });
    const bad = parse({
      ...required,
      "ce-specversion": "0.3",
      "ce-time": "yesterday",
      "ce-bad_name": "x",
      "ce-subject": "%C0%A0",
      "ce-datacontenttype": "application/json",
    });
    expect(failure(bad)).toEqual({
      status: 422,
      paths: expect.arrayContaining([
        "/headers/ce-specversion",
        "/headers/ce-time",
        "/headers/ce-bad_name",
        "/headers/ce-subject",
        "/headers/ce-datacontenttype",
      ]),
    });
    expect(bad.ok ? [] : bad.errors).toHaveLength(5);
    expect(failure(parse({ ...required, "ce-data": "{}" }))).toEqual({ status: 422, paths: ["/headers/ce-data"] });
  });

  it("refuses a body it cannot keep as JSON (415) and one that does not parse (400)", () => {
    const json = { ...required, "content-type": "application/json" };
    expect(failure(parse(json, '{"user":'))).toEqual({ status: 400, paths: ["/body"] });
    const octets = { ...required, "content-type": "application/octet-stream" };
    expect(failure(parse(octets, "abc"))).toEqual({ status: 415, paths: ["/headers/content-type"] });
    const latin1 = { ...required, "content-type": "text/plain; charset=iso-8859-1" };
    expect(failure(parse(latin1, "abc"))).toEqual({ status: 415, paths: ["/headers/content-type"] });
    expect(failure(parse(required, "{}"))).toEqual({ status: 415, paths: ["/headers/content-type"] });
    const invalidText = parseBinaryCloudEvent(
      new Headers({ ...required, "content-type": "text/plain" }),
      new Uint8Array([0xff]),
    );
    expect(failure(invalidText)).toEqual({ status: 400, paths: ["/body"] });
  });
});
