-- The overview's pre-aggregated counters (GET /v1/admin/stats): each stage adds to them in the same transaction as
-- the rows it commits, so the overview never scans events or deliveries. `hour` is whole hours since the epoch
-- (UTC); `metric` names the counter (src/domain/stats.ts COUNTERS) or a delivery-latency histogram bucket
-- ('latency:<b>'); `key` is the id it is counted per (a source, destination, subscriber or archive target). Rows
-- older than 35 days go in the daily retention pass.
CREATE TABLE stats_hourly (
  hour INTEGER NOT NULL,
  metric TEXT NOT NULL,
  key TEXT NOT NULL,
  count INTEGER NOT NULL,
  PRIMARY KEY (hour, metric, key)
) WITHOUT ROWID;
