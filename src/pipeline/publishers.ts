import { type EventTypeRow, getSourceByNotifyHash, publisherByKeyHash, type SourceRow } from "../db/sources";

/**
 * Sources as publish and notify calls see them, cached per isolate by the hash of the key (or notify token) that
 * names them: a warm isolate answers a publish with no read before its write. Safe because the write re-checks:
 * every commit of a cached source is guarded by the key hash and the source's version (db/events.ts), so a rotated
 * key, a PATCH or a new event type refuses the commit, the entry is forgotten, and the call reads the source again.
 */

export interface Publisher {
  source: SourceRow;
  eventTypes: EventTypeRow[];
}

const TTL_MS = 60_000;
const LIMIT = 1000;
const cache = new Map<string, { value: Publisher | null; until: number }>();

async function cached(key: string, load: () => Promise<Publisher | null>): Promise<Publisher | null> {
  const hit = cache.get(key);
  if (hit && hit.until > Date.now()) return hit.value;
  const value = await load();
  // Unknown keys are not remembered: a key created a moment ago must work at once.
  if (value) {
    cache.delete(key);
    if (cache.size >= LIMIT) cache.delete(cache.keys().next().value!);
    cache.set(key, { value, until: Date.now() + TTL_MS });
  }
  return value;
}

export function publisherByKey(env: Env, keyHash: string): Promise<Publisher | null> {
  return cached(`key:${keyHash}`, () => publisherByKeyHash(env.DB, keyHash));
}

export async function sourceByNotifyToken(env: Env, tokenHash: string): Promise<SourceRow | null> {
  const found = await cached(`notify:${tokenHash}`, async () => {
    const source = await getSourceByNotifyHash(env.DB, tokenHash);
    return source && { source, eventTypes: [] };
  });
  return found?.source ?? null;
}

/** After a guarded commit was refused: the next call reads the source from D1. */
export function forgetPublisher(column: "api_key_hash" | "notify_token_hash", hash: string): void {
  cache.delete(column === "api_key_hash" ? `key:${hash}` : `notify:${hash}`);
}
