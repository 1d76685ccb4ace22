// A 422 names the fields the caller got wrong: a union's issue is replaced by the issues of the branch its `type`
// chose (src/lib/zod-issues.ts, through src/lib/problem.ts fieldErrors), checked on the relay's own schemas.

import { describe, expect, it } from "vitest";
import type { ZodType } from "zod";
import { ArchiveTargetInput } from "../../src/domain/archive-target";
import { DestinationInput } from "../../src/domain/destination";
import { SubscriptionInput } from "../../src/domain/subscription";
import { fieldErrors } from "../../src/lib/problem";

function paths(schema: ZodType, body: unknown): string[] {
  const result = schema.safeParse(body);
  if (result.success) return [];
  return fieldErrors(result.error).map((error) => error.path);
}

describe("422 field errors", () => {
  it("name the fields of the auth type chosen, not the union", () => {
    const crm = { name: "CRM", url: "https://crm.example" };
    expect(paths(DestinationInput, { ...crm, auth: { type: "bearer" } })).toEqual(["/auth/token"]);
    expect(paths(DestinationInput, { ...crm, auth: { type: "basic" } }).sort()).toEqual([
      "/auth/password",
      "/auth/username",
    ]);
    expect(paths(DestinationInput, { ...crm, auth: { type: "api_key", query: "key" } })).toEqual(["/auth/value"]);
    // A type no branch has is still the union's own issue, where the caller can see it.
    expect(paths(DestinationInput, { ...crm, auth: { type: "kerberos" } })).toEqual(["/auth"]);
    expect(paths(DestinationInput, { ...crm, url: "not a url" })).toEqual(["/url"]);
  });

  it("name an archive target's own checks, and a subscription's step fields", () => {
    expect(paths(ArchiveTargetInput, { type: "sftp", host_key: "nope" })).toEqual(
      expect.arrayContaining(["/host", "/username", "/host_key", "/password"]),
    );
    expect(
      paths(SubscriptionInput, { subscriber_id: "sub_x", source_id: "src_y", steps: [{ destination_id: "nope" }] }),
    ).toEqual(expect.arrayContaining(["/subscriber_id", "/source_id", "/steps/0/destination_id"]));
  });

  it("say each field and message once", () => {
    const all = paths(DestinationInput, { name: "", url: "", auth: { type: "oauth1" } });
    expect(new Set(all).size).toBe(all.length);
  });
});
