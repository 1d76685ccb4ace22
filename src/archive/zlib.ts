// nodejs_compat provides node:zlib (native zlib) at runtime; its types come with the test servers' @types packages.
import { constants, deflateRawSync, crc32 as nodeCrc32 } from "node:zlib";

/**
 * Native zlib (node:zlib, in workerd as in Node) rather than fflate's JS deflate: measured here at level 6 it is about
 * 1.5× faster for the same ratio (bench/ARCHIVE.md). Each segment is compressed on its own and ends with a sync flush
 * (byte-aligned, not final), so segments concatenate into one valid DEFLATE stream and a build can stop between any
 * two of them and carry on in another invocation with no compressor state to save. FINAL_BLOCK ends the stream.
 */
export const DEFLATE_LEVEL = 6;

interface DeflateOptions {
  level: number;
  finishFlush: number;
}
const deflate = deflateRawSync as (data: Uint8Array, options: DeflateOptions) => Uint8Array;
const crc = nodeCrc32 as (data: Uint8Array, initial?: number) => number;
const SYNC_FLUSH = (constants as { Z_SYNC_FLUSH: number }).Z_SYNC_FLUSH;

export function deflateSegment(data: Uint8Array, level = DEFLATE_LEVEL): Uint8Array {
  return deflate(data, { level, finishFlush: SYNC_FLUSH });
}

/** An empty final block with fixed Huffman codes: what closes a stream made of sync-flushed segments. */
export const FINAL_BLOCK = new Uint8Array([0x03, 0x00]);

export function crc32(data: Uint8Array, initial = 0): number {
  return crc(data, initial) >>> 0;
}
