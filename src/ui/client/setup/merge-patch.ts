/**
 * An edit sends only what changed, as the JSON merge patch (RFC 7386) the relay's PATCH takes (src/routes/patch.ts):
 * nested objects merge field by field, so only changed fields are named; a field that was there and is no longer is
 * `null` (back to its default); maps, arrays and unions (`headers`, `steps`, `auth`…) are replaced whole. No DOM here.
 */

/** Keys whose value the relay replaces whole rather than merging. */
export const WHOLE_KEYS: ReadonlySet<string> = new Set([
  "auth",
  "headers",
  "claims",
  "secrets",
  "steps",
  "event_types",
  "ip_allowlist",
  "to",
]);

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((v, i) => sameJson(v, b[i]));
  }
  if (!isPlainObject(a) || !isPlainObject(b)) return false;
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const key of keys) if (!sameJson(a[key], b[key])) return false;
  return true;
}

/** The patch that turns `before` into `after`; empty when nothing changed. */
export function mergePatch(
  before: Record<string, unknown>,
  after: Record<string, unknown>,
  whole: ReadonlySet<string> = WHOLE_KEYS,
): Record<string, unknown> {
  const patch: Record<string, unknown> = {};
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  for (const key of keys) {
    const was = before[key];
    const now = after[key];
    if (now === undefined) {
      if (was !== undefined) patch[key] = null;
    } else if (isPlainObject(was) && isPlainObject(now) && !whole.has(key)) {
      const inner = mergePatch(was, now, whole);
      if (Object.keys(inner).length) patch[key] = inner;
    } else if (!sameJson(was, now)) {
      patch[key] = now;
    }
  }
  return patch;
}
