import { describe, expect, it } from "vitest";
import type { CloudEvent } from "../../src/domain/cloudevent";
import { EXPRESSION_LIMITS } from "../../src/domain/expression-budget";
import { applyPreset, flatPreset, PresetLimitError, presetBody, ubxPreset } from "../../src/domain/presets";
import { Step } from "../../src/domain/step";
import { type IncomingEvent, parsePublishBody } from "../../src/pipeline/formats";
import { expectUbxPushOfPublish, UBX_PUBLISH } from "../helpers/ubx";

/** The CloudEvent publishEvents (pipeline/ingest.ts) stores for one parsed event. */
function stored(event: IncomingEvent, extensions: Record<string, unknown> = {}): CloudEvent {
  return {
    specversion: "1.0",
    id: "evt_1",
    source: event.source ?? "/sources/src_mobile",
    type: event.type,
    time: new Date(event.time ?? 0).toISOString(),
    ...(event.subject !== null ? { subject: event.subject } : {}),
    datacontenttype: "application/json",
    ...event.extensions,
    ...extensions,
    ...(event.externalId !== null ? { originid: event.externalId } : {}),
    data: event.data,
  };
}

async function publishedUbx(extensions: Record<string, unknown> = {}): Promise<CloudEvent> {
  const parsed = await parsePublishBody(UBX_PUBLISH);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return stored(parsed.events[0], extensions);
}

describe("the ubx preset", () => {
  it("gives a published UBX event back in the UBX push body, field by field", async () => {
    const event = await publishedUbx({ provider: "IBM" });
    const body = ubxPreset({ ...event, source: "Mobile Customer Engagement" });
    expectUbxPushOfPublish(body, { provider: "IBM", source: "Mobile Customer Engagement" });
  });

  it("names Syndic as the provider and the CloudEvent source as the source when the event does not say", async () => {
    const body = ubxPreset(await publishedUbx());
    expect(body.provider).toBe("Syndic");
    expect(body.source).toBe("/sources/src_mobile");
  });

  it("keeps milliseconds that are not zero, and takes namespace and version from extensions", () => {
    const body = ubxPreset({
      specversion: "1.0",
      id: "evt_2",
      source: "/lms",
      type: "courseCompletion",
      time: "2026-03-01T10:00:00.250Z",
      namespace: "lms",
      version: 2,
      data: {},
    });
    expect(body.events[0]).toEqual({
      code: "courseCompletion",
      namespace: "lms",
      version: 2,
      timestamp: "2026-03-01T10:00:00.250Z",
      attributes: [],
    });
    expect(body.identifiers).toEqual([]);
    expect(body.x1id).toBe("");
    expect("channel" in body).toBe(false);
  });

  it("maps an ordinary CloudEvent: code = type, attributes = top-level scalars, identifiers from subject and originid", () => {
    const body = ubxPreset({
      specversion: "1.0",
      id: "evt_3",
      source: "/lms",
      type: "courseCompletion",
      time: "2026-03-01T10:00:00.000Z",
      subject: "learner-42",
      originid: "lms-9",
      channel: "web",
      data: { course: "FIRE-101", credits: 1.5, passed: true, score: null, userDetail: { id: "u-1" }, tags: ["a"] },
    });
    expect(body).toEqual({
      provider: "Syndic",
      source: "/lms",
      channel: "web",
      x1id: "learner-42",
      identifiers: [
        { name: "subject", value: "learner-42", isOriginal: true },
        { name: "originid", value: "lms-9", isOriginal: true },
      ],
      events: [
        {
          code: "courseCompletion",
          timestamp: "2026-03-01T10:00:00Z",
          attributes: [
            { name: "course", value: "FIRE-101", type: "string" },
            { name: "credits", value: "1.5", type: "number" },
            { name: "passed", value: "true", type: "boolean" },
          ],
        },
      ],
    });
  });

  it("sends a nested UBX attribute value as its JSON text", () => {
    const body = ubxPreset({
      specversion: "1.0",
      id: "evt_4",
      source: "/sources/src_mobile",
      type: "ibmcartAbandonment",
      time: "2026-03-01T10:00:00.000Z",
      data: { channel: null, identifiers: [{ name: "email", value: "a@example.com" }], attributes: { items: [1, 2] } },
    });
    expect(body.events[0].attributes).toEqual([{ name: "items", value: "[1,2]", type: "string" }]);
    expect("channel" in body).toBe(false);
  });
});

