import { parse } from "csv-parse/sync";
import { describe, expect, it } from "vitest";
import { advanceBuild, type BuildContext, type BuildState } from "../../src/archive/builder";
import {
  ColumnUnion,
  CsvRows,
  flatten,
  jsonText,
  MAX_COLUMNS,
  MAX_DEPTH,
  MAX_EVENT_PATHS,
  MAX_PATH_LENGTH,
  OVERFLOW_COLUMN,
  pathsOf,
  unionOfPaths,
} from "../../src/archive/csv";
import { buildInMemory, META, MemoryStore, MemoryTarget, memorySource, text, unzip } from "../helpers/archive";

/** `{"a": {"a": … "bottom"}}`, `levels` objects deep, and its JSON text built without JSON.stringify. */
function nested(levels: number) {
  let value: unknown = "bottom";
  for (let i = 0; i < levels; i++) value = { a: value };
  return { value, json: `${'{"a":'.repeat(levels)}"bottom"${"}".repeat(levels)}` };
}

function wide(keys: number, prefix = "k") {
  return Object.fromEntries(Array.from({ length: keys }, (_, i) => [`${prefix}${i}`, i]));
}

/** A CSV file's rows as objects by column name. */
function records(csv: string): Array<Record<string, string>> {
  return parse(csv, { columns: true }) as Array<Record<string, string>>;
}

