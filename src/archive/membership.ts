import { type ArchiveItem, insertArchiveItems, insertArchiveShapes } from "../db/archives";
import type { EventRow } from "../db/events";
import type { SubscriptionRow } from "../db/subscriptions";
import { toHex } from "../lib/encoding";
import { logStep } from "../lib/log";
import type { CloudEvent } from "../pipeline/cloudevent";
import { expressionError, matchesType, passesFilter } from "../pipeline/steps";
import { pathsOf } from "./csv";

/** What routing a batch adds to the archives: one item per (subscriber, event), and the shapes they use. */
export interface ArchiveMembership {
  items: ArchiveItem[];
  /** shape id → JSON of its paths */
  shapes: Map<string, string>;
}

export function newMembership(): ArchiveMembership {
  return { items: [], shapes: new Map() };
}

const shapeIds = new Map<string, string>();
const SHAPE_CACHE_LIMIT = 1000;

/** A shape's id is a hash of its ordered paths: the same shape from any event, any isolate, is one row. */
async function shapeId(paths: string): Promise<string> {
  let id = shapeIds.get(paths);
  if (!id) {
    id = toHex(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(paths))).slice(0, 32);
    if (shapeIds.size >= SHAPE_CACHE_LIMIT) shapeIds.delete(shapeIds.keys().next().value as string);
    shapeIds.set(paths, id);
  }
  return id;
}

/**
 * Adds the event to each subscriber whose `archive: true` subscription matches it (type and filter), once per
 * subscriber however many of its subscriptions match. A filter that fails to evaluate keeps the event out and says so.
 */
export async function collectArchiveItems(
  membership: ArchiveMembership,
  row: EventRow,
  event: CloudEvent,
  subscriptions: readonly SubscriptionRow[],
): Promise<void> {
  const added = new Set<string>();
  for (const subscription of subscriptions) {
    if (!subscription.archive || subscription.source_id !== row.source_id) continue;
    if (added.has(subscription.subscriber_id) || !matchesType(subscription, row.type)) continue;
    try {
      if (!(await passesFilter(subscription, event))) continue;
    } catch (error) {
      logStep({
        stage: "route",
        outcome: "archive_filter_failed",
        event_id: row.id,
        subscription_id: subscription.id,
        error: expressionError(error),
      });
      continue;
    }
    added.add(subscription.subscriber_id);
    const paths = JSON.stringify(pathsOf(event));
    const shape = await shapeId(paths);
    membership.shapes.set(shape, paths);
    membership.items.push({
      subscriber_id: subscription.subscriber_id,
      type: row.type,
      received_at: row.received_at,
      event_id: row.id,
      shape,
    });
  }
}

/** Statements for the routing transaction: the items and their shapes land with the deliveries, or not at all. */
export function archiveStatements(db: D1Database, membership: ArchiveMembership, now: number): D1PreparedStatement[] {
  if (!membership.items.length) return [];
  const shapes = [...membership.shapes].map(([id, paths]) => ({ id, paths }));
  return [...insertArchiveShapes(db, shapes, now), ...insertArchiveItems(db, membership.items)];
}
