-- The archive-ready POST to a subscriber's archive.notify_url: one row per ready archive, retried like a push
-- (ready → sent, or retrying → … → dead). The row is the ledger; queue messages only say "try it now", and the
-- sweeper re-enqueues a row whose message was lost.
CREATE TABLE archive_announcements (
  archive_id TEXT PRIMARY KEY,
  subscriber_id TEXT NOT NULL,
  status TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER,
  lease_until INTEGER,
  swept_at INTEGER,
  last_status_code INTEGER,
  last_error TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  sent_at INTEGER
);
CREATE INDEX archive_announcements_due ON archive_announcements (next_attempt_at) WHERE status IN ('ready', 'retrying');
