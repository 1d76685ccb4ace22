import { parse } from "csv-parse/sync";
import { describe, expect, it } from "vitest";
import { advanceBuild, type BuildContext } from "../../src/archive/builder";
import { CsvRows, flatten, MAX_COLUMNS, OVERFLOW_COLUMN, pathsOf, unionOfPaths } from "../../src/archive/csv";
import { TSV_DIALECT, tsvField } from "../../src/archive/tsv";
import { buildInMemory, META, MemoryStore, MemoryTarget, memorySource, text, unzip } from "../helpers/archive";

/** A reader written from the README's rule alone: lines on \n, fields on tab, then \\ \t \n \r unescaped. */
function readTsv(file: string): string[][] {
  expect(file.endsWith("\n")).toBe(true);
  return file
    .slice(0, -1)
    .split("\n")
    .map((line) =>
      line.split("\t").map((field) =>
        field.replace(/\\(.?)/g, (_, next: string) => {
          const char = { "\\": "\\", t: "\t", n: "\n", r: "\r" }[next];
          if (char === undefined) throw new Error(`unknown escape \\${next} in ${JSON.stringify(field)}`);
          return char;
        }),
      ),
    );
}

function records(file: string): Array<Record<string, string>> {
  const [header, ...rows] = readTsv(file);
  return rows.map((row) => {
    expect(row).toHaveLength(header.length);
    return Object.fromEntries(header.map((column, i) => [column, row[i]]));
  });
}

/** Cells a spreadsheet would run: each gets a leading ' (the CSV rule). */
const FORMULAS = ['=HYPERLINK("http://x")', "+1", "-2", "@SUM(A1)", "\tstarts with a tab", "\rstarts with CR"];

/** Values as the UBX toolkit's users paste them: notes with tabs and line breaks, names in any script. */
const TRICKY = [
  "plain",
  "tab\tinside",
  "two\nlines",
  "windows\r\nline end",
  "lone\rreturn",
  "C:\\Users\\ana\\notes.txt",
  "a literal backslash-n: \\n, and \\t",
  "ends with a backslash\\",
  "\\\t\\\n",
  "",
  "  spaces kept  ",
  "🚀 emoji 👩🏽‍💻 with ZWJ",
  "עברית וערבית: مرحبا",
  "e\u0301 combining, n\u0303, a\u030a",
  'comma, and "quotes" are plain text here',
  ...FORMULAS,
];

function trickyEvents() {
  return TRICKY.map((value, i) => ({
    specversion: "1.0",
    id: `evt_${String(i).padStart(26, "0")}`,
    source: "/ubx",
    type: i % 2 ? "ubx.note" : "ubx.contact",
    time: "2026-11-21T10:00:00.000Z",
    data: {
      note: value,
      attributes: { score: -i / 4, big: 1e21, opted_in: i % 3 === 0, phone: null },
      identifiers: [{ name: "email", value: `u${i}@example.com\t` }],
      empty: {},
      ...(i === 5 ? { [`odd\tkey\n${value}`]: "key with a tab" } : {}),
    },
  }));
}

describe("tsv field escaping", () => {
  it("escapes backslash, tab, newline and CR, and nothing else", () => {
    expect(tsvField("plain, \"quoted\" 'text'")).toBe("plain, \"quoted\" 'text'");
    expect(tsvField("a\tb")).toBe("a\\tb");
    expect(tsvField("a\nb")).toBe("a\\nb");
    expect(tsvField("a\r\nb")).toBe("a\\r\\nb");
    expect(tsvField("C:\\dir")).toBe("C:\\\\dir");
    expect(tsvField("\\n")).toBe("\\\\n");
    expect(tsvField("")).toBe("");
  });

  it("every value comes back exactly through the reference reader, whatever it holds", () => {
    const events = trickyEvents();
    const rows = new CsvRows(unionOfPaths(events.map(pathsOf)), { escapeFormulas: false, dialect: TSV_DIALECT });
    const file = rows.header() + events.map((event) => rows.row(event)).join("");
    const [header] = readTsv(file);
    expect(header).toEqual([...rows.columns]);
    const read = records(file);
    expect(read).toHaveLength(events.length);
    events.forEach((event, i) => {
      expect(read[i]["data.note"]).toBe(TRICKY[i]);
      // Every cell is the one CSV writes for the same leaf (one cell-value function for both).
      flatten(event, (path, cell) => expect(read[i][path]).toBe(cell));
    });
    expect(rows.dropped).toBe(0);
  });
});

