-- Times are epoch milliseconds. JSON columns hold text; columns named *_enc hold AES-GCM ciphertext.

CREATE TABLE sources (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  strict INTEGER NOT NULL DEFAULT 0,
  inbound TEXT,
  fetch_config TEXT,
  secrets_enc TEXT,
  api_key_hash TEXT NOT NULL UNIQUE,
  notify_token_hash TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

CREATE TABLE event_types (
  source_id TEXT NOT NULL,
  code TEXT NOT NULL,
  description TEXT,
  schema TEXT,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (source_id, code)
);

CREATE TABLE subscribers (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  timezone TEXT NOT NULL,
  archive TEXT NOT NULL,
  api_key_hash TEXT NOT NULL UNIQUE,
  signing_secret_enc TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

CREATE TABLE destinations (
  id TEXT PRIMARY KEY,
  subscriber_id TEXT NOT NULL,
  name TEXT NOT NULL,
  url TEXT NOT NULL,
  method TEXT NOT NULL,
  environment TEXT NOT NULL,
  headers TEXT NOT NULL,
  auth_type TEXT NOT NULL,
  auth_enc TEXT NOT NULL,
  timeout_ms INTEGER NOT NULL,
  max_attempts INTEGER NOT NULL,
  initial_delay INTEGER NOT NULL,
  max_delay INTEGER NOT NULL,
  signing_secret_enc TEXT NOT NULL,
  disabled_at INTEGER,
  disabled_reason TEXT,
  failing_since INTEGER,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX destinations_by_subscriber ON destinations (subscriber_id, id);

CREATE TABLE subscriptions (
  id TEXT PRIMARY KEY,
  subscriber_id TEXT NOT NULL,
  source_id TEXT NOT NULL,
  event_types TEXT NOT NULL,
  filter TEXT,
  archive INTEGER NOT NULL DEFAULT 0,
  steps TEXT NOT NULL,
  version INTEGER NOT NULL DEFAULT 1,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX subscriptions_by_source ON subscriptions (source_id);
CREATE INDEX subscriptions_by_subscriber ON subscriptions (subscriber_id, id);

CREATE TABLE events (
  id TEXT PRIMARY KEY,
  source_id TEXT NOT NULL,
  external_id TEXT NOT NULL,
  type TEXT NOT NULL,
  subject TEXT,
  time TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  body TEXT,
  body_key TEXT,
  routed_at INTEGER,
  route_error TEXT,
  UNIQUE (source_id, external_id)
);
CREATE INDEX events_unrouted ON events (received_at) WHERE routed_at IS NULL;
CREATE INDEX events_by_source ON events (source_id, id);
CREATE INDEX events_by_type ON events (type, id);

-- One row per (event, subscription, step) and generation: '' for the original routing, a replay id for a replay.
CREATE TABLE deliveries (
  id TEXT PRIMARY KEY,
  event_id TEXT NOT NULL,
  subscription_id TEXT NOT NULL,
  subscriber_id TEXT NOT NULL,
  destination_id TEXT,
  step INTEGER NOT NULL,
  generation TEXT NOT NULL DEFAULT '',
  chain INTEGER NOT NULL DEFAULT 1,
  status TEXT NOT NULL,
  payload TEXT,
  attempts INTEGER NOT NULL DEFAULT 0,
  budget_start INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER,
  lease_until INTEGER,
  swept_at INTEGER,
  last_status_code INTEGER,
  last_error TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  sent_at INTEGER,
  UNIQUE (event_id, subscription_id, step, generation)
);
CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE status IN ('ready', 'retrying');
CREATE INDEX deliveries_by_destination ON deliveries (destination_id, status);
CREATE INDEX deliveries_by_subscriber ON deliveries (subscriber_id, id);
CREATE INDEX deliveries_by_event ON deliveries (event_id);
CREATE INDEX deliveries_by_status ON deliveries (status, id);

CREATE TABLE attempts (
  delivery_id TEXT NOT NULL,
  n INTEGER NOT NULL,
  at INTEGER NOT NULL,
  duration_ms INTEGER NOT NULL,
  status_code INTEGER,
  error TEXT,
  response_excerpt TEXT,
  PRIMARY KEY (delivery_id, n)
);

CREATE TABLE replays (
  id TEXT PRIMARY KEY,
  stage TEXT NOT NULL,
  criteria TEXT NOT NULL,
  status TEXT NOT NULL,
  matched INTEGER NOT NULL,
  processed INTEGER NOT NULL DEFAULT 0,
  created_count INTEGER NOT NULL DEFAULT 0,
  cursor TEXT,
  error TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  finished_at INTEGER
);
