import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  clientKexInit,
  decodeKexInit,
  deriveKey,
  deriveKeys,
  encodeKexInit,
  exchangeHash,
  type KexInit,
  negotiate,
  STRICT_KEX_CLIENT,
  STRICT_KEX_SERVER,
} from "../../src/transfer/ssh/kex";
import { CIPHERS, MACS } from "../../src/transfer/ssh/protection";
import { TransferError } from "../../src/transfer/types";

/**
 * The key schedule against RFC 4253 §7.2 and RFC 5656 §4 as written, recomputed here with node:crypto and
 * hand-rolled encodings (not Syndic's SshWriter), so a mistake in one is not repeated in the other.
 */

const sha256 = (...parts: Buffer[]) => createHash("sha256").update(Buffer.concat(parts)).digest();
const sshString = (bytes: Buffer | string) => {
  const body = typeof bytes === "string" ? Buffer.from(bytes, "utf8") : bytes;
  const length = Buffer.alloc(4);
  length.writeUInt32BE(body.length);
  return Buffer.concat([length, body]);
};
/** RFC 4251 mpint of a non-negative number given as big-endian bytes. */
const sshMpint = (unsigned: Buffer) => {
  let start = 0;
  while (start < unsigned.length && unsigned[start] === 0) start++;
  const magnitude = unsigned.subarray(start);
  const body = magnitude.length > 0 && magnitude[0] & 0x80 ? Buffer.concat([Buffer.from([0]), magnitude]) : magnitude;
  return sshString(body);
};
const toBigInt = (bytes: Buffer) => BigInt(`0x${bytes.toString("hex") || "0"}`);

// Shared secrets chosen for the encoding's edge cases: high bit set (mpint gains a zero byte), leading zero bytes.
const secrets = {
  highBit: Buffer.from("9f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0", "hex"),
  leadingZeros: Buffer.from("0000ab2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1", "hex"),
};
const H = sha256(Buffer.from("exchange hash"));
const sessionId = sha256(Buffer.from("the first exchange hash"));

describe("key derivation (RFC 4253 §7.2)", () => {
  for (const [name, K] of Object.entries(secrets)) {
    it(`derives each letter's key as HASH(K || H || X || session_id) (${name})`, () => {
      for (const letter of "ABCDEF") {
        const expected = sha256(sshMpint(K), H, Buffer.from(letter), sessionId);
        expect(Buffer.from(deriveKey(toBigInt(K), H, letter, sessionId, 32))).toEqual(expected);
        expect(Buffer.from(deriveKey(toBigInt(K), H, letter, sessionId, 16))).toEqual(expected.subarray(0, 16));
      }
    });

    it(`extends a key past one hash as K1 || HASH(K || H || K1) || HASH(K || H || K1 || K2) (${name})`, () => {
      const k1 = sha256(sshMpint(K), H, Buffer.from("E"), sessionId);
      const k2 = sha256(sshMpint(K), H, k1);
      const k3 = sha256(sshMpint(K), H, k1, k2);
      expect(Buffer.from(deriveKey(toBigInt(K), H, "E", sessionId, 64))).toEqual(Buffer.concat([k1, k2]));
      expect(Buffer.from(deriveKey(toBigInt(K), H, "E", sessionId, 80))).toEqual(
        Buffer.concat([k1, k2, k3]).subarray(0, 80),
      );
    });
  }

  it("sizes the six keys for the negotiated algorithms", () => {
    const negotiated = negotiate(clientKexInit(true), {
      ...clientKexInit(false),
      cipherClientToServer: ["aes256-ctr"],
      macServerToClient: ["hmac-sha2-512"],
    });
    const K = toBigInt(secrets.highBit);
    const keys = deriveKeys(K, H, sessionId, negotiated);
    expect(keys.clientToServer.key).toEqual(deriveKey(K, H, "C", sessionId, 32));
    expect(keys.clientToServer.iv).toEqual(deriveKey(K, H, "A", sessionId, 16));
    expect(keys.clientToServer.macKey).toEqual(deriveKey(K, H, "E", sessionId, 32));
    expect(keys.serverToClient.key).toEqual(deriveKey(K, H, "D", sessionId, 16));
    expect(keys.serverToClient.iv).toEqual(deriveKey(K, H, "B", sessionId, 16));
    expect(keys.serverToClient.macKey).toEqual(deriveKey(K, H, "F", sessionId, 64));
  });
});

