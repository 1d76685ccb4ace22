-- Subscription change notices (CONTRACT §3 Sources): a source may name a subscription_notify_url, which is POSTed a
-- notice, signed (Standard Webhooks) with the source's own signing_secret, whenever a subscription to the source is
-- created, changed or deleted. `signing_secret_enc` is sealed with SECRETS_KEY and bound to the row (auth/sealed.ts);
-- sources made before this migration have none until they are rotated or given a subscription_notify_url.
ALTER TABLE sources ADD COLUMN subscription_notify_url TEXT;
ALTER TABLE sources ADD COLUMN signing_secret_enc TEXT;

-- One notice per subscription change, written in the change's own transaction, so a change is never left
-- unannounced. `body` is the notice as it was at the change, sent byte for byte on every attempt (the id is the
-- webhook-id). Retried like a push (ready → sent, or retrying → … → dead); the sweeper re-rings a row whose queue
-- message was lost.
CREATE TABLE subscription_notices (
  id TEXT PRIMARY KEY,
  source_id TEXT NOT NULL,
  subscription_id TEXT NOT NULL,
  change TEXT NOT NULL,
  body TEXT NOT NULL,
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
CREATE INDEX subscription_notices_due ON subscription_notices (next_attempt_at) WHERE status IN ('ready', 'retrying');
CREATE INDEX subscription_notices_by_subscription ON subscription_notices (subscription_id, id);
