-- On-demand exports of a period that has not ended (CONTRACT §3 Archives): `partial` = 1 marks an archive of what was
-- received from the period's start until its to_ms (the request time). Any number of partial archives may exist
-- beside the one full archive of a period, so the table-level UNIQUE (subscriber_id, period_start, period_end) of
-- 0006 becomes a unique index over full archives only (INSERT OR IGNORE still makes a full period build once).
-- SQLite cannot drop a table constraint: the table is rebuilt, rows copied, and every index of 0006 recreated.
-- No other table has a foreign key to archives.
CREATE TABLE archives_new (
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
  checkpoint TEXT,
  acknowledged_at INTEGER,
  expires_at INTEGER,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  ready_at INTEGER,
  lease_until INTEGER,
  lease_token TEXT,
  progress_events INTEGER NOT NULL DEFAULT 0,
  partial INTEGER NOT NULL DEFAULT 0
);

INSERT INTO archives_new (id, subscriber_id, period_start, period_end, timezone, format, from_ms, to_ms, status, r2_key,
  events, bytes, sha256, error, checkpoint, acknowledged_at, expires_at, created_at, updated_at, ready_at, lease_until,
  lease_token, progress_events)
SELECT id, subscriber_id, period_start, period_end, timezone, format, from_ms, to_ms, status, r2_key,
  events, bytes, sha256, error, checkpoint, acknowledged_at, expires_at, created_at, updated_at, ready_at, lease_until,
  lease_token, progress_events
FROM archives;

DROP TABLE archives;
ALTER TABLE archives_new RENAME TO archives;

CREATE UNIQUE INDEX archives_full_period ON archives (subscriber_id, period_start, period_end) WHERE partial = 0;
CREATE INDEX archives_by_subscriber ON archives (subscriber_id, id);
CREATE INDEX archives_unacknowledged ON archives (subscriber_id, ready_at) WHERE status = 'ready' AND acknowledged_at IS NULL;
CREATE INDEX archives_by_expiry ON archives (expires_at);
-- The sweeper's query: unfinished builds whose queue message or job was lost.
CREATE INDEX archives_unfinished ON archives (updated_at) WHERE status IN ('pending', 'building');
