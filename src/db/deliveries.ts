import type { SentRequest } from "../domain/redact-request";
import type { DeliveryStatus } from "../domain/status";
import { chunk, decodeCursor, MAX_PARAMS, type Page, placeholders, toPage } from "./util";

export interface DeliveryRow {
  id: string;
  event_id: string;
  subscription_id: string;
  subscriber_id: string;
  destination_id: string | null;
  step: number;
  generation: string;
  chain: number;
  status: DeliveryStatus;
  payload: string | null;
  /** Set when the payload was too big for the row: its R2 key (payloads/{dlv_id}.json, shared by replay copies). */
  payload_key: string | null;
  attempts: number;
  budget_start: number;
  next_attempt_at: number | null;
  lease_until: number | null;
  swept_at: number | null;
  last_status_code: number | null;
  last_error: string | null;
  created_at: number;
  updated_at: number;
  sent_at: number | null;
  /** Set for identity steps: where the request went (the destination URL for a create, update.url otherwise). */
  request_url: string | null;
  request_method: string | null;
}

export interface AttemptRow {
  delivery_id: string;
  n: number;
  at: number;
  duration_ms: number;
  status_code: number | null;
  error: string | null;
  response_excerpt: string | null;
  /** What the attempt sent, already redacted; null when nothing was sent, or for attempts older than 0019. */
  request: SentRequest | null;
}

interface StoredAttempt extends Omit<AttemptRow, "request"> {
  request_method: string | null;
  request_url: string | null;
  request_headers: string | null;
}

/** The columns an attempt's request is kept in (headers as JSON object text). */
export function requestColumns(request: SentRequest | null) {
  return {
    request_method: request?.method ?? null,
    request_url: request?.url ?? null,
    request_headers: request ? JSON.stringify(request.headers) : null,
  };
}

function storedHeaders(text: string | null): Record<string, string> {
  try {
    const parsed: unknown = text === null ? {} : JSON.parse(text);
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) return {};
    return Object.fromEntries(Object.entries(parsed).filter((entry) => typeof entry[1] === "string"));
  } catch {
    return {};
  }
}

function attemptFromStored({ request_method, request_url, request_headers, ...row }: StoredAttempt): AttemptRow {
  return {
    ...row,
    request:
      request_url === null
        ? null
        : { method: request_method ?? "POST", url: request_url, headers: storedHeaders(request_headers) },
  };
}

const INSERT_COLUMNS = [
  "id",
  "event_id",
  "subscription_id",
  "subscriber_id",
  "destination_id",
  "step",
  "generation",
  "chain",
  "status",
  "payload",
  "payload_key",
  "next_attempt_at",
  "last_error",
  "created_at",
  "updated_at",
] as const;
/** `payload_key` may be left out: a row without it keeps its payload inline (or has none). */
export type NewDelivery = Omit<Pick<DeliveryRow, (typeof INSERT_COLUMNS)[number]>, "payload_key"> & {
  payload_key?: string | null;
};

/** INSERT OR IGNORE on (event, subscription, step, generation): routing the same event twice creates nothing new. */
export function insertDeliveries(db: D1Database, rows: NewDelivery[]): D1PreparedStatement[] {
  return chunk(rows, Math.floor(MAX_PARAMS / INSERT_COLUMNS.length)).map((group) =>
    db
      .prepare(
        `INSERT OR IGNORE INTO deliveries (${INSERT_COLUMNS.join(", ")}) VALUES ${group
          .map(() => `(${placeholders(INSERT_COLUMNS.length)})`)
          .join(", ")}`,
      )
      .bind(...group.flatMap((row) => INSERT_COLUMNS.map((column) => row[column] ?? null))),
  );
}

export function getDelivery(db: D1Database, id: string): Promise<DeliveryRow | null> {
  return db.prepare("SELECT * FROM deliveries WHERE id = ?").bind(id).first<DeliveryRow>();
}