describe("an event's columns are bounded", () => {
  it.each([4_000, 100_000])(
    "nested %i levels deep: paths stop at the depth limit, the rest is one overflow",
    (levels) => {
      const deep = nested(levels);
      const event = { id: "evt_deep", type: "t", data: deep.value };
      const paths = pathsOf(event);
      expect(paths).toEqual(["id", "type", OVERFLOW_COLUMN]);

      // The whole of `data` is past the depth limit: the overflow holds it, intact, and the row is one line of 3 cells.
      const rows = new CsvRows(paths);
      const [row] = records(rows.header() + rows.row(event));
      expect(row.id).toBe("evt_deep");
      expect(row[OVERFLOW_COLUMN]).toBe(`{"data":${deep.json}}`);
      expect(rows.dropped).toBe(0);

      const cells: Record<string, string> = {};
      flatten(event, (path, cell) => {
        cells[path] = cell;
      });
      expect(Object.keys(cells)).toEqual(paths);
      expect(cells[OVERFLOW_COLUMN]).toBe(row[OVERFLOW_COLUMN]);
    },
  );

  it("a path has at most MAX_DEPTH keys; deeper parts go to the overflow at their place", () => {
    const event = { id: "e", data: nested(MAX_DEPTH + 5).value };
    const paths = pathsOf(event);
    // `data` is one key, then MAX_DEPTH - 1 levels of `a` fit, and the value there is still an object.
    expect(paths).toEqual(["id", OVERFLOW_COLUMN]);
    const fits = { id: "e", data: nested(MAX_DEPTH - 1).value };
    const [path] = pathsOf(fits).slice(1);
    expect(path.split(".")).toHaveLength(MAX_DEPTH);
    expect(pathsOf(fits)).not.toContain(OVERFLOW_COLUMN);

    const rows = new CsvRows(paths);
    const [row] = records(rows.header() + rows.row(event));
    expect(JSON.parse(row[OVERFLOW_COLUMN])).toEqual({ data: event.data });
  });

  it("100,000 keys: the first MAX_EVENT_PATHS leaves get columns, the others are in the overflow", () => {
    const event = { id: "evt_wide", type: "t", data: wide(100_000) };
    const paths = pathsOf(event);
    expect(paths).toHaveLength(MAX_EVENT_PATHS + 1);
    expect(paths.slice(0, 3)).toEqual(["id", "type", "data.k0"]);
    expect(paths.at(-2)).toBe(`data.k${MAX_EVENT_PATHS - 3}`);
    expect(paths.at(-1)).toBe(OVERFLOW_COLUMN);
    expect(JSON.stringify(paths).length).toBeLessThan(MAX_EVENT_PATHS * 20);

    const rows = new CsvRows(paths);
    const [row] = records(rows.header() + rows.row(event));
    expect(row["data.k0"]).toBe("0");
    expect(row[`data.k${MAX_EVENT_PATHS - 3}`]).toBe(String(MAX_EVENT_PATHS - 3));
    const overflow = JSON.parse(row[OVERFLOW_COLUMN]);
    expect(Object.keys(overflow)).toEqual(["data"]);
    expect(Object.keys(overflow.data)).toHaveLength(100_000 - (MAX_EVENT_PATHS - 2));
    // Columns and overflow together are the whole event.
    const back = { ...overflow.data };
    for (const path of paths.filter((p) => p.startsWith("data."))) back[path.slice(5)] = Number(row[path]);
    expect(back).toEqual(event.data);
  });

  it("a path longer than MAX_PATH_LENGTH gets no column", () => {
    const long = "x".repeat(MAX_PATH_LENGTH);
    const event = { id: "e", data: { [long]: 1, short: 2, nest: { [long.slice(10)]: 3 } } };
    const paths = pathsOf(event);
    // "data.nest." and 246 characters is 256: the longest path that still gets a column.
    expect(paths).toEqual(["id", "data.short", `data.nest.${long.slice(10)}`, OVERFLOW_COLUMN]);
    for (const path of paths) expect(path.length).toBeLessThanOrEqual(MAX_PATH_LENGTH);
    const rows = new CsvRows(paths);
    const [row] = records(rows.header() + rows.row(event));
    expect(JSON.parse(row[OVERFLOW_COLUMN])).toEqual({ data: { [long]: 1 } });
  });

  it("pathsOf, flatten and CsvRows agree on ordinary events (no overflow)", () => {
    const event = {
      id: "e",
      type: "t",
      data: { user: { id: 7, tags: ["a", [1, 2]], empty: {} }, "dotted.key": "v", n: null, ok: true },
    };
    const paths = pathsOf(event);
    expect(paths).toEqual([
      "id",
      "type",
      "data.user.id",
      "data.user.tags",
      "data.user.empty",
      "data.dotted.key",
      "data.n",
      "data.ok",
    ]);
    const cells: Record<string, string> = {};
    flatten(event, (path, cell) => {
      cells[path] = cell;
    });
    const rows = new CsvRows(paths);
    expect(records(rows.header() + rows.row(event))).toEqual([cells]);
    expect(rows.overflowColumn).toBeNull();
  });

  it("two leaves with one dotted path: the second goes to the overflow, not over the first", () => {
    const event = { data: { "a.b": 1, a: { b: 2 } } };
    const rows = new CsvRows(pathsOf(event));
    expect(rows.columns).toEqual(["data.a.b"]);
    // Without an overflow column the second value has nowhere to go: counted, not silently lost.
    rows.row(event);
    expect(rows.dropped).toBe(1);
    const withOverflow = new CsvRows(["data.a.b", OVERFLOW_COLUMN]);
    const [row] = records(withOverflow.header() + withOverflow.row(event));
    expect(row["data.a.b"]).toBe("1");
    expect(JSON.parse(row[OVERFLOW_COLUMN])).toEqual({ data: { a: { b: 2 } } });
  });

  it("jsonText writes what JSON.stringify writes, and values too deep for it", () => {
    for (const value of [{ a: [1, "x", null, true, { b: {} }], 'k"ey': "\n" }, [], {}, "s", 1.5, null]) {
      expect(jsonText(value)).toBe(JSON.stringify(value));
    }
    const deep = nested(200_000);
    expect(jsonText(deep.value)).toBe(deep.json);
    const deepArray = JSON.parse(`${"[".repeat(200_000)}1${"]".repeat(200_000)}`);
    expect(jsonText({ x: deepArray })).toBe(`{"x":${"[".repeat(200_000)}1${"]".repeat(200_000)}}`);
  });
});

