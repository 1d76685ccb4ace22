/**
 * Where an upload goes and in how many pieces: the object key and URL from a target, and the part plan for a
 * multipart upload. Pure, so the rules S3 imposes (part sizes, the 10,000-part cap, key encoding) are unit-tested.
 */

const MiB = 1024 * 1024;

/** Up to this size one PUT carries the file; above it a multipart upload does, one part in memory at a time. */
export const SINGLE_PUT_MAX_BYTES = 5 * MiB;
/** S3's smallest part (every part but the last); R2 also wants all but the last of one size. */
export const MIN_PART_BYTES = 5 * MiB;
export const MAX_PARTS = 10_000;

export interface S3Location {
  endpoint: string;
  bucket: string;
  pathStyle: boolean;
}

/**
 * The object key: the prefix read as a folder (a missing trailing slash is added, leading slashes dropped, so
 * `qa/warehouse` and `/qa/warehouse/` both mean `qa/warehouse/`), then the file name.
 */
export function objectKey(prefix: string, name: string): string {
  const folder = prefix.replace(/^\/+/, "");
  return folder === "" || folder.endsWith("/") ? `${folder}${name}` : `${folder}/${name}`;
}

/**
 * Each segment percent-encoded as SigV4 canonicalizes an S3 path (RFC 3986 unreserved characters kept, `/` kept
 * between segments), so the path sent is the path signed.
 */
export function encodeKey(key: string): string {
  return key
    .split("/")
    .map((segment) =>
      encodeURIComponent(segment).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`),
    )
    .join("/");
}

/** `endpoint/bucket/key` (path style) or `bucket.endpoint/key` (virtual-hosted); a path on the endpoint is kept. */
export function objectUrl(location: S3Location, key: string): string {
  const endpoint = new URL(location.endpoint);
  const base = endpoint.pathname.replace(/\/+$/, "");
  const host = location.pathStyle ? endpoint.host : `${location.bucket}.${endpoint.host}`;
  const bucketPath = location.pathStyle ? `/${encodeURIComponent(location.bucket)}` : "";
  return `${endpoint.protocol}//${host}${base}${bucketPath}/${encodeKey(key)}`;
}

export interface PartPlan {
  /** Every part but the last has this many bytes. */
  partSize: number;
  count: number;
}

/** Equal parts of at least 5 MiB, in whole MiB, few enough to stay within S3's 10,000 parts. */
export function planParts(size: number): PartPlan {
  const needed = Math.ceil(size / MAX_PARTS / MiB) * MiB;
  const partSize = Math.max(MIN_PART_BYTES, needed);
  return { partSize, count: Math.max(1, Math.ceil(size / partSize)) };
}

/** Bytes in part `number` (1-based) of a file of `size` bytes. */
export function partLength(plan: PartPlan, size: number, number: number): number {
  return Math.min(plan.partSize, size - (number - 1) * plan.partSize);
}