describe("the exchange hash (RFC 5656 §4 with RFC 8731)", () => {
  it("hashes V_C, V_S, I_C, I_S, K_S, Q_C, Q_S as strings and K as an mpint", () => {
    const input = {
      clientVersion: "SSH-2.0-Syndic_0.1",
      serverVersion: "SSH-2.0-OpenSSH_9.6",
      clientKexInit: Buffer.from("14aabbcc", "hex"),
      serverKexInit: Buffer.from("14ddeeff00", "hex"),
      hostKeyBlob: Buffer.concat([sshString("ssh-ed25519"), sshString(Buffer.alloc(32, 1))]),
      clientPublic: Buffer.alloc(32, 2),
      serverPublic: Buffer.alloc(32, 3),
    };
    for (const K of Object.values(secrets)) {
      const expected = sha256(
        sshString(input.clientVersion),
        sshString(input.serverVersion),
        sshString(input.clientKexInit),
        sshString(input.serverKexInit),
        sshString(input.hostKeyBlob),
        sshString(input.clientPublic),
        sshString(input.serverPublic),
        sshMpint(K),
      );
      expect(Buffer.from(exchangeHash({ ...input, sharedSecret: toBigInt(K) }))).toEqual(expected);
    }
  });
});

describe("KEXINIT (RFC 4253 §7.1)", () => {
  it("lays out byte 20, the cookie, ten name-lists, first_kex_packet_follows and a reserved zero", () => {
    const cookie = new Uint8Array(16).fill(9);
    const bytes = Buffer.from(encodeKexInit(clientKexInit(true), cookie));
    expect(bytes[0]).toBe(20);
    expect(bytes.subarray(1, 17)).toEqual(Buffer.from(cookie));
    let offset = 17;
    const lists: string[] = [];
    for (let i = 0; i < 10; i++) {
      const length = bytes.readUInt32BE(offset);
      lists.push(bytes.subarray(offset + 4, offset + 4 + length).toString());
      offset += 4 + length;
    }
    expect(lists[0]).toBe(`curve25519-sha256,curve25519-sha256@libssh.org,${STRICT_KEX_CLIENT}`);
    expect(lists[1]).toBe("ssh-ed25519");
    expect(lists[2]).toBe("aes128-ctr,aes256-ctr");
    expect(lists[4]).toBe("hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,hmac-sha2-256,hmac-sha2-512");
    expect(lists.slice(6)).toEqual(["none", "none", "", ""]);
    expect([...bytes.subarray(offset)]).toEqual([0, 0, 0, 0, 0]);
    expect(decodeKexInit(bytes)).toEqual(clientKexInit(true));
  });

  it("offers strict kex only in the first exchange", () => {
    expect(clientKexInit(false).kex).not.toContain(STRICT_KEX_CLIENT);
  });
});

describe("negotiation", () => {
  const openssh: KexInit = {
    kex: ["sntrup761x25519-sha512@openssh.com", "curve25519-sha256", "ecdh-sha2-nistp256", STRICT_KEX_SERVER],
    hostKey: ["rsa-sha2-512", "ecdsa-sha2-nistp256", "ssh-ed25519"],
    cipherClientToServer: ["chacha20-poly1305@openssh.com", "aes256-ctr", "aes128-ctr"],
    cipherServerToClient: ["chacha20-poly1305@openssh.com", "aes256-ctr"],
    macClientToServer: ["umac-64-etm@openssh.com", "hmac-sha2-256"],
    macServerToClient: ["hmac-sha2-512-etm@openssh.com"],
    compressionClientToServer: ["none", "zlib@openssh.com"],
    compressionServerToClient: ["none"],
  };

  it("takes the client's first choice the server also lists, per direction", () => {
    const chosen = negotiate(clientKexInit(true), openssh);
    expect(chosen.kex).toBe("curve25519-sha256");
    expect(chosen.hostKey).toBe("ssh-ed25519");
    expect(chosen.clientToServer).toEqual({ cipher: CIPHERS["aes128-ctr"], mac: MACS["hmac-sha2-256"] });
    expect(chosen.serverToClient).toEqual({
      cipher: CIPHERS["aes256-ctr"],
      mac: MACS["hmac-sha2-512-etm@openssh.com"],
    });
    expect(chosen.strict).toBe(true);
    expect(negotiate(clientKexInit(true), { ...openssh, kex: ["curve25519-sha256@libssh.org"] }).strict).toBe(false);
  });

  it("refuses, for good, when a category has nothing in common, naming both sides' lists", () => {
    const attempt = () => negotiate(clientKexInit(true), { ...openssh, hostKey: ["rsa-sha2-512", "ssh-rsa"] });
    expect(attempt).toThrow(TransferError);
    expect(attempt).toThrow(
      "no common host key algorithm: the server offers rsa-sha2-512,ssh-rsa; Syndic supports ssh-ed25519",
    );
    try {
      negotiate(clientKexInit(true), { ...openssh, cipherServerToClient: ["aes128-gcm@openssh.com"] });
    } catch (error) {
      expect((error as TransferError).retryable).toBe(false);
      expect((error as TransferError).message).toMatch(/no common cipher algorithm/);
    }
    // The strict-kex marker is no key exchange method: a server offering only it has nothing in common.
    expect(() => negotiate(clientKexInit(true), { ...openssh, kex: [STRICT_KEX_CLIENT] })).toThrow(/key exchange/);
  });
});
