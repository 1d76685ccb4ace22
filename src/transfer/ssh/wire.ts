import { TransferError } from "../types";

/**
 * SSH's data types on the wire (RFC 4251 §5): byte, boolean, uint32, uint64, string, mpint and name-list. SFTP
 * (draft-ietf-secsh-filexfer-02 §3) uses the same encodings, so one writer and one reader serve both layers.
 */

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class SshWriter {
  private buffer = new Uint8Array(64);
  private length = 0;

  private reserve(bytes: number): number {
    const at = this.length;
    if (at + bytes > this.buffer.length) {
      const grown = new Uint8Array(Math.max(this.buffer.length * 2, at + bytes));
      grown.set(this.buffer.subarray(0, at));
      this.buffer = grown;
    }
    this.length += bytes;
    return at;
  }

  byte(value: number): this {
    const at = this.reserve(1);
    this.buffer[at] = value;
    return this;
  }

  boolean(value: boolean): this {
    return this.byte(value ? 1 : 0);
  }

  uint32(value: number): this {
    const at = this.reserve(4);
    new DataView(this.buffer.buffer).setUint32(at, value >>> 0);
    return this;
  }

  /** SFTP file offsets: exact up to 2^53, far past any file a Worker streams. */
  uint64(value: number): this {
    const at = this.reserve(8);
    new DataView(this.buffer.buffer).setBigUint64(at, BigInt(value));
    return this;
  }

  /** Bytes as they are, without a length (a payload's tail, a cookie). */
  raw(bytes: Uint8Array): this {
    const at = this.reserve(bytes.length);
    this.buffer.set(bytes, at);
    return this;
  }

  string(value: Uint8Array | string): this {
    const bytes = typeof value === "string" ? encoder.encode(value) : value;
    return this.uint32(bytes.length).raw(bytes);
  }

  mpint(value: bigint): this {
    return this.string(mpintBytes(value));
  }

  nameList(names: readonly string[]): this {
    return this.string(names.join(","));
  }

  finish(): Uint8Array {
    return this.buffer.slice(0, this.length);
  }
}

/** A message's bytes read front to back; reading past the end is a malformed message, never a silent zero. */
export class SshReader {
  private offset = 0;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly what = "message",
  ) {}

  get remaining(): number {
    return this.bytes.length - this.offset;
  }

  private take(count: number): Uint8Array {
    if (count > this.remaining) throw malformed(this.what);
    const slice = this.bytes.subarray(this.offset, this.offset + count);
    this.offset += count;
    return slice;
  }

  byte(): number {
    return this.take(1)[0];
  }

  boolean(): boolean {
    return this.byte() !== 0;
  }

  uint32(): number {
    const bytes = this.take(4);
    return new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0);
  }

  uint64(): number {
    const bytes = this.take(8);
    return Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0));
  }

  string(): Uint8Array {
    return this.take(this.uint32());
  }

  text(): string {
    return decoder.decode(this.string());
  }

  nameList(): string[] {
    const text = this.text();
    return text === "" ? [] : text.split(",");
  }

  rest(): Uint8Array {
    return this.take(this.remaining);
  }
}

/** A message the server sent that does not parse: the server speaks something this client does not. */
export function malformed(what: string): TransferError {
  return new TransferError(`the server sent a malformed ${what}`, false);
}

/**
 * The mpint body (RFC 4251 §5): big-endian two's complement in the fewest bytes, zero as no bytes at all, and a
 * leading 0x00 when a positive number's top bit is set (so it does not read as negative).
 */
export function mpintBytes(value: bigint): Uint8Array {
  if (value === 0n) return new Uint8Array(0);
  let length = 1;
  while (value >= 1n << BigInt(8 * length - 1) || value < -(1n << BigInt(8 * length - 1))) length++;
  let twos = value < 0n ? (1n << BigInt(8 * length)) + value : value;
  const bytes = new Uint8Array(length);
  for (let i = length - 1; i >= 0; i--) {
    bytes[i] = Number(twos & 0xffn);
    twos >>= 8n;
  }
  return bytes;
}

/** An unsigned big-endian byte string as a number (the X25519 shared secret, RFC 8731 §3.1). */
export function unsignedBigInt(bytes: Uint8Array): bigint {
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  return value;
}
