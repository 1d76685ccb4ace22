-- OAuth 2 tokens are now cached per owner and client secret ("{owner}:{hash}", sealed to the key). Tokens cached
-- before that carry no owner and could be sent to any destination with the same client id: they are a cache, so
-- they are dropped and fetched again on the next push.
DELETE FROM oauth_tokens;
