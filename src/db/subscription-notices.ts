import type { AnnouncementRow } from "./announcements";
import { LEASED, type LeaseRecord, recordUnderLease } from "./lost-work";
import { type SourceRow, type StoredSource, sourceFromStored } from "./sources";
import { type StoredSubscription, type SubscriptionRow, subscriptionFromStored } from "./subscriptions";
import { IDS } from "./util";

/**
 * Subscription change notices (migration 0016): one row per change of a subscription whose source has a
 * subscription_notify_url, written in the change's own transaction and then sent on the stage engine like an
 * archive-ready announcement. Lists travel as one JSON parameter (`json_each(?)`), so D1's 100 bound parameters
 * never limit a batch.
 */

export type SubscriptionChange = "created" | "updated" | "deleted";

/** An announcement's lifecycle and attempt columns (ready → sent, or retrying → … → dead), about a subscription. */
export type SubscriptionNoticeRow = Omit<AnnouncementRow, "archive_id" | "subscriber_id"> & {
  id: string;
  source_id: string;
  subscription_id: string;
  change: SubscriptionChange;
  /** The notice's JSON as it was at the change: the bytes every attempt sends and signs. */
  body: string;
};

export type NewSubscriptionNotice = Pick<
  SubscriptionNoticeRow,
  "id" | "source_id" | "subscription_id" | "change" | "body" | "created_at"
>;

/**
 * The notice's insert, for the subscription change's own `DB.batch` (run before the change's statements). A change
 * to an existing subscription records its notice only while the subscription is still there, so a PATCH or DELETE
 * that raced a DELETE announces nothing that did not happen.
 */
export function noticeStatement(db: D1Database, notice: NewSubscriptionNotice): D1PreparedStatement {
  const guard = notice.change === "created" ? "" : "WHERE EXISTS (SELECT 1 FROM subscriptions WHERE id = ?3)";
  return db
    .prepare(
      `INSERT INTO subscription_notices (id, source_id, subscription_id, change, body, status, next_attempt_at, created_at, updated_at)
       SELECT ?1, ?2, ?3, ?4, ?5, 'ready', ?6, ?6, ?6 ${guard}`,
    )
    .bind(notice.id, notice.source_id, notice.subscription_id, notice.change, notice.body, notice.created_at);
}

export interface SubscriptionNoticeBatch {
  notices: Map<string, SubscriptionNoticeRow>;
  sources: Map<string, SourceRow>;
}

/** The notices and their sources: one round trip. */
export async function readNoticeBatch(db: D1Database, ids: readonly string[]): Promise<SubscriptionNoticeBatch> {
  const list = JSON.stringify(ids);
  const [notices, sources] = await db.batch<unknown>([
    db.prepare(`SELECT * FROM subscription_notices WHERE id IN (${IDS})`).bind(list),
    db
      .prepare(`SELECT * FROM sources WHERE id IN (SELECT source_id FROM subscription_notices WHERE id IN (${IDS}))`)
      .bind(list),
  ]);
  return {
    notices: new Map((notices.results as SubscriptionNoticeRow[]).map((row) => [row.id, row])),
    sources: new Map((sources.results as StoredSource[]).map((row) => [row.id, sourceFromStored(row)])),
  };
}

export interface SubscriptionNoticeRecord extends LeaseRecord {
  status: "sent" | "retrying" | "dead";
}

/** Every attempt's outcome in one statement, each guarded by its attempt number (db/lost-work.ts). */
export function recordNotices(db: D1Database, records: readonly SubscriptionNoticeRecord[]): Promise<void> {
  return recordUnderLease(db, LEASED.subscriptionNotices, records);
}

/** A subscription's notices, oldest first. */
export async function noticesOfSubscription(db: D1Database, subscriptionId: string): Promise<SubscriptionNoticeRow[]> {
  const { results } = await db
    .prepare("SELECT * FROM subscription_notices WHERE subscription_id = ? ORDER BY created_at, id")
    .bind(subscriptionId)
    .all<SubscriptionNoticeRow>();
  return results;
}

/** A subscriber's subscriptions whose sources take notices: what its deletion owes a `subscription.deleted` each. */
export async function subscriptionsOwingNotices(db: D1Database, subscriberId: string): Promise<SubscriptionRow[]> {
  const { results } = await db
    .prepare(
      `SELECT subscriptions.* FROM subscriptions JOIN sources ON sources.id = subscriptions.source_id
       WHERE subscriptions.subscriber_id = ? AND sources.subscription_notify_url IS NOT NULL ORDER BY subscriptions.id`,
    )
    .bind(subscriberId)
    .all<StoredSubscription>();
  return results.map(subscriptionFromStored);
}
