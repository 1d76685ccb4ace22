import { Sha256, type Sha256State } from "./sha256";
import { centralRecord, dataDescriptor, type EntryRecord, localHeader } from "./zip-format";
import { crc32, deflateSegment, FINAL_BLOCK } from "./zlib";

/** Where compressed bytes go, in order. Synchronous: the caller drains it (uploads parts) between pages. */
export interface ByteSink {
  push(chunk: Uint8Array): void;
}

export interface ClosedEntry extends EntryRecord {
  /** sha256 of the entry's uncompressed content: what manifest.json lists. */
  sha256: string;
}

interface OpenEntryState {
  name: string;
  offset: number;
  crc: number;
  csize: number;
  usize: number;
  sha: Sha256State;
}

export interface ZipStreamState {
  offset: number;
  entry: OpenEntryState | null;
}

/**
 * Input is gathered into segments of this size and each is deflated on its own: large enough that zlib's setup and
 * the lost dictionary at each boundary cost under 1%, small enough to keep memory low.
 */
export const SEGMENT_BYTES = 512 * 1024;

const text = new TextEncoder();

/**
 * A zip being written one entry at a time. Its whole state is a few numbers and a hash state (see `save`), because
 * each entry's DEFLATE stream is made of independent sync-flushed segments: after `save` the next invocation starts a
 * fresh segment and the stream stays valid.
 */
export class ZipStream {
  private offset: number;
  private entry: OpenEntryState | null;
  private sha: Sha256 | null;
  private segment: Uint8Array | null = null;
  private segmentLength = 0;

  constructor(
    private readonly out: ByteSink,
    private readonly modified: number,
    state?: ZipStreamState,
  ) {
    this.offset = state?.offset ?? 0;
    this.entry = state?.entry ?? null;
    this.sha = state?.entry ? new Sha256(state.entry.sha) : null;
  }

  get position(): number {
    return this.offset;
  }

  get isOpen(): boolean {
    return this.entry !== null;
  }

  open(name: string): void {
    if (this.entry) throw new Error(`zip entry ${this.entry.name} is still open`);
    this.entry = { name, offset: this.offset, crc: 0, csize: 0, usize: 0, sha: { h: [], tail: "", length: 0 } };
    this.sha = new Sha256();
    this.raw(localHeader(name, this.modified));
  }

  /** Encodes straight into the segment buffer: no intermediate copy of the text. */
  writeText(value: string): void {
    const segment = this.buffer();
    let rest = value;
    for (;;) {
      const { read, written } = text.encodeInto(rest, segment.subarray(this.segmentLength));
      this.segmentLength += written;
      if (read === rest.length) return;
      rest = rest.slice(read);
      this.flush();
    }
  }

  write(data: Uint8Array): void {
    const segment = this.buffer();
    let at = 0;
    while (at < data.length) {
      const take = Math.min(SEGMENT_BYTES - this.segmentLength, data.length - at);
      segment.set(data.subarray(at, at + take), this.segmentLength);
      this.segmentLength += take;
      at += take;
      if (this.segmentLength === SEGMENT_BYTES) this.flush();
    }
  }

  /** Deflates what has been gathered so far as one segment. */
  flush(): void {
    const entry = this.entry;
    if (!entry || this.segmentLength === 0) return;
    const input = this.segment!.subarray(0, this.segmentLength);
    entry.crc = crc32(input, entry.crc);
    entry.usize += input.length;
    this.sha!.update(input);
    const compressed = deflateSegment(input);
    entry.csize += compressed.length;
    this.segmentLength = 0;
    this.emit(compressed);
  }

  close(): ClosedEntry {
    const entry = this.entry;
    if (!entry) throw new Error("no zip entry is open");
    this.flush();
    entry.csize += FINAL_BLOCK.length;
    this.emit(FINAL_BLOCK);
    const record: EntryRecord = {
      name: entry.name,
      crc: entry.crc,
      csize: entry.csize,
      usize: entry.usize,
      offset: entry.offset,
    };
    this.raw(dataDescriptor(record));
    const sha256 = this.sha!.hex();
    this.entry = null;
    this.sha = null;
    return { ...record, sha256 };
  }

  centralRecord(record: EntryRecord): void {
    this.raw(centralRecord(record, this.modified));
  }

  /** Bytes outside any entry: headers, descriptors, the central directory. */
  raw(bytes: Uint8Array): void {
    this.emit(bytes);
  }

  /** Flushes the open segment, then returns what a later invocation needs to carry on. */
  save(): ZipStreamState {
    this.flush();
    return { offset: this.offset, entry: this.entry ? { ...this.entry, sha: this.sha!.save() } : null };
  }

  private buffer(): Uint8Array {
    if (!this.entry) throw new Error("no zip entry is open");
    this.segment ??= new Uint8Array(SEGMENT_BYTES);
    return this.segment;
  }

  private emit(bytes: Uint8Array): void {
    this.offset += bytes.length;
    this.out.push(bytes);
  }
}
