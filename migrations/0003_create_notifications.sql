-- ID-only notifications: one row per call of a notify URL. Calls for the same object within the collapse window
-- are fetched once: the job that claims them sets claimed_by to its own notification id.
CREATE TABLE notifications (
  id TEXT PRIMARY KEY,
  source_id TEXT NOT NULL,
  object_id TEXT NOT NULL,
  status TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER,
  lease_until INTEGER,
  swept_at INTEGER,
  claimed_by TEXT,
  event_id TEXT,
  last_status_code INTEGER,
  error TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX notifications_by_object ON notifications (source_id, object_id, status);
CREATE INDEX notifications_due ON notifications (next_attempt_at) WHERE status IN ('pending', 'retrying');
CREATE INDEX notifications_by_source ON notifications (source_id, id);
