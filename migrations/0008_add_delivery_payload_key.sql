-- A built payload too big for a row (over 32 KiB) lives in R2 under payloads/{dlv_id}.json, as event bodies do; the
-- row keeps the key. A deliver-stage replay copy points at the same object, so an object is deleted only with the
-- last delivery of its event that references it (see src/db/retention.ts).
ALTER TABLE deliveries ADD COLUMN payload_key TEXT;
