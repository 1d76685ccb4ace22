import { createHash } from "node:crypto";
import { describe, expect, it, vi } from "vitest";
import {
  CSV_DIALECT,
  CsvRows,
  type Dialect,
  OVERFLOW_COLUMN,
  ownRow,
  pathsOf,
  unionOfPaths,
} from "../../src/archive/csv";
import { shapeIdOf } from "../../src/archive/shape-id";
import { TSV_DIALECT } from "../../src/archive/tsv";

/** A small seeded PRNG (LCG): every failure is reproducible from its seed. */
function prng(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    pick: <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)],
    chance: (p: number) => next() < p,
  };
}
type Random = ReturnType<typeof prng>;

/** Strings a file has to survive: delimiters, quotes, line ends, backslashes, formulas, every kind of unicode. */
const HOSTILE = [
  "plain",
  "",
  "comma, inside",
  'a "quoted" word',
  "two\nlines",
  "cr\r\nlf",
  "tab\there",
  "back\\slash",
  "ends with \\",
  "\\n literally",
  "=1+1",
  "+33 6 12",
  "-5",
  "@SUM(A1)",
  "\tleading tab",
  "\rleading cr",
  "é à ü ß — “curly” 日本語",
  "🚀 👩🏽‍💻",
  "lone \ud800 high",
  "lone \udc00 low",
  "\u2028\u2029 separators",
  "\u0000 nul \u001f unit",
  "\u007f del",
  "'already quoted",
  "__proto__",
  "1e5",
  "true",
  "null",
];
const KEYS = [
  "a",
  "b",
  "id",
  "name",
  "data",
  "user",
  "x.y",
  "",
  "0",
  "7",
  "01",
  "2fa",
  "__proto__",
  "constructor",
  "with space",
  'q"uote',
  "back\\slash",
  "tab\tkey",
  "é",
  "🚀",
  "\ud800",
  OVERFLOW_COLUMN,
];
/** Numbers as a publisher may write them: JSON.parse and String() reshape most of them. */
const NUMBERS = [
  "0",
  "-0",
  "1",
  "-1",
  "42",
  "1.5",
  "1.50",
  "0.1",
  "-0.0",
  "1e2",
  "1E+2",
  "1e-7",
  "-2.5e-3",
  "123456789012345",
  "1234567890123456",
  "9007199254740993",
  "1e21",
  "1e400",
  "5e-324",
  "0.30000000000000004",
];

interface TextOptions {
  /** Whitespace between tokens (as a pretty-printer writes it). */
  spaced: boolean;
  /** How often an object repeats one of its keys. */
  duplicates: number;
  /** How often a string is written with \u escapes for characters that need none. */
  escapes: number;
}

function stringText(random: Random, value: string, options: TextOptions): string {
  if (!random.chance(options.escapes)) return JSON.stringify(value);
  let out = '"';
  for (const char of value) {
    const code = char.codePointAt(0)!;
    if (code > 0xffff || random.chance(0.5)) out += JSON.stringify(char).slice(1, -1);
    else out += `\\u${code.toString(16).padStart(4, "0")}`;
  }
  return `${out}"`;
}

/** The JSON text of a random value, written by hand: numbers as written, duplicate keys, optional whitespace. */
function valueText(random: Random, depth: number, options: TextOptions): string {
  const space = () => (options.spaced ? random.pick([" ", "\n  ", "\t", "\r\n"]) : "");
  const roll = random.next();
  if (depth > 0 && roll < 0.35) {
    const members: string[] = [];
    const keys: string[] = [];
    const count = random.int(5);
    for (let i = 0; i < count; i++) {
      const key =
        keys.length && random.chance(options.duplicates)
          ? random.pick(keys)
          : random.chance(0.8)
            ? random.pick(KEYS.slice(0, 6))
            : random.pick(KEYS);
      keys.push(key);
      members.push(
        `${space()}${stringText(random, key, options)}${space()}:${space()}${valueText(random, depth - 1, options)}`,
      );
    }
    return `{${members.join(",")}${space()}}`;
  }
  if (depth > 0 && roll < 0.45) {
    const items = Array.from({ length: random.int(4) }, () => `${space()}${valueText(random, depth - 1, options)}`);
    return `[${items.join(",")}${space()}]`;
  }
  if (roll < 0.7) return stringText(random, random.pick(HOSTILE), options);
  if (roll < 0.88) return random.pick(NUMBERS);
  return random.pick(["true", "false", "null"]);
}