export async function getDeliveries(db: D1Database, ids: string[]): Promise<DeliveryRow[]> {
  const out: DeliveryRow[] = [];
  for (const group of chunk(ids, MAX_PARAMS)) {
    const { results } = await db
      .prepare(`SELECT * FROM deliveries WHERE id IN (${placeholders(group.length)})`)
      .bind(...group)
      .all<DeliveryRow>();
    out.push(...results);
  }
  return out;
}

/**
 * Takes the next attempt: only one consumer wins for a given attempt count, so a message delivered twice sends
 * once. The lease keeps the sweeper away while the request is in flight.
 */
export async function claimAttempt(
  db: D1Database,
  id: string,
  attemptsSeen: number,
  leaseUntil: number,
  now: number,
): Promise<boolean> {
  const result = await db
    .prepare(
      `UPDATE deliveries SET attempts = attempts + 1, lease_until = ?, updated_at = ?
       WHERE id = ? AND attempts = ? AND status IN ('ready', 'retrying')`,
    )
    .bind(leaseUntil, now, id, attemptsSeen)
    .run();
  return (result.meta.changes ?? 0) === 1;
}

/** Moves a due delivery's time on without spending an attempt (it waits for another delivery's identity create). */
export async function postponeDelivery(
  db: D1Database,
  id: string,
  attemptsSeen: number,
  nextAttemptAt: number,
  now: number,
): Promise<boolean> {
  const result = await db
    .prepare(
      `UPDATE deliveries SET next_attempt_at = ?, swept_at = NULL, updated_at = ?
       WHERE id = ? AND attempts = ? AND status IN ('ready', 'retrying') AND (lease_until IS NULL OR lease_until <= ?)`,
    )
    .bind(nextAttemptAt, now, id, attemptsSeen, now)
    .run();
  return (result.meta.changes ?? 0) === 1;
}

/**
 * The request an identity step actually made, kept with the delivery so it can be shown and resent as built. A body
 * stored in R2 clears the inline payload; an inline one keeps any earlier key, so the object is never orphaned.
 */
export function recordRequest(
  db: D1Database,
  deliveryId: string,
  body: { payload: string | null; payload_key: string | null },
  url: string,
  method: string,
): D1PreparedStatement {
  return db
    .prepare(
      `UPDATE deliveries SET payload = ?, payload_key = coalesce(?, payload_key), request_url = ?, request_method = ?
       WHERE id = ?`,
    )
    .bind(body.payload, body.payload_key, url, method, deliveryId);
}

export interface AttemptOutcome {
  status: "sent" | "retrying" | "dead" | "held";
  nextAttemptAt: number | null;
  attempt: AttemptRow;
}

