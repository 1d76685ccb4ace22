import { createCipheriv, createDecipheriv, createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { ByteSource } from "../../src/transfer/ssh/byte-source";
import { PacketReader, PacketWriter } from "../../src/transfer/ssh/packets";
import { advanceCounter, CIPHERS, MACS, protect } from "../../src/transfer/ssh/protection";

/**
 * Packet framing checked against node:crypto doing RFC 4253 §6 by hand: what Syndic seals, OpenSSL opens, and
 * what OpenSSL seals, Syndic opens — for plain MAC and encrypt-then-MAC.
 */

const key = Buffer.from("000102030405060708090a0b0c0d0e0f", "hex");
const iv = Buffer.from("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff", "hex"); // the counter wraps inside the first packets
const macKey = Buffer.alloc(32, 0x42);
const payloads = [Buffer.from([94, 1, 2, 3]), Buffer.alloc(1000, 7), Buffer.from([2])];

const seq = (n: number) => {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(n);
  return bytes;
};

const sourceOf = (bytes: Uint8Array, chunk = 13) => {
  let offset = 0;
  return new ByteSource(async () => {
    if (offset >= bytes.length) return null;
    const piece = bytes.subarray(offset, offset + chunk);
    offset += chunk;
    return piece;
  });
};

async function writerWith(macName: string) {
  const writer = new PacketWriter();
  writer.protection = await protect(CIPHERS["aes128-ctr"], MACS[macName], { iv, key, macKey });
  return writer;
}

describe("unencrypted packets", () => {
  it("pads to a multiple of 8 with at least 4 bytes, and reads back", async () => {
    for (let size = 1; size < 40; size++) {
      const writer = new PacketWriter();
      const packet = await writer.seal(new Uint8Array(size).fill(size));
      const length = Buffer.from(packet).readUInt32BE(0);
      const padding = packet[4];
      expect(packet.length % 8).toBe(0);
      expect(length).toBe(packet.length - 4);
      expect(padding).toBeGreaterThanOrEqual(4);
      expect(padding).toBeLessThan(4 + 8);
      expect(length - padding - 1).toBe(size);
      const read = await new PacketReader(sourceOf(packet)).next();
      expect([...read]).toEqual([...new Uint8Array(size).fill(size)]);
    }
  });
});

describe("aes128-ctr with hmac-sha2-256", () => {
  it("seals packets that OpenSSL decrypts as one CTR stream, each MAC over sequence || plain packet", async () => {
    const writer = await writerWith("hmac-sha2-256");
    const sealed = [];
    for (const payload of payloads) sealed.push(await writer.seal(payload));
    const decipher = createDecipheriv("aes-128-ctr", key, iv);
    sealed.forEach((bytes, sequence) => {
      const encrypted = bytes.subarray(0, bytes.length - 32);
      const tag = bytes.subarray(bytes.length - 32);
      expect(encrypted.length % 16).toBe(0);
      const plain = decipher.update(encrypted);
      expect(plain.readUInt32BE(0)).toBe(plain.length - 4);
      const padding = plain[4];
      expect(padding).toBeGreaterThanOrEqual(4);
      expect(plain.subarray(5, plain.length - padding)).toEqual(payloads[sequence]);
      const expected = createHmac("sha256", macKey).update(seq(sequence)).update(plain).digest();
      expect(Buffer.from(tag)).toEqual(expected);
    });
  });

  it("opens packets OpenSSL sealed, in whatever chunks TCP delivers", async () => {
    const cipher = createCipheriv("aes-128-ctr", key, iv);
    const wire: Buffer[] = [];
    payloads.forEach((payload, sequence) => {
      let padding = 16 - ((5 + payload.length) % 16);
      if (padding < 4) padding += 16;
      const plain = Buffer.concat([Buffer.alloc(5), payload, Buffer.alloc(padding, 0xaa)]);
      plain.writeUInt32BE(plain.length - 4);
      plain[4] = padding;
      const mac = createHmac("sha256", macKey).update(seq(sequence)).update(plain).digest();
      wire.push(cipher.update(plain), mac);
    });
    const reader = new PacketReader(sourceOf(Buffer.concat(wire), 7));
    reader.protection = await protect(CIPHERS["aes128-ctr"], MACS["hmac-sha2-256"], { iv, key, macKey });
    for (const payload of payloads) expect(Buffer.from(await reader.next())).toEqual(payload);
    expect(reader.sequence).toBe(3);
  });

  it("refuses a packet whose MAC does not match", async () => {
    const writer = await writerWith("hmac-sha2-256");
    const packet = await writer.seal(payloads[0]);
    packet[packet.length - 1] ^= 1;
    const reader = new PacketReader(sourceOf(packet));
    reader.protection = await protect(CIPHERS["aes128-ctr"], MACS["hmac-sha2-256"], { iv, key, macKey });
    await expect(reader.next()).rejects.toThrow(/MAC check/);
  });
});

describe("aes128-ctr with hmac-sha2-256-etm@openssh.com", () => {
  it("leaves the length in clear, aligns the rest, and MACs sequence || length || ciphertext", async () => {
    const writer = await writerWith("hmac-sha2-256-etm@openssh.com");
    const decipher = createDecipheriv("aes-128-ctr", key, iv);
    for (const [sequence, payload] of payloads.entries()) {
      const bytes = Buffer.from(await writer.seal(payload));
      const length = bytes.readUInt32BE(0);
      const encrypted = bytes.subarray(4, 4 + length);
      const tag = bytes.subarray(4 + length);
      expect(length % 16).toBe(0);
      expect(tag).toEqual(
        createHmac("sha256", macKey)
          .update(seq(sequence))
          .update(bytes.subarray(0, 4 + length))
          .digest(),
      );
      const plain = decipher.update(encrypted);
      const padding = plain[0];
      expect(padding).toBeGreaterThanOrEqual(4);
      expect(plain.subarray(1, plain.length - padding)).toEqual(payload);
    }
  });

  it("reads back its own packets", async () => {
    const writer = await writerWith("hmac-sha2-256-etm@openssh.com");
    const sealed = [];
    for (const payload of payloads) sealed.push(await writer.seal(payload));
    const wire = Buffer.concat(sealed);
    const reader = new PacketReader(sourceOf(wire, 100));
    reader.protection = await protect(CIPHERS["aes128-ctr"], MACS["hmac-sha2-256-etm@openssh.com"], {
      iv,
      key,
      macKey,
    });
    for (const payload of payloads) expect(Buffer.from(await reader.next())).toEqual(payload);
  });
});

describe("the CTR counter", () => {
  it("is one 128-bit big-endian number that wraps to zero", () => {
    const counter = new Uint8Array(16).fill(0xff);
    advanceCounter(counter, 1);
    expect([...counter]).toEqual(new Array(16).fill(0));
    const carry = Uint8Array.from([...new Array(14).fill(0), 0x00, 0xff]);
    advanceCounter(carry, 0x102);
    expect([...carry.subarray(13)]).toEqual([0, 0x02, 0x01]);
  });
});
