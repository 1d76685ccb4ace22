/** OAuth 2 tokens cached in D1 by cache key, as sealed text: sealing and opening them is the caller's (auth/). */
export interface TokenRow {
  token_enc: string;
  expires_at: number;
  refresh_at: number;
}

export function getToken(db: D1Database, key: string): Promise<TokenRow | null> {
  return db
    .prepare("SELECT token_enc, expires_at, refresh_at FROM oauth_tokens WHERE cache_key = ?")
    .bind(key)
    .first<TokenRow>();
}

/** Two isolates may fetch at once: the token that lives longer wins. */
export async function putToken(db: D1Database, key: string, row: TokenRow): Promise<void> {
  await db
    .prepare(
      `INSERT INTO oauth_tokens (cache_key, token_enc, expires_at, refresh_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (cache_key) DO UPDATE SET token_enc = excluded.token_enc, expires_at = excluded.expires_at,
         refresh_at = excluded.refresh_at
       WHERE excluded.expires_at >= oauth_tokens.expires_at`,
    )
    .bind(key, row.token_enc, row.expires_at, row.refresh_at)
    .run();
}

export async function dropToken(db: D1Database, key: string): Promise<void> {
  await db.prepare("DELETE FROM oauth_tokens WHERE cache_key = ?").bind(key).run();
}

/**
 * Forgets every token fetched for a destination or source: its auth, or where it sends, changed (or it is gone).
 * Keys are "{owner}:{hash}" (auth/oauth2.ts); owners are Syndic ids, which hold no LIKE wildcards.
 */
export async function dropTokensOf(db: D1Database, owner: string): Promise<void> {
  await db.prepare("DELETE FROM oauth_tokens WHERE cache_key LIKE ? || ':%'").bind(owner).run();
}
