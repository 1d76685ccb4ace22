import { inflateSync, unzipSync } from "fflate";
import { describe, expect, it } from "vitest";
import {
  centralRecord,
  dataDescriptor,
  dosDateTime,
  type EntryRecord,
  endOfCentralDirectory,
  localHeader,
} from "../../src/archive/zip-format";
import { crc32, deflateSegment, FINAL_BLOCK } from "../../src/archive/zlib";

const bytes = (text: string) => new TextEncoder().encode(text);
const view = (data: Uint8Array) => new DataView(data.buffer, data.byteOffset, data.byteLength);
const u64 = (data: Uint8Array, at: number) =>
  view(data).getUint32(at, true) + view(data).getUint32(at + 4, true) * 2 ** 32;
const MAX32 = 0xffffffff;

/** The parts as one byte array, as a zip's parts are one object once uploaded. */
const concat = async (parts: Uint8Array[]) => new Uint8Array(await new Blob(parts).arrayBuffer());

describe("deflate segments", () => {
  it("sync-flushed segments and the final block concatenate into one raw DEFLATE stream", async () => {
    const segments = ["first segment ".repeat(500), "", "second, different ".repeat(300), "ünïcödé tail"].map(bytes);
    const stream = await concat([...segments.map((segment) => deflateSegment(segment)), FINAL_BLOCK]);
    const inflated = inflateSync(stream);
    expect(new TextDecoder().decode(inflated)).toBe(
      segments.map((segment) => new TextDecoder().decode(segment)).join(""),
    );
    // Compressed, not stored: repeated text shrinks.
    expect(stream.length).toBeLessThan(inflated.length / 10);
  });

  it("crc32 is the zip CRC, and carries on across chunks", () => {
    expect(crc32(bytes("123456789"))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array())).toBe(0);
    const whole = bytes("a longer text, checked in two pieces");
    expect(crc32(whole.subarray(10), crc32(whole.subarray(0, 10)))).toBe(crc32(whole));
  });
});

describe("zip records", () => {
  it("DOS time has two-second resolution and clamps to the years it can say", () => {
    const { time, date } = dosDateTime(Date.UTC(2026, 10, 23, 13, 45, 59));
    expect(time).toBe((13 << 11) | (45 << 5) | 29);
    expect(date).toBe(((2026 - 1980) << 9) | (11 << 5) | 23);
    expect(dosDateTime(Date.UTC(1970, 0, 1)).date >> 9).toBe(0);
    expect(dosDateTime(Date.UTC(2200, 0, 1)).date >> 9).toBe(127);
  });

  it("a local header streams with a data descriptor, deflate and a UTF-8 name", () => {
    const header = localHeader("événements/a.json", 0);
    const name = bytes("événements/a.json");
    expect(view(header).getUint32(0, true)).toBe(0x04034b50);
    expect(view(header).getUint16(6, true)).toBe(0x0808);
    expect(view(header).getUint16(8, true)).toBe(8);
    expect(view(header).getUint32(14, true)).toBe(0);
    expect(view(header).getUint16(26, true)).toBe(name.length);
    expect(header.subarray(30)).toEqual(name);
  });

  it("descriptors and central records switch to ZIP64 fields only past 4 GiB", () => {
    const small: EntryRecord = { name: "a", crc: 0x12345678, csize: 10, usize: 20, offset: 30 };
    expect(dataDescriptor(small)).toHaveLength(16);
    const classic = centralRecord(small, 0);
    expect(classic).toHaveLength(46 + 1);
    expect(view(classic).getUint32(42, true)).toBe(30);

    const big: EntryRecord = { name: "b", crc: 1, csize: 5 * 2 ** 30, usize: 6 * 2 ** 30, offset: 7 * 2 ** 30 };
    const descriptor = dataDescriptor(big);
    expect(descriptor).toHaveLength(24);
    expect(u64(descriptor, 8)).toBe(big.csize);
    expect(u64(descriptor, 16)).toBe(big.usize);

    const record = centralRecord(big, 0);
    expect(view(record).getUint16(6, true)).toBe(45);
    expect(view(record).getUint32(20, true)).toBe(MAX32);
    expect(view(record).getUint32(24, true)).toBe(MAX32);
    expect(view(record).getUint32(42, true)).toBe(MAX32);
    // The ZIP64 extra field after the name: usize, csize, offset, in that order (APPNOTE 4.5.3).
    const extra = 46 + 1;
    expect(view(record).getUint16(extra, true)).toBe(0x0001);
    expect(view(record).getUint16(extra + 2, true)).toBe(24);
    expect([u64(record, extra + 4), u64(record, extra + 12), u64(record, extra + 20)]).toEqual([
      big.usize,
      big.csize,
      big.offset,
    ]);

    // Only the field that outgrew its slot moves to the extra field.
    const farOnly = centralRecord({ ...small, offset: 2 ** 33 }, 0);
    expect(view(farOnly).getUint32(20, true)).toBe(10);
    expect(view(farOnly).getUint16(extra + 2, true)).toBe(8);
    expect(u64(farOnly, extra + 4)).toBe(2 ** 33);
  });

  it("the end of the central directory gains the ZIP64 record and locator from 65,535 entries", () => {
    const classic = endOfCentralDirectory(3, 100, 50);
    expect(classic).toHaveLength(22);
    expect(view(classic).getUint16(10, true)).toBe(3);

    const many = endOfCentralDirectory(0xffff, 100, 50);
    expect(many).toHaveLength(56 + 20 + 22);
    expect(view(many).getUint32(0, true)).toBe(0x06064b50);
    expect(u64(many, 32)).toBe(0xffff);
    expect(view(many).getUint32(56, true)).toBe(0x07064b50);
    expect(u64(many, 64)).toBe(150);
    expect(view(many).getUint16(76 + 10, true)).toBe(0xffff);
  });

  it("records written by hand make a zip another reader opens", async () => {
    const content = bytes('{"hello":"world"}');
    const data = await concat([deflateSegment(content), FINAL_BLOCK]);
    const modified = Date.UTC(2026, 10, 23);
    const header = localHeader("hello.json", modified);
    const entry: EntryRecord = {
      name: "hello.json",
      crc: crc32(content),
      csize: data.length,
      usize: content.length,
      offset: 0,
    };
    const body = await concat([header, data, dataDescriptor(entry)]);
    const directory = centralRecord(entry, modified);
    const zip = await concat([body, directory, endOfCentralDirectory(1, body.length, directory.length)]);
    expect(unzipSync(zip)).toEqual({ "hello.json": content });
  });
});
