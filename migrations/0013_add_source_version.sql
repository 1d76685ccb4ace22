-- Bumped by every change to a source or its event types (a PATCH, a key rotation, a new event type): publishes and
-- notify calls served from a source cached in an isolate re-check it inside their commit, so a revoked key or a
-- tightened rule takes effect at once.
ALTER TABLE sources ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
