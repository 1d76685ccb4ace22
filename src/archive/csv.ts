/**
 * CSV per RFC 4180: CRLF line ends, a field quoted when it holds a comma, a quote, CR or LF, quotes doubled, UTF-8
 * without BOM. Columns are dotted paths into the CloudEvent (`data.userDetail.id`); arrays are cells of JSON text.
 *
 * The header must be known before the first row of a streamed file, and it is the union of the keys of all the
 * type's events in the period. Rather than a first pass over the period's bodies (reading every event twice) or
 * per-type temporary files, routing records each archived event's shape — its ordered list of paths, stored once per
 * distinct shape — so the build reads the header from a handful of shape rows before writing (see membership.ts).
 *
 * A publisher decides the shape of its events, so shapes and headers are bounded: an event's columns are its first
 * MAX_EVENT_PATHS leaves at most MAX_DEPTH keys deep whose path is at most MAX_PATH_LENGTH characters, and a file has
 * at most MAX_COLUMNS columns (999, 32, 256 and 1,000). Whatever gets no column of its own goes, as JSON, into one OVERFLOW_COLUMN cell: an
 * object shaped like the event that holds only those parts, so a row's cells and its overflow give the whole event
 * back. The walk that decides this (`walk`) is the one pathsOf, flatten and CsvRows all follow, so they agree.
 */

import { joinPath, type PathLimits, type PathVisitor as Visitor, walkPaths } from "../lib/dotted-paths";
import { type ColumnNode, columnTree, RowScanner } from "./row-scanner";
import { shapeIdOf } from "./shape-id";

export const MAX_DEPTH = 32;
export const MAX_PATH_LENGTH = 256;
export const MAX_COLUMNS = 1000;
/** One less than a file's columns: an event's own columns and its overflow column always fit in one file. */
export const MAX_EVENT_PATHS = MAX_COLUMNS - 1;
/** CloudEvent attribute names are [a-z0-9]: no top-level path of a stored event can be called this. */
export const OVERFLOW_COLUMN = "_overflow";

export type Visit = (path: string, cell: string) => void;

const CSV_PATHS: PathLimits = { depth: MAX_DEPTH, pathLength: MAX_PATH_LENGTH, leaves: MAX_EVENT_PATHS };

/** Recursion at most MAX_DEPTH deep, whatever the event's own depth. */
function walk(event: unknown, visitor: Visitor): void {
  walkPaths(event, visitor, CSV_PATHS);
}

/**
 * The columns an event fills, in order: what routing stores as its shape. OVERFLOW_COLUMN comes last when part of the
 * event gets no column of its own. Never throws, and at most MAX_EVENT_PATHS + 1 paths of MAX_PATH_LENGTH characters.
 */
export function pathsOf(event: unknown): string[] {
  const paths: string[] = [];
  const prefixes = [""];
  let overflow = false;
  walk(event, {
    enter: (key) => prefixes.push(joinPath(prefixes[prefixes.length - 1], key)),
    leave: () => prefixes.pop(),
    leaf: (key) => paths.push(joinPath(prefixes[prefixes.length - 1], key)),
    rest: () => {
      overflow = true;
    },
  });
  if (overflow) paths.push(OVERFLOW_COLUMN);
  return paths;
}

/** The parts of an event that got no column, as an object shaped like the event that holds only them. */
class Overflow {
  private root: Record<string, unknown> | null = null;
  entries = 0;

  add(keys: readonly string[], key: string, value: unknown): void {
    // Null prototypes: a key such as "__proto__" is data here, as it is in the event.
    this.root ??= Object.create(null) as Record<string, unknown>;
    let node = this.root;
    for (const step of keys) {
      node[step] ??= Object.create(null);
      node = node[step] as Record<string, unknown>;
    }
    node[key] = value;
    this.entries += 1;
  }

  json(): string | null {
    return this.root ? jsonText(this.root) : null;
  }
}

/** Every leaf of an event with its cell text, the way a row lays them out, then the overflow cell if there is one. */
export function flatten(value: unknown, visit: Visit): void {
  const prefixes = [""];
  const keys: string[] = [];
  const overflow = new Overflow();
  walk(value, {
    enter(key) {
      prefixes.push(joinPath(prefixes[prefixes.length - 1], key));
      keys.push(key);
    },
    leave() {
      prefixes.pop();
      keys.pop();
    },
    leaf: (key, leaf) => visit(joinPath(prefixes[prefixes.length - 1], key), cellText(leaf)),
    rest: (key, part) => overflow.add(keys, key, part),
  });
  const rest = overflow.json();
  if (rest !== null) visit(OVERFLOW_COLUMN, rest);
}

