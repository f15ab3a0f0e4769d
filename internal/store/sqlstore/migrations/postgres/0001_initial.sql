-- roster initial schema (PostgreSQL). Text columns use the "C" collation so
-- that ordering and range scans compare bytes, exactly as SQLite does.

CREATE TABLE orgs (
    id          TEXT COLLATE "C" PRIMARY KEY,
    name        TEXT COLLATE "C" NOT NULL,
    plan        TEXT COLLATE "C" NOT NULL CHECK (plan IN ('free', 'enterprise')),
    allow_members_create_workspaces BOOLEAN NOT NULL DEFAULT TRUE,
    group_removal TEXT COLLATE "C" NOT NULL DEFAULT 'revoke' CHECK (group_removal IN ('revoke', 'keep')),
    -- event_seq is the last event number used; bumping it inside each write
    -- transaction numbers the organization's events without gaps.
    event_seq   BIGINT NOT NULL DEFAULT 0,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE tokens (
    id           TEXT COLLATE "C" PRIMARY KEY,
    org_id       TEXT COLLATE "C" NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    kind         TEXT COLLATE "C" NOT NULL CHECK (kind IN ('scim', 'api')),
    name         TEXT COLLATE "C" NOT NULL,
    secret_hash  BYTEA NOT NULL,
    hint         TEXT COLLATE "C" NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    last_used_at TIMESTAMPTZ,
    revoked_at   TIMESTAMPTZ
);
CREATE INDEX tokens_org ON tokens (org_id, kind, created_at);

CREATE TABLE events (
    org_id       TEXT COLLATE "C" NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    seq          BIGINT NOT NULL,
    type         TEXT COLLATE "C" NOT NULL,
    actor_kind   TEXT COLLATE "C" NOT NULL,
    actor_id     TEXT COLLATE "C" NOT NULL,
    actor_name   TEXT COLLATE "C" NOT NULL,
    subject_type TEXT COLLATE "C" NOT NULL,
    subject_id   TEXT COLLATE "C" NOT NULL,
    data         TEXT,
    created_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (org_id, seq)
);

CREATE TABLE users (
    org_id           TEXT COLLATE "C" NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    id               TEXT COLLATE "C" NOT NULL,
    user_name        TEXT COLLATE "C" NOT NULL,
    user_name_key    TEXT COLLATE "C" NOT NULL,
    external_id      TEXT COLLATE "C",
    display_name     TEXT COLLATE "C",
    display_name_key TEXT COLLATE "C",
    active           BOOLEAN NOT NULL,
    attributes       TEXT NOT NULL,
    version          BIGINT NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (org_id, id)
);
CREATE UNIQUE INDEX users_user_name ON users (org_id, user_name_key);
CREATE INDEX users_external_id ON users (org_id, external_id);
CREATE INDEX users_display_name ON users (org_id, display_name_key);

-- user_values indexes every user attribute value that has no column, so
-- any filter compiles to indexed SQL: one row per leaf value.
CREATE TABLE user_values (
    org_id  TEXT COLLATE "C" NOT NULL,
    user_id TEXT COLLATE "C" NOT NULL,
    attr    TEXT COLLATE "C" NOT NULL,
    elem    INTEGER NOT NULL,
    sub     TEXT COLLATE "C" NOT NULL,
    str     TEXT COLLATE "C" NOT NULL,
    fold    TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (org_id, user_id, attr, elem, sub),
    FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id) ON DELETE CASCADE
);
CREATE INDEX user_values_fold ON user_values (org_id, attr, sub, fold);

CREATE TABLE groups (
    org_id           TEXT COLLATE "C" NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    id               TEXT COLLATE "C" NOT NULL,
    display_name     TEXT COLLATE "C" NOT NULL,
    display_name_key TEXT COLLATE "C" NOT NULL,
    external_id      TEXT COLLATE "C",
    member_count     BIGINT NOT NULL DEFAULT 0,
    version          BIGINT NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (org_id, id)
);
CREATE INDEX groups_display_name ON groups (org_id, display_name_key);
CREATE INDEX groups_external_id ON groups (org_id, external_id);

-- Memberships are rows, never a list rewritten per change.
CREATE TABLE group_members (
    org_id     TEXT COLLATE "C" NOT NULL,
    group_id   TEXT COLLATE "C" NOT NULL,
    user_id    TEXT COLLATE "C" NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (org_id, group_id, user_id),
    FOREIGN KEY (org_id, group_id) REFERENCES groups (org_id, id) ON DELETE CASCADE,
    FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id) ON DELETE CASCADE
);
CREATE INDEX group_members_user ON group_members (org_id, user_id, group_id);

CREATE TABLE workspaces (
    org_id     TEXT COLLATE "C" NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    id         TEXT COLLATE "C" NOT NULL,
    name       TEXT COLLATE "C" NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (org_id, id)
);

CREATE TABLE folders (
    org_id       TEXT COLLATE "C" NOT NULL,
    id           TEXT COLLATE "C" NOT NULL,
    workspace_id TEXT COLLATE "C" NOT NULL,
    name         TEXT COLLATE "C" NOT NULL,
    is_home      BOOLEAN NOT NULL DEFAULT FALSE,
    team_access  TEXT COLLATE "C" NOT NULL DEFAULT 'workspace' CHECK (team_access IN ('workspace', 'invite_only')),
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, workspace_id) REFERENCES workspaces (org_id, id) ON DELETE CASCADE
);
CREATE INDEX folders_workspace ON folders (org_id, workspace_id);
CREATE UNIQUE INDEX folders_home ON folders (org_id, workspace_id) WHERE is_home;

-- grants give a group a role on a workspace or an invite-only folder.
CREATE TABLE grants (
    org_id        TEXT COLLATE "C" NOT NULL,
    resource_type TEXT COLLATE "C" NOT NULL CHECK (resource_type IN ('workspace', 'folder')),
    resource_id   TEXT COLLATE "C" NOT NULL,
    group_id      TEXT COLLATE "C" NOT NULL,
    role          TEXT COLLATE "C" NOT NULL CHECK (role IN ('editor', 'checker', 'viewer')),
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (org_id, resource_type, resource_id, group_id),
    FOREIGN KEY (org_id, group_id) REFERENCES groups (org_id, id) ON DELETE CASCADE
);
CREATE INDEX grants_group ON grants (org_id, group_id);

-- resource_members are direct memberships of a workspace or folder, one row
-- per origin ("group:<id>", "invited", "owner").
CREATE TABLE resource_members (
    org_id        TEXT COLLATE "C" NOT NULL,
    resource_type TEXT COLLATE "C" NOT NULL CHECK (resource_type IN ('workspace', 'folder')),
    resource_id   TEXT COLLATE "C" NOT NULL,
    user_id       TEXT COLLATE "C" NOT NULL,
    origin        TEXT COLLATE "C" NOT NULL,
    role          TEXT COLLATE "C" NOT NULL CHECK (role IN ('editor', 'checker', 'viewer')),
    created_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (org_id, resource_type, resource_id, user_id, origin),
    FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id) ON DELETE CASCADE
);
CREATE INDEX resource_members_user ON resource_members (org_id, user_id);

-- org_roles makes users owners or admins of their organization.
CREATE TABLE org_roles (
    org_id     TEXT COLLATE "C" NOT NULL,
    user_id    TEXT COLLATE "C" NOT NULL,
    role       TEXT COLLATE "C" NOT NULL CHECK (role IN ('owner', 'admin')),
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (org_id, user_id),
    FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id) ON DELETE CASCADE
);
