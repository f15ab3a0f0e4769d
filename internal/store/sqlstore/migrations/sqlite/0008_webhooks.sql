-- roster 0008 (SQLite): webhook endpoints, their cursors, leases and
-- delivery log. One process serves SQLite, so the lease columns only keep
-- its own dispatcher's workers apart.

-- webhook_endpoints holds each endpoint with its delivery state: cursor_seq
-- is the last event delivered (it advances only after a 2xx).
CREATE TABLE webhook_endpoints (
    org_id                TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    id                    TEXT NOT NULL,
    url                   TEXT NOT NULL,
    description           TEXT NOT NULL,
    event_types           TEXT NOT NULL,
    enabled               BOOLEAN NOT NULL,
    disabled_reason       TEXT NOT NULL,
    secret                TEXT NOT NULL,
    previous_secret       TEXT NOT NULL,
    previous_secret_until DATETIME,
    cursor_seq            INTEGER NOT NULL,
    attempts              INTEGER NOT NULL,
    next_attempt_at       DATETIME,
    failing_since         DATETIME,
    lease_owner           TEXT NOT NULL,
    lease_until           DATETIME,
    version               INTEGER NOT NULL,
    created_at            DATETIME NOT NULL,
    updated_at            DATETIME NOT NULL,
    PRIMARY KEY (org_id, id)
);
CREATE INDEX webhook_endpoints_enabled ON webhook_endpoints (enabled, next_attempt_at);

CREATE TABLE webhook_deliveries (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id      TEXT NOT NULL,
    endpoint_id TEXT NOT NULL,
    seq         INTEGER NOT NULL,
    event_type  TEXT NOT NULL,
    attempt     INTEGER NOT NULL,
    redelivery  BOOLEAN NOT NULL,
    at          DATETIME NOT NULL,
    status      INTEGER NOT NULL,
    error       TEXT NOT NULL,
    latency_us  INTEGER NOT NULL,
    response    TEXT NOT NULL,
    FOREIGN KEY (org_id, endpoint_id) REFERENCES webhook_endpoints (org_id, id) ON DELETE CASCADE
);
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (org_id, endpoint_id, id);
