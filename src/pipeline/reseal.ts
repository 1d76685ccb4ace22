import { currentPrefix, SealedUnreadable, seal, unseal } from "../auth/sealed";
import { dropStaleTokens, resealStatement, SEALED_COLUMNS, staleSealedValues } from "../db/sealed-columns";
import { logStep } from "../lib/log";

/** Per column and call: small enough for one request's CPU and D1 budget, so the command just calls again. */
export const RESEAL_PAGE = 50;

export interface ResealProgress {
  resealed: number;
  /** Values that open with no listed key (or belong to no row): left as they are, listed so an operator can fix them. */
  unreadable: Array<{ table: string; column: string; id: string }>;
  tokens_dropped: number;
  /** True when another call may find more to do. */
  more: boolean;
}

/**
 * After SECRETS_KEY becomes "new,old": opens a page of values sealed under an older key (or unbound v1 values) and
 * seals them again under the new key, bound to their row. Once a pass reports nothing more, "old" can be dropped.
 */
export async function resealPage(env: Env, limit = RESEAL_PAGE): Promise<ResealProgress> {
  const prefix = await currentPrefix(env.SECRETS_KEY);
  const stale = await staleSealedValues(env.DB, prefix, limit);
  const unreadable: ResealProgress["unreadable"] = [];
  const statements: D1PreparedStatement[] = [];
  for (const value of stale) {
    const binding = { table: value.at.table, id: value.id, field: value.at.field };
    try {
      const plain = await unseal(env.SECRETS_KEY, binding, value.value);
      statements.push(resealStatement(env.DB, value, await seal(env.SECRETS_KEY, binding, plain)));
    } catch (error) {
      if (!(error instanceof SealedUnreadable)) throw error;
      unreadable.push({ table: value.at.table, column: value.at.column, id: value.id });
    }
  }
  const written = statements.length ? await env.DB.batch(statements) : [];
  const resealed = written.reduce((sum, result) => sum + (result.meta.changes ?? 0), 0);
  const tokensDropped = await dropStaleTokens(env.DB, prefix);
  const progress = {
    resealed,
    unreadable,
    tokens_dropped: tokensDropped,
    // A column that filled its page may hold more; one whose page was all unreadable would only repeat itself.
    more: resealed > 0 && SEALED_COLUMNS.some((at) => stale.filter((value) => value.at === at).length >= limit),
  };
  logStep({ stage: "reseal", outcome: "page_done", resealed, unreadable: unreadable.length, more: progress.more });
  return progress;
}
