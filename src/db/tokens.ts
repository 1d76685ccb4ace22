import type { AuthContext, CachedToken, TokenCache } from "../auth/outbound";
import { SealedUnreadable, seal, tokenSecret, unseal } from "../auth/sealed";
import { assertSendable } from "../lib/url-policy";

interface TokenRow {
  token_enc: string;
  expires_at: number;
  refresh_at: number;
}

/** OAuth 2 tokens in D1, sealed with SECRETS_KEY to their cache key. A row that no longer opens is a miss. */
export function d1TokenCache(db: D1Database, secretsKey: string): TokenCache {
  return {
    async get(key: string): Promise<CachedToken | null> {
      const row = await db
        .prepare("SELECT token_enc, expires_at, refresh_at FROM oauth_tokens WHERE cache_key = ?")
        .bind(key)
        .first<TokenRow>();
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
    /** Two isolates may fetch at once: the token that lives longer wins. */
    async put(key: string, value: CachedToken): Promise<void> {
      await db
        .prepare(
          `INSERT INTO oauth_tokens (cache_key, token_enc, expires_at, refresh_at) VALUES (?, ?, ?, ?)
           ON CONFLICT (cache_key) DO UPDATE SET token_enc = excluded.token_enc, expires_at = excluded.expires_at,
             refresh_at = excluded.refresh_at
           WHERE excluded.expires_at >= oauth_tokens.expires_at`,
        )
        .bind(key, await seal(secretsKey, tokenSecret(key), value.token), value.expiresAt, value.refreshAt)
        .run();
    },
    async drop(key: string): Promise<void> {
      await db.prepare("DELETE FROM oauth_tokens WHERE cache_key = ?").bind(key).run();
    },
  };
}

/**
 * Forgets every token fetched for a destination or source: its auth, or where it sends, changed (or it is gone).
 * Keys are "{owner}:{hash}" (auth/oauth2.ts); owners are Syndic ids, which hold no LIKE wildcards.
 */
export async function dropTokensOf(db: D1Database, owner: string): Promise<void> {
  await db.prepare("DELETE FROM oauth_tokens WHERE cache_key LIKE ? || ':%'").bind(owner).run();
}

/** The auth context of an outbound request for `owner` (a destination or source id): tokens shared through D1. */
export function sharedAuthContext(env: Env, owner: string): AuthContext {
  return { tokens: d1TokenCache(env.DB, env.SECRETS_KEY), owner, checkUrl: (url) => assertSendable(env, url) };
}
