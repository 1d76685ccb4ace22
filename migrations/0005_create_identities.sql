-- Origin user id ↔ the subscriber's CRM id. remote_id is NULL while the first create for that person is in
-- flight: creating_delivery holds the reservation until creating_until, so a second event waits instead of creating.
CREATE TABLE identities (
  subscriber_id TEXT NOT NULL,
  namespace TEXT NOT NULL,
  local_id TEXT NOT NULL,
  remote_id TEXT,
  creating_delivery TEXT,
  creating_until INTEGER,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (subscriber_id, namespace, local_id)
);

-- The request a delivery actually made (an identity update goes to update.url), so a replay can resend it as built.
ALTER TABLE deliveries ADD COLUMN request_url TEXT;
ALTER TABLE deliveries ADD COLUMN request_method TEXT;
