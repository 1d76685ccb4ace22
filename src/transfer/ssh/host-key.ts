import { ed25519 } from "@noble/curves/ed25519.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { fromBase64, toBase64 } from "../../lib/encoding";
import { TransferError } from "../types";
import { SshReader, SshWriter } from "./wire";

/**
 * The server's host key, pinned: `ssh-ed25519 AAAA…` as in known_hosts or a `.pub` file (RFC 8709 §4 blob). The
 * key the server proves it holds must be this one; there is no trust on first use.
 */

export const ED25519 = "ssh-ed25519";

export interface PinnedHostKey {
  blob: Uint8Array;
  publicKey: Uint8Array;
  fingerprint: string;
}

/** Reads `[host patterns] ssh-ed25519 AAAA… [comment]`. Throws TransferError(retryable=false) saying what is wrong. */
export function parseHostKey(text: string): PinnedHostKey {
  const fields = text.trim().split(/\s+/);
  const at = fields.findIndex((field) => field === ED25519 || /^(ssh|ecdsa|sk)-/.test(field));
  if (at === -1 || at + 1 >= fields.length) {
    throw new TransferError("host_key must be in known_hosts form: ssh-ed25519 AAAA…", false);
  }
  if (fields[at] !== ED25519) {
    throw new TransferError(`host_key must be an ssh-ed25519 key (got ${fields[at]})`, false);
  }
  let blob: Uint8Array;
  try {
    blob = fromBase64(fields[at + 1]);
  } catch {
    throw new TransferError("host_key is not valid base64 after ssh-ed25519", false);
  }
  return { blob, publicKey: ed25519PublicKey(blob, "host_key"), fingerprint: fingerprint(blob) };
}

/** The 32-byte key inside an ssh-ed25519 public key blob (`string "ssh-ed25519", string key`). */
export function ed25519PublicKey(blob: Uint8Array, what: string): Uint8Array {
  const bad = () => new TransferError(`${what} is not an ssh-ed25519 public key`, false);
  try {
    const reader = new SshReader(blob);
    const type = reader.text();
    const key = reader.string();
    if (type !== ED25519 || key.length !== 32 || reader.remaining !== 0) throw bad();
    return key;
  } catch {
    throw bad();
  }
}

export function ed25519Blob(publicKey: Uint8Array): Uint8Array {
  return new SshWriter().string(ED25519).string(publicKey).finish();
}

/** As `ssh-keygen -l` prints it: SHA256, then the digest of the blob in base64 without padding. */
export function fingerprint(blob: Uint8Array): string {
  return `SHA256:${toBase64(sha256(blob)).replace(/=+$/, "")}`;
}

/** An ssh-ed25519 signature blob (`string "ssh-ed25519", string signature`, RFC 8709 §6) over `data`. */
export function verifySignature(publicKey: Uint8Array, signatureBlob: Uint8Array, data: Uint8Array): boolean {
  try {
    const reader = new SshReader(signatureBlob);
    if (reader.text() !== ED25519) return false;
    const signature = reader.string();
    return (
      signature.length === 64 && reader.remaining === 0 && ed25519.verify(signature, data, publicKey, { zip215: false })
    );
  } catch {
    return false;
  }
}

export function signatureBlob(signature: Uint8Array): Uint8Array {
  return new SshWriter().string(ED25519).string(signature).finish();
}
