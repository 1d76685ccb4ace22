import { fromBase64, toBase64, toBase64Url, toHex, utf8 } from "../lib/encoding";

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

const keyCache = new Map<string, Promise<CryptoKey>>();

/** SECRETS_KEY is 32 base64 bytes; any other string is stretched with SHA-256 so a typo never weakens AES to a short key. */
function encryptionKey(secretsKey: string): Promise<CryptoKey> {
  let key = keyCache.get(secretsKey);
  if (!key) {
    key = (async () => {
      let raw: Uint8Array;
      try {
        raw = fromBase64(secretsKey);
      } catch {
        raw = new Uint8Array(0);
      }
      if (raw.length !== 32) raw = new Uint8Array(await crypto.subtle.digest("SHA-256", utf8.encode(secretsKey)));
      return crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]);
    })();
    keyCache.set(secretsKey, key);
  }
  return key;
}

/** AES-GCM with a random 96-bit IV: "v1:" + base64(iv ‖ ciphertext ‖ tag). */
export async function encrypt(secretsKey: string, plaintext: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const sealed = new Uint8Array(
    await crypto.subtle.encrypt({ name: "AES-GCM", iv }, await encryptionKey(secretsKey), utf8.encode(plaintext)),
  );
  const out = new Uint8Array(iv.length + sealed.length);
  out.set(iv);
  out.set(sealed, iv.length);
  return `v1:${toBase64(out)}`;
}

export async function decrypt(secretsKey: string, sealed: string): Promise<string> {
  if (!sealed.startsWith("v1:")) throw new Error("unknown ciphertext version");
  const bytes = fromBase64(sealed.slice(3));
  const plain = await crypto.subtle.decrypt(
    { name: "AES-GCM", iv: bytes.subarray(0, 12) },
    await encryptionKey(secretsKey),
    bytes.subarray(12),
  );
  return new TextDecoder().decode(plain);
}

export async function encryptJson(secretsKey: string, value: unknown): Promise<string> {
  return encrypt(secretsKey, JSON.stringify(value));
}

export async function decryptJson<T>(secretsKey: string, sealed: string): Promise<T> {
  return JSON.parse(await decrypt(secretsKey, sealed)) as T;
}
