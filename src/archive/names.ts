import { type FilenamePlaceholder, hasOwnExtension, parseFilenameTemplate } from "../domain/archive-filename";
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

/** What a subscriber's archive.filename template is filled with: the same for every file of one archive but the type. */
export interface DataFileNaming {
  template?: string;
  period_start: string;
  period_end: string;
  /** The build's start (epoch ms), kept in its checkpoint so every job of one build names files alike. */
  generated_at: number;
}

/** `{generated_at}`: ISO 8601 basic format in UTC to the second (20261121T020000Z): no ':' for file systems that refuse it. */
export function compactUtc(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace(/\.\d{3}Z$/, "Z")
    .replace(/[-:]/g, "");
}

/**
 * The data file of one type: `{type}.{ext}`, or the subscriber's template (domain/archive-filename.ts, checked when
 * saved) with every value made safe by safeName. The format's extension is added unless the template names its own.
 * Names never collide within an archive: the template has `{type}`, safeName is one-to-one, and the literal text
 * cannot hold the '%' its encoding starts with.
 */
export function dataFileName(format: Exclude<ArchiveFormat, "files">, type: string, naming?: DataFileNaming): string {
  const parsed = naming?.template === undefined ? null : parseFilenameTemplate(naming.template);
  if (!naming || !parsed || "error" in parsed) return avoidManifest(`${safeName(type)}.${EXTENSIONS[format]}`);
  const values: Record<FilenamePlaceholder, string> = {
    type,
    period_start: naming.period_start,
    period_end: naming.period_end,
    generated_at: compactUtc(naming.generated_at),
  };
  const name = parsed.parts.map((part) => ("text" in part ? part.text : safeName(values[part.placeholder]))).join("");
  return avoidManifest(hasOwnExtension(parsed.parts) ? name : `${name}.${EXTENSIONS[format]}`);
}

export function eventFileName(type: string, eventId: string): string {
  return avoidManifest(`${safeName(type)}/${safeName(eventId)}.json`);
}
