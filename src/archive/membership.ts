import { type ArchiveItem, insertArchiveItems, insertArchiveShapes } from "../db/archives";
import type { EventRow } from "../db/events";
import type { SubscriptionRow } from "../db/subscriptions";
import type { CloudEvent } from "../domain/cloudevent";
import { expressionError } from "../domain/expressions";
import { matchesType, passesFilter } from "../domain/matching";
import { utf8Length } from "../lib/json-size";
import { logStep } from "../lib/log";
import { type CsvOptions, type KeptRow, ownRow, pathsOf } from "./csv";
import { shapeIdOf } from "./shape-id";
import { DIALECTS, isDelimited } from "./writer";

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

/** Most events share a handful of shapes: each is hashed once per isolate. */
function shapeId(paths: string): string {
  let id = shapeIds.get(paths);
  if (!id) {
    id = shapeIdOf(paths);
    if (shapeIds.size >= SHAPE_CACHE_LIMIT) shapeIds.delete(shapeIds.keys().next().value as string);
    shapeIds.set(paths, id);
  }
  return id;
}

/** A shape row stays well inside what D1 stores in one row (2 MB), whatever the event looks like. */
export const MAX_SHAPE_BYTES = 1024 * 1024;

/** The event's shape as stored (its ordered paths, as JSON), or why it cannot be. */
function shapeOf(event: CloudEvent): { paths: string } | { error: string } {
  try {
    const paths = JSON.stringify(pathsOf(event));
    const bytes = utf8Length(paths);
    if (bytes > MAX_SHAPE_BYTES) return { error: `its shape is ${bytes} bytes, over ${MAX_SHAPE_BYTES}` };
    return { paths };
  } catch (error) {
    return { error: `its shape could not be read: ${String(error)}` };
  }
}

/** How each CSV or TSV subscriber writes its rows, by subscriber id: routing keeps each archived event's row in it. */
export type RowSettings = ReadonlyMap<string, Required<CsvOptions>>;

/** The row settings of the subscribers given (their archive settings as stored); JSON and other formats keep none. */
export function rowSettingsOf(
  subscribers: ReadonlyArray<{ id: string; archive: { format?: string; csv_escape_formulas?: boolean } }>,
): RowSettings {
  const settings = new Map<string, Required<CsvOptions>>();
  for (const { id, archive } of subscribers) {
    const format = archive.format ?? "json";
    if (isDelimited(format as never)) {
      settings.set(id, {
        dialect: DIALECTS[format as keyof typeof DIALECTS],
        escapeFormulas: archive.csv_escape_formulas ?? true,
      });
    }
  }
  return settings;
}

/** A row longer than this is not kept (the build reads it from the event instead): archive_items stays small. */
export const MAX_KEPT_ROW_CHARS = 16 * 1024;

/** The rows of one event by kept format: two CSV subscribers with the same settings share one. */
function keptRows(event: CloudEvent): (options: Required<CsvOptions>) => KeptRow | null {
  const rows = new Map<string, KeptRow | null>();
  return (options) => {
    const key = `${options.dialect.name}:${options.escapeFormulas}`;
    if (!rows.has(key)) {
      const row = ownRow(event, options);
      rows.set(key, row && row.text.length <= MAX_KEPT_ROW_CHARS ? row : null);
    }
    return rows.get(key) ?? null;
  };
}

/**
 * Adds the event to each subscriber whose `archive: true` subscription matches it (type and filter), once per
 * subscriber however many of its subscriptions match. Never throws: a filter that fails, or an event whose shape
 * cannot be recorded, keeps the event out of that archive and says so in the log, and routing carries on.
 */
export async function collectArchiveItems(
  membership: ArchiveMembership,
  row: EventRow,
  event: CloudEvent,
  subscriptions: readonly SubscriptionRow[],
  rowSettings: RowSettings = new Map(),
): Promise<void> {
  const added = new Set<string>();
  let shape: { paths: string } | { error: string } | undefined;
  const rowFor = keptRows(event);
  for (const subscription of subscriptions) {
    const leftOut = (outcome: string, error: string) =>
      logStep({ stage: "route", outcome, event_id: row.id, subscription_id: subscription.id, error });
    try {
      if (!subscription.archive || subscription.source_id !== row.source_id) continue;
      if (added.has(subscription.subscriber_id) || !matchesType(subscription, row.type)) continue;
      try {
        if (!(await passesFilter(subscription, event))) continue;
      } catch (error) {
        leftOut("archive_filter_failed", expressionError(error));
        continue;
      }
      shape ??= shapeOf(event);
      if ("error" in shape) {
        leftOut("archive_item_left_out", shape.error);
        continue;
      }
      const id = shapeId(shape.paths);
      membership.shapes.set(id, shape.paths);
      const settings = rowSettings.get(subscription.subscriber_id);
      const kept = settings ? rowFor(settings) : null;
      membership.items.push({
        subscriber_id: subscription.subscriber_id,
        type: row.type,
        received_at: row.received_at,
        event_id: row.id,
        shape: id,
        row_text: kept?.text ?? null,
        row_format: kept?.format ?? null,
        row_cells: kept?.cells ?? null,
      });
      added.add(subscription.subscriber_id);
    } catch (error) {
      leftOut("archive_item_left_out", String(error));
    }
  }
}

/** Statements for the routing transaction: the items and their shapes land with the deliveries, or not at all. */
export function archiveStatements(db: D1Database, membership: ArchiveMembership, now: number): D1PreparedStatement[] {
  if (!membership.items.length) return [];
  const shapes = [...membership.shapes].map(([id, paths]) => ({ id, paths }));
  return [...insertArchiveShapes(db, shapes, now), ...insertArchiveItems(db, membership.items)];
}
