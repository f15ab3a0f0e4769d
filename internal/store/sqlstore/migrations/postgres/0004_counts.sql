-- Each organization's numbers of users and groups, kept by every create and
-- delete in its own transaction (with the event counter, see
-- sqlstore.appendStamped), so an unfiltered page, a cursor page and count=0
-- read the total from one row instead of counting the directory.
ALTER TABLE orgs ADD COLUMN user_count BIGINT NOT NULL DEFAULT 0;
ALTER TABLE orgs ADD COLUMN group_count BIGINT NOT NULL DEFAULT 0;
UPDATE orgs SET
    user_count = (SELECT COUNT(*) FROM users WHERE users.org_id = orgs.id),
    group_count = (SELECT COUNT(*) FROM groups WHERE groups.org_id = orgs.id);

-- Entra and Okta filter users on active (reconciliation, "active eq
-- false"); with id last, a filtered page reads the matches in page order
-- and stops after one page.
CREATE INDEX users_active ON users (org_id, active, id);
