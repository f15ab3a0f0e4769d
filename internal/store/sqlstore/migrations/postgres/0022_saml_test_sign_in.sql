-- roster 0022 (PostgreSQL): the console's Test sign-in.

-- test marks a pending request started by an owner's Test sign-in on the
-- console's SAML page: its response is validated and matched as usual but
-- starts no session and is handed to no host app.
ALTER TABLE saml_requests ADD COLUMN test BOOLEAN NOT NULL DEFAULT FALSE;

-- saml_test_results hold what a test sign-in's response said and what roster
-- made of it, keyed by the AuthnRequest id, for the console to show; they
-- expire after an hour. attributes is a JSON object of string arrays.
CREATE TABLE saml_test_results (
    org_id         TEXT COLLATE "C" NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    request_id     TEXT COLLATE "C" NOT NULL,
    outcome        TEXT NOT NULL CHECK (outcome IN ('success', 'refused')),
    reason         TEXT NOT NULL,
    detail         TEXT NOT NULL,
    name_id        TEXT NOT NULL,
    name_id_format TEXT NOT NULL,
    attributes     TEXT NOT NULL,
    user_id        TEXT COLLATE "C" NOT NULL,
    would_create   BOOLEAN NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL,
    expires_at     TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (org_id, request_id)
);
CREATE INDEX saml_test_results_expiry ON saml_test_results (expires_at);
