-- The request each attempt sent, so an operator following an event sees where it went and how: the method, the URL
-- and the headers (a JSON object), redacted before they are written (src/domain/redact-request.ts: credentials,
-- userinfo and secret query values) and capped at 4 KiB of headers. The body is not kept: the delivery holds its
-- payload. Attempts recorded before this migration, and attempts that sent nothing, have NULL here.
ALTER TABLE attempts ADD COLUMN request_method TEXT;
ALTER TABLE attempts ADD COLUMN request_url TEXT;
ALTER TABLE attempts ADD COLUMN request_headers TEXT;
