-- roster 0021 (SQLite): RFC 9967 SCIM events. An endpoint chooses what it
-- receives: Standard Webhooks, or Security Event Tokens signed with a key
-- roster keeps.

-- format is "standard-webhooks" or "scim-events"; audience is the SET "aud"
-- of a scim-events endpoint, '' meaning its URL.
ALTER TABLE webhook_endpoints ADD COLUMN format TEXT NOT NULL DEFAULT 'standard-webhooks';
ALTER TABLE webhook_endpoints ADD COLUMN audience TEXT NOT NULL DEFAULT '';

-- webhook_signing_keys holds the keys that sign SETs, private halves
-- included. The current key has retired_at NULL, and the unique index makes
-- it one. A rotated-out key stays in the JWKS until published_until.
CREATE TABLE webhook_signing_keys (
    kid             TEXT PRIMARY KEY,
    alg             TEXT NOT NULL,
    private_key     TEXT NOT NULL,
    created_at      DATETIME NOT NULL,
    retired_at      DATETIME,
    published_until DATETIME
);
CREATE UNIQUE INDEX webhook_signing_keys_current ON webhook_signing_keys ((retired_at IS NULL)) WHERE retired_at IS NULL;
