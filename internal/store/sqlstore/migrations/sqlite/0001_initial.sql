-- roster initial schema (SQLite). Times are UTC text with microseconds in a
-- fixed format, so text order is time order. Booleans are 0/1.

CREATE TABLE orgs (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    plan        TEXT NOT NULL CHECK (plan IN ('free', 'enterprise')),
    allow_members_create_workspaces BOOLEAN NOT NULL DEFAULT 1,
    group_removal TEXT NOT NULL DEFAULT 'revoke' CHECK (group_removal IN ('revoke', 'keep')),
    -- event_seq is the last event number used; bumping it inside each write
    -- transaction numbers the organization's events without gaps.
    event_seq   INTEGER NOT NULL DEFAULT 0,
    created_at  DATETIME NOT NULL,
    updated_at  DATETIME NOT NULL
);

CREATE TABLE tokens (
    id           TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    kind         TEXT NOT NULL CHECK (kind IN ('scim', 'api')),
    name         TEXT NOT NULL,
    secret_hash  BLOB NOT NULL,
    hint         TEXT NOT NULL,
    created_at   DATETIME NOT NULL,
    last_used_at DATETIME,
    revoked_at   DATETIME
);
CREATE INDEX tokens_org ON tokens (org_id, kind, created_at);

CREATE TABLE events (
    org_id       TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    seq          INTEGER NOT NULL,
    type         TEXT NOT NULL,
    actor_kind   TEXT NOT NULL,
    actor_id     TEXT NOT NULL,
    actor_name   TEXT NOT NULL,
    subject_type TEXT NOT NULL,
    subject_id   TEXT NOT NULL,
    data         TEXT,
    created_at   DATETIME NOT NULL,
    PRIMARY KEY (org_id, seq)
) WITHOUT ROWID;

CREATE TABLE users (
    org_id           TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    id               TEXT NOT NULL,
    user_name        TEXT NOT NULL,
    user_name_key    TEXT NOT NULL,
    external_id      TEXT,
    display_name     TEXT,
    display_name_key TEXT,
    active           BOOLEAN NOT NULL,
    attributes       TEXT NOT NULL,
    version          INTEGER NOT NULL,
    created_at       DATETIME NOT NULL,
    updated_at       DATETIME NOT NULL,
    PRIMARY KEY (org_id, id)
);
CREATE UNIQUE INDEX users_user_name ON users (org_id, user_name_key);
CREATE INDEX users_external_id ON users (org_id, external_id);
CREATE INDEX users_display_name ON users (org_id, display_name_key);

-- user_values indexes every user attribute value that has no column, so
-- any filter compiles to indexed SQL: one row per leaf value.
CREATE TABLE user_values (
    org_id  TEXT NOT NULL,
    user_id TEXT NOT NULL,
    attr    TEXT NOT NULL,
    elem    INTEGER NOT NULL,
    sub     TEXT NOT NULL,
    str     TEXT NOT NULL,
    fold    TEXT NOT NULL,
    PRIMARY KEY (org_id, user_id, attr, elem, sub),
    FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX user_values_fold ON user_values (org_id, attr, sub, fold);

CREATE TABLE groups (
    org_id           TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    id               TEXT NOT NULL,
    display_name     TEXT NOT NULL,
    display_name_key TEXT NOT NULL,
    external_id      TEXT,
    member_count     INTEGER NOT NULL DEFAULT 0,
    version          INTEGER NOT NULL,
    created_at       DATETIME NOT NULL,
    updated_at       DATETIME NOT NULL,
    PRIMARY KEY (org_id, id)
);
CREATE INDEX groups_display_name ON groups (org_id, display_name_key);
CREATE INDEX groups_external_id ON groups (org_id, external_id);

-- Memberships are rows, never a list rewritten per change.
CREATE TABLE group_members (
    org_id     TEXT NOT NULL,
    group_id   TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    created_at DATETIME NOT NULL,
    PRIMARY KEY (org_id, group_id, user_id),
    FOREIGN KEY (org_id, group_id) REFERENCES groups (org_id, id) ON DELETE CASCADE,
    FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX group_members_user ON group_members (org_id, user_id, group_id);

CREATE TABLE workspaces (
    org_id     TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    id         TEXT NOT NULL,
    name       TEXT NOT NULL,
    created_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL,
    PRIMARY KEY (org_id, id)
);

CREATE TABLE folders (
    org_id       TEXT NOT NULL,
    id           TEXT NOT NULL,
    workspace_id TEXT NOT NULL,
    name         TEXT NOT NULL,
    is_home      BOOLEAN NOT NULL DEFAULT 0,
    team_access  TEXT NOT NULL DEFAULT 'workspace' CHECK (team_access IN ('workspace', 'invite_only')),
    created_at   DATETIME NOT NULL,
    updated_at   DATETIME NOT NULL,
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, workspace_id) REFERENCES workspaces (org_id, id) ON DELETE CASCADE
);
CREATE INDEX folders_workspace ON folders (org_id, workspace_id);
CREATE UNIQUE INDEX folders_home ON folders (org_id, workspace_id) WHERE is_home;

-- grants give a group a role on a workspace or an invite-only folder.
CREATE TABLE grants (
    org_id        TEXT NOT NULL,
    resource_type TEXT NOT NULL CHECK (resource_type IN ('workspace', 'folder')),
    resource_id   TEXT NOT NULL,
    group_id      TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('editor', 'checker', 'viewer')),
    created_at    DATETIME NOT NULL,
    updated_at    DATETIME NOT NULL,
    PRIMARY KEY (org_id, resource_type, resource_id, group_id),
    FOREIGN KEY (org_id, group_id) REFERENCES groups (org_id, id) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX grants_group ON grants (org_id, group_id);

-- resource_members are direct memberships of a workspace or folder, one row
-- per origin ("group:<id>", "invited", "owner").
CREATE TABLE resource_members (
    org_id        TEXT NOT NULL,
    resource_type TEXT NOT NULL CHECK (resource_type IN ('workspace', 'folder')),
    resource_id   TEXT NOT NULL,
    user_id       TEXT NOT NULL,
    origin        TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('editor', 'checker', 'viewer')),
    created_at    DATETIME NOT NULL,
    PRIMARY KEY (org_id, resource_type, resource_id, user_id, origin),
    FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX resource_members_user ON resource_members (org_id, user_id);

-- org_roles makes users owners or admins of their organization.
CREATE TABLE org_roles (
    org_id     TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    role       TEXT NOT NULL CHECK (role IN ('owner', 'admin')),
    created_at DATETIME NOT NULL,
    PRIMARY KEY (org_id, user_id),
    FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id) ON DELETE CASCADE
) WITHOUT ROWID;
