import { concatBytes } from "@noble/hashes/utils.js";
import { TransferError } from "../types";
import type { ByteSource } from "./byte-source";
import { type Protection, UNPROTECTED } from "./protection";

/**
 * The binary packet protocol (RFC 4253 §6): `uint32 packet_length, byte padding_length, payload, random padding`,
 * aligned to the cipher's block, then the MAC over the sequence number and the packet. With encrypt-then-MAC the
 * length stays in clear and the MAC covers the ciphertext instead. Each direction counts its own packets from 0.
 */

/** Well above the 35,000 bytes RFC 4253 §6.1 requires and OpenSSH's 256 KiB: anything larger is not SSH. */
const MAX_PACKET_LENGTH = 256 * 1024 + 1024;
const MIN_PADDING = 4;

export class PacketWriter {
  protection: Protection = UNPROTECTED;
  sequence = 0;

  constructor(private readonly randomFill: (bytes: Uint8Array) => void = (bytes) => crypto.getRandomValues(bytes)) {}

  async seal(payload: Uint8Array): Promise<Uint8Array> {
    const { protection } = this;
    const block = Math.max(8, protection.blockSize);
    // Encrypt-then-MAC aligns what follows the clear length; otherwise the whole packet, length included.
    const aligned = (protection.encryptThenMac ? 1 : 5) + payload.length;
    let padding = block - (aligned % block);
    if (padding < MIN_PADDING) padding += block;
    const packetLength = 1 + payload.length + padding;
    const packet = new Uint8Array(4 + packetLength);
    new DataView(packet.buffer).setUint32(0, packetLength);
    packet[4] = padding;
    packet.set(payload, 5);
    this.randomFill(packet.subarray(5 + payload.length));

    const sequence = this.sequence;
    this.sequence = (this.sequence + 1) >>> 0;
    if (protection === UNPROTECTED) return packet;
    if (protection.encryptThenMac) {
      const sealed = concatBytes(packet.subarray(0, 4), await protection.crypt(packet.subarray(4)));
      return concatBytes(sealed, await protection.tag(sequence, sealed));
    }
    const tag = await protection.tag(sequence, packet);
    return concatBytes(await protection.crypt(packet), tag);
  }
}

export class PacketReader {
  protection: Protection = UNPROTECTED;
  sequence = 0;

  constructor(private readonly source: ByteSource) {}

  /** The next packet's payload, its MAC checked. */
  async next(): Promise<Uint8Array> {
    const { protection } = this;
    const sequence = this.sequence;
    let packet: Uint8Array;
    if (protection.encryptThenMac) {
      const length = await this.source.take(4);
      const encrypted = await this.source.take(checkedLength(length, 0, protection));
      const tag = await this.source.take(protection.tagLength);
      if (!(await protection.check(sequence, concatBytes(length, encrypted), tag))) throw badMac();
      packet = concatBytes(length, await protection.crypt(encrypted));
    } else {
      const block = Math.max(8, protection.blockSize);
      const first = await protection.crypt(await this.source.take(block));
      const rest = checkedLength(first, 4 - block, protection);
      packet = concatBytes(first, await protection.crypt(await this.source.take(rest)));
      const tag = await this.source.take(protection.tagLength);
      if (!(await protection.check(sequence, packet, tag))) throw badMac();
    }
    this.sequence = (this.sequence + 1) >>> 0;
    const padding = packet[4];
    const payloadLength = packet.length - 5 - padding;
    if (padding < MIN_PADDING || payloadLength < 1)
      throw new TransferError("the server sent a malformed packet", false);
    return packet.subarray(5, 5 + payloadLength);
  }
}

/** The packet_length read from `header`, checked before any of it is read, plus `adjust`: what is left to take. */
function checkedLength(header: Uint8Array, adjust: number, protection: Protection): number {
  const length = new DataView(header.buffer, header.byteOffset, 4).getUint32(0);
  const aligned = protection.encryptThenMac ? length : length + 4;
  const misaligned = protection !== UNPROTECTED && aligned % protection.blockSize !== 0;
  if (length < 1 + MIN_PADDING || length > MAX_PACKET_LENGTH || misaligned || length + adjust < 0) {
    throw new TransferError(`the server sent a packet of impossible length ${length}`, false);
  }
  return length + adjust;
}

function badMac(): TransferError {
  return new TransferError("a packet from the server failed its MAC check (corrupted or tampered with)", true);
}
