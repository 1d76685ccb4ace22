-- One table shaped like the smallest useful event store: an id, a received time and a ~1 KB JSON body.
CREATE TABLE rows (
  id TEXT PRIMARY KEY,
  received_at INTEGER NOT NULL,
  body TEXT NOT NULL
);
