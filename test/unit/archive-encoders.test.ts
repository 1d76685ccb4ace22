import { parse } from "csv-parse/sync";
import { describe, expect, it } from "vitest";
import { csvField, csvLine, flatten, pathsOf, unionOfPaths } from "../../src/archive/csv";
import { safeName } from "../../src/archive/names";
import { buildInMemory, memorySource, sha256Hex, text, unzip } from "../helpers/archive";

/** Events with every awkward value a file has to survive. */
function awkwardEvents() {
  const tricky = [
    "plain",
    "comma, inside",
    'a "quoted" word',
    "two\nlines",
    "carriage\r\nreturn",
    'trailing quote"',
    "",
    "  spaces kept  ",
    "é à ü ß — “curly” 日本語 🚀",
    "=1+1",
  ];
  return tricky.map((value, i) => ({
    specversion: "1.0",
    id: `evt_${String(i).padStart(26, "0")}`,
    source: "/lms",
    type: i % 3 === 0 ? "course.completed" : "user.updated",
    time: `2026-11-21T10:00:0${i % 10}.000Z`,
    data: {
      title: value,
      userDetail: { id: 1000 + i, ref2: i % 2 ? "Engineering" : "Sales, EMEA" },
      tags: ["a", `b,${i}`],
      score: i / 4,
      passed: i % 2 === 0,
      missing: null,
      ...(i === 4 ? { extra: { only: "here" } } : {}),
      empty: {},
    },
  }));
}

