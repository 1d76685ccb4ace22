import { describe, expect, it } from "vitest";
import { compactUtc, dataFileName, MANIFEST_NAME, safeName } from "../../src/archive/names";
import { filenameTemplateProblem, parseFilenameTemplate } from "../../src/domain/archive-filename";
import { ArchiveSettings } from "../../src/domain/archive-settings";

const naming = (template?: string) => ({
  template,
  period_start: "2026-11-21",
  period_end: "2026-11-22",
  generated_at: Date.parse("2026-11-23T02:00:07.123Z"),
});

describe("archive.filename templates, rendered", () => {
  it("without a template, today's names: {type}.{ext}", () => {
    expect(dataFileName("csv", "course.completed")).toBe("course.completed.csv");
    expect(dataFileName("ndjson", "a/b", naming())).toBe("a%2Fb.ndjson");
  });

  it("fills every placeholder, generated_at as UTC basic ISO 8601 to the second", () => {
    expect(compactUtc(Date.parse("2026-11-21T02:00:00.999Z"))).toBe("20261121T020000Z");
    expect(dataFileName("json", "user.updated", naming("{type}-{period_start}_{generated_at}.json"))).toBe(
      "user.updated-2026-11-21_20261123T020007Z.json",
    );
    expect(dataFileName("tsv", "x", naming("events_{period_start}_{period_end}_{type}"))).toBe(
      "events_2026-11-21_2026-11-22_x.tsv",
    );
  });

  it("keeps the template's own extension, else adds the format's (a dot inside a value does not count)", () => {
    expect(dataFileName("tsv", "x", naming("{type}.txt"))).toBe("x.txt");
    expect(dataFileName("csv", "user.updated", naming("{type}"))).toBe("user.updated.csv");
    expect(dataFileName("csv", "x", naming("{period_start}.{type}"))).toBe("2026-11-21.x.csv");
  });

  it("values are made safe like safeName: a type cannot climb out of the archive", () => {
    for (const type of ["../../etc/passwd", "a\\b", ".hidden", "..", "日本/x", "a%2Fb"]) {
      const name = dataFileName("csv", type, naming("{type}_{period_start}"));
      expect(name).toBe(`${safeName(type)}_2026-11-21.csv`);
      expect(name).not.toMatch(/[/\\]/);
      expect(name.startsWith(".")).toBe(false);
    }
  });

  it("two types never share a name, and none is manifest.json", () => {
    const types = ["a", "a.csv", "a_2026-11-21", "a/b", "a%2Fb", "manifest", "m", "anifest", "%6Danifest", "A"];
    for (const template of ["{type}", "{type}_{period_start}", "m{type}", "{type}.json", "x{type}{type}"]) {
      const names = types.map((type) => dataFileName("json", type, naming(template)));
      expect(new Set(names).size, template).toBe(types.length);
      expect(names, template).not.toContain(MANIFEST_NAME);
    }
  });
});

describe("archive.filename templates, checked when saved", () => {
  it("accepts the placeholders and safe text", () => {
    expect(filenameTemplateProblem("{type}-{period_start}_{generated_at}.json", "json")).toBeNull();
    expect(filenameTemplateProblem("{period_end}", "files")).toBeNull();
    expect(parseFilenameTemplate("a{type}b")).toEqual({
      parts: [{ text: "a" }, { placeholder: "type" }, { text: "b" }],
    });
  });

  it("refuses unknown placeholders, braces, path characters, a leading dot, empty, and a missing {type}", () => {
    const cases: Array<[string, RegExp]> = [
      ["{type}-{date}", /unknown placeholder \{date\}/],
      ["{type}-{", /braces/],
      ["}{type}", /braces/],
      ["../{type}", /may only contain/],
      ["{type}/x", /may only contain/],
      ["a\\{type}", /may only contain/],
      ["{type} x", /may only contain/],
      [".{type}", /dot/],
      ["", /empty/],
      ["{period_start}.csv", /must contain \{type\}/],
      ["x".repeat(201), /at most 200/],
    ];
    for (const [template, message] of cases)
      expect(filenameTemplateProblem(template, "csv"), template).toMatch(message);
  });

  it("as part of the subscriber's archive settings: the issue is on archive.filename", () => {
    const bad = ArchiveSettings.safeParse({ format: "csv", filename: "{typ}.csv" });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues.map((issue) => issue.path)).toEqual([["filename"]]);
    const noType = ArchiveSettings.safeParse({ format: "ndjson", filename: "{period_start}" });
    expect(noType.error?.issues[0].message).toMatch(/\{type\}/);
    const good = ArchiveSettings.parse({ format: "csv", filename: "{type}_{generated_at}" });
    expect(good).toMatchObject({ filename: "{type}_{generated_at}", time: "02:00" });
    expect(ArchiveSettings.safeParse({ time: "24:00" }).error?.issues[0].path).toEqual(["time"]);
    expect(ArchiveSettings.safeParse({ time: "2:00" }).success).toBe(false);
    expect(ArchiveSettings.parse({ time: "23:59" }).time).toBe("23:59");
  });
});
