import type { CloudEventsMode } from "../domain/cloudevents-mode";
import type { DestinationMethod, Environment } from "../domain/destination";
import { jsonColumn, listNewestFirst, mapPage, type Page, updateById } from "./util";

export interface DestinationRow {
  id: string;
  subscriber_id: string;
  name: string;
  url: string;
  method: DestinationMethod;
  environment: Environment;
  headers: Record<string, string>;
  auth_type: string;
  auth_enc: string;
  timeout_ms: number;
  max_attempts: number;
  initial_delay: number;
  max_delay: number;
  /** How a pushed CloudEvent is framed (src/pipeline/cloudevent-framing.ts). */
  cloudevents_mode: CloudEventsMode;
  signing_secret_enc: string;
  disabled_at: number | null;
  disabled_reason: string | null;
  failing_since: number | null;
  created_at: number;
  updated_at: number;
}

const COLUMNS = [
  "id",
  "subscriber_id",
  "name",
  "url",
  "method",
  "environment",
  "headers",
  "auth_type",
  "auth_enc",
  "timeout_ms",
  "max_attempts",
  "initial_delay",
  "max_delay",
  "cloudevents_mode",
  "signing_secret_enc",
  "disabled_at",
  "disabled_reason",
  "failing_since",
  "created_at",
  "updated_at",
] as const;

export type StoredDestination = Omit<DestinationRow, "headers"> & { headers: string };

export function destinationFromStored(row: StoredDestination): DestinationRow {
  return { ...row, headers: JSON.parse(row.headers) as Record<string, string> };
}

export async function insertDestination(db: D1Database, row: DestinationRow): Promise<void> {
  await db
    .prepare(`INSERT INTO destinations (${COLUMNS.join(", ")}) VALUES (${COLUMNS.map(() => "?").join(", ")})`)
    .bind(...COLUMNS.map((column) => (column === "headers" ? JSON.stringify(row.headers) : row[column])))
    .run();
}

export async function getDestination(db: D1Database, id: string): Promise<DestinationRow | null> {
  const row = await db.prepare("SELECT * FROM destinations WHERE id = ?").bind(id).first<StoredDestination>();
  return row && destinationFromStored(row);
}

export async function listDestinations(
  db: D1Database,
  subscriberId: string,
  limit: number,
  cursor?: string,
): Promise<Page<DestinationRow>> {
  const page = await listNewestFirst<StoredDestination>(
    db,
    "destinations",
    { subscriber_id: subscriberId },
    limit,
    cursor,
  );
  return mapPage(page, destinationFromStored);
}

export async function updateDestination(
  db: D1Database,
  id: string,
  fields: Partial<Omit<DestinationRow, "id" | "subscriber_id" | "created_at">>,
): Promise<void> {
  await updateById(db, "destinations", id, { ...fields, headers: jsonColumn(fields.headers) }).run();
}

export async function deleteDestination(db: D1Database, id: string): Promise<boolean> {
  const result = await db.prepare("DELETE FROM destinations WHERE id = ?").bind(id).run();
  return (result.meta.changes ?? 0) > 0;
}

/** The ids among `ids` that are destinations of `subscriberId`. */
export async function destinationIdsOf(db: D1Database, subscriberId: string, ids: string[]): Promise<Set<string>> {
  if (!ids.length) return new Set();
  const { results } = await db
    .prepare(`SELECT id FROM destinations WHERE subscriber_id = ? AND id IN (${ids.map(() => "?").join(", ")})`)
    .bind(subscriberId, ...ids)
    .all<{ id: string }>();
  return new Set(results.map((row) => row.id));
}

/** Success clears the failure streak; a failure starts one if none is running. */
export function recordDestinationOutcome(db: D1Database, id: string, ok: boolean, now: number): D1PreparedStatement {
  return ok
    ? db.prepare("UPDATE destinations SET failing_since = NULL WHERE id = ? AND failing_since IS NOT NULL").bind(id)
    : db.prepare("UPDATE destinations SET failing_since = coalesce(failing_since, ?) WHERE id = ?").bind(now, id);
}

export function disableDestination(db: D1Database, id: string, reason: string, now: number): D1PreparedStatement {
  return db
    .prepare(
      "UPDATE destinations SET disabled_at = ?, disabled_reason = ?, updated_at = ? WHERE id = ? AND disabled_at IS NULL",
    )
    .bind(now, reason, now, id);
}
