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

/** The auth context of an outbound request for `owner` (a destination or source id): tokens shared through D1. */
export function sharedAuthContext(env: Env, owner: string): AuthContext {
  return { tokens: d1TokenCache(env.DB, env.SECRETS_KEY), owner, checkUrl: (url) => assertSendable(env, url) };
}
