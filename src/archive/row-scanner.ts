import type { PathLimits } from "../lib/dotted-paths";

/** A file's header as a tree of keys: CsvRows (csv.ts) walks parsed events along it, RowScanner reads text along it. */
export interface ColumnNode {
  /** The cell this path fills, or -1 when it only leads to deeper columns. */
  column: number;
  children: Map<string, ColumnNode>;
  key: string;
  /** Characters in the dotted path up to here. */
  pathLength: number;
  /** The key's JSON text is the key itself (no quote, backslash or control character in it). */
  plainKey: boolean;
  /** The children met in the last event, in its order: the next event's keys are expected in the same order. */
  order: ColumnNode[];
  /** The scan that last met this path: meeting it twice in one event means a duplicate key. */
  seen: number;
}

function columnNode(key: string, pathLength: number): ColumnNode {
  return {
    column: -1,
    children: new Map(),
    key,
    pathLength,
    plainKey: !/["\\\x00-\x1f]/.test(key),
    order: [],
    seen: 0,
  };
}

/** The tree of `columns` split on dots; the column at `skip` (the overflow column, -1 for none) is no path. */
export function columnTree(columns: readonly string[], skip: number): ColumnNode {
  const root = columnNode("", 0);
  for (const [i, column] of columns.entries()) {
    if (i === skip) continue;
    let node = root;
    for (const key of column.split(".")) {
      let child = node.children.get(key);
      if (!child) {
        child = columnNode(key, node.pathLength ? node.pathLength + 1 + key.length : key.length);
        node.children.set(key, child);
      }
      node = child;
    }
    node.column = i;
  }
  return root;
}

export interface ScanTarget {
  /** How many cells a row has. */
  width: number;
  separator: string;
  lineEnd: string;
  limits: PathLimits;
  /** Formula-like cells get a leading `'` (csv.ts defuseFormula). */
  escapeFormulas: boolean;
  /**
   * The characters that can make the dialect's `field` change a value whose JSON text has no escape (CSV: the
   * comma); "" when none can (TSV), null when unknown (then `field` runs on every cell).
   */
  plainSpecials: string | null;
  field(value: string): string;
  /** The cell of a parsed value, exactly as a row laid out from JSON.parse writes it (escaped strings, arrays). */
  cellOf(value: unknown): string;
}

const QUOTE = 34;
const BACKSLASH = 92;
const COMMA = 44;
const COLON = 58;
const OPEN_BRACE = 123;
const CLOSE_BRACE = 125;
const OPEN_BRACKET = 91;
const CLOSE_BRACKET = 93;
const MINUS = 45;
const PLUS = 43;
const DOT = 46;
const ZERO = 48;
const NINE = 57;
const SPACE = 32;
const EQUALS = 61;
const AT = 64;
const TAB = 9;
const CR = 13;
/** Distinct array cells remembered per file, each of a text this short at most: a few hundred KB when full. */
const ARRAY_CELLS = 256;
const ARRAY_CELL_TEXT = 256;
/** Integers of at most this many digits print back as written (String(Number(text)) === text). */
const EXACT_DIGITS = 15;
/** What a string's text cannot hold unescaped (a control character) or holds when escaped (a backslash). */
const SPECIAL = /[\x00-\x1f\\]/g;
const FIRST_SPECIAL = /[\x00-\x1f\\]/;

const isDigit = (code: number) => code >= ZERO && code <= NINE;
const isSpace = (code: number) => code === SPACE || code === 10 || code === CR || code === TAB;

/**
 * One CSV/TSV row straight from an event's JSON text, for the usual event whose every leaf has a column of its own:
 * the text is read once, left to right, and only the cells are built, never the event's objects. Anything outside
 * that case — a path the header lacks (the overflow cell), a duplicate key, a path past the walk's limits, a control
 * character anywhere (whitespace included: stored events are JSON.stringify's, with none), text that is not strict
 * JSON — makes `scan` return null (or throw), and the caller lays the row out from JSON.parse as before. So a row is
 * byte for byte what JSON.parse and the walk would give (test/unit/archive-row-scanner.test.ts compares the two on
 * random and hostile events). The order keys are met in does not matter here, although JSON.parse moves integer-like
 * keys first: cells are placed by column, and the order only decides which leaves pass the leaf limit or go to the
 * overflow cell, and any event that reaches either is left to JSON.parse.
 *
 * Cheap where it counts: string ends are found with indexOf and escapes with one regex pass over the text, and keys
 * are expected in the previous event's order, so a key costs one comparison with the key expected there.
 */
export class RowScanner {
  private text = "";
  private at = 0;
  /** Where the next control character or backslash is, at or after `at` (text.length when none). */
  private special = 0;
  /** Reused row to row, packed (not holey): join is quicker on it. */
  private readonly cells: string[];
  /** Array cells by their JSON text: arrays of tags and codes repeat, and each costs a parse and a stringify. */
  private readonly arrayCells = new Map<string, string>();
  private leaves = 0;
  private stamp = 0;
  private escaped = false;
  private readonly maxLeaves: number;
  private readonly maxPathLength: number;
  private readonly maxDepth: number;
  private readonly specials: string | null;

  constructor(
    private readonly root: ColumnNode,
    private readonly target: ScanTarget,
  ) {
    this.cells = new Array<string>(target.width).fill("");
    this.maxLeaves = target.limits.leaves;
    this.maxPathLength = target.limits.pathLength;
    this.maxDepth = target.limits.depth;
    this.specials = target.plainSpecials;
  }

  /** The row's line, or null when the caller must parse the event instead. */
  scan(text: string): string | null {
    this.text = text;
    this.at = 0;
    this.leaves = 0;
    this.stamp += 1;
    // The first special from the start: search, which leaves no lastIndex to set (findSpecial does the rest).
    const first = text.search(FIRST_SPECIAL);
    this.special = first < 0 ? text.length : first;
    if (first >= 0 && text.charCodeAt(first) !== BACKSLASH) return null;
    this.skipSpaces();
    if (text.charCodeAt(this.at) !== OPEN_BRACE) return null;
    this.cells.fill("");
    if (!this.object(this.root, 1)) return null;
    this.skipSpaces();
    if (this.at !== text.length) return null;
    if (this.cells.length === 0) return this.target.lineEnd;
    // The line end joins the last cell, not the joined line: one flat string, not a rope the encoder must copy.
    this.cells[this.cells.length - 1] += this.target.lineEnd;
    return this.cells.join(this.target.separator);
  }

  /** The next backslash or control character from `at`; false when it is a control character (the event bails). */
  private findSpecial(): boolean {
    SPECIAL.lastIndex = this.at;
    // test, not exec: no match object per call.
    if (!SPECIAL.test(this.text)) {
      this.special = this.text.length;
      return true;
    }
    this.special = SPECIAL.lastIndex - 1;
    return this.text.charCodeAt(this.special) === BACKSLASH;
  }

  private skipSpaces(): void {
    const text = this.text;
    while (isSpace(text.charCodeAt(this.at))) this.at += 1;
  }

  /** At `{` (not empty unless it is the event): its members, each a column or leading to some, past the `}`. */
  private object(node: ColumnNode, depth: number): boolean {
    const text = this.text;
    this.at += 1;
    if (text.charCodeAt(this.at) === SPACE) this.skipSpaces();
    if (text.charCodeAt(this.at) === CLOSE_BRACE) {
      this.at += 1;
      return true;
    }
    for (let member = 0; ; member++) {
      const child = this.key(node, member);
      if (child === null) return false;
      if (this.leaves >= this.maxLeaves || child.pathLength > this.maxPathLength) return false;
      if (child.seen === this.stamp) return false;
      child.seen = this.stamp;
      if (text.charCodeAt(this.at) === SPACE) this.skipSpaces();
      const code = text.charCodeAt(this.at);
      if (code === OPEN_BRACE && !this.emptyObjectAhead()) {
        if (depth >= this.maxDepth || !this.object(child, depth + 1)) return false;
      } else {
        if (child.column < 0) return false;
        const cell = this.leaf(code);
        if (cell === null) return false;
        this.cells[child.column] = cell;
        this.leaves += 1;
      }
      if (text.charCodeAt(this.at) === SPACE) this.skipSpaces();
      const next = text.charCodeAt(this.at);
      this.at += 1;
      if (next === CLOSE_BRACE) return true;
      if (next !== COMMA) return false;
      if (text.charCodeAt(this.at) === SPACE) this.skipSpaces();
    }
  }

  /** At a member's key: its node (the member expected here if the text spells its key), the cursor past the `:`. */
  private key(node: ColumnNode, member: number): ColumnNode | null {
    const text = this.text;
    if (text.charCodeAt(this.at) !== QUOTE) return null;
    const expected = node.order[member];
    if (expected?.plainKey) {
      const start = this.at + 1;
      const end = start + expected.key.length;
      // A plain key's text is the key: same characters, then the closing quote, and no escape among them.
      if (
        text.charCodeAt(end) === QUOTE &&
        end <= this.special &&
        text.charCodeAt(end + 1) === COLON &&
        text.slice(start, end) === expected.key
      ) {
        this.at = end + 2;
        return expected;
      }
    }
    const key = this.string();
    if (key === null) return null;
    if (text.charCodeAt(this.at) === SPACE) this.skipSpaces();
    if (text.charCodeAt(this.at) !== COLON) return null;
    this.at += 1;
    const child = node.children.get(key);
    if (!child) return null;
    node.order[member] = child;
    return child;
  }

  private emptyObjectAhead(): boolean {
    let at = this.at + 1;
    while (isSpace(this.text.charCodeAt(at))) at += 1;
    return this.text.charCodeAt(at) === CLOSE_BRACE;
  }

  /** A value with a column of its own, as its cell. */
  private leaf(code: number): string | null {
    const text = this.text;
    if (code === QUOTE) {
      const value = this.string();
      if (value === null) return null;
      // An escape can spell anything (quotes, tabs, line ends): such a string takes the general way.
      if (this.escaped) return this.target.cellOf(value);
      return this.plainCell(this.target.escapeFormulas ? defused(value) : value);
    }
    if (code === MINUS || isDigit(code)) return this.number();
    if (code === OPEN_BRACKET || code === OPEN_BRACE) {
      const start = this.at;
      if (!this.skipComposite()) return null;
      const json = text.slice(start, this.at);
      if (json.length > ARRAY_CELL_TEXT) return this.target.cellOf(JSON.parse(json));
      let cell = this.arrayCells.get(json);
      if (cell === undefined) {
        cell = this.target.cellOf(JSON.parse(json));
        if (this.arrayCells.size >= ARRAY_CELLS) this.arrayCells.clear();
        this.arrayCells.set(json, cell);
      }
      return cell;
    }
    const literal = code === 116 ? "true" : code === 102 ? "false" : code === 110 ? "null" : null;
    if (literal === null || !text.startsWith(literal, this.at)) return null;
    this.at += literal.length;
    // true and false print as written, null as an empty cell; none is formula-like or holds a special.
    return literal === "null" ? "" : literal;
  }

  /** A cell whose text came from unescaped JSON: the dialect's `field` is needed only if it holds a special. */
  private plainCell(text: string): string {
    const specials = this.specials;
    if (specials === "") return text;
    if (specials !== null) {
      // One includes for the usual single special (CSV's comma), else one per special.
      let special = specials.length === 1 ? text.includes(specials) : false;
      for (let i = 0; i < specials.length && specials.length > 1 && !special; i++) special = text.includes(specials[i]);
      if (!special) return text;
    }
    return this.target.field(text);
  }

  /** At `"`: the string's value, the cursor past its closing quote; null when it is not strict JSON. */
  private string(): string | null {
    const text = this.text;
    const start = this.at + 1;
    const end = text.indexOf('"', start);
    if (end < 0) return null;
    if (end < this.special) {
      this.at = end + 1;
      this.escaped = false;
      return text.slice(start, end);
    }
    return this.escapedString();
  }

  /** JSON.parse decodes the escapes (and rejects a bad one or a control character), so they mean what they mean to it. */
  private escapedString(): string | null {
    const text = this.text;
    const start = this.at;
    let at = start + 1;
    for (;;) {
      const code = text.charCodeAt(at);
      if (code === QUOTE) break;
      // Also NaN, past the end of the text.
      if (!(code >= 32)) return null;
      at += code === BACKSLASH ? 2 : 1;
    }
    this.at = at + 1;
    this.escaped = true;
    const value = JSON.parse(text.slice(start, this.at)) as string;
    return this.findSpecial() ? value : null;
  }

  /** A number as JSON.parse reads it and String() prints it (`1.50` → `1.5`, `1e2` → `100`, `-0` → `0`). */
  private number(): string | null {
    const text = this.text;
    const start = this.at;
    let at = start;
    const negative = text.charCodeAt(at) === MINUS;
    if (negative) at += 1;
    const first = text.charCodeAt(at);
    if (first === ZERO) at += 1;
    else if (isDigit(first)) while (isDigit(text.charCodeAt(at))) at += 1;
    else return null;
    const integerEnd = at;
    if (text.charCodeAt(at) === DOT) {
      at += 1;
      if (!isDigit(text.charCodeAt(at))) return null;
      while (isDigit(text.charCodeAt(at))) at += 1;
    }
    const exponent = text.charCodeAt(at);
    if (exponent === 101 || exponent === 69) {
      at += 1;
      const sign = text.charCodeAt(at);
      if (sign === PLUS || sign === MINUS) at += 1;
      if (!isDigit(text.charCodeAt(at))) return null;
      while (isDigit(text.charCodeAt(at))) at += 1;
    }
    this.at = at;
    const written = text.slice(start, at);
    const digits = integerEnd - start - (negative ? 1 : 0);
    const exact = at === integerEnd && digits <= EXACT_DIGITS && written !== "-0";
    // Numbers are never defused (csv.ts defuseFormula).
    return this.plainCell(exact ? written : String(Number(written)));
  }

  /** At `[` or `{`: past the matching close, strings and nesting followed; JSON.parse checks the rest. */
  private skipComposite(): boolean {
    const text = this.text;
    let depth = 0;
    let at = this.at;
    for (;;) {
      const code = text.charCodeAt(at);
      if (code === QUOTE) {
        at += 1;
        for (;;) {
          const inner = text.charCodeAt(at);
          if (inner === QUOTE) break;
          if (!(inner >= 32)) return false;
          at += inner === BACKSLASH ? 2 : 1;
        }
      } else if (code === OPEN_BRACKET || code === OPEN_BRACE) {
        depth += 1;
      } else if (code === CLOSE_BRACKET || code === CLOSE_BRACE) {
        depth -= 1;
        if (depth === 0) {
          this.at = at + 1;
          return this.special >= this.at || this.findSpecial();
        }
      } else if (Number.isNaN(code)) {
        return false;
      }
      at += 1;
    }
  }
}

/** csv.ts defuseFormula (`/^[=+\-@\t\r]/`) without a regex per cell. */
function defused(text: string): string {
  const code = text.charCodeAt(0);
  return code === EQUALS || code === PLUS || code === MINUS || code === AT || code === TAB || code === CR
    ? `'${text}`
    : text;
}
