/**
 * The cipher and MAC of one direction after NEWKEYS: AES in CTR mode (RFC 4344 §4) and HMAC-SHA2 (RFC 6668), plain
 * or encrypt-then-MAC (OpenSSH PROTOCOL §1.7). WebCrypto does the work natively, so a large file costs the Worker
 * little CPU. Before the first NEWKEYS a direction has no protection at all (`UNPROTECTED`).
 */

export interface CipherSpec {
  keyLength: number;
  blockSize: number;
  ivLength: number;
}

export interface MacSpec {
  hash: "SHA-256" | "SHA-512";
  keyLength: number;
  tagLength: number;
  encryptThenMac: boolean;
}

/** In the order this client prefers them (RFC 4253 §7.1: the client's order decides). */
export const CIPHERS: Record<string, CipherSpec> = {
  "aes128-ctr": { keyLength: 16, blockSize: 16, ivLength: 16 },
  "aes256-ctr": { keyLength: 32, blockSize: 16, ivLength: 16 },
};

export const MACS: Record<string, MacSpec> = {
  "hmac-sha2-256-etm@openssh.com": { hash: "SHA-256", keyLength: 32, tagLength: 32, encryptThenMac: true },
  "hmac-sha2-512-etm@openssh.com": { hash: "SHA-512", keyLength: 64, tagLength: 64, encryptThenMac: true },
  "hmac-sha2-256": { hash: "SHA-256", keyLength: 32, tagLength: 32, encryptThenMac: false },
  "hmac-sha2-512": { hash: "SHA-512", keyLength: 64, tagLength: 64, encryptThenMac: false },
};

export interface Protection {
  /** The packet alignment: the cipher's block size, at least 8 (RFC 4253 §6). */
  readonly blockSize: number;
  readonly tagLength: number;
  readonly encryptThenMac: boolean;
  /** Encrypts or decrypts the next bytes of the direction's stream; `data.length` is a multiple of the block size. */
  crypt(data: Uint8Array): Promise<Uint8Array>;
  /** The MAC of `uint32 sequence || data`. */
  tag(sequence: number, data: Uint8Array): Promise<Uint8Array>;
  check(sequence: number, data: Uint8Array, tag: Uint8Array): Promise<boolean>;
}

export const UNPROTECTED: Protection = {
  blockSize: 8,
  tagLength: 0,
  encryptThenMac: false,
  crypt: async (data) => data,
  tag: async () => new Uint8Array(0),
  check: async () => true,
};

export interface DirectionKeys {
  iv: Uint8Array;
  key: Uint8Array;
  macKey: Uint8Array;
}

export async function protect(cipher: CipherSpec, mac: MacSpec, keys: DirectionKeys): Promise<Protection> {
  const aes = await crypto.subtle.importKey("raw", keys.key, "AES-CTR", false, ["encrypt"]);
  const hmac = await crypto.subtle.importKey("raw", keys.macKey, { name: "HMAC", hash: mac.hash }, false, [
    "sign",
    "verify",
  ]);
  // SSH's counter is the whole 128-bit block, carried across packets: one call per packet, advanced by its blocks.
  const counter = Uint8Array.from(keys.iv.subarray(0, cipher.ivLength));
  const withSequence = (sequence: number, data: Uint8Array) => {
    const input = new Uint8Array(4 + data.length);
    new DataView(input.buffer).setUint32(0, sequence >>> 0);
    input.set(data, 4);
    return input;
  };
  return {
    blockSize: cipher.blockSize,
    tagLength: mac.tagLength,
    encryptThenMac: mac.encryptThenMac,
    async crypt(data) {
      const start = counter.slice();
      advanceCounter(counter, data.length / cipher.blockSize);
      return new Uint8Array(await crypto.subtle.encrypt({ name: "AES-CTR", counter: start, length: 128 }, aes, data));
    },
    async tag(sequence, data) {
      return new Uint8Array(await crypto.subtle.sign("HMAC", hmac, withSequence(sequence, data)));
    },
    check(sequence, data, tag) {
      return crypto.subtle.verify("HMAC", hmac, tag, withSequence(sequence, data));
    },
  };
}

/** Adds `blocks` to a big-endian counter in place, wrapping at 2^(8·length) as RFC 4344 §4 says. */
export function advanceCounter(counter: Uint8Array, blocks: number): void {
  let carry = blocks;
  for (let i = counter.length - 1; i >= 0 && carry > 0; i--) {
    const sum = counter[i] + (carry % 256);
    counter[i] = sum & 0xff;
    carry = Math.floor(carry / 256) + (sum > 0xff ? 1 : 0);
  }
}
