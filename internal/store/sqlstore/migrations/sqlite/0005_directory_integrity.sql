-- roster 0005 (SQLite): group names unique per organization; the manager
-- of a user is a reference to another user of the same organization.

-- A group's displayName is unique per organization, compared folded (the
-- key is folded in Go, so both engines fold alike). Groups that already
-- share a folded name keep the oldest (lowest id) as it is; every other
-- one gets " (<its id>)" appended and a new version, so the upgrade loses
-- no group and the index can be created.
UPDATE groups
SET display_name = display_name || ' (' || id || ')',
    display_name_key = display_name_key || ' (' || lower(id) || ')',
    version = version + 1
WHERE EXISTS (SELECT 1 FROM groups o
              WHERE o.org_id = groups.org_id AND o.display_name_key = groups.display_name_key AND o.id < groups.id);
DROP INDEX groups_display_name;
CREATE UNIQUE INDEX groups_display_name ON groups (org_id, display_name_key);

-- manager_id names the user's manager (enterprise extension manager.value),
-- always a user of the same organization: the store checks it inside each
-- write transaction (SQLite runs one writer at a time) and clears it when
-- the manager is deleted. Responses take it from here, not from the
-- stored document.
ALTER TABLE users ADD COLUMN manager_id TEXT;
CREATE INDEX users_manager ON users (org_id, manager_id) WHERE manager_id IS NOT NULL;

-- Deleting a group finds the memberships joined through it by origin.
CREATE INDEX resource_members_origin ON resource_members (org_id, origin);

-- Users provisioned before this migration kept manager in their document,
-- unchecked: a manager that is a user of the same organization becomes the
-- reference, anything else (another organization's id, a stale one) is
-- dropped; the value index keeps manager.value only for a reference.
UPDATE users
SET manager_id = (SELECT m.id FROM users m
                  WHERE m.org_id = users.org_id
                    AND m.id = json_extract(users.attributes, '$."urn:ietf:params:scim:schemas:extension:enterprise:2.0:User".manager.value'))
WHERE json_valid(attributes)
  AND json_extract(attributes, '$."urn:ietf:params:scim:schemas:extension:enterprise:2.0:User".manager.value') IS NOT NULL;
DELETE FROM user_values WHERE attr = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:user:manager';
INSERT INTO user_values (org_id, user_id, attr, elem, sub, str, fold)
SELECT org_id, id, 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:user:manager', 0, 'value', manager_id, lower(manager_id)
FROM users WHERE manager_id IS NOT NULL;
