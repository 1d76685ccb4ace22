import { toBase64, toBase64Url, toHex, utf8 } from "../lib/encoding";

/** A fresh secret for callers: shown once, stored only as its sha256. */
export function newSecret(prefix: string, bytes = 24): string {
  return `${prefix}${toBase64Url(crypto.getRandomValues(new Uint8Array(bytes)))}`;
}

/** A Standard Webhooks signing secret: whsec_ + base64 of 24 random bytes. */
export function newSigningSecret(): string {
  return `whsec_${toBase64(crypto.getRandomValues(new Uint8Array(24)))}`;
}

export async function sha256Hex(text: string | Uint8Array): Promise<string> {
  const data = typeof text === "string" ? utf8.encode(text) : text;
  return toHex(await crypto.subtle.digest("SHA-256", data));
}

/** Compares two strings in time that depends only on their length, through fixed-size digests. */
export async function constantTimeEqual(a: string, b: string): Promise<boolean> {
  const [da, db] = await Promise.all([
    crypto.subtle.digest("SHA-256", utf8.encode(a)),
    crypto.subtle.digest("SHA-256", utf8.encode(b)),
  ]);
  return crypto.subtle.timingSafeEqual(da, db);
}
