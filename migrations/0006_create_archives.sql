-- One zipped file per (subscriber, period). period_start/period_end are local dates (YYYY-MM-DD) in the subscriber's
-- timezone at build time; from_ms/to_ms are the UTC bounds [from_ms, to_ms) of events.received_at they cover.
-- The unique key makes a period build once even when the cron or the job runs twice.
CREATE TABLE archives (
  id TEXT PRIMARY KEY,
  subscriber_id TEXT NOT NULL,
  period_start TEXT NOT NULL,
  period_end TEXT NOT NULL,
  timezone TEXT NOT NULL,
  format TEXT NOT NULL,
  from_ms INTEGER NOT NULL,
  to_ms INTEGER NOT NULL,
  status TEXT NOT NULL,
  r2_key TEXT NOT NULL,
  events INTEGER,
  bytes INTEGER,
  sha256 TEXT,
  error TEXT,
  -- JSON: multipart upload id, uploaded parts, keyset cursor and encoder state, so a build resumes in the next job.
  checkpoint TEXT,
  acknowledged_at INTEGER,
  -- Epoch ms after which retention deletes the R2 object and the row (the subscriber's archive.retention_days).
  expires_at INTEGER,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  ready_at INTEGER,
  -- The build job holding the archive: a claim sets both, a finished or checkpointed job clears them.
  lease_until INTEGER,
  lease_token TEXT,
  -- Events written so far while building (events holds the total once ready).
  progress_events INTEGER NOT NULL DEFAULT 0,
  UNIQUE (subscriber_id, period_start, period_end)
);

CREATE INDEX archives_by_subscriber ON archives (subscriber_id, id);
CREATE INDEX archives_unacknowledged ON archives (subscriber_id, ready_at) WHERE status = 'ready' AND acknowledged_at IS NULL;
CREATE INDEX archives_by_expiry ON archives (expires_at);
-- The sweeper's query: unfinished builds whose queue message or job was lost.
CREATE INDEX archives_unfinished ON archives (updated_at) WHERE status IN ('pending', 'building');

-- Which events go into a subscriber's archives: written when an event is routed, for each subscriber with a matching
-- `archive: true` subscription (after its filter), once per subscriber however many subscriptions match. Keyed so a
-- build pages through one type of one period by keyset: (subscriber, type, received_at, event_id).
CREATE TABLE archive_items (
  subscriber_id TEXT NOT NULL,
  type TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  event_id TEXT NOT NULL,
  -- archive_shapes.id: the event's CSV columns, so a CSV header is known before its first row.
  shape TEXT NOT NULL,
  PRIMARY KEY (subscriber_id, type, received_at, event_id)
) WITHOUT ROWID;
CREATE INDEX archive_items_by_received ON archive_items (received_at);

-- Distinct shapes of archived events: the ordered dotted paths of an event's leaves (see src/archive/csv.ts).
CREATE TABLE archive_shapes (
  id TEXT PRIMARY KEY,
  paths TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
