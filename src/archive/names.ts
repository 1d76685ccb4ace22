import type { ArchiveFormat } from "../domain/archive-settings";

export const MANIFEST_NAME = "manifest.json";

const EXTENSIONS: Record<Exclude<ArchiveFormat, "files">, string> = {
  json: "json",
  ndjson: "ndjson",
  csv: "csv",
  tsv: "tsv",
};
const utf8 = new TextEncoder();

/**
 * An event type as a file or folder name: percent-encoded outside [A-Za-z0-9_.-] (so `a/b`, `..` or a backslash
 * cannot climb out of the archive or make folders), a leading dot encoded (no hidden files, no `..`). Decoding
 * the name with decodeURIComponent gives the type back.
 */
export function safeName(type: string): string {
  let out = "";
  for (const byte of utf8.encode(type)) {
    const char = String.fromCharCode(byte);
    out += /[A-Za-z0-9_.-]/.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out.startsWith(".") ? `%2E${out.slice(1)}` : out || "%00";
}

/** Never manifest.json itself: a type called "manifest" gets its first letter encoded. */
function avoidManifest(name: string): string {
  return name === MANIFEST_NAME || name.startsWith(`${MANIFEST_NAME}/`) ? `%6D${name.slice(1)}` : name;
}

export function dataFileName(format: Exclude<ArchiveFormat, "files">, type: string): string {
  return avoidManifest(`${safeName(type)}.${EXTENSIONS[format]}`);
}

export function eventFileName(type: string, eventId: string): string {
  return avoidManifest(`${safeName(type)}/${safeName(eventId)}.json`);
}