function eventText(random: Random, options: TextOptions): string {
  const members = [`"id":${stringText(random, `evt_${random.int(1000)}`, options)}`];
  for (let i = 0; i < 1 + random.int(5); i++) {
    members.push(`${stringText(random, random.pick(KEYS), options)}:${valueText(random, 1 + random.int(4), options)}`);
  }
  return `{${members.join(",")}}`;
}

/** What today's code writes for the text: JSON.parse, then the walk (or the error JSON.parse throws). */
function reference(rows: CsvRows, text: string): string {
  try {
    return rows.row(JSON.parse(text));
  } catch (error) {
    return `threw ${(error as Error).name}`;
  }
}

function scanned(rows: CsvRows, text: string): string {
  try {
    return rows.rowOfText(text);
  } catch (error) {
    return `threw ${(error as Error).name}`;
  }
}

/** 40 event texts of one seed's style: spacing, duplicate keys and escapes drawn once for them all. */
function randomTexts(random: Random): string[] {
  const options: TextOptions = {
    spaced: random.chance(0.2),
    duplicates: random.pick([0, 0, 0.2]),
    escapes: random.pick([0, 0.1, 0.5]),
  };
  return Array.from({ length: 40 }, () => eventText(random, options));
}

/** An event deeper, one with a path longer, and one with more leaves than a CSV file gives columns to. */
function pastTheLimits(): string[] {
  let deep = '"leaf"';
  for (let i = 0; i < 40; i++) deep = `{"k":${deep}}`;
  const long = `{"${"p".repeat(250)}":{"${"q".repeat(10)}":1}}`;
  const wide = `{${Array.from({ length: 1200 }, (_, i) => `"c${i}":${i}`).join(",")}}`;
  return [`{"d":${deep}}`, long, wide];
}

const DIALECTS: Array<[string, Dialect]> = [
  ["csv", CSV_DIALECT],
  ["tsv", TSV_DIALECT],
];