describe("the flat preset", () => {
  const event: CloudEvent = {
    specversion: "1.0",
    id: "evt_5",
    source: "/shop",
    type: "order.placed",
    time: "2026-03-01T10:00:00.000Z",
    data: { userDetail: { id: "u-1", email: "a@example.com" }, items: [{ sku: "A", qty: 2 }, { sku: "B" }], meta: {} },
  };

  it("keys every leaf by its dotted path, arrays indexed, values keeping their JSON type", () => {
    expect(flatPreset(event)).toEqual({
      specversion: "1.0",
      id: "evt_5",
      source: "/shop",
      type: "order.placed",
      time: "2026-03-01T10:00:00.000Z",
      "data.userDetail.id": "u-1",
      "data.userDetail.email": "a@example.com",
      "data.items.0.sku": "A",
      "data.items.0.qty": 2,
      "data.items.1.sku": "B",
      "data.meta": {},
    });
  });

  it("keeps a part deeper than its bound whole under its path", () => {
    let deep: Record<string, unknown> = { leaf: 1 };
    for (let i = 0; i < 40; i++) deep = { d: deep };
    const flat = flatPreset({ ...event, data: deep });
    const [[path, value]] = Object.entries(flat).filter(([key]) => key.startsWith("data"));
    expect(path.split(".")).toHaveLength(32);
    expect(JSON.stringify(value)).toContain('"leaf":1');
  });

  it("treats a key such as __proto__ as data", () => {
    const flat = flatPreset({ ...event, data: JSON.parse('{"__proto__": {"x": 1}}') });
    expect(flat["data.__proto__.x"]).toBe(1);
    expect(Object.getPrototypeOf(flat)).toBe(Object.prototype);
  });
});

describe("presets as step bodies", () => {
  const event: CloudEvent = {
    specversion: "1.0",
    id: "evt_6",
    source: "/shop",
    type: "order.placed",
    time: "2026-03-01T10:00:00.000Z",
    data: { note: "x" },
  };

  it("cloudevent is the stored event, as pushed without a preset", () => {
    expect(applyPreset("cloudevent", event)).toBe(event);
    expect(presetBody("cloudevent", event)).toBe(JSON.stringify(event));
  });

  it("refuses a body over the push cap, naming the preset", () => {
    const big = { ...event, data: { note: "x".repeat(EXPRESSION_LIMITS.outputBytes) } };
    expect(() => presetBody("flat", big)).toThrow(PresetLimitError);
    expect(() => presetBody("ubx", big)).toThrow(/the ubx preset's output is over 262,144 bytes \(256 KiB\)/);
  });

  it("counts UTF-8 bytes, not characters, against the cap", () => {
    const big = { ...event, data: { note: "é".repeat(EXPRESSION_LIMITS.outputBytes / 2) } };
    expect(() => presetBody("flat", big)).toThrow(/bytes of JSON, over 262,144 bytes/);
  });

  it("is one of three names in a step", () => {
    const step = { destination_id: "dst_01jfq3zv7k8m2n4p6r8s0t2v4w" };
    expect(Step.safeParse({ ...step, preset: "ubx" }).success).toBe(true);
    const refused = Step.safeParse({ ...step, preset: "xml" });
    expect(refused.success).toBe(false);
    expect(refused.error?.issues[0].path).toEqual(["preset"]);
  });
});
