/**
 * What the client reads from the admin API. Status words come from the domain (import type only: nothing of the
 * relay's runtime reaches the browser bundle). The rest is declared here as the dashboard uses it: every field the
 * views read is optional, because the views render whatever part of an answer is there, and older relays sent less.
 */

import type { Counter, Percentiles, StatsRange } from "../../domain/stats";
import type {
  ArchiveStatus,
  DeliveryStatus,
  FileDeliveryStatus,
  NotificationStatus,
  ReplayStatus,
  SyncStatus,
} from "../../domain/status";

/** A stored time: ISO text from the API, or epoch seconds/milliseconds from older answers. */
export type Time = string | number | null | undefined;
/** A known status word, or one this client does not know yet (shown grey). */
type Status<S extends string> = S | (string & {});

export interface Page<T> {
  data?: T[];
  next_cursor?: string | null;
}

export interface Named {
  id: string;
  name?: string | null;
}

export interface EventTypeInfo {
  code: string;
  description?: string | null;
  schema?: unknown;
}

export interface InboundHmacInfo {
  header?: string;
  algorithm?: string;
  encoding?: string;
  prefix?: string;
}

export interface Source extends Named {
  event_types?: Array<string | EventTypeInfo>;
  strict?: boolean;
  inbound?: { hmac?: InboundHmacInfo | null; ip_allowlist?: string[] | null } | null;
  fetch?: { method?: string; url?: string; event_type?: string; auth?: { type?: string } | null } | null;
  created_at?: Time;
  updated_at?: Time;
}

export interface SubscriberArchive {
  schedule?: string;
  format?: string;
  time?: string;
  link_ttl?: number;
  notify_url?: string | null;
}

export interface Subscriber extends Named {
  timezone?: string;
  archive?: SubscriberArchive | null;
  created_at?: Time;
  updated_at?: Time;
}

export interface RetryInfo {
  max_attempts?: number;
  initial_delay?: number;
  max_delay?: number;
}

export interface Destination extends Named {
  url?: string;
  method?: string;
  environment?: string | null;
  disabled_at?: Time;
  disabled_reason?: string | null;
  timeout_ms?: number | null;
  retry?: RetryInfo | null;
  auth?: { type?: string } | null;
  auth_type?: string;
}

export interface SubscriptionStep {
  destination_id?: string;
  transform?: string | null;
  identity?: unknown;
}

export interface Subscription {
  id: string;
  subscriber_id?: string;
  source_id?: string;
  event_types?: string[];
  filter?: string | null;
  steps?: SubscriptionStep[];
  archive?: boolean;
  version?: number;
  created_at?: Time;
  updated_at?: Time;
}

export interface Attempt {
  n?: number;
  status_code?: number | null;
  duration_ms?: number | null;
  at?: Time;
  error?: string | null;
  response_excerpt?: string | null;
  /** What the attempt sent, secrets redacted; null for attempts recorded before requests were kept. */
  request?: { method: string; url: string; headers: Record<string, string> } | null;
}

export interface Delivery {
  id: string;
  status?: Status<DeliveryStatus>;
  step?: number | null;
  event_id?: string;
  subscriber_id?: string;
  destination_id?: string;
  subscription_id?: string;
  replay_id?: string | null;
  generation?: string | null;
  request?: { method?: string; url?: string } | null;
  /** The attempts themselves (a delivery's detail) or their count (older list rows). */
  attempts?: Attempt[] | number;
  attempt_count?: number;
  last_status_code?: number | null;
  last_error?: string | null;
  next_attempt_at?: Time;
  sent_at?: Time;
  payload?: unknown;
  created_at?: Time;
  updated_at?: Time;
}

export interface RelayEvent {
  id: string;
  type?: string;
  source_id?: string;
  source?: string;
  subject?: string | null;
  external_id?: string | null;
  time?: Time;
  received_at?: Time;
  routed_at?: Time;
  route_error?: string | null;
  data?: unknown;
  deliveries?: Delivery[];
}

/** GET /v1/admin/events/{id}: the event with its deliveries, or (older relays) the bare event. */
export type EventDetail = RelayEvent | { event?: RelayEvent; deliveries?: Delivery[]; archives?: EventArchive[] };

