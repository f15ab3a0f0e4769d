-- roster 0002 (SQLite): instance-level admin keys.
--
-- Admin keys create organizations, so they belong to none: they live in a
-- table of their own rather than in tokens, whose rows each belong to an
-- organization and to its event log. Like every token, only the SHA-256
-- hash of the secret is stored.
CREATE TABLE admin_tokens (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    secret_hash  BLOB NOT NULL,
    hint         TEXT NOT NULL,
    created_at   DATETIME NOT NULL,
    last_used_at DATETIME,
    revoked_at   DATETIME
);

