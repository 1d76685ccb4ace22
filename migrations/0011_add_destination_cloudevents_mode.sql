-- How a push carrying the CloudEvent itself is framed (CloudEvents HTTP binding): 'json' (application/json, the
-- framing every destination had before), 'structured' (application/cloudevents+json) or 'binary' (ce- headers, the
-- data as the body).
ALTER TABLE destinations ADD COLUMN cloudevents_mode TEXT NOT NULL DEFAULT 'json'
  CHECK (cloudevents_mode IN ('json', 'structured', 'binary'));