/** An archive an event landed in (GET /v1/admin/events/{id} `archives`). */
export interface EventArchive {
  id: string;
  subscriber_id: string;
  period_start: string;
  period_end: string;
  partial: boolean;
  status: string;
}

export interface Notification {
  id: string;
  source_id?: string;
  object_id?: string;
  status?: Status<NotificationStatus>;
  attempts?: number;
  event_id?: string | null;
  collapsed_into?: string | null;
  last_status_code?: number | null;
  error?: string | null;
  next_attempt_at?: Time;
  created_at?: Time;
  updated_at?: Time;
}

export interface Sync {
  id: string;
  source_id?: string;
  status?: Status<SyncStatus>;
  pages?: number;
  records?: number;
  published?: number;
  cursor?: string | null;
  error?: string | null;
  created_at?: Time;
  updated_at?: Time;
  finished_at?: Time;
}

export interface Identity {
  namespace?: string;
  local_id?: string;
  remote_id?: string;
  updated_at?: Time;
}

export interface FileDelivery {
  id: string;
  file_name?: string;
  status?: Status<FileDeliveryStatus>;
  target_id?: string;
  test?: boolean;
  attempts?: number;
  remote?: string | null;
  job_id?: string | null;
  next_attempt_at?: Time;
  callback_due_at?: Time;
  sent_at?: Time;
  last_error?: string | null;
}

export interface ArchiveTarget extends Named {
  type?: string;
  environment?: string | null;
  enabled?: boolean;
  url?: string;
  endpoint?: string;
  bucket?: string;
  prefix?: string;
  then?: { method?: string; url?: string } | null;
  username?: string;
  host?: string;
  port?: number;
  path?: string;
  to?: string[];
  retry?: RetryInfo | null;
  connect_timeout_ms?: number | null;
  transfer_timeout_ms?: number | null;
}

export interface Archive {
  id: string;
  subscriber_id?: string;
  status?: Status<ArchiveStatus>;
  period_start?: string;
  period_end?: string;
  timezone?: string;
  format?: string;
  events?: number | null;
  bytes?: number | null;
  sha256?: string | null;
  error?: string | null;
  progress?: { events?: number } | null;
  from?: Time;
  to?: Time;
  partial?: boolean;
  deliveries?: FileDelivery[];
  created_at?: Time;
  ready_at?: Time;
  acknowledged_at?: Time;
  expires_at?: Time;
}

export interface ArchiveLink {
  url?: string;
  expires_at?: Time;
}

export interface ArchiveRequest {
  subscriber_id: string;
  period_start?: string;
  period_end?: string;
}

export interface ReplayCriteriaInfo {
  stage?: string;
  from?: string;
  to?: string;
  source_id?: string;
  subscriber_id?: string;
  subscription_id?: string;
  event_id?: string;
  destination_id?: string;
}

export interface Replay {
  id: string;
  status?: Status<ReplayStatus | "pending" | "not_found" | "unknown">;
  stage?: string;
  matched?: number;
  processed?: number;
  criteria?: ReplayCriteriaInfo | null;
  error?: string | null;
  created_at?: Time;
  /** Set by this client when the last poll failed; the replay itself may be fine. */
  pollError?: string;
}

export type ReplayRequest = ReplayCriteriaInfo & { stage: string };

export type CounterSeries = Partial<Record<Counter, number[]>>;

export interface Stats {
  range: StatsRange;
  slots: string[];
  totals?: CounterSeries;
  latency_ms: Percentiles;
  sources?: Array<{ id: string } & CounterSeries>;
  destinations?: Array<{ id: string } & CounterSeries>;
  archives: { built: number; delivered: number; unconfirmed: number };
  oldest_undelivered_age_s?: number | null;
  unhealthy_destinations?: Array<{
    id: string;
    subscriber_id: string;
    name?: string;
    url?: string;
    failing_since?: Time;
    disabled_at?: Time;
  }>;
}

export interface Health {
  ok?: boolean;
  database?: string;
  oldest_undelivered_age_s?: number | null;
}

export interface SessionState {
  signed_in?: boolean;
}
