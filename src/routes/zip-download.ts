import { Problem, problemResponse } from "../lib/problem";

export type ByteRange = { start: number; end: number };

/**
 * The one range of a `Range: bytes=…` header against a file of `size` bytes: a range, "unsatisfiable", or null when
 * the header is absent, malformed, or asks for several ranges (RFC 9110 §14.2 lets a server ignore those and send
 * the whole file, which every client handles).
 */
export function parseRange(header: string | null | undefined, size: number): ByteRange | "unsatisfiable" | null {
  if (!header) return null;
  const match = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!match) return null;
  const [, first, last] = match;
  if (first === "" && last === "") return null;
  if (first === "") {
    const suffix = Number(last);
    if (suffix === 0 || size === 0) return "unsatisfiable";
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  if (last !== "" && Number(last) < start) return null;
  if (start >= size) return "unsatisfiable";
  return { start, end: last === "" ? size - 1 : Math.min(Number(last), size - 1) };
}

/** A quoted-string filename safe in any header: the names we give are ASCII dates, this keeps it that way. */
function attachment(filename: string): string {
  return `attachment; filename="${filename.replace(/[^\w.-]/g, "_")}"`;
}

function etagMatches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === "*") return true;
  return header.split(",").some((tag) => tag.trim().replace(/^W\//, "") === etag);
}

export interface ZipFile {
  /** R2 key of the zip. */
  key: string;
  /** Name offered to the browser or client. */
  filename: string;
  /** Lowercase hex sha256 of the zip, when known: a strong ETag that clients can also check the bytes against. */
  sha256: string | null;
}

/**
 * Answers GET or HEAD for a zip stored in R2: streamed straight from R2 (never held in memory), with ETag,
 * conditional GET, and a single byte range (206), or 416 problem+json for a range past the end.
 */
export async function zipResponse(bucket: R2Bucket, request: Request, file: ZipFile): Promise<Response> {
  const gone = () => new Problem(410, "Gone", "the archive's file is no longer stored");
  const head = await bucket.head(file.key);
  if (!head) throw gone();
  const etag = file.sha256 ? `"${file.sha256}"` : head.httpEtag;
  const headers = new Headers({
    "content-type": "application/zip",
    "content-disposition": attachment(file.filename),
    etag,
    "accept-ranges": "bytes",
    "last-modified": head.uploaded.toUTCString(),
    // Links carry their own credentials: shared caches must not keep a copy for others.
    "cache-control": "private, no-cache",
    "x-content-type-options": "nosniff",
  });
  if (etagMatches(request.headers.get("if-none-match") ?? undefined, etag)) {
    return new Response(null, { status: 304, headers });
  }
  // If-Range naming another version of the file: the client's partial copy is stale, so it gets the whole file.
  const ifRange = request.headers.get("if-range");
  const range = ifRange && ifRange.trim() !== etag ? null : parseRange(request.headers.get("range"), head.size);
  if (range === "unsatisfiable") {
    const response = problemResponse(
      new Problem(416, "Range Not Satisfiable", `the range is past the end of the file (${head.size} bytes)`),
    );
    response.headers.set("content-range", `bytes */${head.size}`);
    return response;
  }
  const status = range ? 206 : 200;
  const length = range ? range.end - range.start + 1 : head.size;
  headers.set("content-length", String(length));
  if (range) headers.set("content-range", `bytes ${range.start}-${range.end}/${head.size}`);
  if (request.method === "HEAD") return new Response(null, { status, headers });
  const object = await bucket.get(file.key, range ? { range: { offset: range.start, length } } : {});
  if (!object) throw gone();
  return new Response(object.body, { status, headers });
}
