-- roster 0003 (SQLite): SAML single sign-on.

-- saml_configs holds one organization's SSO configuration; the IdP
-- metadata is kept verbatim and parsed where it is used.
CREATE TABLE saml_configs (
    org_id                 TEXT PRIMARY KEY REFERENCES orgs (id) ON DELETE CASCADE,
    idp_metadata           BLOB NOT NULL,
    idp_entity_id          TEXT NOT NULL,
    metadata_url           TEXT NOT NULL,
    metadata_updated_at    DATETIME,
    sp_initiated           BOOLEAN NOT NULL,
    idp_initiated          BOOLEAN NOT NULL,
    allow_sha1             BOOLEAN NOT NULL,
    want_assertions_signed BOOLEAN NOT NULL,
    name_id_format         TEXT NOT NULL,
    link_by                TEXT NOT NULL CHECK (link_by IN ('user_name', 'external_id')),
    link_attribute         TEXT NOT NULL,
    jit_provisioning       BOOLEAN NOT NULL,
    version                INTEGER NOT NULL,
    created_at             DATETIME NOT NULL,
    updated_at             DATETIME NOT NULL
);

-- saml_requests are pending SP-initiated sign-ins, keyed by the SHA-256 of
-- their RelayState and used once.
CREATE TABLE saml_requests (
    relay_hash   BLOB PRIMARY KEY,
    org_id       TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    request_id   TEXT NOT NULL,
    browser_hash BLOB NOT NULL,
    return_to    TEXT NOT NULL,
    created_at   DATETIME NOT NULL,
    expires_at   DATETIME NOT NULL
) WITHOUT ROWID;
CREATE INDEX saml_requests_expiry ON saml_requests (expires_at);

-- saml_assertions is the replay cache: an assertion id is accepted once
-- per organization while its row lasts (until the assertion expires).
CREATE TABLE saml_assertions (
    org_id       TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    assertion_id TEXT NOT NULL,
    expires_at   DATETIME NOT NULL,
    PRIMARY KEY (org_id, assertion_id)
) WITHOUT ROWID;
CREATE INDEX saml_assertions_expiry ON saml_assertions (expires_at);

-- sso_sessions are signed-in browsers; only the SHA-256 of the session id
-- is stored. They end with their user (cascade) and on deactivation
-- (trigger below), in the transaction that makes the change.
CREATE TABLE sso_sessions (
    id_hash         BLOB PRIMARY KEY,
    org_id          TEXT NOT NULL,
    user_id         TEXT NOT NULL,
    created_at      DATETIME NOT NULL,
    last_seen_at    DATETIME NOT NULL,
    idle_expires_at DATETIME NOT NULL,
    expires_at      DATETIME NOT NULL,
    FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX sso_sessions_user ON sso_sessions (org_id, user_id);
CREATE INDEX sso_sessions_expiry ON sso_sessions (expires_at);
CREATE INDEX sso_sessions_idle ON sso_sessions (idle_expires_at);

CREATE TRIGGER sso_sessions_end_on_deactivation
AFTER UPDATE OF active ON users
FOR EACH ROW WHEN NOT NEW.active
BEGIN
    DELETE FROM sso_sessions WHERE org_id = NEW.org_id AND user_id = NEW.id;
END;
