import { describe, expect, it } from "vitest";
import { idsOf, isUpkeep } from "../../src/domain/messages";

describe("queue messages", () => {
  it("idsOf reads packed messages and the one-delivery form sent before packing", () => {
    expect(idsOf({ kind: "deliveries", ids: ["dlv_a", "dlv_b"] })).toEqual(["dlv_a", "dlv_b"]);
    expect(idsOf({ kind: "notifications", ids: ["ntf_a"], retried_alone: true })).toEqual(["ntf_a"]);
    expect(idsOf({ delivery_id: "dlv_old" })).toEqual(["dlv_old"]);
  });

  it("isUpkeep tells announcements and retention passes from build jobs on the archive queue", () => {
    expect(isUpkeep({ kind: "announce", archive_id: "arc_a" })).toBe(true);
    expect(isUpkeep({ kind: "retention", pass: 2 })).toBe(true);
    expect(isUpkeep({ archive_id: "arc_a" })).toBe(false);
    expect(isUpkeep(null)).toBe(false);
    expect(isUpkeep("arc_a")).toBe(false);
  });
});
