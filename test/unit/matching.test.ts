import { describe, expect, it } from "vitest";
import type { CloudEvent } from "../../src/domain/cloudevent";
import { matchesType, passesFilter } from "../../src/domain/matching";

const event: CloudEvent = {
  specversion: "1.0",
  id: "evt_1",
  source: "/sources/crm",
  type: "user.created",
  time: "2026-11-23T10:00:00.000Z",
  subject: "user-42",
  datacontenttype: "application/json",
  data: { plan: "pro", seats: 0, tags: ["vip"] },
};

/** A subscription with a unique id, so its compiled filter is its own in the per-isolate cache. */
let next = 0;
const subscription = (filter: string | null, version = 1) => ({ id: `sbn_matching_${next++}`, version, filter });

describe("matching by type", () => {
  it("takes the listed types, or everything with *", () => {
    expect(matchesType({ event_types: ["user.created", "user.updated"] }, "user.created")).toBe(true);
    expect(matchesType({ event_types: ["user.updated"] }, "user.created")).toBe(false);
    expect(matchesType({ event_types: ["*"] }, "anything.at.all")).toBe(true);
    expect(matchesType({ event_types: ["user.updated", "*"] }, "user.created")).toBe(true);
  });

  it("compares whole type names: no prefixes, no globs, no case folding", () => {
    expect(matchesType({ event_types: ["user"] }, "user.created")).toBe(false);
    expect(matchesType({ event_types: ["user.*"] }, "user.created")).toBe(false);
    expect(matchesType({ event_types: ["User.Created"] }, "user.created")).toBe(false);
    expect(matchesType({ event_types: [] }, "user.created")).toBe(false);
  });
});

describe("filters", () => {
  it("no filter passes everything", async () => {
    expect(await passesFilter(subscription(null), event)).toBe(true);
    expect(await passesFilter(subscription(""), event)).toBe(true);
  });

  it("passes what the JSONata filter finds true over the CloudEvent", async () => {
    expect(await passesFilter(subscription('data.plan = "pro"'), event)).toBe(true);
    expect(await passesFilter(subscription('data.plan = "free"'), event)).toBe(false);
    expect(await passesFilter(subscription('subject = "user-42" and "vip" in data.tags'), event)).toBe(true);
  });

  it("reads the verdict as truthy or falsy: a missing path, 0 and an empty string do not pass", async () => {
    expect(await passesFilter(subscription("data.missing"), event)).toBe(false);
    expect(await passesFilter(subscription("data.seats"), event)).toBe(false);
    expect(await passesFilter(subscription('""'), event)).toBe(false);
    expect(await passesFilter(subscription("data.plan"), event)).toBe(true);
  });

  it("throws what the filter throws, for the route stage to record", async () => {
    await expect(passesFilter(subscription('$error("no plan")'), event)).rejects.toThrow("no plan");
  });

  it("a new version of a subscription runs its new filter, not the one compiled before", async () => {
    const id = `sbn_matching_${next++}`;
    expect(await passesFilter({ id, version: 1, filter: 'data.plan = "pro"' }, event)).toBe(true);
    expect(await passesFilter({ id, version: 2, filter: 'data.plan = "free"' }, event)).toBe(false);
  });
});
