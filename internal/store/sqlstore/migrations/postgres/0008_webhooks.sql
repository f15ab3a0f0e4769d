-- roster 0008 (PostgreSQL): webhook endpoints, their cursors, leases and
-- delivery log.

-- webhook_endpoints holds each endpoint with its delivery state: cursor_seq
-- is the last event delivered (it advances only after a 2xx), and the
-- lease columns say which dispatcher is delivering to it until when, so
-- several instances share the work and a lost instance's endpoints are
-- taken over once its lease runs out.
CREATE TABLE webhook_endpoints (
    org_id                TEXT COLLATE "C" NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    id                    TEXT COLLATE "C" NOT NULL,
    url                   TEXT COLLATE "C" NOT NULL,
    description           TEXT NOT NULL,
    event_types           TEXT COLLATE "C" NOT NULL,
    enabled               BOOLEAN NOT NULL,
    disabled_reason       TEXT NOT NULL,
    secret                TEXT COLLATE "C" NOT NULL,
    previous_secret       TEXT COLLATE "C" NOT NULL,
    previous_secret_until TIMESTAMPTZ,
    cursor_seq            BIGINT NOT NULL,
    attempts              INTEGER NOT NULL,
    next_attempt_at       TIMESTAMPTZ,
    failing_since         TIMESTAMPTZ,
    lease_owner           TEXT COLLATE "C" NOT NULL,
    lease_until           TIMESTAMPTZ,
    version               BIGINT NOT NULL,
    created_at            TIMESTAMPTZ NOT NULL,
    updated_at            TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (org_id, id)
);
CREATE INDEX webhook_endpoints_enabled ON webhook_endpoints (enabled, next_attempt_at);

CREATE TABLE webhook_deliveries (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id      TEXT COLLATE "C" NOT NULL,
    endpoint_id TEXT COLLATE "C" NOT NULL,
    seq         BIGINT NOT NULL,
    event_type  TEXT COLLATE "C" NOT NULL,
    attempt     INTEGER NOT NULL,
    redelivery  BOOLEAN NOT NULL,
    at          TIMESTAMPTZ NOT NULL,
    status      INTEGER NOT NULL,
    error       TEXT NOT NULL,
    latency_us  BIGINT NOT NULL,
    response    TEXT NOT NULL,
    FOREIGN KEY (org_id, endpoint_id) REFERENCES webhook_endpoints (org_id, id) ON DELETE CASCADE
);
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (org_id, endpoint_id, id);