/** A leaf's cell as a row writes it: formula-like text defused (never a JSON number's), then spelled by the dialect. */
function rowCell(value: unknown, dialect: Dialect, escapeFormulas: boolean): string {
  const text = cellText(value);
  return dialect.field(escapeFormulas && typeof value !== "number" ? defuseFormula(text) : text);
}

function cellText(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return jsonText(value);
}

/** JSON.stringify, which recurses and gives up a few thousand levels down; JSON.parse does not, so an event can. */
export function jsonText(value: unknown): string {
  try {
    return JSON.stringify(value) ?? "null";
  } catch {
    return deepJsonText(value);
  }
}

type JsonFrame = { array: unknown[]; at: number } | { object: Record<string, unknown>; keys: string[]; at: number };

/** The same text as JSON.stringify for a parsed JSON value, written with a stack of its own instead of the call stack. */
function deepJsonText(value: unknown): string {
  const out: string[] = [];
  const stack: JsonFrame[] = [];
  const open = (item: unknown) => {
    if (Array.isArray(item)) {
      out.push("[");
      stack.push({ array: item, at: 0 });
    } else if (item !== null && typeof item === "object") {
      out.push("{");
      stack.push({ object: item as Record<string, unknown>, keys: Object.keys(item), at: 0 });
    } else {
      out.push(JSON.stringify(item) ?? "null");
    }
  };
  open(value);
  while (stack.length) {
    const frame = stack[stack.length - 1];
    if ("array" in frame) {
      if (frame.at === frame.array.length) {
        out.push("]");
        stack.pop();
      } else {
        if (frame.at) out.push(",");
        open(frame.array[frame.at++]);
      }
    } else if (frame.at === frame.keys.length) {
      out.push("}");
      stack.pop();
    } else {
      const key = frame.keys[frame.at++];
      out.push(`${frame.at > 1 ? "," : ""}${JSON.stringify(key)}:`);
      open(frame.object[key]);
    }
  }
  return out.join("");
}

/** The union of several path lists, in first-seen order. */
export function unionOfPaths(lists: Iterable<readonly string[]>): string[] {
  const seen = new Set<string>();
  for (const list of lists) for (const path of list) seen.add(path);
  return [...seen];
}

/**
 * A file's columns from the union of its events' shapes: each path once, at most MAX_COLUMNS, OVERFLOW_COLUMN last
 * when some event overflows or the union has more paths than the file has columns.
 */
export function fileColumns(paths: readonly string[]): string[] {
  const own = new Set(paths);
  const overflow = own.delete(OVERFLOW_COLUMN) || own.size > MAX_COLUMNS;
  return overflow ? [...[...own].slice(0, MAX_COLUMNS - 1), OVERFLOW_COLUMN] : [...own];
}

/** The union of shapes read one at a time, which says when further shapes can no longer change the file's columns. */
export class ColumnUnion {
  private readonly paths = new Set<string>();
  overflow = false;

  add(shape: readonly string[]): void {
    for (const path of shape) {
      if (path === OVERFLOW_COLUMN) this.overflow = true;
      else if (this.paths.size <= MAX_COLUMNS) this.paths.add(path);
    }
  }

  get full(): boolean {
    return this.paths.size > MAX_COLUMNS || (this.overflow && this.paths.size >= MAX_COLUMNS - 1);
  }

  columns(): string[] {
    return fileColumns(this.overflow ? [...this.paths, OVERFLOW_COLUMN] : [...this.paths]);
  }
}

