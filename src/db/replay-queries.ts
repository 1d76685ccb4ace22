import type { ReplayCriteria } from "../domain/replay";
import type { DeliveryRow } from "./deliveries";

/** What a replay selects (CONTRACT §3, domain/replay.ts), as SQL. */

/** SQL conditions joined by AND, with their bound parameters in order. */
class Conditions {
  private readonly parts: string[] = [];
  readonly params: unknown[] = [];

  add(sql: string, ...params: unknown[]): this {
    this.parts.push(sql);
    this.params.push(...params);
    return this;
  }

  when(applies: unknown, sql: string, ...params: unknown[]): this {
    return applies ? this.add(sql, ...params) : this;
  }

  get empty(): boolean {
    return this.parts.length === 0;
  }

  where(): string {
    return this.parts.length ? `WHERE ${this.parts.join(" AND ")}` : "";
  }

  /** For a subquery that already has a condition of its own. */
  andAll(): string {
    return this.parts.map((part) => ` AND ${part}`).join("");
  }
}

/** A list of types is one bound JSON parameter, so 100 of them stay under D1's 100 bound parameters. */
const typeIn = (column: string) => `${column} IN (SELECT value FROM json_each(?))`;

function scope(criteria: ReplayCriteria, subscriberColumn: string, subscriptionColumn: string): Conditions {
  return new Conditions()
    .when(criteria.subscriber_id, `${subscriberColumn} = ?`, criteria.subscriber_id)
    .when(criteria.subscription_id, `${subscriptionColumn} = ?`, criteria.subscription_id);
}

/**
 * The events a route-stage replay runs again. With a subscriber or subscription named, only events one of its
 * subscriptions takes (source and type): routing would make nothing of the others. `status` selects the events with
 * a delivery in that status, of that subscriber or subscription when one is named.
 */
function eventConditions(criteria: ReplayCriteria): Conditions {
  const subscriptions = scope(criteria, "s.subscriber_id", "s.id");
  const deliveries = scope(criteria, "d.subscriber_id", "d.subscription_id");
  return new Conditions()
    .when(criteria.event_id, "e.id = ?", criteria.event_id)
    .when(criteria.source_id, "e.source_id = ?", criteria.source_id)
    .when(criteria.event_types?.length, typeIn("e.type"), JSON.stringify(criteria.event_types))
    .when(criteria.from !== undefined, "e.received_at >= ?", criteria.from)
    .when(criteria.to !== undefined, "e.received_at < ?", criteria.to)
    .when(
      !subscriptions.empty,
      `EXISTS (SELECT 1 FROM subscriptions s WHERE s.source_id = e.source_id${subscriptions.andAll()}
         AND EXISTS (SELECT 1 FROM json_each(s.event_types) t WHERE t.value IN ('*', e.type)))`,
      ...subscriptions.params,
    )
    .when(
      criteria.status,
      `EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = e.id AND d.status = ?${deliveries.andAll()})`,
      criteria.status,
      ...deliveries.params,
    );
}

/**
 * The deliveries a deliver-stage replay copies: built ones (inline or in R2); finished ones unless a status is
 * asked for; originals unless copies are asked for, and never the copies this replay makes itself. A delivery's
 * source and type are its event's; `from`/`to` are when the delivery was created.
 */
function deliveryConditions(criteria: ReplayCriteria, replayId: string): Conditions {
  const events = new Conditions()
    .when(criteria.source_id, "e.source_id = ?", criteria.source_id)
    .when(criteria.event_types?.length, typeIn("e.type"), JSON.stringify(criteria.event_types));
  return scope(criteria, "d.subscriber_id", "d.subscription_id")
    .when(criteria.event_id, "d.event_id = ?", criteria.event_id)
    .when(criteria.status, "d.status = ?", criteria.status)
    .when(!criteria.status, "d.status NOT IN ('pending', 'ready', 'retrying')")
    .when(criteria.include_copies, "instr(d.generation, ?) <> 1", `${replayId}:`)
    .when(!criteria.include_copies, "d.generation = ''")
    .when(criteria.from !== undefined, "d.created_at >= ?", criteria.from)
    .when(criteria.to !== undefined, "d.created_at < ?", criteria.to)
    .when(!events.empty, `EXISTS (SELECT 1 FROM events e WHERE e.id = d.event_id${events.andAll()})`, ...events.params)
    .add("(d.payload IS NOT NULL OR d.payload_key IS NOT NULL)");
}

async function count(db: D1Database, from: string, conditions: Conditions): Promise<number> {
  const row = await db
    .prepare(`SELECT count(*) AS n FROM ${from} ${conditions.where()}`)
    .bind(...conditions.params)
    .first<{ n: number }>();
  return row?.n ?? 0;
}

/** How many events a route-stage replay runs: the conditions its pages walk. */
export function countReplayEvents(db: D1Database, criteria: ReplayCriteria): Promise<number> {
  return count(db, "events e", eventConditions(criteria));
}

/** Oldest first after `afterId`: one page of a route-stage replay. */
export async function replayEventIdsPage(
  db: D1Database,
  criteria: ReplayCriteria,
  afterId: string | null,
  limit: number,
): Promise<string[]> {
  const conditions = eventConditions(criteria).when(afterId, "e.id > ?", afterId);
  const { results } = await db
    .prepare(`SELECT e.id FROM events e ${conditions.where()} ORDER BY e.id LIMIT ?`)
    .bind(...conditions.params, limit)
    .all<{ id: string }>();
  return results.map((row) => row.id);
}

/** How many deliveries a deliver-stage replay copies: the conditions its pages walk. */
export function countReplayDeliveries(db: D1Database, criteria: ReplayCriteria, replayId: string): Promise<number> {
  return count(db, "deliveries d", deliveryConditions(criteria, replayId));
}

/** Oldest first after `afterId`: one page of a deliver-stage replay. */
export async function replayDeliveriesPage(
  db: D1Database,
  criteria: ReplayCriteria,
  replayId: string,
  afterId: string | null,
  limit: number,
): Promise<DeliveryRow[]> {
  const conditions = deliveryConditions(criteria, replayId).when(afterId, "d.id > ?", afterId);
  const { results } = await db
    .prepare(`SELECT d.* FROM deliveries d ${conditions.where()} ORDER BY d.id LIMIT ?`)
    .bind(...conditions.params, limit)
    .all<DeliveryRow>();
  return results;
}
