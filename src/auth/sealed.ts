import type { z } from "zod";
import { fromBase64, toBase64, utf8 } from "../lib/encoding";
import { RelayError } from "../lib/errors";
import { keyBytes, splitKeys } from "../lib/keys";
import { isolateCounters } from "../lib/metered";
import { sha256Hex } from "./secrets";

/**
 * Credentials at rest: AES-256-GCM under SECRETS_KEY, bound to the row and field they belong to.
 *
 * Format `v2:{kid}:{base64(iv ‖ ciphertext ‖ tag)}`. The associated data is "{table}/{row id}/{field}", so a
 * ciphertext copied into another row (or another field of the same row) fails to decrypt instead of handing one
 * destination's credentials to another. `kid` (8 hex of the key's SHA-256) names the key that sealed it:
 * SECRETS_KEY is a comma-separated list whose first key seals and whose every key opens, so the key can be rotated
 * by setting "new,old", re-sealing (POST /v1/admin/secrets/reseal, `npm run secrets:reseal`), then dropping "old".
 *
 * `v1:` values (sealed before rows were bound, with no kid) still open, with any listed key; resealing upgrades them.
 */

export interface Binding {
  table: string;
  id: string;
  field: string;
}

/** Where each sealed value lives: one binding per column, named once here so writer and reader always agree. */
export const destinationSecret = (id: string, field: "auth" | "signing_secret"): Binding => ({
  table: "destinations",
  id,
  field,
});
export const sourceSecrets = (id: string): Binding => ({ table: "sources", id, field: "secrets" });
export const subscriberSecret = (id: string): Binding => ({ table: "subscribers", id, field: "signing_secret" });
export const sourceSigningSecret = (id: string): Binding => ({ table: "sources", id, field: "signing_secret" });
export const archiveTargetSecrets = (id: string): Binding => ({ table: "archive_targets", id, field: "secrets" });
export const archiveTargetCallbackToken = (id: string): Binding => ({
  table: "archive_targets",
  id,
  field: "callback_token",
});
export const syncSecret = (id: string): Binding => ({ table: "syncs", id, field: "auth" });
export const tokenSecret = (cacheKey: string): Binding => ({ table: "oauth_tokens", id: cacheKey, field: "token" });

/** The stored value cannot be opened: another key, another row's ciphertext, or corrupted. Nothing was disclosed. */
export class SealedUnreadable extends RelayError {
  override name = "SealedUnreadable";
  constructor(message: string) {
    super(message, false);
  }
}

interface RingKey {
  kid: string;
  key: CryptoKey;
}

interface Ring {
  current: RingKey;
  byKid: Map<string, RingKey>;
  all: RingKey[];
}

const rings = new Map<string, Promise<Ring>>();

async function importKey(material: Uint8Array): Promise<CryptoKey> {
  const raw = material.length === 32 ? material : new Uint8Array(await crypto.subtle.digest("SHA-256", material));
  return crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]);
}

function ring(setting: string): Promise<Ring> {
  let found = rings.get(setting);
  if (!found) {
    found = (async () => {
      const keys = splitKeys(setting);
      if (!keys.length) throw new Error("SECRETS_KEY is not set");
      const all = await Promise.all(
        keys.map(async (text) => {
          // Start-up refuses keys that are not base64 (lib/keys.ts); the fallback only keeps direct callers working.
          const material = keyBytes(text) ?? utf8.encode(text);
          return { kid: (await sha256Hex(material)).slice(0, 8), key: await importKey(material) };
        }),
      );
      return { current: all[0], byKid: new Map(all.map((key) => [key.kid, key])), all };
    })();
    if (rings.size > 10) rings.clear();
    rings.set(setting, found);
  }
  return found;
}

const aad = (binding: Binding) => utf8.encode(`${binding.table}/${binding.id}/${binding.field}`);

export async function seal(setting: string, binding: Binding, plaintext: string): Promise<string> {
  const { current } = await ring(setting);
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const sealed = new Uint8Array(
    await crypto.subtle.encrypt(
      { name: "AES-GCM", iv, additionalData: aad(binding) },
      current.key,
      utf8.encode(plaintext),
    ),
  );
  const out = new Uint8Array(iv.length + sealed.length);
  out.set(iv);
  out.set(sealed, iv.length);
  return `v2:${current.kid}:${toBase64(out)}`;
}

async function openWith(key: CryptoKey, bytes: Uint8Array, additionalData?: Uint8Array): Promise<string> {
  const iv = bytes.subarray(0, 12);
  const params = additionalData ? { name: "AES-GCM", iv, additionalData } : { name: "AES-GCM", iv };
  return new TextDecoder().decode(await crypto.subtle.decrypt(params, key, bytes.subarray(12)));
}

export async function unseal(setting: string, binding: Binding, sealed: string): Promise<string> {
  isolateCounters.decrypts += 1;
  const keys = await ring(setting);
  const where = `${binding.table}.${binding.field} of ${binding.id}`;
  try {
    const v2 = /^v2:([0-9a-f]{8}):(.+)$/.exec(sealed);
    if (v2) {
      const key = keys.byKid.get(v2[1]);
      if (!key) throw new SealedUnreadable(`${where} was sealed with a key SECRETS_KEY no longer lists`);
      return await openWith(key.key, fromBase64(v2[2]), aad(binding));
    }
    if (sealed.startsWith("v1:")) {
      const bytes = fromBase64(sealed.slice(3));
      for (const key of keys.all) {
        try {
          return await openWith(key.key, bytes);
        } catch {}
      }
    }
  } catch (error) {
    if (error instanceof SealedUnreadable) throw error;
  }
  throw new SealedUnreadable(`${where} does not decrypt: it belongs to another row, or to another key`);
}

export async function sealJson(setting: string, binding: Binding, value: unknown): Promise<string> {
  return seal(setting, binding, JSON.stringify(value));
}

/**
 * The sealed JSON value, checked against the shape it was sealed as when one is given (a value that does not fit is
 * unreadable too); without one, the value as it is, for the caller to look at.
 */
export async function unsealJson<T>(setting: string, binding: Binding, sealed: string, shape: z.ZodType<T>): Promise<T>;
export async function unsealJson(setting: string, binding: Binding, sealed: string): Promise<unknown>;
export async function unsealJson<T>(
  setting: string,
  binding: Binding,
  sealed: string,
  shape?: z.ZodType<T>,
): Promise<T | unknown> {
  const value: unknown = JSON.parse(await unseal(setting, binding, sealed));
  if (!shape) return value;
  const parsed = shape.safeParse(value);
  if (parsed.success) return parsed.data;
  throw new SealedUnreadable(`${binding.table}.${binding.field} of ${binding.id} does not hold what was sealed there`);
}

/** True when the value is not sealed, bound, by the current key: what a reseal pass rewrites. */
export async function needsReseal(setting: string, sealed: string): Promise<boolean> {
  const { current } = await ring(setting);
  return !sealed.startsWith(`v2:${current.kid}:`);
}

/** The prefix every value sealed by the current key starts with, for finding the others in SQL. */
export async function currentPrefix(setting: string): Promise<string> {
  return `v2:${(await ring(setting)).current.kid}:`;
}