const NEEDS_QUOTES = /[",\r\n]/;

export function csvField(value: string): string {
  return NEEDS_QUOTES.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** How a delimited file spells its fields and lines: the rest (header, rows, overflow, formulas) is CsvRows's. */
export interface Dialect {
  /** The format's name, part of a kept row's format (keptRowFormat). */
  name: string;
  separator: string;
  lineEnd: string;
  field(value: string): string;
  /**
   * The characters that can make `field` change a value whose JSON text has no escape ("" when none can): lets a row
   * read from the JSON text skip `field` for most cells. Left out, `field` runs on every cell.
   */
  plainSpecials?: string;
}

/** Quotes, CR and LF cannot appear in JSON text unescaped: a comma is the only special a plain JSON string can hold. */
export const CSV_DIALECT: Dialect = {
  name: "csv",
  separator: ",",
  lineEnd: "\r\n",
  field: csvField,
  plainSpecials: ",",
};

export function delimitedLine(fields: readonly string[], dialect: Dialect): string {
  let line = "";
  for (let i = 0; i < fields.length; i++) line += (i ? dialect.separator : "") + dialect.field(fields[i]);
  return line + dialect.lineEnd;
}

export function csvLine(fields: readonly string[]): string {
  return delimitedLine(fields, CSV_DIALECT);
}

const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * A cell a spreadsheet would run as a formula gets a leading `'` (OWASP, CSV injection). Cells written from JSON
 * numbers are left alone by the caller: `-5` cannot hold a formula, and `'-5` would no longer be a number.
 */
export function defuseFormula(text: string): string {
  return FORMULA_START.test(text) ? `'${text}` : text;
}

/** Events the row scanner may leave to JSON.parse in a file before it is given up, unless it reads more than that. */
const SCAN_MISSES_TOLERATED = 100;

/**
 * A row kept at route time (archive_items.row_text): the event's cells in its own shape's order (pathsOf), joined by
 * the dialect's separator, no line end. A build places it as is when the file's first `cells` columns are exactly
 * that shape, so a CSV or TSV build mostly joins stored text instead of reading every event's JSON.
 */
export interface KeptRow {
  text: string;
  /** keptRowFormat of the dialect and formula setting it was written with. */
  format: string;
  cells: number;
}

/** What a kept row was written for: the dialect and the formula setting, both of which change its text. */
export function keptRowFormat(dialect: Dialect, escapeFormulas: boolean): string {
  return `${dialect.name}${escapeFormulas ? "" : ":formulas-kept"}`;
}

/**
 * The event's row in its own shape's column order: what CsvRows.row writes when the file's columns are that shape.
 * Null for an event with an empty or dotted key, whose path a header's lookup may read differently from its shape.
 */
export function ownRow(event: unknown, options: Required<CsvOptions>): KeptRow | null {
  const { dialect, escapeFormulas } = options;
  const cells: string[] = [];
  const keys: string[] = [];
  const overflow = new Overflow();
  let plain = true;
  const plainKey = (key: string) => key !== "" && !key.includes(".");
  walk(event, {
    enter(key) {
      plain &&= plainKey(key);
      keys.push(key);
    },
    leave: () => keys.pop(),
    leaf(key, value) {
      plain &&= plainKey(key);
      cells.push(rowCell(value, dialect, escapeFormulas));
    },
    rest: (key, part) => overflow.add(keys, key, part),
  });
  if (!plain) return null;
  const rest = overflow.json();
  if (rest !== null) cells.push(dialect.field(rest));
  return { text: cells.join(dialect.separator), format: keptRowFormat(dialect, escapeFormulas), cells: cells.length };
}

export interface CsvOptions {
  /** Prefix formula-like cells and headers with `'` (default true). */
  escapeFormulas?: boolean;
  /** CSV_DIALECT unless given (tsv.ts has TSV_DIALECT). */
  dialect?: Dialect;
}

/**
 * Rows for one file with a fixed header (bounded by fileColumns). The header is kept as a tree of keys, so a row is
 * laid out by walking the event once with no path strings built; a key with a dot in it (whose path the tree cannot
 * tell apart) falls back to the dotted-path lookup. A part with no column of its own goes into the overflow cell; a
 * part that finds no place at all (a file without an overflow column: not expected, see above) is counted as dropped.
 */
export class CsvRows implements Visitor {
  readonly columns: readonly string[];
  /** OVERFLOW_COLUMN when the file has it, else null. */
  readonly overflowColumn: string | null;
  dropped = 0;
  private readonly escapeFormulas: boolean;
  private readonly dialect: Dialect;
  private readonly overflowIndex: number;
  private readonly index = new Map<string, number>();
  private readonly root: ColumnNode;
  private readonly nodes: Array<ColumnNode | undefined> = [];
  private readonly keys: string[] = [];
  private cells: Array<string | undefined> = [];
  private overflow = new Overflow();
  private readonly scanner: RowScanner;
  private scanHits = 0;
  private scanMisses = 0;
  private readonly keptFormat: string;
  /** Shape id of the file's first n columns, by n: a kept row of n cells with that shape is placed as is. */
  private readonly prefixShapes = new Map<number, string>();
  /** Rows placed from kept text (for tests and the bench: how often the fast way was taken). */
  keptRowsPlaced = 0;

  constructor(columns: readonly string[], options: CsvOptions = {}) {
    this.columns = fileColumns(columns);
    this.escapeFormulas = options.escapeFormulas ?? true;
    this.dialect = options.dialect ?? CSV_DIALECT;
    this.overflowIndex = this.columns.indexOf(OVERFLOW_COLUMN);
    this.overflowColumn = this.overflowIndex >= 0 ? OVERFLOW_COLUMN : null;
    this.keptFormat = keptRowFormat(this.dialect, this.escapeFormulas);
    for (const [i, column] of this.columns.entries()) if (i !== this.overflowIndex) this.index.set(column, i);
    this.root = columnTree(this.columns, this.overflowIndex);
    this.scanner = new RowScanner(this.root, {
      width: this.columns.length,
      separator: this.dialect.separator,
      lineEnd: this.dialect.lineEnd,
      limits: CSV_PATHS,
      escapeFormulas: this.escapeFormulas,
      plainSpecials: this.dialect.plainSpecials ?? null,
      field: (value) => this.dialect.field(value),
      cellOf: (value) => this.cell(value),
    });
  }

  header(): string {
    return delimitedLine(this.escapeFormulas ? this.columns.map(defuseFormula) : this.columns, this.dialect);
  }

  /**
   * The row of an archived event: its kept row when that was written for this file's dialect and formula setting and
   * its shape is the file's first columns (padded with empty cells for the rest), else read from its JSON text.
   */
  rowOf(event: { body: string; shape?: string | null; kept?: KeptRow | null }): string {
    const { kept, shape } = event;
    if (kept && shape && kept.format === this.keptFormat && kept.cells <= this.columns.length) {
      if (this.prefixShape(kept.cells) === shape) {
        this.keptRowsPlaced += 1;
        return kept.text + this.dialect.separator.repeat(this.columns.length - kept.cells) + this.dialect.lineEnd;
      }
    }
    return this.rowOfText(event.body);
  }

  private prefixShape(cells: number): string {
    let id = this.prefixShapes.get(cells);
    if (id === undefined) {
      id = shapeIdOf(JSON.stringify(this.columns.slice(0, cells)));
      this.prefixShapes.set(cells, id);
    }
    return id;
  }

  /**
   * The row of an event given as its JSON text: the same line as `row(JSON.parse(text))`, read from the text without
   * building the event when every leaf has a column (row-scanner.ts), which is most of a CSV build's time otherwise.
   */
  rowOfText(text: string): string {
    let line: string | null = null;
    // A file whose events mostly overflow would pay for both ways: past a point, the scanner is not tried again.
    if (this.scanMisses < SCAN_MISSES_TOLERATED || this.scanMisses <= this.scanHits) {
      try {
        line = this.scanner.scan(text);
      } catch {
        // Whatever the scanner could not read, JSON.parse reads (or throws about) below.
      }
      if (line === null) this.scanMisses += 1;
      else this.scanHits += 1;
    }
    return line ?? this.row(JSON.parse(text));
  }

  row(event: unknown): string {
    this.cells = new Array(this.columns.length);
    this.overflow = new Overflow();
    this.nodes.length = 0;
    this.nodes.push(this.root);
    this.keys.length = 0;
    walk(event, this);
    const rest = this.overflow.json();
    if (rest !== null) {
      if (this.overflowIndex >= 0) this.cells[this.overflowIndex] = this.dialect.field(rest);
      else this.dropped += this.overflow.entries;
    }
    // Holes join as empty cells.
    return this.cells.join(this.dialect.separator) + this.dialect.lineEnd;
  }

  enter(key: string): void {
    this.nodes.push(this.nodes[this.nodes.length - 1]?.children.get(key));
    this.keys.push(key);
  }

  leave(): void {
    this.nodes.pop();
    this.keys.pop();
  }

  leaf(key: string, value: unknown): void {
    const column = this.columnOf(key);
    // A second value for one column (`{"a.b": 1, "a": {"b": 2}}`) is not written over the first.
    if (column >= 0 && this.cells[column] === undefined) this.cells[column] = this.cell(value);
    else this.rest(key, value);
  }

  rest(key: string, value: unknown): void {
    this.overflow.add(this.keys, key, value);
  }

  private columnOf(key: string): number {
    const child = this.nodes[this.nodes.length - 1]?.children.get(key);
    if (child && child.column >= 0) return child.column;
    return this.index.get(this.keys.length ? `${this.keys.join(".")}.${key}` : key) ?? -1;
  }

  private cell(value: unknown): string {
    return rowCell(value, this.dialect, this.escapeFormulas);
  }
}