describe("rows read from the JSON text (row-scanner.ts) are byte for byte the rows of JSON.parse", () => {
  it.each(DIALECTS)("%s: random nested events with hostile strings, keys and numbers", (_, dialect) => {
    let rowsRead = 0;
    let rowsParsed = 0;
    for (let seed = 1; seed <= 60; seed++) {
      const random = prng(seed);
      const texts = randomTexts(random);
      // Columns from most of the events (the others then overflow), sometimes cut short or without the overflow cell.
      let columns = unionOfPaths(texts.filter(() => random.chance(0.8)).map((text) => pathsOf(JSON.parse(text))));
      if (random.chance(0.3)) columns = columns.filter(() => random.chance(0.7));
      if (random.chance(0.3)) columns = columns.filter((column) => column !== OVERFLOW_COLUMN);
      for (const escapeFormulas of [true, false]) {
        const rows = new CsvRows(columns, { dialect, escapeFormulas });
        const expected = new CsvRows(columns, { dialect, escapeFormulas });
        const parsed = vi.spyOn(rows, "row");
        for (const text of texts) {
          const context = `seed ${seed}, escapeFormulas ${escapeFormulas}, text ${JSON.stringify(text)}`;
          expect(scanned(rows, text), context).toBe(reference(expected, text));
          expect(rows.dropped, context).toBe(expected.dropped);
        }
        rowsParsed += parsed.mock.calls.length;
        rowsRead += texts.length - parsed.mock.calls.length;
      }
    }
    // Both ways are exercised: a generator whose events all fell back would test nothing.
    expect(rowsRead).toBeGreaterThan(1000);
    expect(rowsParsed).toBeGreaterThan(1000);
  });

  it.each(DIALECTS)("%s: events as stored (JSON.stringify), every one read without JSON.parse", (_, dialect) => {
    const random = prng(7);
    const events = Array.from({ length: 300 }, (_, i) => ({
      specversion: "1.0",
      id: `evt_${i}`,
      type: "course.completed",
      time: new Date(Date.UTC(2026, 10, 21) + i * 1000).toISOString(),
      data: {
        user: { id: random.int(1e9), email: `${random.pick(HOSTILE)}@example.com`, first_name: random.pick(HOSTILE) },
        score: random.int(1000) / 10,
        negative: -random.int(100),
        passed: random.chance(0.5),
        certificate: random.chance(0.5) ? null : `cert_${i}`,
        tags: [random.pick(HOSTILE), random.pick(HOSTILE)],
        comment: random.pick(HOSTILE),
        empty: {},
        nested: { deeper: { deepest: random.pick(HOSTILE) } },
      },
    }));
    const texts = events.map((event) => JSON.stringify(event));
    const columns = unionOfPaths(events.map(pathsOf));
    const rows = new CsvRows(columns, { dialect });
    const expected = new CsvRows(columns, { dialect });
    const parsed = vi.spyOn(rows, "row");
    for (const text of texts) expect(rows.rowOfText(text)).toBe(expected.row(JSON.parse(text)));
    // None fell back: the fast way is the one tested here.
    expect(parsed).not.toHaveBeenCalled();
  });

  it.each(DIALECTS)("%s: events the scanner leaves to JSON.parse still get today's row", (_, dialect) => {
    const columns = ["a", "b.c", "d", "7", OVERFLOW_COLUMN];
    const texts = [
      '{"a":1,"a":2}', // a duplicate key: JSON.parse keeps the last value in the first place
      '{"b":{"c":1},"b":{"c":2}}',
      '{"d":1,"7":2}', // an integer-like key: JSON.parse moves it first
      '{"a":1,"z":2}', // a path the header lacks: the overflow cell
      '{"b.c":5}', // a dotted key
      '{"b":{"c":{"x":1}}}', // an object where the header has a leaf
      "[1,2]", // not an object
      '  {\n\t"a" : "x" ,\r\n "d":[ 1 , {"q":2} ] }  ', // whitespace everywhere
      `{"a":${JSON.stringify("x".repeat(300))}}`,
      `{"a":"${"\\u0041".repeat(5)}"}`,
    ];
    for (const escapeFormulas of [true, false]) {
      const rows = new CsvRows(columns, { dialect, escapeFormulas });
      const expected = new CsvRows(columns, { dialect, escapeFormulas });
      for (const text of texts) expect(scanned(rows, text), text).toBe(reference(expected, text));
    }
  });

  it.each(DIALECTS)(
    "%s: a file whose events mostly overflow stops trying the scanner, rows unchanged",
    (_, dialect) => {
      const rows = new CsvRows(["a", OVERFLOW_COLUMN], { dialect });
      const expected = new CsvRows(["a", OVERFLOW_COLUMN], { dialect });
      const parsed = vi.spyOn(rows, "row");
      const texts = Array.from({ length: 400 }, (_, i) => (i % 4 ? `{"a":${i},"b":"=x${i}"}` : `{"a":"v,${i}"}`));
      for (const text of texts) expect(rows.rowOfText(text)).toBe(expected.row(JSON.parse(text)));
      // Three in four overflow; once given up, the plain ones are parsed too.
      expect(parsed.mock.calls.length).toBeGreaterThan(300);
    },
  );

  it.each(DIALECTS)("%s: deep, long and wide events keep the walk's limits", (_, dialect) => {
    for (const text of pastTheLimits()) {
      const columns = pathsOf(JSON.parse(text));
      const rows = new CsvRows(columns, { dialect });
      const expected = new CsvRows(columns, { dialect });
      expect(scanned(rows, text)).toBe(reference(expected, text));
      expect(rows.dropped).toBe(expected.dropped);
    }
  });

  it.each(DIALECTS)("%s: text JSON.parse refuses is refused the same way", (_, dialect) => {
    const rows = new CsvRows(["a", "b"], { dialect });
    const invalid = [
      "",
      "{",
      '{"a":1',
      '{"a":1,}',
      '{"a":01}',
      '{"a":1.}',
      '{"a":-}',
      '{"a":tru}',
      '{"a":"x\ny"}', // a raw line end inside a string
      '{"a":"x\u0001"}',
      '{"a":"bad \\x escape"}',
      '{"a":"\\u12"}',
      '{"a":1}}',
      '{"a":1} x',
      '\ufeff{"a":1}',
      '{"a":[1,]}',
      '{"a":"unterminated}',
      "{'a':1}",
    ];
    for (const text of invalid) expect(scanned(rows, text), JSON.stringify(text)).toBe(`threw SyntaxError`);
  });
});