describe("a file's columns are bounded", () => {
  it("a union of more than MAX_COLUMNS paths keeps the first MAX_COLUMNS - 1 and an overflow column", () => {
    const shapes = [Array.from({ length: 800 }, (_, i) => `a${i}`), Array.from({ length: 800 }, (_, i) => `b${i}`)];
    const rows = new CsvRows(unionOfPaths(shapes));
    expect(rows.columns).toHaveLength(MAX_COLUMNS);
    expect(rows.columns.at(-1)).toBe(OVERFLOW_COLUMN);
    expect(rows.columns[MAX_COLUMNS - 2]).toBe(`b${MAX_COLUMNS - 2 - 800}`);

    const union = new ColumnUnion();
    union.add(shapes[0]);
    expect(union.full).toBe(false);
    union.add(shapes[1]);
    expect(union.full).toBe(true);
    expect(union.columns()).toEqual(rows.columns);
  });

  it("an overflow marker anywhere in the union puts the overflow column last; a small union is left as it is", () => {
    expect(new CsvRows(["a", OVERFLOW_COLUMN, "b"]).columns).toEqual(["a", "b", OVERFLOW_COLUMN]);
    expect(new CsvRows(["a", "b", "a"]).columns).toEqual(["a", "b"]);
    const union = new ColumnUnion();
    union.add(["a", OVERFLOW_COLUMN]);
    expect(union.columns()).toEqual(["a", OVERFLOW_COLUMN]);
  });

  it("wide events of one type build a CSV with at most MAX_COLUMNS columns, nothing dropped", async () => {
    const events = Array.from({ length: 6 }, (_, i) => ({
      id: `evt_${i}`,
      type: "wide",
      data: wide(400, `e${i}_`),
    }));
    const { zip, step } = await buildInMemory("csv", memorySource(events));
    expect(step.droppedCells).toBe(0);
    const files = unzip(zip);
    const csv = text(files["wide.csv"]);
    const [header] = parse(csv, { to_line: 1 }) as string[][];
    expect(header).toHaveLength(MAX_COLUMNS);
    expect(header.at(-1)).toBe(OVERFLOW_COLUMN);
    const rows = records(csv);
    // Event 0 and 1 fit (802 columns with id and type), event 2 half: its other half and all of 3-5 overflow.
    expect(rows[0][OVERFLOW_COLUMN]).toBe("");
    expect(Object.keys(JSON.parse(rows[2][OVERFLOW_COLUMN]).data)).toHaveLength(400 - (MAX_COLUMNS - 1 - 2 - 800));
    expect(JSON.parse(rows[5][OVERFLOW_COLUMN])).toEqual({ data: events[5].data });
    const manifest = JSON.parse(text(files["manifest.json"]));
    expect(manifest.files).toEqual([expect.objectContaining({ name: "wide.csv", overflow_column: OVERFLOW_COLUMN })]);
  });

  it("a CSV file with nothing to overflow says so in the manifest", async () => {
    const { zip } = await buildInMemory("csv", memorySource([{ id: "e", type: "t", data: { a: 1 } }]));
    const manifest = JSON.parse(text(unzip(zip)["manifest.json"]));
    expect(manifest.files).toEqual([expect.objectContaining({ name: "t.csv", overflow_column: null })]);
    expect(manifest.csv_escape_formulas).toBe(true);
  });
});

