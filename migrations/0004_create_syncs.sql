-- Bulk (initial) syncs: paging through an origin's list endpoint, one queue job per page, resumable from `cursor`.
CREATE TABLE syncs (
  id TEXT PRIMARY KEY,
  source_id TEXT NOT NULL,
  config TEXT NOT NULL,
  status TEXT NOT NULL,
  cursor TEXT,
  pages INTEGER NOT NULL DEFAULT 0,
  records INTEGER NOT NULL DEFAULT 0,
  published INTEGER NOT NULL DEFAULT 0,
  error TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  finished_at INTEGER
);
CREATE INDEX syncs_by_source ON syncs (source_id, id);
CREATE INDEX syncs_running ON syncs (updated_at) WHERE status = 'running';
