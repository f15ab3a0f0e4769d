-- roster 0002 (PostgreSQL): instance-level admin keys.
--
-- Admin keys create organizations, so they belong to none: they live in a
-- table of their own rather than in tokens, whose rows each belong to an
-- organization and to its event log. Like every token, only the SHA-256
-- hash of the secret is stored.
CREATE TABLE admin_tokens (
    id           TEXT COLLATE "C" PRIMARY KEY,
    name         TEXT COLLATE "C" NOT NULL,
    secret_hash  BYTEA NOT NULL,
    hint         TEXT COLLATE "C" NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    last_used_at TIMESTAMPTZ,
    revoked_at   TIMESTAMPTZ
);

