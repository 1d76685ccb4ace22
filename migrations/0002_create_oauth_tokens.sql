-- OAuth 2 client-credentials tokens shared by every isolate, so a burst of pushes asks the token endpoint once.
-- cache_key is the sha256 of (token_url, client_id, scope, audience); the token is AES-GCM encrypted like other
-- reusable credentials.
CREATE TABLE oauth_tokens (
  cache_key TEXT PRIMARY KEY,
  token_enc TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  refresh_at INTEGER NOT NULL
);
