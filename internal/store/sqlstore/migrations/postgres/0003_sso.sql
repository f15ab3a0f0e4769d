-- roster 0003 (PostgreSQL): SAML single sign-on.

-- saml_configs holds one organization's SSO configuration; the IdP
-- metadata is kept verbatim and parsed where it is used.
CREATE TABLE saml_configs (
    org_id                 TEXT COLLATE "C" PRIMARY KEY REFERENCES orgs (id) ON DELETE CASCADE,
    idp_metadata           BYTEA NOT NULL,
    idp_entity_id          TEXT COLLATE "C" NOT NULL,
    metadata_url           TEXT COLLATE "C" NOT NULL,
    metadata_updated_at    TIMESTAMPTZ,
    sp_initiated           BOOLEAN NOT NULL,
    idp_initiated          BOOLEAN NOT NULL,
    allow_sha1             BOOLEAN NOT NULL,
    want_assertions_signed BOOLEAN NOT NULL,
    name_id_format         TEXT COLLATE "C" NOT NULL,
    link_by                TEXT COLLATE "C" NOT NULL CHECK (link_by IN ('user_name', 'external_id')),
    link_attribute         TEXT COLLATE "C" NOT NULL,
    jit_provisioning       BOOLEAN NOT NULL,
    version                BIGINT NOT NULL,
    created_at             TIMESTAMPTZ NOT NULL,
    updated_at             TIMESTAMPTZ NOT NULL
);

-- saml_requests are pending SP-initiated sign-ins, keyed by the SHA-256 of
-- their RelayState and used once.
CREATE TABLE saml_requests (
    relay_hash   BYTEA PRIMARY KEY,
    org_id       TEXT COLLATE "C" NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    request_id   TEXT COLLATE "C" NOT NULL,
    browser_hash BYTEA NOT NULL,
    return_to    TEXT COLLATE "C" NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    expires_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX saml_requests_expiry ON saml_requests (expires_at);

-- saml_assertions is the replay cache: an assertion id is accepted once
-- per organization while its row lasts (until the assertion expires).
CREATE TABLE saml_assertions (
    org_id       TEXT COLLATE "C" NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    assertion_id TEXT COLLATE "C" NOT NULL,
    expires_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (org_id, assertion_id)
);
CREATE INDEX saml_assertions_expiry ON saml_assertions (expires_at);

-- sso_sessions are signed-in browsers; only the SHA-256 of the session id
-- is stored. They end with their user (cascade) and on deactivation
-- (trigger below), in the transaction that makes the change.
CREATE TABLE sso_sessions (
    id_hash         BYTEA PRIMARY KEY,
    org_id          TEXT COLLATE "C" NOT NULL,
    user_id         TEXT COLLATE "C" NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    last_seen_at    TIMESTAMPTZ NOT NULL,
    idle_expires_at TIMESTAMPTZ NOT NULL,
    expires_at      TIMESTAMPTZ NOT NULL,
    FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id) ON DELETE CASCADE
);
CREATE INDEX sso_sessions_user ON sso_sessions (org_id, user_id);
CREATE INDEX sso_sessions_expiry ON sso_sessions (expires_at);
CREATE INDEX sso_sessions_idle ON sso_sessions (idle_expires_at);

CREATE FUNCTION sso_sessions_end_on_deactivation() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM sso_sessions WHERE org_id = NEW.org_id AND user_id = NEW.id;
    RETURN NULL;
END;
$$;

CREATE TRIGGER sso_sessions_end_on_deactivation
AFTER UPDATE OF active ON users
FOR EACH ROW WHEN (OLD.active AND NOT NEW.active)
EXECUTE FUNCTION sso_sessions_end_on_deactivation();