describe("rows kept at route time (csv.ts ownRow) are placed only where they are the row JSON.parse gives", () => {
  const keptEvent = (text: string, dialect: Dialect, escapeFormulas: boolean) => {
    const event = JSON.parse(text) as unknown;
    return {
      body: text,
      shape: shapeIdOf(JSON.stringify(pathsOf(event))),
      kept: ownRow(event, { dialect, escapeFormulas }),
    };
  };

  it("a shape id is the first 128 bits of the SHA-256 of the paths' JSON, as routing always stored it", () => {
    for (const paths of ["[]", '["specversion","id","data.user.é"]', JSON.stringify(["x".repeat(5000)])]) {
      expect(shapeIdOf(paths)).toBe(createHash("sha256").update(paths).digest("hex").slice(0, 32));
    }
  });

  it.each(DIALECTS)("%s: random hostile events, files of one shape, of a union and of cut headers", (_, dialect) => {
    let placed = 0;
    let read = 0;
    for (let seed = 1; seed <= 60; seed++) {
      const random = prng(seed);
      const texts = randomTexts(random);
      const shapes = texts.map((text) => pathsOf(JSON.parse(text)));
      // One event's shape, the union of all (later shapes are not prefixes), or a header cut short.
      let columns = random.chance(0.4) ? shapes[0] : unionOfPaths(shapes);
      if (random.chance(0.2)) columns = columns.slice(0, random.int(columns.length + 1));
      for (const escapeFormulas of [true, false]) {
        const rows = new CsvRows(columns, { dialect, escapeFormulas });
        const expected = new CsvRows(columns, { dialect, escapeFormulas });
        for (const text of texts) {
          const context = `seed ${seed}, escapeFormulas ${escapeFormulas}, text ${JSON.stringify(text)}`;
          expect(rows.rowOf(keptEvent(text, dialect, escapeFormulas)), context).toBe(reference(expected, text));
        }
        placed += rows.keptRowsPlaced;
        read += texts.length - rows.keptRowsPlaced;
      }
    }
    // Both ways are exercised (the generator's empty and dotted keys keep most events to the JSON text).
    expect(placed).toBeGreaterThan(100);
    expect(read).toBeGreaterThan(1000);
  });

  it.each(DIALECTS)("%s: a shorter shape first in the header is padded with empty cells", (_, dialect) => {
    const small = '{"id":"evt_1","data":{"name":"=cmd|x, y"}}';
    const wide = '{"id":"evt_2","data":{"name":"b","email":"c\\td"},"extra":-5}';
    const columns = unionOfPaths([pathsOf(JSON.parse(small)), pathsOf(JSON.parse(wide))]);
    const rows = new CsvRows(columns, { dialect });
    const expected = new CsvRows(columns, { dialect });
    for (const text of [small, wide])
      expect(rows.rowOf(keptEvent(text, dialect, true))).toBe(reference(expected, text));
    expect(rows.keptRowsPlaced).toBe(2);
  });

  it("a row kept for another dialect, formula setting or shape is not used", () => {
    const text = '{"id":"evt_1","data":{"note":"=1+1","list":[1,"a\\tb"],"where":"x,y"}}';
    const columns = pathsOf(JSON.parse(text));
    const rows = new CsvRows(columns, { dialect: CSV_DIALECT, escapeFormulas: true });
    const expected = new CsvRows(columns, { dialect: CSV_DIALECT, escapeFormulas: true }).row(JSON.parse(text));
    const tsv = keptEvent(text, TSV_DIALECT, true);
    const formulasKept = keptEvent(text, CSV_DIALECT, false);
    const otherShape = { ...keptEvent(text, CSV_DIALECT, true), shape: shapeIdOf('["id"]') };
    const noShape = { ...keptEvent(text, CSV_DIALECT, true), shape: null };
    for (const event of [tsv, formulasKept, otherShape, noShape]) expect(rows.rowOf(event)).toBe(expected);
    expect(rows.keptRowsPlaced).toBe(0);
    expect(rows.rowOf(keptEvent(text, CSV_DIALECT, true))).toBe(expected);
    expect(rows.keptRowsPlaced).toBe(1);
  });

  it.each(DIALECTS)("%s: deep, long and wide events, whose rows carry the overflow cell", (_, dialect) => {
    for (const text of pastTheLimits()) {
      const columns = pathsOf(JSON.parse(text));
      const rows = new CsvRows(columns, { dialect });
      const expected = new CsvRows(columns, { dialect });
      expect(rows.rowOf(keptEvent(text, dialect, true))).toBe(reference(expected, text));
      expect(rows.keptRowsPlaced).toBe(1);
    }
  });
});
