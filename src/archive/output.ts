import { Sha256, type Sha256State } from "./sha256";
import type { ByteSink } from "./zip-stream";

/** R2 multipart: every part but the last must be at least 5 MiB and all of them the same size. */
export const PART_BYTES = 5 * 1024 * 1024;

export interface OutputState {
  bytes: number;
  sha: Sha256State;
}

/**
 * Collects the zip's bytes into equal parts for the multipart upload, and hashes the whole zip on the way. Holds at
 * most one part plus what one page of events produced: memory stays bounded whatever the archive's size.
 */
export class PartBuffer implements ByteSink {
  private readonly sha: Sha256;
  private bytes: number;
  private readonly full: Uint8Array[] = [];
  private current: Uint8Array | null = null;
  private used = 0;

  constructor(
    readonly partSize = PART_BYTES,
    state?: OutputState,
  ) {
    this.sha = new Sha256(state?.sha);
    this.bytes = state?.bytes ?? 0;
  }

  push(chunk: Uint8Array): void {
    this.sha.update(chunk);
    this.bytes += chunk.length;
    this.append(chunk);
  }

  /** Puts back bytes saved at a checkpoint (already counted and hashed). */
  restore(carry: Uint8Array): void {
    this.append(carry);
  }

  get buffered(): number {
    return this.full.length * this.partSize + this.used;
  }

  get total(): number {
    return this.bytes;
  }

  /** The next full part, if one is buffered. */
  takePart(): Uint8Array | null {
    return this.full.shift() ?? null;
  }

  /** Everything buffered: the last part, or the carry saved with a checkpoint. Call once the full parts are taken. */
  takeRest(): Uint8Array {
    if (this.full.length) throw new Error("take the full parts first");
    const rest = this.current ? this.current.subarray(0, this.used) : new Uint8Array(0);
    this.current = null;
    this.used = 0;
    return rest;
  }

  save(): OutputState {
    return { bytes: this.bytes, sha: this.sha.save() };
  }

  digest(): string {
    return this.sha.hex();
  }

  /** Copies into part-sized buffers: many small chunks (headers, tiny entries) cost no bookkeeping later. */
  private append(chunk: Uint8Array): void {
    let at = 0;
    while (at < chunk.length) {
      this.current ??= new Uint8Array(this.partSize);
      const take = Math.min(this.partSize - this.used, chunk.length - at);
      this.current.set(chunk.subarray(at, at + take), this.used);
      this.used += take;
      at += take;
      if (this.used === this.partSize) {
        this.full.push(this.current);
        this.current = null;
        this.used = 0;
      }
    }
  }
}
