/**
 * Field names are JSON Pointers (RFC 6901) of the request body ("/archive/schedule", "/steps/0/transform"): the
 * form, the zod issues and the relay's problem+json `errors[].path` all name a field the same way. No DOM here.
 */

export type PathLike = string | ReadonlyArray<PropertyKey> | null | undefined;

const escapeSegment = (part: PropertyKey) => String(part).replace(/~/g, "~0").replace(/\//g, "~1");
const unescapeSegment = (part: string) => part.replace(/~1/g, "/").replace(/~0/g, "~");

/** A path as a pointer; "" (the whole body) for an empty one. Dotted text ("steps.0.url") is read as segments. */
export function toPointer(path: PathLike): string {
  if (path == null) return "";
  if (typeof path !== "string") return path.map((part) => `/${escapeSegment(part)}`).join("");
  if (path === "" || path === "/") return "";
  if (path.startsWith("/")) return path;
  return path
    .split(".")
    .filter(Boolean)
    .map((part) => `/${escapeSegment(part)}`)
    .join("");
}

export function segments(pointer: string): string[] {
  return pointer === "" ? [] : pointer.slice(1).split("/").map(unescapeSegment);
}

/** "/a/b/c" → "/a/b"; "" has no parent. */
export function parentOf(pointer: string): string | null {
  if (pointer === "") return null;
  const slash = pointer.lastIndexOf("/");
  return slash <= 0 ? "" : pointer.slice(0, slash);
}
