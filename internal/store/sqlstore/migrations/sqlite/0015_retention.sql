-- roster 0015: event retention. events_purged_seq is the organization's
-- event horizon: the last seq deleted by retention, so the feed can tell a
-- consumer that asks for older events that they are gone instead of
-- answering with a silent gap.
ALTER TABLE orgs ADD COLUMN events_purged_seq INTEGER NOT NULL DEFAULT 0;
