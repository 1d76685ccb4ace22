/**
 * The bytes of a zip container (APPNOTE 6.3.x), written by hand rather than with fflate's Zip: a build stops and
 * resumes across queue jobs, and fflate's Zip state cannot be saved, while these records need only numbers that fit
 * in a checkpoint. Entries stream with a data descriptor (sizes and CRC after the data); ZIP64 records appear only when
 * a size, an offset or the entry count outgrows the classic fields.
 */

export interface EntryRecord {
  name: string;
  crc: number;
  /** Compressed and uncompressed sizes in bytes. */
  csize: number;
  usize: number;
  /** Offset of the entry's local header in the zip. */
  offset: number;
}

const FLAG_DESCRIPTOR = 0x0008;
const FLAG_UTF8 = 0x0800;
const METHOD_DEFLATE = 8;
const MAX32 = 0xffffffff;
const MAX16 = 0xffff;
/** Made by UNIX (3) so the external attributes below give extracted files mode 0644. */
const MADE_BY_UNIX = 3 << 8;
const FILE_MODE = (0o100644 << 16) >>> 0;

const names = new TextEncoder();

class Writer {
  readonly bytes: Uint8Array;
  private readonly view: DataView;
  private at = 0;
  constructor(size: number) {
    this.bytes = new Uint8Array(size);
    this.view = new DataView(this.bytes.buffer);
  }
  u16(value: number): this {
    this.view.setUint16(this.at, value, true);
    this.at += 2;
    return this;
  }
  u32(value: number): this {
    this.view.setUint32(this.at, value >>> 0, true);
    this.at += 4;
    return this;
  }
  u64(value: number): this {
    this.view.setUint32(this.at, value % 2 ** 32, true);
    this.view.setUint32(this.at + 4, Math.floor(value / 2 ** 32), true);
    this.at += 8;
    return this;
  }
  raw(data: Uint8Array): this {
    this.bytes.set(data, this.at);
    this.at += data.length;
    return this;
  }
}

/** MS-DOS date and time (local to nobody: we write UTC, as most zip tools do for machine-made archives). */
export function dosDateTime(ms: number): { time: number; date: number } {
  const d = new Date(ms);
  const year = Math.min(Math.max(d.getUTCFullYear(), 1980), 2107);
  return {
    time: (d.getUTCHours() << 11) | (d.getUTCMinutes() << 5) | (d.getUTCSeconds() >> 1),
    date: ((year - 1980) << 9) | ((d.getUTCMonth() + 1) << 5) | d.getUTCDate(),
  };
}

export function localHeader(name: string, modified: number): Uint8Array {
  const encoded = names.encode(name);
  const { time, date } = dosDateTime(modified);
  return new Writer(30 + encoded.length)
    .u32(0x04034b50)
    .u16(20)
    .u16(FLAG_DESCRIPTOR | FLAG_UTF8)
    .u16(METHOD_DEFLATE)
    .u16(time)
    .u16(date)
    .u32(0)
    .u32(0)
    .u32(0)
    .u16(encoded.length)
    .u16(0)
    .raw(encoded).bytes;
}

/** The descriptor after an entry's data; 8-byte sizes when the entry is ZIP64, as Go's archive/zip writes it. */
export function dataDescriptor(entry: EntryRecord): Uint8Array {
  const zip64 = entry.csize >= MAX32 || entry.usize >= MAX32;
  const writer = new Writer(zip64 ? 24 : 16).u32(0x08074b50).u32(entry.crc);
  return (zip64 ? writer.u64(entry.csize).u64(entry.usize) : writer.u32(entry.csize).u32(entry.usize)).bytes;
}

export function centralRecord(entry: EntryRecord, modified: number): Uint8Array {
  const encoded = names.encode(entry.name);
  const { time, date } = dosDateTime(modified);
  const big = { usize: entry.usize >= MAX32, csize: entry.csize >= MAX32, offset: entry.offset >= MAX32 };
  const extraLength = (big.usize ? 8 : 0) + (big.csize ? 8 : 0) + (big.offset ? 8 : 0);
  const zip64 = extraLength > 0;
  const version = zip64 ? 45 : 20;
  const writer = new Writer(46 + encoded.length + (zip64 ? 4 + extraLength : 0))
    .u32(0x02014b50)
    .u16(MADE_BY_UNIX | version)
    .u16(version)
    .u16(FLAG_DESCRIPTOR | FLAG_UTF8)
    .u16(METHOD_DEFLATE)
    .u16(time)
    .u16(date)
    .u32(entry.crc)
    .u32(big.csize ? MAX32 : entry.csize)
    .u32(big.usize ? MAX32 : entry.usize)
    .u16(encoded.length)
    .u16(zip64 ? 4 + extraLength : 0)
    .u16(0)
    .u16(0)
    .u16(0)
    .u32(FILE_MODE)
    .u32(big.offset ? MAX32 : entry.offset)
    .raw(encoded);
  if (zip64) {
    writer.u16(0x0001).u16(extraLength);
    if (big.usize) writer.u64(entry.usize);
    if (big.csize) writer.u64(entry.csize);
    if (big.offset) writer.u64(entry.offset);
  }
  return writer.bytes;
}

/** End of central directory, preceded by the ZIP64 end record and locator when a classic field would overflow. */
export function endOfCentralDirectory(count: number, directoryOffset: number, directorySize: number): Uint8Array {
  const zip64 = count >= MAX16 || directoryOffset >= MAX32 || directorySize >= MAX32;
  const end = new Writer(22)
    .u32(0x06054b50)
    .u16(0)
    .u16(0)
    .u16(zip64 ? MAX16 : count)
    .u16(zip64 ? MAX16 : count)
    .u32(zip64 ? MAX32 : directorySize)
    .u32(zip64 ? MAX32 : directoryOffset)
    .u16(0).bytes;
  if (!zip64) return end;
  const zip64End = new Writer(56 + 20)
    .u32(0x06064b50)
    .u64(44)
    .u16(MADE_BY_UNIX | 45)
    .u16(45)
    .u32(0)
    .u32(0)
    .u64(count)
    .u64(count)
    .u64(directorySize)
    .u64(directoryOffset)
    // Locator: where the ZIP64 end record starts (right after the central directory).
    .u32(0x07064b50)
    .u32(0)
    .u64(directoryOffset + directorySize)
    .u32(1).bytes;
  const out = new Uint8Array(zip64End.length + end.length);
  out.set(zip64End);
  out.set(end, zip64End.length);
  return out;
}
