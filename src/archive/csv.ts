/**
 * CSV per RFC 4180: CRLF line ends, a field quoted when it holds a comma, a quote, CR or LF, quotes doubled, UTF-8
 * without BOM. Columns are dotted paths into the CloudEvent (`data.userDetail.id`); arrays are cells of JSON text.
 *
 * The header must be known before the first row of a streamed file, and it is the union of the keys of all the
 * type's events in the period. Rather than a first pass over the period's bodies (reading every event twice) or
 * per-type temporary files, routing records each archived event's shape — its ordered list of paths, stored once per
 * distinct shape — so the build reads the header from a handful of shape rows before writing (see membership.ts).
 */

export type Visit = (path: string, cell: string) => void;

/** Walks the leaves of an event the way the CSV lays them out; `pathsOf` and `CsvRows` agree through this. */
export function flatten(value: unknown, visit: Visit, prefix = ""): void {
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    let empty = true;
    for (const key in value) {
      empty = false;
      flatten((value as Record<string, unknown>)[key], visit, prefix ? `${prefix}.${key}` : key);
    }
    // An empty object is a value of its own, not a missing one.
    if (empty && prefix) visit(prefix, "{}");
    return;
  }
  if (!prefix) return;
  visit(prefix, cellText(value));
}

function cellText(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return JSON.stringify(value);
}

export function pathsOf(event: unknown): string[] {
  const paths: string[] = [];
  flatten(event, (path) => paths.push(path));
  return paths;
}

/** The union of several path lists, in first-seen order. */
export function unionOfPaths(lists: Iterable<readonly string[]>): string[] {
  const seen = new Set<string>();
  for (const list of lists) for (const path of list) seen.add(path);
  return [...seen];
}

const NEEDS_QUOTES = /[",\r\n]/;

export function csvField(value: string): string {
  return NEEDS_QUOTES.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

export function csvLine(fields: readonly string[]): string {
  let line = "";
  for (let i = 0; i < fields.length; i++) line += (i ? "," : "") + csvField(fields[i]);
  return `${line}\r\n`;
}

interface ColumnNode {
  column: number;
  children: Map<string, ColumnNode>;
}

/**
 * Rows for one file with a fixed header. The header is kept as a tree of keys, so a row is laid out by walking the
 * event once with no path strings built; a key with a dot in it (whose path the tree cannot tell apart) falls back
 * to the dotted-path lookup. A path outside the header (not expected: see above) is counted, not lost silently.
 */
export class CsvRows {
  private readonly index = new Map<string, number>();
  private readonly root: ColumnNode = { column: -1, children: new Map() };
  private readonly keys: string[] = [];
  private cells: string[] = [];
  dropped = 0;

  constructor(readonly columns: readonly string[]) {
    for (const [i, column] of columns.entries()) {
      this.index.set(column, i);
      let node = this.root;
      for (const key of column.split(".")) {
        let child = node.children.get(key);
        if (!child) {
          child = { column: -1, children: new Map() };
          node.children.set(key, child);
        }
        node = child;
      }
      node.column = i;
    }
  }

  header(): string {
    return csvLine(this.columns);
  }

  row(event: unknown): string {
    this.cells = new Array(this.columns.length).fill("");
    if (event !== null && typeof event === "object" && !Array.isArray(event)) {
      this.walk(event as Record<string, unknown>, this.root);
    }
    return `${this.cells.join(",")}\r\n`;
  }

  private walk(object: Record<string, unknown>, node: ColumnNode | undefined): void {
    for (const key in object) {
      const value = object[key];
      const child = node?.children.get(key);
      this.keys.push(key);
      if (value !== null && typeof value === "object" && !Array.isArray(value) && !isEmpty(value)) {
        this.walk(value as Record<string, unknown>, child);
      } else {
        const column = child && child.column >= 0 ? child.column : (this.index.get(this.keys.join(".")) ?? -1);
        if (column >= 0) this.cells[column] = csvField(cellText(value));
        else this.dropped += 1;
      }
      this.keys.pop();
    }
  }
}

function isEmpty(object: object): boolean {
  for (const _ in object) return false;
  return true;
}
