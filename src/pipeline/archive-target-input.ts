import { z } from "@hono/zod-openapi";
import { archiveTargetSecrets, SealedUnreadable, sealJson, unsealJson } from "../auth/sealed";
import type { ArchiveTargetRow } from "../db/archive-targets";
import { ArchiveTargetInput, type StoredTarget, targetInput } from "../domain/archive-target";
import { fieldErrors } from "../lib/problem";
import { TransferError } from "../transfer/types";
import { openedOnce } from "./push";

/**
 * An archive target's row ⇄ its input: its columns, its config and its sealed credentials. The stage opens a target
 * once per isolate (cached by the row's ciphertext and version); a PATCH opens it to merge into.
 */

const Secrets = z.record(z.string(), z.unknown());

export function sealTargetSecrets(env: Env, targetId: string, secrets: StoredTarget["secrets"]): Promise<string> {
  return sealJson(env.SECRETS_KEY, archiveTargetSecrets(targetId), secrets);
}

/**
 * The target as its create body would have been, credentials included (throws SealedUnreadable when they will not
 * open), or left out when `withSecrets` is false.
 */
export async function savedInput(
  env: Env,
  row: ArchiveTargetRow,
  { withSecrets = true } = {},
): Promise<Record<string, unknown>> {
  const secrets = withSecrets
    ? await unsealJson(env.SECRETS_KEY, archiveTargetSecrets(row.id), row.secrets_enc, Secrets)
    : {};
  const common = {
    type: row.type,
    name: row.name,
    environment: row.environment,
    retry: row.retry,
    connect_timeout_ms: row.connect_timeout_ms,
    transfer_timeout_ms: row.transfer_timeout_ms,
    enabled: row.enabled,
  };
  return targetInput(common, row.config, secrets);
}

async function open(env: Env, row: ArchiveTargetRow): Promise<ArchiveTargetInput> {
  let saved: Record<string, unknown>;
  try {
    saved = await savedInput(env, row);
  } catch (error) {
    if (!(error instanceof SealedUnreadable)) throw error;
    throw new TransferError(`${error.message}; set the target's credentials again`, false);
  }
  const parsed = ArchiveTargetInput.safeParse(saved);
  if (parsed.success) return parsed.data;
  const [first] = fieldErrors(parsed.error);
  throw new TransferError(`the target's stored settings no longer validate (${first.path}: ${first.message})`, false);
}

/** The target ready for a transfer, opened once per isolate: every save seals afresh, so an edit is a new key. */
export function openTarget(env: Env, row: ArchiveTargetRow): Promise<ArchiveTargetInput> {
  return openedOnce(`${env.SECRETS_KEY}\n${row.id}\n${row.updated_at}\n${row.secrets_enc}`, () => open(env, row));
}
