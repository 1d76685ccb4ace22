/**
 * The queue message union. Messages carry ids only: D1 holds the truth, a message just says "look at this now".
 */

/** Events to route: a publish request's batch, a sweep's, or one event of a dead-lettered batch. */
export interface EventsMessage {
  kind: "events";
  event_ids: string[];
  /** Set on the one-event messages a dead-lettered message was split into: dead-lettering again is final. */
  retried_alone?: true;
}

/**
 * The `route` queue: routing, and the paged jobs that share its consumer. `notify` is how origin fetches were rung
 * before they had a queue of their own; still handled, so a message sent before an upgrade is not lost.
 */
export type RouteMessage =
  | EventsMessage
  | { kind: "replay"; replay_id: string }
  | { kind: "notify"; notification_id: string }
  | { kind: "sync"; sync_id: string };

/**
 * The `deliver` queue: the next attempt at each of a few deliveries (packed: fewer queue operations, and a consumer
 * batch of a few messages is a batch of many deliveries). `{delivery_id}` is the one-delivery form sent before
 * packing, still handled.
 */
export type DeliverMessage =
  | { kind: "deliveries"; ids: string[]; retried_alone?: true }
  | { kind?: undefined; delivery_id: string };

/** The `fetch` queue: origin fetches of a few notifications, packed like deliveries. */
export interface FetchMessage {
  kind: "notifications";
  ids: string[];
  retried_alone?: true;
}

/**
 * The `files` queue: the next attempt at each of a few file deliveries (an archive or a test file to an archive
 * target), packed like deliveries but fewer to a message: one transfer may take minutes.
 */
export interface FilesMessage {
  kind: "file_deliveries";
  ids: string[];
  retried_alone?: true;
}

/** The ids a packed or one-item message names. */
export function idsOf(message: DeliverMessage | FetchMessage | FilesMessage): string[] {
  return "ids" in message ? message.ids : [message.delivery_id];
}

/** The `archive` queue: build (or carry on building) one archive. A build job's message has no `kind`. */
export interface ArchiveMessage {
  archive_id: string;
}

/** Rides the `archive` queue beside build jobs: one archive-ready announcement attempt. */
export interface AnnounceMessage {
  kind: "announce";
  archive_id: string;
}

/** Rides the `archive` queue beside build jobs: a continuation pass of the daily retention run. */
export interface RetentionMessage {
  kind: "retention";
  pass: number;
}

/** Rides the `archive` queue beside build jobs: an attempt at each of a few subscription change notices. */
export interface SubscriptionNoticeMessage {
  kind: "subscription_notices";
  ids: string[];
}

/** Work that rides the `archive` queue beside build jobs. */
export type UpkeepMessage = AnnounceMessage | RetentionMessage | SubscriptionNoticeMessage;

export function isUpkeep(body: unknown): body is UpkeepMessage {
  return typeof body === "object" && body !== null && "kind" in body;
}

/** Queues take at most 100 messages per sendBatch. */
export const SEND_BATCH_LIMIT = 100;
/**
 * Ids per packed message. A consumer batch of DELIVER_BATCH_MESSAGES messages (wrangler.toml) is then at most 100
 * pushes per invocation: within its subrequest budget, and bounded in time by the slowest destination.
 */
export const IDS_PER_MESSAGE = 25;
/**
 * File deliveries per `files` message. A consumer batch (4 messages, wrangler.toml) is then at most 20 transfers,
 * one at a time per target: inside a consumer's 15 minutes of wall time (pipeline/file-deliver.ts defers the rest).
 */
export const FILE_IDS_PER_MESSAGE = 5;
/** Events per route message: a publish of 500 is rung as five. */
export const EVENTS_PER_MESSAGE = 100;
/** Cloudflare Queues delay a message by at most 12 hours; longer waits are left to the sweeper. */
export const MAX_QUEUE_DELAY_S = 43_200;
