import { describe, expect, it } from "vitest";
import { parsePublishBody } from "../../src/pipeline/formats";

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
