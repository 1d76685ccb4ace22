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

/** The `route` queue: routing, and the paged jobs that share its consumer. */
export type RouteMessage =
  | EventsMessage
  | { kind: "replay"; replay_id: string }
  | { kind: "notify"; notification_id: string }
  | { kind: "sync"; sync_id: string };

/** The `deliver` queue: one attempt at one delivery. */
export interface DeliverMessage {
  delivery_id: string;
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

/** Work that rides the `archive` queue beside build jobs. */
export type UpkeepMessage = AnnounceMessage | RetentionMessage;

export function isUpkeep(body: unknown): body is UpkeepMessage {
  return typeof body === "object" && body !== null && "kind" in body;
}

/** Queues take at most 100 messages per sendBatch. */
export const SEND_BATCH_LIMIT = 100;
/** Cloudflare Queues delay a message by at most 12 hours; longer waits are left to the sweeper. */
export const MAX_QUEUE_DELAY_S = 43_200;
