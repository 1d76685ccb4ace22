import type { ArchiveTargetType } from "../domain/archive-target";
import type { Environment } from "../domain/destination";
import type { RetryPolicy } from "../domain/retry-policy";
import { listNewestFirst, mapPage, type Page, updateById } from "./util";

export interface ArchiveTargetRow {
  id: string;
  subscriber_id: string;
  name: string;
  type: ArchiveTargetType;
  environment: Environment;
  enabled: boolean;
  /** The type's settings as they read back: credentials out (domain/archive-target.ts storedTarget). */
  config: Record<string, unknown>;
  /** The credentials, sealed to this row (auth/sealed.ts archiveTargetSecrets). */
  secrets_enc: string;
  retry: RetryPolicy;
  connect_timeout_ms: number;
  transfer_timeout_ms: number;
  /** An s3 target with an import trigger: sha256 of its callback token, which finds the target. */
  callback_token_hash: string | null;
  /** The callback token itself, sealed to this row (auth/sealed.ts archiveTargetCallbackToken): it goes in triggers. */
  callback_token_enc: string | null;
  created_at: number;
  updated_at: number;
}

export type StoredArchiveTarget = Omit<ArchiveTargetRow, "enabled" | "config" | "retry"> & {
  enabled: number;
  config: string;
  retry: string;
};

export function archiveTargetFromStored(row: StoredArchiveTarget): ArchiveTargetRow {
  return {
    ...row,
    enabled: row.enabled === 1,
    config: JSON.parse(row.config) as Record<string, unknown>,
    retry: JSON.parse(row.retry) as RetryPolicy,
  };
}

function toStored(fields: Partial<ArchiveTargetRow>): Record<string, unknown> {
  return {
    ...fields,
    enabled: fields.enabled === undefined ? undefined : fields.enabled ? 1 : 0,
    config: fields.config === undefined ? undefined : JSON.stringify(fields.config),
    retry: fields.retry === undefined ? undefined : JSON.stringify(fields.retry),
  };
}

export async function insertArchiveTarget(db: D1Database, row: ArchiveTargetRow): Promise<void> {
  const stored = toStored(row);
  const columns = Object.keys(stored);
  await db
    .prepare(`INSERT INTO archive_targets (${columns.join(", ")}) VALUES (${columns.map(() => "?").join(", ")})`)
    .bind(...columns.map((column) => stored[column]))
    .run();
}

export async function getArchiveTarget(db: D1Database, id: string): Promise<ArchiveTargetRow | null> {
  const row = await db.prepare("SELECT * FROM archive_targets WHERE id = ?").bind(id).first<StoredArchiveTarget>();
  return row && archiveTargetFromStored(row);
}

export async function listArchiveTargets(
  db: D1Database,
  subscriberId: string,
  limit: number,
  cursor?: string,
): Promise<Page<ArchiveTargetRow>> {
  const page = await listNewestFirst<StoredArchiveTarget>(
    db,
    "archive_targets",
    { subscriber_id: subscriberId },
    limit,
    cursor,
  );
  return mapPage(page, archiveTargetFromStored);
}

export async function updateArchiveTarget(
  db: D1Database,
  id: string,
  fields: Partial<Omit<ArchiveTargetRow, "id" | "subscriber_id" | "type" | "created_at">>,
): Promise<void> {
  await updateById(db, "archive_targets", id, toStored(fields)).run();
}

/** The target a callback token (by its sha256) belongs to. */
export async function archiveTargetByCallbackToken(db: D1Database, hash: string): Promise<ArchiveTargetRow | null> {
  const row = await db
    .prepare("SELECT * FROM archive_targets WHERE callback_token_hash = ?")
    .bind(hash)
    .first<StoredArchiveTarget>();
  return row && archiveTargetFromStored(row);
}

export async function deleteArchiveTarget(db: D1Database, id: string): Promise<boolean> {
  const result = await db.prepare("DELETE FROM archive_targets WHERE id = ?").bind(id).run();
  return (result.meta.changes ?? 0) > 0;
}