/** Records the attempt and moves the delivery on, guarded by the attempt number so it is marked only once. */
export function recordAttempt(db: D1Database, outcome: AttemptOutcome, now: number): D1PreparedStatement[] {
  const { attempt } = outcome;
  const request = requestColumns(attempt.request);
  return [
    db
      .prepare(
        `INSERT OR IGNORE INTO attempts (delivery_id, n, at, duration_ms, status_code, error, response_excerpt,
           request_method, request_url, request_headers)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .bind(
        attempt.delivery_id,
        attempt.n,
        attempt.at,
        attempt.duration_ms,
        attempt.status_code,
        attempt.error,
        attempt.response_excerpt,
        request.request_method,
        request.request_url,
        request.request_headers,
      ),
    db
      .prepare(
        `UPDATE deliveries SET status = ?, next_attempt_at = ?, lease_until = NULL, swept_at = NULL,
           last_status_code = ?, last_error = ?, updated_at = ?, sent_at = CASE WHEN ? = 'sent' THEN ? ELSE sent_at END
         WHERE id = ? AND attempts = ?`,
      )
      .bind(
        outcome.status,
        outcome.nextAttemptAt,
        attempt.status_code,
        attempt.error,
        now,
        outcome.status,
        now,
        attempt.delivery_id,
        attempt.n,
      ),
  ];
}

export async function setStatus(
  db: D1Database,
  id: string,
  status: DeliveryStatus,
  error: string | null,
  now: number,
  onlyFrom: DeliveryStatus[] = ["pending", "ready", "retrying"],
): Promise<boolean> {
  const result = await db
    .prepare(
      `UPDATE deliveries SET status = ?, last_error = coalesce(?, last_error), lease_until = NULL, updated_at = ?
       WHERE id = ? AND status IN (${placeholders(onlyFrom.length)})`,
    )
    .bind(status, error, now, id, ...onlyFrom)
    .run();
  return (result.meta.changes ?? 0) > 0;
}

/** A disabled destination's owed deliveries wait as `held` instead of failing. */
export function holdDestinationDeliveries(db: D1Database, destinationId: string, now: number): D1PreparedStatement {
  return db
    .prepare(
      `UPDATE deliveries SET status = 'held', updated_at = ? WHERE destination_id = ? AND status IN ('ready', 'retrying')
         AND (lease_until IS NULL OR lease_until < ?)`,
    )
    .bind(now, destinationId, now);
}

export async function releaseHeldDeliveries(db: D1Database, destinationId: string, now: number): Promise<number> {
  const result = await db
    .prepare(
      `UPDATE deliveries SET status = 'ready', next_attempt_at = ?, swept_at = NULL, budget_start = attempts, updated_at = ?
       WHERE destination_id = ? AND status = 'held'`,
    )
    .bind(now, now, destinationId)
    .run();
  return result.meta.changes ?? 0;
}

/** Puts a finished or failing delivery back in line with a fresh attempt budget. */
export async function requeueDelivery(db: D1Database, id: string, now: number): Promise<boolean> {
  const result = await db
    .prepare(
      `UPDATE deliveries SET status = 'ready', next_attempt_at = ?, swept_at = NULL, lease_until = NULL,
         budget_start = attempts, updated_at = ?
       WHERE id = ? AND status IN ('dead', 'sent', 'retrying', 'held') AND (payload IS NOT NULL OR payload_key IS NOT NULL)`,
    )
    .bind(now, now, id)
    .run();
  return (result.meta.changes ?? 0) > 0;
}

export async function listAttempts(db: D1Database, deliveryId: string): Promise<AttemptRow[]> {
  const { results } = await db
    .prepare("SELECT * FROM attempts WHERE delivery_id = ? ORDER BY n")
    .bind(deliveryId)
    .all<StoredAttempt>();
  return results.map(attemptFromStored);
}

export async function deliveriesOfEvent(db: D1Database, eventId: string): Promise<DeliveryRow[]> {
  const { results } = await db
    .prepare("SELECT * FROM deliveries WHERE event_id = ? ORDER BY id")
    .bind(eventId)
    .all<DeliveryRow>();
  return results;
}

export interface DeliveryFilters {
  subscriber_id?: string;
  destination_id?: string;
  subscription_id?: string;
  status?: string;
  event_id?: string;
  from?: number;
  to?: number;
}

function deliveryWhere(filters: DeliveryFilters): { where: string[]; params: unknown[] } {
  const where: string[] = [];
  const params: unknown[] = [];
  for (const column of ["subscriber_id", "destination_id", "subscription_id", "status", "event_id"] as const) {
    const value = filters[column];
    if (value) {
      where.push(`${column} = ?`);
      params.push(value);
    }
  }
  if (filters.from !== undefined) {
    where.push("created_at >= ?");
    params.push(filters.from);
  }
  if (filters.to !== undefined) {
    where.push("created_at < ?");
    params.push(filters.to);
  }
  return { where, params };
}

export async function listDeliveries(
  db: D1Database,
  filters: DeliveryFilters,
  limit: number,
  cursor?: string,
): Promise<Page<DeliveryRow>> {
  const { where, params } = deliveryWhere(filters);
  const after = decodeCursor(cursor);
  if (after) {
    where.push("id < ?");
    params.push(after);
  }
  const { results } = await db
    .prepare(`SELECT * FROM deliveries ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY id DESC LIMIT ?`)
    .bind(...params, limit + 1)
    .all<DeliveryRow>();
  return toPage(results, limit);
}
