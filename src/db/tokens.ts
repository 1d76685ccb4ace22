import type { AuthContext, CachedToken, TokenCache } from "../auth/outbound";
import { decrypt, encrypt } from "../auth/secrets";

interface TokenRow {
  token_enc: string;
  expires_at: number;
  refresh_at: number;
}

/** OAuth 2 tokens in D1, encrypted with SECRETS_KEY. A row that no longer decrypts (key rotated) is a miss. */
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
          token: await decrypt(secretsKey, row.token_enc),
          expiresAt: row.expires_at,
          refreshAt: row.refresh_at,
        };
      } catch {
        return null;
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
        .bind(key, await encrypt(secretsKey, value.token), value.expiresAt, value.refreshAt)
        .run();
    },
    async drop(key: string): Promise<void> {
      await db.prepare("DELETE FROM oauth_tokens WHERE cache_key = ?").bind(key).run();
    },
  };
}

/** The auth context every outbound request of the relay uses: OAuth 2 tokens shared through D1. */
export function sharedAuthContext(env: Env): AuthContext {
  return { tokens: d1TokenCache(env.DB, env.SECRETS_KEY) };
}
