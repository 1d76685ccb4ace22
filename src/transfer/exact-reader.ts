import { untilAborted } from "./deadline";

/**
 * Cuts a byte stream into pieces of the sizes a transfer plans (S3 parts), whatever chunk sizes the stream yields,
 * holding one piece in memory at a time. Every read gives up when `signal` aborts, so a source that stalls cannot
 * outlast the transfer's deadline.
 */
export class ExactReader {
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  private pending: Uint8Array = new Uint8Array(0);
  private ended = false;
  /** Bytes handed out so far. */
  consumed = 0;

  constructor(
    stream: ReadableStream<Uint8Array>,
    private readonly signal: AbortSignal,
  ) {
    this.reader = stream.getReader();
  }

  /** The next `length` bytes, or fewer when the stream ends first. */
  async read(length: number): Promise<Uint8Array> {
    const out = new Uint8Array(length);
    let filled = 0;
    while (filled < length) {
      if (this.pending.length === 0) {
        const chunk = await this.next();
        if (!chunk) break;
        this.pending = chunk;
      }
      const take = Math.min(length - filled, this.pending.length);
      out.set(this.pending.subarray(0, take), filled);
      this.pending = this.pending.subarray(take);
      filled += take;
    }
    this.consumed += filled;
    return filled === length ? out : out.subarray(0, filled);
  }

  /** True when nothing is left (reads one more chunk to find out). */
  async atEnd(): Promise<boolean> {
    if (this.pending.length > 0) return false;
    const chunk = await this.next();
    if (!chunk) return true;
    this.pending = chunk;
    return false;
  }

  async close(): Promise<void> {
    await this.reader.cancel().catch(() => {});
  }

  private async next(): Promise<Uint8Array | null> {
    while (!this.ended) {
      const { done, value } = await untilAborted(this.reader.read(), this.signal);
      if (done) this.ended = true;
      else if (value.length > 0) return value;
    }
    return null;
  }
}
