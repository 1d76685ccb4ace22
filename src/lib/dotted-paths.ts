/**
 * The one bounded walk over an event's dotted paths (`data.userDetail.id`): CSV and TSV columns (archive/csv.ts) and
 * the `flat` push preset (domain/presets.ts) follow it, so a key means the same thing in a file and in a push.
 */

/** What the bounded walk reports, one key at a time: the visitor keeps the path if it needs one. */
export interface PathVisitor {
  /** Into, and out of, a non-empty object (or, when arrays are indexed, a non-empty array) under `key`. */
  enter(key: string): void;
  leave(): void;
  /** A value with a path of its own: a scalar, an array unless indexed, or an empty object or array. */
  leaf(key: string, value: unknown): void;
  /** A part with no path of its own (too deep, too long a path, past `leaves`): kept whole, not walked. */
  rest(key: string, value: unknown): void;
}

/** A publisher decides the shape of its events, so every walk is bounded whatever the event's own depth. */
export interface PathLimits {
  /** Keys deep. */
  depth: number;
  /** Characters in one dotted path. */
  pathLength: number;
  /** Leaves given a path of their own; later parts are `rest`. */
  leaves: number;
  /** Walk into arrays with their indexes as keys (`data.items.0.sku`) instead of taking an array as one leaf. */
  indexArrays?: boolean;
}

export const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === "object" && !Array.isArray(value);

function isEmpty(object: object): boolean {
  for (const _ in object) return false;
  return true;
}

export const joinPath = (prefix: string, key: string) => (prefix ? `${prefix}.${key}` : key);

/** Recursion at most `limits.depth` deep; a value that is not an object has no paths. */
export function walkPaths(value: unknown, visitor: PathVisitor, limits: PathLimits): void {
  if (isPlainObject(value)) walkObject(value, visitor, limits, 1, 0, { leaves: 0 });
}

function walkObject(
  object: Record<string, unknown>,
  visitor: PathVisitor,
  limits: PathLimits,
  depth: number,
  prefixLength: number,
  budget: { leaves: number },
): void {
  for (const key in object) {
    const value = object[key];
    const pathLength = prefixLength ? prefixLength + 1 + key.length : key.length;
    const branch = isPlainObject(value) || (limits.indexArrays === true && Array.isArray(value));
    if (budget.leaves >= limits.leaves || pathLength > limits.pathLength) {
      visitor.rest(key, value);
    } else if (!branch || isEmpty(value as object)) {
      budget.leaves += 1;
      visitor.leaf(key, value);
    } else if (depth >= limits.depth) {
      visitor.rest(key, value);
    } else {
      visitor.enter(key);
      walkObject(value as Record<string, unknown>, visitor, limits, depth + 1, pathLength, budget);
      visitor.leave();
    }
  }
}
