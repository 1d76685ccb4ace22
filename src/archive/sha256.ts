/**
 * SHA-256 whose state can be saved and restored. An archive build may stop at a checkpoint in the middle of a file
 * and finish in the next queue job; a native hasher (WebCrypto, node:crypto) cannot hand its state over, this one can.
 */

const K = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98,
  0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
  0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8,
  0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
  0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
  0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
  0xc67178f2,
]);

const INITIAL = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];

/** What a checkpoint keeps: the eight state words, the bytes of an unfinished block, and the length so far. */
export interface Sha256State {
  h: number[];
  /** Hex of the 0–63 bytes waiting for a full block. */
  tail: string;
  length: number;
}

const W = new Int32Array(64);

export class Sha256 {
  private readonly h = new Int32Array(8);
  private readonly block = new Uint8Array(64);
  private blockLength = 0;
  private length = 0;

  constructor(state?: Sha256State) {
    if (!state) {
      this.h.set(INITIAL);
      return;
    }
    this.h.set(state.h);
    this.length = state.length;
    for (let i = 0; i < state.tail.length; i += 2) this.block[i / 2] = Number.parseInt(state.tail.slice(i, i + 2), 16);
    this.blockLength = state.tail.length / 2;
  }

  update(data: Uint8Array): this {
    let offset = 0;
    const end = data.length;
    this.length += end;
    if (this.blockLength > 0) {
      const take = Math.min(64 - this.blockLength, end);
      this.block.set(data.subarray(0, take), this.blockLength);
      this.blockLength += take;
      offset = take;
      if (this.blockLength < 64) return this;
      compress(this.h, this.block, 0, 64);
      this.blockLength = 0;
    }
    const whole = (end - offset) & ~63;
    if (whole) {
      compress(this.h, data, offset, whole);
      offset += whole;
    }
    if (offset < end) {
      this.block.set(data.subarray(offset), 0);
      this.blockLength = end - offset;
    }
    return this;
  }

  save(): Sha256State {
    let tail = "";
    for (let i = 0; i < this.blockLength; i++) tail += this.block[i].toString(16).padStart(2, "0");
    return { h: Array.from(this.h), tail, length: this.length };
  }

  /** Lowercase hex digest; the hasher is spent afterwards. */
  hex(): string {
    const bits = this.length * 8;
    const padding = new Uint8Array((this.blockLength < 56 ? 56 : 120) - this.blockLength + 8);
    padding[0] = 0x80;
    const view = new DataView(padding.buffer);
    view.setUint32(padding.length - 8, Math.floor(bits / 2 ** 32));
    view.setUint32(padding.length - 4, bits >>> 0);
    this.update(padding);
    let out = "";
    for (const word of this.h) out += (word >>> 0).toString(16).padStart(8, "0");
    return out;
  }
}

const S0 = (a: number) => ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
const S1 = (e: number) => ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));

/**
 * Hashes `length` bytes (a multiple of 64) of `data` from `offset`. The rounds are unrolled by eight with the working
 * variables renamed instead of shifted, which measured about 30% faster in V8 than the textbook loop: the build
 * hashes every byte it archives, twice (each file's content, then the zip).
 */
function compress(h: Int32Array, data: Uint8Array, offset: number, length: number): void {
  let h0 = h[0];
  let h1 = h[1];
  let h2 = h[2];
  let h3 = h[3];
  let h4 = h[4];
  let h5 = h[5];
  let h6 = h[6];
  let h7 = h[7];
  for (const end = offset + length; offset < end; offset += 64) {
    for (let i = 0, j = offset; i < 16; i++, j += 4) {
      W[i] = (data[j] << 24) | (data[j + 1] << 16) | (data[j + 2] << 8) | data[j + 3];
    }
    for (let i = 16; i < 64; i++) {
      const w15 = W[i - 15];
      const w2 = W[i - 2];
      const s0 = ((w15 >>> 7) | (w15 << 25)) ^ ((w15 >>> 18) | (w15 << 14)) ^ (w15 >>> 3);
      const s1 = ((w2 >>> 17) | (w2 << 15)) ^ ((w2 >>> 19) | (w2 << 13)) ^ (w2 >>> 10);
      W[i] = (W[i - 16] + s0 + W[i - 7] + s1) | 0;
    }
    let a = h0;
    let b = h1;
    let c = h2;
    let d = h3;
    let e = h4;
    let f = h5;
    let g = h6;
    let x = h7;
    let t = 0;
    // Each line is one round: Ch(e,f,g) = g ^ (e & (f ^ g)), Maj(a,b,c) = (a & b) | (c & (a | b)).
    for (let i = 0; i < 64; i += 8) {
      t = (x + S1(e) + (g ^ (e & (f ^ g))) + K[i] + W[i]) | 0;
      d = (d + t) | 0;
      x = (t + S0(a) + ((a & b) | (c & (a | b)))) | 0;
      t = (g + S1(d) + (f ^ (d & (e ^ f))) + K[i + 1] + W[i + 1]) | 0;
      c = (c + t) | 0;
      g = (t + S0(x) + ((x & a) | (b & (x | a)))) | 0;
      t = (f + S1(c) + (e ^ (c & (d ^ e))) + K[i + 2] + W[i + 2]) | 0;
      b = (b + t) | 0;
      f = (t + S0(g) + ((g & x) | (a & (g | x)))) | 0;
      t = (e + S1(b) + (d ^ (b & (c ^ d))) + K[i + 3] + W[i + 3]) | 0;
      a = (a + t) | 0;
      e = (t + S0(f) + ((f & g) | (x & (f | g)))) | 0;
      t = (d + S1(a) + (c ^ (a & (b ^ c))) + K[i + 4] + W[i + 4]) | 0;
      x = (x + t) | 0;
      d = (t + S0(e) + ((e & f) | (g & (e | f)))) | 0;
      t = (c + S1(x) + (b ^ (x & (a ^ b))) + K[i + 5] + W[i + 5]) | 0;
      g = (g + t) | 0;
      c = (t + S0(d) + ((d & e) | (f & (d | e)))) | 0;
      t = (b + S1(g) + (a ^ (g & (x ^ a))) + K[i + 6] + W[i + 6]) | 0;
      f = (f + t) | 0;
      b = (t + S0(c) + ((c & d) | (e & (c | d)))) | 0;
      t = (a + S1(f) + (x ^ (f & (g ^ x))) + K[i + 7] + W[i + 7]) | 0;
      e = (e + t) | 0;
      a = (t + S0(b) + ((b & c) | (d & (b | c)))) | 0;
    }
    h0 = (h0 + a) | 0;
    h1 = (h1 + b) | 0;
    h2 = (h2 + c) | 0;
    h3 = (h3 + d) | 0;
    h4 = (h4 + e) | 0;
    h5 = (h5 + f) | 0;
    h6 = (h6 + g) | 0;
    h7 = (h7 + x) | 0;
  }
  h[0] = h0;
  h[1] = h1;
  h[2] = h2;
  h[3] = h3;
  h[4] = h4;
  h[5] = h5;
  h[6] = h6;
  h[7] = h7;
}