describe("the checkpoint carries no columns", () => {
  it("a build of wide events resumed at every page keeps its checkpoints small and its file identical", async () => {
    const events = Array.from({ length: 12 }, (_, i) => ({
      id: `evt_${i}`,
      type: "wide",
      data: wide(300, `column_with_a_rather_long_name_${i % 4}_`),
    }));
    const source = memorySource(events);
    const once = await buildInMemory("csv", source);
    const target = new MemoryTarget();
    const store = new MemoryStore();
    const context: BuildContext = { format: "csv", meta: META, source, target, store, pageSize: 2 };
    let saved: BuildState | null = null;
    let largest = 0;
    for (;;) {
      const step = await advanceBuild(context, saved, { deadline: 0, maxCalls: Number.POSITIVE_INFINITY });
      if (step.done) break;
      const json = JSON.stringify(step.state);
      largest = Math.max(largest, json.length);
      expect(json).not.toContain("column_with_a_rather_long_name");
      saved = JSON.parse(json) as BuildState;
    }
    expect(largest).toBeLessThan(4_000);
    expect(text(unzip(target.zip())["wide.csv"])).toBe(text(unzip(once.zip)["wide.csv"]));
    expect(store.objects.size).toBe(0);
  });

  it("a resumed build whose columns are gone from the scratch store stops with the reason", async () => {
    const events = Array.from({ length: 6 }, (_, i) => ({ id: `evt_${i}`, type: "t", data: { i } }));
    const store = new MemoryStore();
    const context: BuildContext = {
      format: "csv",
      meta: META,
      source: memorySource(events),
      target: new MemoryTarget(),
      store,
      pageSize: 2,
    };
    const first = await advanceBuild(context, null, { deadline: 0, maxCalls: Number.POSITIVE_INFINITY });
    expect(first.done).toBe(false);
    const state = (first as { state: BuildState }).state;
    expect([...store.objects.keys()]).toContain(`columns-${state.seq}.json`);
    store.objects.delete(`columns-${state.seq}.json`);
    await expect(advanceBuild(context, state, { deadline: 0, maxCalls: 10 })).rejects.toThrow(/CSV columns/);
  });
});

describe("formula escaping", () => {
  const event = {
    id: "e",
    type: "t",
    "=top": "header",
    data: {
      eq: '=HYPERLINK("x")',
      plus: "+1",
      minus: "-cmd",
      at: "@SUM(A1)",
      tab: "\tx",
      cr: "\rx",
      n: -5,
      s: "-5",
      ok: "a=b",
    },
  };

  it("prefixes cells and headers a spreadsheet would run with ', but not numbers", () => {
    const rows = new CsvRows(pathsOf(event));
    const [header] = parse(rows.header()) as string[][];
    expect(header).toContain("'=top");
    const [row] = parse(rows.header() + rows.row(event), { columns: true }) as Array<Record<string, string>>;
    expect(row).toMatchObject({
      "'=top": "header",
      "data.eq": '\'=HYPERLINK("x")',
      "data.plus": "'+1",
      "data.minus": "'-cmd",
      "data.at": "'@SUM(A1)",
      "data.tab": "'\tx",
      "data.cr": "'\rx",
      "data.n": "-5",
      "data.s": "'-5",
      "data.ok": "a=b",
    });
  });

  it("can be turned off, and the manifest says which", async () => {
    const rows = new CsvRows(pathsOf(event), { escapeFormulas: false });
    const [row] = parse(rows.header() + rows.row(event), { columns: true }) as Array<Record<string, string>>;
    expect(row).toMatchObject({ "=top": "header", "data.eq": event.data.eq, "data.minus": "-cmd", "data.tab": "\tx" });

    for (const csvEscapeFormulas of [true, false]) {
      const target = new MemoryTarget();
      const context: BuildContext = {
        format: "csv",
        meta: META,
        source: memorySource([event]),
        target,
        store: new MemoryStore(),
        csvEscapeFormulas,
      };
      const step = await advanceBuild(context, null, { deadline: Number.POSITIVE_INFINITY, maxCalls: 1e9 });
      expect(step.done).toBe(true);
      const files = unzip(target.zip());
      expect(JSON.parse(text(files["manifest.json"])).csv_escape_formulas).toBe(csvEscapeFormulas);
      const [written] = records(text(files["t.csv"]));
      expect(written["data.at"]).toBe(csvEscapeFormulas ? "'@SUM(A1)" : "@SUM(A1)");
    }
  });
});
