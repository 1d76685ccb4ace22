import { sha256 } from "@noble/hashes/sha2.js";
import { concatBytes } from "@noble/hashes/utils.js";
import { TransferError } from "../types";
import { MSG } from "./messages";
import { CIPHERS, type CipherSpec, type DirectionKeys, MACS, type MacSpec } from "./protection";
import { SshReader, SshWriter } from "./wire";

/**
 * Key exchange (RFC 4253 §7–8) with curve25519-sha256 (RFC 8731): the algorithm lists both sides offer, the choice,
 * the exchange hash H and the keys derived from K and H. The transport drives the messages; this file is the maths.
 */

export const KEX_ALGORITHMS = ["curve25519-sha256", "curve25519-sha256@libssh.org"];
export const HOST_KEY_ALGORITHMS = ["ssh-ed25519"];
/** OpenSSH's strict key exchange (the Terrapin fix, PROTOCOL §1.10): offered by the client, honoured if the server says so. */
export const STRICT_KEX_CLIENT = "kex-strict-c-v00@openssh.com";
export const STRICT_KEX_SERVER = "kex-strict-s-v00@openssh.com";

export interface KexInit {
  kex: string[];
  hostKey: string[];
  cipherClientToServer: string[];
  cipherServerToClient: string[];
  macClientToServer: string[];
  macServerToClient: string[];
  compressionClientToServer: string[];
  compressionServerToClient: string[];
}

export function clientKexInit(firstExchange: boolean): KexInit {
  const ciphers = Object.keys(CIPHERS);
  const macs = Object.keys(MACS);
  return {
    // Strict kex is negotiated once, at the first exchange (a later KEXINIT must not add it).
    kex: firstExchange ? [...KEX_ALGORITHMS, STRICT_KEX_CLIENT] : KEX_ALGORITHMS,
    hostKey: HOST_KEY_ALGORITHMS,
    cipherClientToServer: ciphers,
    cipherServerToClient: ciphers,
    macClientToServer: macs,
    macServerToClient: macs,
    compressionClientToServer: ["none"],
    compressionServerToClient: ["none"],
  };
}

export function encodeKexInit(init: KexInit, cookie: Uint8Array): Uint8Array {
  return new SshWriter()
    .byte(MSG.KEXINIT)
    .raw(cookie)
    .nameList(init.kex)
    .nameList(init.hostKey)
    .nameList(init.cipherClientToServer)
    .nameList(init.cipherServerToClient)
    .nameList(init.macClientToServer)
    .nameList(init.macServerToClient)
    .nameList(init.compressionClientToServer)
    .nameList(init.compressionServerToClient)
    .nameList([])
    .nameList([])
    .boolean(false)
    .uint32(0)
    .finish();
}

export function decodeKexInit(payload: Uint8Array): KexInit {
  const reader = new SshReader(payload, "KEXINIT");
  reader.byte();
  for (let i = 0; i < 16; i++) reader.byte();
  return {
    kex: reader.nameList(),
    hostKey: reader.nameList(),
    cipherClientToServer: reader.nameList(),
    cipherServerToClient: reader.nameList(),
    macClientToServer: reader.nameList(),
    macServerToClient: reader.nameList(),
    compressionClientToServer: reader.nameList(),
    compressionServerToClient: reader.nameList(),
  };
}

export interface Negotiated {
  kex: string;
  hostKey: string;
  clientToServer: { cipher: CipherSpec; mac: MacSpec };
  serverToClient: { cipher: CipherSpec; mac: MacSpec };
  strict: boolean;
}

/** RFC 4253 §7.1: per category, the first of the client's algorithms that the server also lists. */
export function negotiate(client: KexInit, server: KexInit): Negotiated {
  const pick = (kind: string, ours: string[], theirs: string[]) => {
    const chosen = ours.find((name) => theirs.includes(name));
    if (chosen === undefined) {
      throw new TransferError(
        `no common ${kind} algorithm: the server offers ${theirs.join(",") || "none"}; Syndic supports ${ours.join(",")}`,
        false,
      );
    }
    return chosen;
  };
  const ownKex = client.kex.filter((name) => name !== STRICT_KEX_CLIENT);
  pick("compression", client.compressionClientToServer, server.compressionClientToServer);
  pick("compression", client.compressionServerToClient, server.compressionServerToClient);
  return {
    kex: pick("key exchange", ownKex, server.kex),
    hostKey: pick("host key", client.hostKey, server.hostKey),
    clientToServer: {
      cipher: CIPHERS[pick("cipher", client.cipherClientToServer, server.cipherClientToServer)],
      mac: MACS[pick("MAC", client.macClientToServer, server.macClientToServer)],
    },
    serverToClient: {
      cipher: CIPHERS[pick("cipher", client.cipherServerToClient, server.cipherServerToClient)],
      mac: MACS[pick("MAC", client.macServerToClient, server.macServerToClient)],
    },
    strict: client.kex.includes(STRICT_KEX_CLIENT) && server.kex.includes(STRICT_KEX_SERVER),
  };
}

export interface ExchangeHashInput {
  clientVersion: string;
  serverVersion: string;
  clientKexInit: Uint8Array;
  serverKexInit: Uint8Array;
  hostKeyBlob: Uint8Array;
  clientPublic: Uint8Array;
  serverPublic: Uint8Array;
  /** The X25519 output as an unsigned big-endian number (RFC 8731 §3.1). */
  sharedSecret: bigint;
}

/** H = SHA-256(V_C || V_S || I_C || I_S || K_S || Q_C || Q_S || K), each an SSH string and K an mpint (RFC 5656 §4). */
export function exchangeHash(input: ExchangeHashInput): Uint8Array {
  return sha256(
    new SshWriter()
      .string(input.clientVersion)
      .string(input.serverVersion)
      .string(input.clientKexInit)
      .string(input.serverKexInit)
      .string(input.hostKeyBlob)
      .string(input.clientPublic)
      .string(input.serverPublic)
      .mpint(input.sharedSecret)
      .finish(),
  );
}

/**
 * One key of RFC 4253 §7.2: HASH(K || H || letter || session_id), extended by HASH(K || H || K1 || … ) until it is
 * `length` bytes long; K as an mpint.
 */
export function deriveKey(
  sharedSecret: bigint,
  hash: Uint8Array,
  letter: string,
  sessionId: Uint8Array,
  length: number,
): Uint8Array {
  const prefix = new SshWriter().mpint(sharedSecret).raw(hash).finish();
  let key = sha256(concatBytes(prefix, new Uint8Array([letter.charCodeAt(0)]), sessionId));
  while (key.length < length) key = concatBytes(key, sha256(concatBytes(prefix, key)));
  return key.slice(0, length);
}

/** The six keys: IVs "A"/"B", encryption keys "C"/"D", MAC keys "E"/"F" (client to server first). */
export function deriveKeys(
  sharedSecret: bigint,
  hash: Uint8Array,
  sessionId: Uint8Array,
  negotiated: Negotiated,
): { clientToServer: DirectionKeys; serverToClient: DirectionKeys } {
  const derive = (letter: string, length: number) => deriveKey(sharedSecret, hash, letter, sessionId, length);
  const { clientToServer: out, serverToClient: back } = negotiated;
  return {
    clientToServer: {
      iv: derive("A", out.cipher.ivLength),
      key: derive("C", out.cipher.keyLength),
      macKey: derive("E", out.mac.keyLength),
    },
    serverToClient: {
      iv: derive("B", back.cipher.ivLength),
      key: derive("D", back.cipher.keyLength),
      macKey: derive("F", back.mac.keyLength),
    },
  };
}
