import { ed25519 } from "@noble/curves/ed25519.js";
import { equalBytes } from "@noble/curves/utils.js";
import { fromBase64 } from "../../lib/encoding";
import { TransferError } from "../types";
import { ED25519 } from "./host-key";
import { SshReader } from "./wire";

/**
 * The client's Ed25519 key for publickey login, from the two forms people have: OpenSSH's own
 * (`-----BEGIN OPENSSH PRIVATE KEY-----`, PROTOCOL.key), unencrypted, or PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`,
 * RFC 8410). Errors say what is wrong with the key and never show any of it.
 */

export interface UserKey {
  /** The 32-byte seed RFC 8032 signs with. */
  seed: Uint8Array;
  publicKey: Uint8Array;
}

const OPENSSH_MAGIC = new TextEncoder().encode("openssh-key-v1\0");
/** AlgorithmIdentifier { id-Ed25519 } (RFC 8410 §3), as DER. */
const ED25519_ALGORITHM = Uint8Array.of(0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70);

export function parseUserKey(text: string): UserKey {
  const pem = /-----BEGIN ([A-Z ]+)-----([\s\S]*?)-----END \1-----/.exec(text);
  if (!pem) throw keyError("is not a PEM block (-----BEGIN OPENSSH PRIVATE KEY----- or -----BEGIN PRIVATE KEY-----)");
  let der: Uint8Array;
  try {
    der = fromBase64(pem[2].replace(/\s+/g, ""));
  } catch {
    throw keyError("is not valid base64");
  }
  if (pem[1] === "OPENSSH PRIVATE KEY") return fromOpenSsh(der);
  if (pem[1] === "PRIVATE KEY") return fromPkcs8(der);
  if (pem[1] === "ENCRYPTED PRIVATE KEY") throw keyError("is encrypted: give the key without a passphrase");
  throw keyError(`is a ${pem[1]}: only Ed25519 keys are supported`);
}

function fromOpenSsh(data: Uint8Array): UserKey {
  if (!equalBytes(data.subarray(0, OPENSSH_MAGIC.length), OPENSSH_MAGIC)) throw keyError("is not an OpenSSH key");
  try {
    const outer = new SshReader(data.subarray(OPENSSH_MAGIC.length));
    const cipher = outer.text();
    outer.text(); // kdf name
    outer.string(); // kdf options
    if (cipher !== "none") throw keyError("is encrypted: give the key without a passphrase");
    if (outer.uint32() !== 1) throw keyError("holds more than one key");
    outer.string(); // the public key again, checked below against the private section's
    const inner = new SshReader(outer.string());
    const check = inner.uint32();
    if (inner.uint32() !== check) throw keyError("is damaged (check integers differ)");
    const type = inner.text();
    if (type !== ED25519) throw keyError(`is a ${type} key: only Ed25519 keys are supported`);
    const publicKey = inner.string();
    const secret = inner.string();
    if (publicKey.length !== 32 || secret.length !== 64) throw keyError("is damaged (wrong key lengths)");
    return checked(secret.slice(0, 32), publicKey);
  } catch (error) {
    if (error instanceof KeyError) throw error;
    throw keyError("is damaged (truncated)");
  }
}

function fromPkcs8(der: Uint8Array): UserKey {
  const key = readDer(der, 0, 0x30);
  const version = readDer(der, key.start, 0x02);
  const algorithm = der.subarray(version.end, version.end + ED25519_ALGORITHM.length);
  if (!equalBytes(algorithm, ED25519_ALGORITHM)) throw keyError("is not an Ed25519 key: only Ed25519 is supported");
  const wrapped = readDer(der, version.end + ED25519_ALGORITHM.length, 0x04);
  const seed = readDer(der, wrapped.start, 0x04);
  if (seed.end - seed.start !== 32) throw keyError("is damaged (wrong key length)");
  return checked(der.slice(seed.start, seed.end), null);
}

/** A DER element's content bounds at `offset`, which must carry `tag`. */
function readDer(der: Uint8Array, offset: number, tag: number): { start: number; end: number } {
  if (der[offset] !== tag) throw keyError("is not a PKCS#8 key");
  let length = der[offset + 1];
  let start = offset + 2;
  if (length > 0x80) {
    const count = length - 0x80;
    if (count > 2) throw keyError("is not a PKCS#8 key");
    length = 0;
    for (let i = 0; i < count; i++) length = (length << 8) | der[start + i];
    start += count;
  }
  if (length === undefined || start + length > der.length) throw keyError("is damaged (truncated)");
  return { start, end: start + length };
}

function checked(seed: Uint8Array, storedPublicKey: Uint8Array | null): UserKey {
  const publicKey = ed25519.getPublicKey(seed);
  if (storedPublicKey && !equalBytes(publicKey, storedPublicKey)) {
    throw keyError("is damaged (its public half does not match)");
  }
  return { seed, publicKey };
}

/** Apart from the reader's own errors, which speak of the server: here a short read means a truncated key. */
class KeyError extends TransferError {}

function keyError(what: string): TransferError {
  return new KeyError(`private_key ${what}`, false);
}
