-- Unix seconds: signed links issued (iat) before it are revoked (a key rotation with revoke_links). NULL: none are.
ALTER TABLE subscribers ADD COLUMN links_not_before INTEGER;
