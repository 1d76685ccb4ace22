import { describe, expect, it } from "vitest";
import { ByteSource } from "../../src/transfer/ssh/byte-source";
import { mpintBytes, SshReader, SshWriter, unsignedBigInt } from "../../src/transfer/ssh/wire";
import { TransferError } from "../../src/transfer/types";

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");
const unhex = (text: string) => new Uint8Array(Buffer.from(text.replace(/\s+/g, ""), "hex"));

describe("SSH data types (RFC 4251 §5)", () => {
  it("writes uint32 and string as the RFC's examples", () => {
    expect(hex(new SshWriter().uint32(699921578).finish())).toBe("29b7f4aa");
    expect(hex(new SshWriter().string("testing").finish())).toBe("0000000774657374696e67");
    expect(hex(new SshWriter().string(new Uint8Array(0)).finish())).toBe("00000000");
  });

  it.each([
    [0n, "00000000"],
    [0x9a378f9b2e332a7n, "00000008 09a378f9b2e332a7"],
    [0x80n, "00000002 0080"],
    [-0x1234n, "00000002 edcc"],
    [-0xdeadbeefn, "00000005 ff21524111"],
  ])("writes mpint %s as in the RFC", (value, expected) => {
    expect(hex(new SshWriter().mpint(value).finish())).toBe(expected.replace(" ", ""));
  });

  it("writes an unsigned secret as an mpint: leading zeros dropped, a zero byte before a high bit", () => {
    const withLeadingZeros = unhex("0000 7f01");
    expect(hex(new SshWriter().mpint(unsignedBigInt(withLeadingZeros)).finish())).toBe("000000027f01");
    const highBit = unhex("ff00 0000");
    expect(hex(new SshWriter().mpint(unsignedBigInt(highBit)).finish())).toBe("0000000500ff000000");
    const zeroThenHighBit = unhex("00 80");
    expect(hex(mpintBytes(unsignedBigInt(zeroThenHighBit)))).toBe("0080");
    expect(hex(mpintBytes(-1n))).toBe("ff");
    expect(hex(mpintBytes(-0x80n))).toBe("80");
    expect(hex(mpintBytes(-0x81n))).toBe("ff7f");
    expect(hex(mpintBytes(0x7fn))).toBe("7f");
  });

  it.each([
    [[], "00000000"],
    [["zlib"], "000000047a6c6962"],
    [["zlib", "none"], "000000097a6c69622c6e6f6e65"],
  ])("writes and reads the name-list %j as in the RFC", (names, expected) => {
    const bytes = new SshWriter().nameList(names).finish();
    expect(hex(bytes)).toBe(expected);
    expect(new SshReader(bytes).nameList()).toEqual(names);
  });

  it("reads back what it writes, and any non-zero byte as true", () => {
    const bytes = new SshWriter()
      .byte(7)
      .boolean(true)
      .uint32(0xffffffff)
      .uint64(2 ** 40 + 5)
      .string("é")
      .raw(Uint8Array.of(9, 8))
      .finish();
    const reader = new SshReader(bytes);
    expect([reader.byte(), reader.boolean(), reader.uint32(), reader.uint64(), reader.text()]).toEqual([
      7,
      true,
      0xffffffff,
      2 ** 40 + 5,
      "é",
    ]);
    expect([...reader.rest()]).toEqual([9, 8]);
    expect(new SshReader(Uint8Array.of(2)).boolean()).toBe(true);
  });

  it("refuses to read past the end instead of inventing zeros", () => {
    expect(() => new SshReader(unhex("000000")).uint32()).toThrow(TransferError);
    expect(() => new SshReader(unhex("00000005 6162")).string()).toThrow(/malformed/);
  });
});

describe("ByteSource", () => {
  const sourceOf = (...chunks: string[]) => {
    const queue = chunks.map((chunk) => new TextEncoder().encode(chunk));
    return new ByteSource(async () => queue.shift() ?? null);
  };

  it("takes exact counts across chunk boundaries", async () => {
    const source = sourceOf("ab", "", "cdef", "g");
    expect(new TextDecoder().decode(await source.take(3))).toBe("abc");
    expect(new TextDecoder().decode(await source.take(4))).toBe("defg");
    await expect(source.take(1)).rejects.toThrow(/closed the connection/);
  });

  it("reads lines ending in CR LF or a bare LF, bounded", async () => {
    const source = sourceOf("hello\r", "\nSSH-2.0-x\nrest");
    expect(await source.line(100)).toBe("hello");
    expect(await source.line(100)).toBe("SSH-2.0-x");
    expect(new TextDecoder().decode(await source.take(4))).toBe("rest");
    await expect(sourceOf("x".repeat(20)).line(10)).rejects.toThrow(/longer than SSH allows/);
  });
});
