import { fromBase64, toBase64Url, utf8 } from "./encoding";

/**
 * Opaque list cursors for keys that are not Syndic ids (an identity's namespace and local id, which may be any
 * Unicode): base64url of UTF-8 JSON. `btoa` alone throws on anything outside Latin-1, which made a cursor past a
 * Japanese local id a 500.
 */
export function encodeJsonCursor(value: unknown): string {
  return toBase64Url(utf8.encode(JSON.stringify(value)));
}

/** The value a cursor carries, or null for anything forged, truncated or not base64url: never a throw. */
export function decodeJsonCursor(cursor: string | undefined): unknown {
  if (!cursor) return null;
  try {
    const base64 = cursor.replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(fromBase64(base64)));
  } catch {
    return null;
  }
}