describe("tsv archives", () => {
  const events = trickyEvents();
  const byType = (type: string) => events.filter((event) => event.type === type);

  it("{type}.tsv: the CSV header and cells, tab-separated, \\n line ends, formulas defused", async () => {
    const tsv = unzip((await buildInMemory("tsv", memorySource(events))).zip);
    const csv = unzip((await buildInMemory("csv", memorySource(events))).zip);
    expect(Object.keys(tsv).sort()).toEqual(["manifest.json", "ubx.contact.tsv", "ubx.note.tsv"]);
    for (const type of ["ubx.contact", "ubx.note"]) {
      const file = text(tsv[`${type}.tsv`]);
      expect([...tsv[`${type}.tsv`].slice(0, 3)]).not.toEqual([0xef, 0xbb, 0xbf]);
      expect(file).not.toContain("\r");
      const lines = readTsv(file);
      expect(lines).toHaveLength(byType(type).length + 1);
      // Same columns and the same cell text (formula prefix included) as the CSV build of the same events.
      expect(lines).toEqual(parse(text(csv[`${type}.csv`])));
    }
    const contacts = records(text(tsv["ubx.contact.tsv"]));
    const notes = records(text(tsv["ubx.note.tsv"]));
    const all = [...contacts, ...notes];
    const written = all.map((row) => row["data.note"]);
    for (const formula of FORMULAS) {
      expect(written).toContain(`'${formula}`);
      expect(written).not.toContain(formula);
    }
    expect(written).toContain("tab\tinside");
    expect(written).toContain("C:\\Users\\ana\\notes.txt");
    // Numbers as JSON writes them, never prefixed; booleans as true/false; null empty; arrays and {} as JSON text.
    expect(contacts[1]["data.attributes.score"]).toBe("-0.5");
    expect(contacts[0]["data.attributes.big"]).toBe("1e+21");
    expect(contacts.map((row) => row["data.attributes.opted_in"])).toContain("false");
    expect(contacts[0]["data.attributes.opted_in"]).toBe("true");
    expect(contacts[0]["data.attributes.phone"]).toBe("");
    expect(contacts[0]["data.empty"]).toBe("{}");
    expect(JSON.parse(contacts[0]["data.identifiers"])).toEqual(byType("ubx.contact")[0].data.identifiers);
    // A key holding a tab and a newline is a header cell like any other.
    const [noteHeader] = readTsv(text(tsv["ubx.note.tsv"]));
    expect(noteHeader).toContain(`data.odd\tkey\n${TRICKY[5]}`);
  });

  it("the manifest names the files, the formula setting and the overflow column", async () => {
    const wide = {
      id: "evt_wide",
      type: "ubx.wide",
      data: Object.fromEntries(Array.from({ length: MAX_COLUMNS + 50 }, (_, i) => [`k${i}`, `v\t${i}`])),
    };
    const files = unzip((await buildInMemory("tsv", memorySource([...events, wide]))).zip);
    const manifest = JSON.parse(text(files["manifest.json"]));
    expect(manifest).toMatchObject({ format: "tsv", csv_escape_formulas: true, events: events.length + 1 });
    const overflow = Object.fromEntries(
      manifest.files.map((file: { name: string; overflow_column: string | null }) => [file.name, file.overflow_column]),
    );
    expect(overflow).toEqual({ "ubx.contact.tsv": null, "ubx.note.tsv": null, "ubx.wide.tsv": OVERFLOW_COLUMN });
    const [header, row] = readTsv(text(files["ubx.wide.tsv"]));
    expect(header).toHaveLength(MAX_COLUMNS);
    expect(header.at(-1)).toBe(OVERFLOW_COLUMN);
    const cells = Object.fromEntries(header.map((column, i) => [column, row[i]]));
    const rest = JSON.parse(cells[OVERFLOW_COLUMN]);
    // Every key is back, either in its own column or in the overflow, with its tab intact.
    for (const [key, value] of Object.entries(wide.data)) expect(cells[`data.${key}`] ?? rest.data[key]).toBe(value);
  });

  it("resumed at every page, each file is byte for byte the one a single run writes", async () => {
    const wide = Array.from({ length: 9 }, (_, i) => ({
      id: `evt_${i}`,
      type: "ubx.wide",
      data: Object.fromEntries(Array.from({ length: 200 }, (_, k) => [`long_column_name_${i % 3}_${k}`, `x\ty${k}`])),
    }));
    const source = memorySource([...events, ...wide]);
    const once = unzip((await buildInMemory("tsv", source)).zip);
    const { runs, zip, store } = await buildInMemory("tsv", source, { pageSize: 2, resumeEvery: true });
    expect(runs).toBeGreaterThan(10);
    const resumed = unzip(zip);
    for (const name of Object.keys(once).filter((name) => name !== "manifest.json")) {
      expect(text(resumed[name])).toBe(text(once[name]));
    }
    expect(store.objects.size).toBe(0);
  });

  it("with csv_escape_formulas off, formula-like values are written as they are", async () => {
    const context: BuildContext = {
      format: "tsv",
      meta: META,
      source: memorySource(events),
      target: new MemoryTarget(),
      store: new MemoryStore(),
      csvEscapeFormulas: false,
    };
    await advanceBuild(context, null, { deadline: Number.POSITIVE_INFINITY, maxCalls: Number.POSITIVE_INFINITY });
    const files = unzip((context.target as MemoryTarget).zip());
    expect(JSON.parse(text(files["manifest.json"]))).toMatchObject({ csv_escape_formulas: false });
    const notes = records(text(files["ubx.note.tsv"])).map((row) => row["data.note"]);
    const contacts = records(text(files["ubx.contact.tsv"])).map((row) => row["data.note"]);
    expect([...contacts, ...notes].sort()).toEqual([...TRICKY].sort());
  });
});
