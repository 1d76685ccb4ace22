/** Opaque, prefixed, time-sortable ids: 10 chars of millisecond time + 16 random, Crockford base32. */
const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";

export type IdPrefix =
  | "src"
  | "sub"
  | "dst"
  | "sbn"
  | "evt"
  | "dlv"
  | "ntf"
  | "arc"
  | "rpl"
  | "syn"
  | "atg"
  | "fdl"
  | "snt";

/** `{prefix}_` and the 10 time characters: the part of an id SQL cannot make (see db/file-deliveries.ts). */
export function idTimePrefix(prefix: IdPrefix, now = Date.now()): string {
  let time = "";
  let t = now;
  for (let i = 0; i < 10; i++) {
    time = ALPHABET[t % 32] + time;
    t = Math.floor(t / 32);
  }
  return `${prefix}_${time}`;
}

export function newId(prefix: IdPrefix, now = Date.now()): string {
  const random = crypto.getRandomValues(new Uint8Array(16));
  let tail = "";
  for (const byte of random) tail += ALPHABET[byte % 32];
  return `${idTimePrefix(prefix, now)}${tail}`;
}

export function hasPrefix(id: string, prefix: IdPrefix): boolean {
  return id.startsWith(`${prefix}_`) && id.length === prefix.length + 27;
}
