import type { AuthContext, CachedToken, TokenCache } from "../auth/outbound";
import { SealedUnreadable, seal, tokenSecret, unseal } from "../auth/sealed";
import { dropToken, getToken, putToken } from "../db/tokens";
import { assertSendable } from "../lib/url-policy";

/** OAuth 2 tokens in D1, sealed with SECRETS_KEY to their cache key. A row that no longer opens is a miss. */
export function d1TokenCache(db: D1Database, secretsKey: string): TokenCache {
  return {
    async get(key: string): Promise<CachedToken | null> {
      const row = await getToken(db, key);
      if (!row) return null;
      try {
        return {
          token: await unseal(secretsKey, tokenSecret(key), row.token_enc),
          expiresAt: row.expires_at,
          refreshAt: row.refresh_at,
        };
      } catch (error) {
        if (error instanceof SealedUnreadable) return null;
        throw error;
      }
    },
    async put(key: string, value: CachedToken): Promise<void> {
      const token_enc = await seal(secretsKey, tokenSecret(key), value.token);
      await putToken(db, key, { token_enc, expires_at: value.expiresAt, refresh_at: value.refreshAt });
    },
    drop: (key: string) => dropToken(db, key),
  };
}

/**
 * Tokens this isolate has seen, in front of D1: a warm isolate pushes with a cached token without a D1 read or a
 * decrypt. D1 stays the shared truth (a token fetched by one isolate serves all); a 401 or a config change drops the
 * entry here and in D1. Bounded, oldest out first.
 */
const memory = new Map<string, CachedToken>();
const MEMORY_LIMIT = 1000;

function remember(key: string, value: CachedToken): void {
  memory.delete(key);
  if (memory.size >= MEMORY_LIMIT) memory.delete(memory.keys().next().value!);
  memory.set(key, value);
}

export function layeredTokenCache(shared: TokenCache, now: () => number = Date.now): TokenCache {
  return {
    async get(key) {
      const known = memory.get(key);
      if (known && now() < known.refreshAt) return known;
      const stored = await shared.get(key);
      if (stored) remember(key, stored);
      return stored;
    },
    async put(key, value) {
      remember(key, value);
      await shared.put(key, value);
    },
    async drop(key) {
      memory.delete(key);
      await shared.drop(key);
    },
  };
}

/** The auth context of an outbound request for `owner` (a destination or source id): tokens shared through D1. */
export function sharedAuthContext(env: Env, owner: string): AuthContext {
  return {
    tokens: layeredTokenCache(d1TokenCache(env.DB, env.SECRETS_KEY)),
    owner,
    checkUrl: (url) => assertSendable(env, url),
  };
}
