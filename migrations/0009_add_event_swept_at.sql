-- When the sweeper last rang the route queue for an unrouted event, set only once the message was sent: an event rung
-- within the resweep window is not rung again, so a slow route queue does not collect duplicate doorbells.
ALTER TABLE events ADD COLUMN swept_at INTEGER;

-- The sweeper's query (unrouted, oldest first, not swept recently, grouped by source) answered from the index alone.
-- It serves every query events_unrouted served (same predicate, same leading column), so that one goes.
CREATE INDEX events_unrouted_by_age ON events (received_at, swept_at, source_id, id) WHERE routed_at IS NULL;
DROP INDEX IF EXISTS events_unrouted;
