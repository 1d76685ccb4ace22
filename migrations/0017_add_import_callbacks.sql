-- An s3 target's import trigger (`then`) is answered with a job id, and the platform later reports the job's outcome
-- to POST /v1/callbacks/{token}. The token is the target's: `callback_token_hash` finds the target (sha256 of the
-- token, as notify tokens are kept) and `callback_token_enc` holds the token sealed to the row, because each trigger
-- call puts the callback URL in its body.
ALTER TABLE archive_targets ADD COLUMN callback_token_hash TEXT;
ALTER TABLE archive_targets ADD COLUMN callback_token_enc TEXT;
CREATE UNIQUE INDEX archive_targets_by_callback_token ON archive_targets (callback_token_hash)
  WHERE callback_token_hash IS NOT NULL;

-- A delivery whose import was triggered stays `sent` until its callback: `callback_due_at` is when it turns
-- `unconfirmed` without one. `job_id` (0014) is what the callback names.
ALTER TABLE file_deliveries ADD COLUMN callback_due_at INTEGER;
CREATE INDEX file_deliveries_by_job ON file_deliveries (target_id, job_id) WHERE job_id IS NOT NULL;
CREATE INDEX file_deliveries_awaiting_callback ON file_deliveries (callback_due_at)
  WHERE status = 'sent' AND callback_due_at IS NOT NULL;
