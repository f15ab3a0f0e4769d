-- roster 0019 (SQLite): the sign-in hand-off to the host app, verified
-- domains, and a bounded sign-in log.

-- state is what the host app passed to /login, returned unchanged in the
-- hand-off. The (org_id, expires_at) index serves the per-organization cap
-- on pending requests.
ALTER TABLE saml_requests ADD COLUMN state TEXT NOT NULL DEFAULT '';
CREATE INDEX saml_requests_org ON saml_requests (org_id, expires_at);

-- sso_handoffs are one-time codes handed to the host app after a sign-in,
-- keyed by the SHA-256 of the code (the code itself is never stored) and
-- deleted when redeemed. joined is a JSON array of what the sign-in joined.
CREATE TABLE sso_handoffs (
    code_hash  BLOB PRIMARY KEY,
    org_id     TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    state      TEXT NOT NULL,
    method     TEXT NOT NULL,
    joined     TEXT NOT NULL,
    created_at DATETIME NOT NULL,
    expires_at DATETIME NOT NULL,
    FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX sso_handoffs_expiry ON sso_handoffs (expires_at);

-- org_domains are the e-mail domains an organization has verified; the
-- primary key makes a domain belong to one organization at most.
CREATE TABLE org_domains (
    domain     TEXT PRIMARY KEY,
    org_id     TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    created_at DATETIME NOT NULL
) WITHOUT ROWID;
CREATE INDEX org_domains_org ON org_domains (org_id, domain);

-- sso_sign_ins is the sign-in log: successes and (a bounded sample of)
-- refusals with their detail. It is bookkeeping, not the event log: rows
-- expire and each organization keeps a bounded number.
CREATE TABLE sso_sign_ins (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id  TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    at      DATETIME NOT NULL,
    outcome TEXT NOT NULL CHECK (outcome IN ('success', 'refused')),
    method  TEXT NOT NULL,
    reason  TEXT NOT NULL,
    detail  TEXT NOT NULL,
    user_id TEXT NOT NULL,
    name_id TEXT NOT NULL
);
CREATE INDEX sso_sign_ins_org ON sso_sign_ins (org_id, id);
CREATE INDEX sso_sign_ins_at ON sso_sign_ins (at);

-- sso_refusal_windows count refused sign-ins per organization, reason and
-- minute, so that a flood of refusals costs the event log one event per
-- window and a summary, not one event each.
CREATE TABLE sso_refusal_windows (
    org_id       TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    reason       TEXT NOT NULL,
    window_start DATETIME NOT NULL,
    count        INTEGER NOT NULL,
    PRIMARY KEY (org_id, reason, window_start)
) WITHOUT ROWID;
CREATE INDEX sso_refusal_windows_start ON sso_refusal_windows (window_start);
