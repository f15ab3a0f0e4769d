-- roster 0020: the provisioning log, one row per SCIM request an
-- organization's token made: what an IT admin reads first when Okta or
-- Entra reports an error. Bodies are stored redacted and cut short, and
-- only where they help (writes and failures); rows expire (retention).
CREATE TABLE request_log (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id      TEXT COLLATE "C" NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    at          TIMESTAMPTZ NOT NULL,
    token_id    TEXT NOT NULL,
    token_name  TEXT NOT NULL,
    method      TEXT NOT NULL,
    path        TEXT NOT NULL,
    resource    TEXT NOT NULL,
    status      INTEGER NOT NULL,
    scim_type   TEXT NOT NULL,
    detail      TEXT NOT NULL,
    latency_us  BIGINT NOT NULL,
    request     TEXT NOT NULL,
    response    TEXT NOT NULL,
    client      TEXT NOT NULL
);
CREATE INDEX request_log_org ON request_log (org_id, id);
CREATE INDEX request_log_at ON request_log (at);
-- "Failed requests only" is what an admin asks for most, and failures are
-- rare among an Entra cycle's lookups: index them alone.
CREATE INDEX request_log_failed ON request_log (org_id, id) WHERE status >= 400;
