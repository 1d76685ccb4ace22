import { describe, expect, it } from "vitest";
import { fillTemplate, isDotSegment, TemplateError } from "../../src/lib/url-template";

describe("URL templates filled with outside ids", () => {
  it("encodes the id and keeps the template's origin and static path", () => {
    expect(fillTemplate("https://origin.example/api/profiles/{id}", "id", "42")).toBe(
      "https://origin.example/api/profiles/42",
    );
    expect(fillTemplate("https://origin.example/api/profiles/{id}", "id", "a/b?c#d")).toBe(
      "https://origin.example/api/profiles/a%2Fb%3Fc%23d",
    );
    expect(fillTemplate("https://crm.example/contacts/{remote_id}/sync", "remote_id", "c 1")).toBe(
      "https://crm.example/contacts/c%201/sync",
    );
  });

  it("refuses dot segments in every spelling the URL parser resolves", () => {
    for (const id of [".", "..", "%2e", "%2E%2E", ".%2e", "%2e."]) {
      expect(isDotSegment(id), id).toBe(true);
      expect(() => fillTemplate("https://origin.example/api/profiles/{id}", "id", id), id).toThrow(TemplateError);
    }
    for (const id of ["...", "a..", "..a", ".a", "%2e%2e%2e"]) expect(isDotSegment(id), id).toBe(false);
    expect(fillTemplate("https://origin.example/api/profiles/{id}", "id", "...")).toBe(
      "https://origin.example/api/profiles/...",
    );
  });
});
