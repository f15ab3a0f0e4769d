-- roster 0007 (SQLite): the owners' console: setup links and sessions.

-- console_links are single-use setup links; only the SHA-256 of each
-- link's secret is stored.
CREATE TABLE console_links (
    id              TEXT PRIMARY KEY,
    org_id          TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    secret_hash     BLOB NOT NULL,
    hint            TEXT NOT NULL,
    created_by_kind TEXT NOT NULL,
    created_by_id   TEXT NOT NULL,
    created_by_name TEXT NOT NULL,
    created_at      DATETIME NOT NULL,
    expires_at      DATETIME NOT NULL,
    used_at         DATETIME,
    revoked_at      DATETIME
);
CREATE INDEX console_links_org ON console_links (org_id, created_at);

-- console_sessions are browsers signed into a console; only the SHA-256
-- of the session id is stored.
CREATE TABLE console_sessions (
    id_hash         BLOB PRIMARY KEY,
    org_id          TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    actor_kind      TEXT NOT NULL,
    actor_id        TEXT NOT NULL,
    actor_name      TEXT NOT NULL,
    created_at      DATETIME NOT NULL,
    last_seen_at    DATETIME NOT NULL,
    idle_expires_at DATETIME NOT NULL,
    expires_at      DATETIME NOT NULL
) WITHOUT ROWID;
CREATE INDEX console_sessions_expiry ON console_sessions (expires_at);
