/**
 * Every column that holds a value sealed with SECRETS_KEY (auth/sealed.ts), for the reseal pass after a key
 * rotation. `field` is the binding's field name: the same the writers of these columns seal with.
 */
export const SEALED_COLUMNS = [
  { table: "destinations", column: "auth_enc", field: "auth" },
  { table: "destinations", column: "signing_secret_enc", field: "signing_secret" },
  { table: "sources", column: "secrets_enc", field: "secrets" },
  { table: "sources", column: "signing_secret_enc", field: "signing_secret" },
  { table: "subscribers", column: "signing_secret_enc", field: "signing_secret" },
  { table: "archive_targets", column: "secrets_enc", field: "secrets" },
  { table: "archive_targets", column: "callback_token_enc", field: "callback_token" },
  // A sync's credentials sit inside its config JSON.
  { table: "syncs", column: "config", path: "$.auth_enc", field: "auth" },
] as const;

export type SealedColumn = (typeof SEALED_COLUMNS)[number];

export interface SealedValue {
  at: SealedColumn;
  id: string;
  value: string;
}

const sealedExpression = (at: SealedColumn) => ("path" in at ? `json_extract(${at.column}, '${at.path}')` : at.column);

/** Up to `limit` values per column not sealed under `prefix` (the current key's): what a reseal pass rewrites. */
export async function staleSealedValues(db: D1Database, prefix: string, limit: number): Promise<SealedValue[]> {
  const results = await db.batch<{ id: string; value: string }>(
    SEALED_COLUMNS.map((at) =>
      db
        .prepare(
          `SELECT id, ${sealedExpression(at)} AS value FROM ${at.table}
           WHERE ${sealedExpression(at)} IS NOT NULL AND substr(${sealedExpression(at)}, 1, ?) <> ? ORDER BY id LIMIT ?`,
        )
        .bind(prefix.length, prefix, limit),
    ),
  );
  return results.flatMap((result, i) => result.results.map((row) => ({ at: SEALED_COLUMNS[i], ...row })));
}

/** Writes a resealed value only over the one it was made from: an edit in between wins, and is sealed already. */
export function resealStatement(db: D1Database, stale: SealedValue, resealed: string): D1PreparedStatement {
  const { at } = stale;
  const set = "path" in at ? `${at.column} = json_set(${at.column}, '${at.path}', ?)` : `${at.column} = ?`;
  return db
    .prepare(`UPDATE ${at.table} SET ${set} WHERE id = ? AND ${sealedExpression(at)} = ?`)
    .bind(resealed, stale.id, stale.value);
}

/** OAuth 2 tokens are a cache: ones sealed under an older key are dropped, not resealed, and fetched again. */
export async function dropStaleTokens(db: D1Database, prefix: string): Promise<number> {
  const result = await db
    .prepare("DELETE FROM oauth_tokens WHERE substr(token_enc, 1, ?) <> ?")
    .bind(prefix.length, prefix)
    .run();
  return result.meta.changes ?? 0;
}
