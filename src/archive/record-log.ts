import type { ClosedEntry } from "./zip-stream";

/** A data file as the manifest lists it and the central directory records it. */
export interface FileRecord extends ClosedEntry {
  events: number;
  /** CSV files only: the column holding what got no column of its own, or null. */
  overflow_column?: string | null;
}

/** Temporary objects of one build (its R2 prefix in the Worker): spilled records and the checkpoint's carry. */
export interface ScratchStore {
  put(name: string, data: Uint8Array | string): Promise<void>;
  get(name: string): Promise<Uint8Array | null>;
  delete(names: string[]): Promise<void>;
}

export interface RecordLogState {
  chunks: number;
  pending: FileRecord[];
}

/** Records kept in memory (and in a checkpoint) before they are spilled as one chunk. */
export const RECORDS_PER_CHUNK = 1000;

const decoder = new TextDecoder();

/**
 * The records of the files written so far, needed at the end for the manifest and the central directory. The `files`
 * format writes one file per event, so a big day has a million of them: they are spilled in chunks to the scratch
 * store instead of being held in memory or in the checkpoint. Chunk i < chunks is in the store; chunk `chunks` is
 * the pending tail.
 */
export class RecordLog {
  private chunks: number;
  private pending: FileRecord[];

  constructor(
    private readonly store: ScratchStore,
    state?: RecordLogState,
  ) {
    this.chunks = state?.chunks ?? 0;
    this.pending = state?.pending ?? [];
  }

  add(record: FileRecord): void {
    this.pending.push(record);
  }

  get chunkCount(): number {
    return this.chunks + 1;
  }

  async spillIfFull(): Promise<boolean> {
    if (this.pending.length < RECORDS_PER_CHUNK) return false;
    await this.store.put(chunkName(this.chunks), JSON.stringify(this.pending));
    this.chunks += 1;
    this.pending = [];
    return true;
  }

  async chunk(index: number): Promise<FileRecord[]> {
    if (index === this.chunks) return this.pending;
    const stored = await this.store.get(chunkName(index));
    if (!stored) throw new Error(`archive scratch chunk ${index} is missing`);
    return JSON.parse(decoder.decode(stored)) as FileRecord[];
  }

  save(): RecordLogState {
    return { chunks: this.chunks, pending: this.pending };
  }

  scratchNames(): string[] {
    return chunkNames(this.chunks);
  }
}

const chunkName = (index: number) => `records-${index}.json`;

export function chunkNames(count: number): string[] {
  return Array.from({ length: count }, (_, i) => chunkName(i));
}
