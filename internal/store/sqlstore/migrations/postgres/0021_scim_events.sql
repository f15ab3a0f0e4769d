-- roster 0021 (PostgreSQL): RFC 9967 SCIM events. An endpoint chooses what
-- it receives: Standard Webhooks, or Security Event Tokens signed with a
-- key every instance shares.

-- format is "standard-webhooks" or "scim-events"; audience is the SET "aud"
-- of a scim-events endpoint, '' meaning its URL.
ALTER TABLE webhook_endpoints ADD COLUMN format TEXT COLLATE "C" NOT NULL DEFAULT 'standard-webhooks';
ALTER TABLE webhook_endpoints ADD COLUMN audience TEXT COLLATE "C" NOT NULL DEFAULT '';

-- webhook_signing_keys holds the keys that sign SETs, private halves
-- included, since every instance signs with them. The current key has
-- retired_at NULL, and the unique index makes it one: the first instance
-- to start inserts it, the others find it there. A rotated-out key stays in
-- the JWKS until published_until, so receivers that cached it still verify.
CREATE TABLE webhook_signing_keys (
    kid             TEXT COLLATE "C" PRIMARY KEY,
    alg             TEXT COLLATE "C" NOT NULL,
    private_key     TEXT COLLATE "C" NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    retired_at      TIMESTAMPTZ,
    published_until TIMESTAMPTZ
);
CREATE UNIQUE INDEX webhook_signing_keys_current ON webhook_signing_keys ((retired_at IS NULL)) WHERE retired_at IS NULL;