describe("archive contents, format by format", () => {
  const events = awkwardEvents();
  const byType = (type: string) => events.filter((event) => event.type === type);

  it("json: one array per type, parsing back to the stored events", async () => {
    const { zip } = await buildInMemory("json", memorySource(events));
    const files = unzip(zip);
    expect(Object.keys(files).sort()).toEqual(["course.completed.json", "manifest.json", "user.updated.json"]);
    expect(JSON.parse(text(files["course.completed.json"]))).toEqual(byType("course.completed"));
    expect(JSON.parse(text(files["user.updated.json"]))).toEqual(byType("user.updated"));
  });

  it("ndjson: one event per line", async () => {
    const { zip } = await buildInMemory("ndjson", memorySource(events));
    const lines = text(unzip(zip)["user.updated.ndjson"]).split("\n");
    expect(lines.at(-1)).toBe("");
    expect(lines.slice(0, -1).map((line) => JSON.parse(line))).toEqual(byType("user.updated"));
  });

  it("csv: RFC 4180 that csv-parse reads back to the same values, header = union of dotted paths", async () => {
    const { zip } = await buildInMemory("csv", memorySource(events));
    const bytes = unzip(zip)["user.updated.csv"];
    expect([...bytes.slice(0, 3)]).not.toEqual([0xef, 0xbb, 0xbf]);
    const rows: string[][] = parse(text(bytes), { relax_column_count: false });
    const [header, ...body] = rows;
    const expected = byType("user.updated");
    expect(header).toEqual(unionOfPaths(expected.map(pathsOf)));
    expect(header).toContain("data.userDetail.ref2");
    expect(header).toContain("data.extra.only");
    expect(body).toHaveLength(expected.length);
    const column = (name: string) => header.indexOf(name);
    expected.forEach((event, i) => {
      expect(body[i][column("data.title")]).toBe(event.data.title);
      expect(body[i][column("data.userDetail.ref2")]).toBe(event.data.userDetail.ref2);
      expect(body[i][column("data.userDetail.id")]).toBe(String(event.data.userDetail.id));
      expect(JSON.parse(body[i][column("data.tags")])).toEqual(event.data.tags);
      expect(body[i][column("data.passed")]).toBe(String(event.data.passed));
      expect(body[i][column("data.missing")]).toBe("");
      expect(body[i][column("data.empty")]).toBe("{}");
      expect(body[i][column("data.extra.only")]).toBe(event.data.extra?.only ?? "");
    });
    // CRLF line ends; the CR LF inside a value stays inside its quotes.
    expect(text(bytes).startsWith(`${header.join(",")}\r\n`)).toBe(true);
  });

  it("csv: a value a spreadsheet would run as a formula is prefixed with ', the manifest says so", async () => {
    const { zip } = await buildInMemory("csv", memorySource(events));
    const files = unzip(zip);
    const rows = parse(text(files["course.completed.csv"]), { columns: true }) as Array<Record<string, string>>;
    const titles = rows.map((row) => row["data.title"]);
    expect(titles).toContain("'=1+1");
    expect(titles).not.toContain("=1+1");
    // Numbers are never escaped (a negative one would stop being a number), nor harmless text.
    expect(rows.map((row) => row["data.userDetail.id"])).toEqual(["1000", "1003", "1006", "1009"]);
    expect(titles).toContain("plain");
    expect(JSON.parse(text(files["manifest.json"]))).toMatchObject({ csv_escape_formulas: true });
  });

  it("files: one JSON file per event under its type", async () => {
    const { zip } = await buildInMemory("files", memorySource(events));
    const files = unzip(zip);
    expect(Object.keys(files)).toHaveLength(events.length + 1);
    for (const event of events) expect(JSON.parse(text(files[`${event.type}/${event.id}.json`]))).toEqual(event);
  });

  it.each(["json", "ndjson", "csv", "files"] as const)(
    "%s: the manifest lists each file with its events and sha256",
    async (format) => {
      const { zip, step } = await buildInMemory(format, memorySource(events));
      const files = unzip(zip);
      const manifest = JSON.parse(text(files["manifest.json"]));
      expect(manifest).toMatchObject({
        subscriber_id: "sub_01jfq3zv7k8m2n4p6r8s0t2v4w",
        period_start: "2026-11-21",
        period_end: "2026-11-21",
        timezone: "Europe/Paris",
        format,
        events: events.length,
      });
      expect(Date.parse(manifest.generated_at)).not.toBeNaN();
      expect(manifest.files.map((file: { name: string }) => file.name).sort()).toEqual(
        Object.keys(files)
          .filter((name) => name !== "manifest.json")
          .sort(),
      );
      for (const file of manifest.files) expect(file.sha256).toBe(await sha256Hex(files[file.name]));
      expect(manifest.files.reduce((n: number, file: { events: number }) => n + file.events, 0)).toBe(events.length);
      expect(step.sha256).toBe(await sha256Hex(zip));
      expect(step.bytes).toBe(zip.length);
      expect(step.events).toBe(events.length);
    },
  );

  it("an empty period is a zip with the manifest alone", async () => {
    for (const format of ["json", "csv", "files"] as const) {
      const { zip } = await buildInMemory(format, memorySource([]));
      const files = unzip(zip);
      expect(Object.keys(files)).toEqual(["manifest.json"]);
      expect(JSON.parse(text(files["manifest.json"]))).toMatchObject({ events: 0, files: [] });
    }
  });

  it("type names cannot escape the archive or shadow the manifest", async () => {
    const odd = ["../../etc/passwd", "manifest", ".hidden", "a\\b", "é"].map((type, i) => ({
      id: `evt_${i}`,
      type,
      data: { i },
    }));
    const files = unzip((await buildInMemory("json", memorySource(odd))).zip);
    const names = Object.keys(files);
    expect(names.filter((name) => name === "manifest.json")).toHaveLength(1);
    for (const name of names) {
      expect(name.includes("/")).toBe(false);
      expect(name.startsWith(".")).toBe(false);
    }
    for (const event of odd) {
      expect(JSON.parse(text(files[`${safeName(event.type).replace(/^manifest$/, "%6Danifest")}.json`]))).toEqual([
        event,
      ]);
      expect(decodeURIComponent(safeName(event.type))).toBe(event.type);
    }
  });
});

describe("csv encoding", () => {
  it("quotes only what needs quoting and doubles quotes", () => {
    expect(csvField("plain")).toBe("plain");
    expect(csvField("a,b")).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField("line\nbreak")).toBe('"line\nbreak"');
    expect(csvField("cr\rhere")).toBe('"cr\rhere"');
    expect(csvLine(["a", "b,c", ""])).toBe('a,"b,c",\r\n');
  });

  it("flattens to dotted paths, arrays as JSON text", () => {
    const cells: Record<string, string> = {};
    flatten({ a: { b: { c: 1 } }, list: [1, { x: 2 }], n: null, t: true, e: {} }, (path, cell) => {
      cells[path] = cell;
    });
    expect(cells).toEqual({ "a.b.c": "1", list: '[1,{"x":2}]', n: "", t: "true", e: "{}" });
  });
});
