import { concatBytes } from "@noble/hashes/utils.js";
import { TransferError } from "../types";

/**
 * The socket's bytes as a queue the transport takes exact counts from: TCP hands over chunks of any size, SSH
 * needs "the next 16 bytes" and "the next line".
 */
export class ByteSource {
  private chunks: Uint8Array[] = [];
  private buffered = 0;

  constructor(private readonly read: () => Promise<Uint8Array | null>) {}

  private async fill(count: number): Promise<void> {
    while (this.buffered < count) {
      const chunk = await this.read();
      if (chunk === null) throw new ConnectionLost("the server closed the connection");
      if (chunk.length === 0) continue;
      this.chunks.push(chunk);
      this.buffered += chunk.length;
    }
  }

  async take(count: number): Promise<Uint8Array> {
    await this.fill(count);
    const joined = this.chunks.length === 1 ? this.chunks[0] : concatBytes(...this.chunks);
    const taken = joined.slice(0, count);
    const left = joined.subarray(count);
    this.chunks = left.length > 0 ? [left] : [];
    this.buffered = left.length;
    return taken;
  }

  /** One line up to LF, without its CR LF (RFC 4253 §4.2 allows a bare LF too), of at most `maxBytes`. */
  async line(maxBytes: number): Promise<string> {
    const bytes: number[] = [];
    for (;;) {
      const [byte] = await this.take(1);
      if (byte === 0x0a) break;
      if (bytes.length >= maxBytes) throw new TransferError("the server sent a line longer than SSH allows", false);
      bytes.push(byte);
    }
    if (bytes[bytes.length - 1] === 0x0d) bytes.pop();
    return new TextDecoder().decode(new Uint8Array(bytes));
  }
}

/** The connection ended under us: worth another try, and the upload says what it was doing at the time. */
export class ConnectionLost extends TransferError {
  constructor(message: string) {
    super(message, true);
  }
}
