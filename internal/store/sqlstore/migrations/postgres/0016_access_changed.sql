-- roster 0016 (PostgreSQL): the derivation of access.changed events.
--
-- access_cursors holds, per organization, how far the deriver has read the
-- event log: every event up to seq is derived, except, when after_user is
-- not empty, seq itself, whose users up to after_user (in id order) have
-- their access.changed already. It moves in the transaction that appends
-- the events, so a restart resumes exactly there; the lease keeps the
-- deriver of one instance on an organization at a time. Organizations that
-- exist now start at their last event: what happened before is not
-- re-derived.
CREATE TABLE access_cursors (
    org_id      TEXT COLLATE "C" NOT NULL PRIMARY KEY REFERENCES orgs (id) ON DELETE CASCADE,
    seq         BIGINT NOT NULL,
    after_user  TEXT COLLATE "C" NOT NULL,
    lease_owner TEXT COLLATE "C" NOT NULL,
    lease_until TIMESTAMPTZ
);
INSERT INTO access_cursors (org_id, seq, after_user, lease_owner)
    SELECT id, event_seq, '', '' FROM orgs;

-- access_deleted_members keeps the members of a deleted group until the
-- deriver has read its group.deleted: events of the group written before
-- the deletion may be derived after it, and need them. granted says
-- whether the group had grants when it was deleted, so its deletion changed
-- its members' access.
CREATE TABLE access_deleted_members (
    org_id   TEXT COLLATE "C" NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    group_id TEXT COLLATE "C" NOT NULL,
    user_id  TEXT COLLATE "C" NOT NULL,
    granted  BOOLEAN NOT NULL,
    PRIMARY KEY (org_id, group_id, user_id)
);
