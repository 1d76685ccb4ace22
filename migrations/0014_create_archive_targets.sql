-- Where a subscriber's files go (https_put, s3, sftp, email). `config` is the type's settings as they read back
-- (credentials out); `secrets_enc` is the credentials, sealed with SECRETS_KEY and bound to the row
-- (auth/sealed.ts). `retry` is the policy's JSON.
CREATE TABLE archive_targets (
  id TEXT PRIMARY KEY,
  subscriber_id TEXT NOT NULL,
  name TEXT NOT NULL,
  type TEXT NOT NULL,
  environment TEXT NOT NULL,
  enabled INTEGER NOT NULL DEFAULT 1,
  config TEXT NOT NULL,
  secrets_enc TEXT NOT NULL,
  retry TEXT NOT NULL,
  connect_timeout_ms INTEGER NOT NULL,
  transfer_timeout_ms INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX archive_targets_by_subscriber ON archive_targets (subscriber_id, id);

-- One file sent to one target: an archive (once per archive and target), or a test file (archive_id NULL).
-- Retried like a push (pending → sent, or retrying → … → dead; confirmed, unconfirmed and failed follow sent when an
-- import callback is expected). The row is the ledger; queue messages only say "try it now", and the sweeper
-- re-enqueues a row whose message was lost. `budget_start` is the attempt count a manual retry started from.
CREATE TABLE file_deliveries (
  id TEXT PRIMARY KEY,
  target_id TEXT NOT NULL,
  subscriber_id TEXT NOT NULL,
  archive_id TEXT,
  test INTEGER NOT NULL DEFAULT 0,
  file_name TEXT NOT NULL,
  status TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  budget_start INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER,
  lease_until INTEGER,
  swept_at INTEGER,
  last_status_code INTEGER,
  last_error TEXT,
  bytes INTEGER,
  remote TEXT,
  job_id TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  sent_at INTEGER
);
CREATE UNIQUE INDEX file_deliveries_of_archive ON file_deliveries (archive_id, target_id);
CREATE INDEX file_deliveries_due ON file_deliveries (next_attempt_at) WHERE status IN ('pending', 'retrying');
CREATE INDEX file_deliveries_by_target ON file_deliveries (target_id, id);
CREATE INDEX file_deliveries_by_target_status ON file_deliveries (target_id, status, id);
CREATE INDEX file_deliveries_by_subscriber ON file_deliveries (subscriber_id, id);
