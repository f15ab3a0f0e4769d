package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/rosterhq/roster/internal/store"
)

const groupColumns = `g.id, g.display_name, g.external_id, g.member_count, g.version, g.created_at, g.updated_at`

func scanGroup(orgID string, row scanner) (store.Group, error) {
	g := store.Group{OrgID: orgID}
	var ext sql.NullString
	err := row.Scan(&g.ID, &g.DisplayName, &ext, &g.MemberCount, &g.Version, &g.CreatedAt, &g.UpdatedAt)
	g.ExternalID = ext.String
	g.CreatedAt, g.UpdatedAt = g.CreatedAt.UTC(), g.UpdatedAt.UTC()
	return g, err
}

// batch is how many ids go into one IN list or multi-row insert.
const batch = 500

// CreateGroup stores a new group with its initial members.
func (s *DB) CreateGroup(ctx context.Context, actor store.Actor, g store.Group, members []string) (store.Group, error) {
	if g.ID == "" || g.DisplayName == "" {
		return store.Group{}, store.Invalidf("a group needs an id and a displayName")
	}
	members = dedupe(members)
	err := s.write(ctx, actor, g.OrgID, func(t *tx) error {
		g.Version, g.CreatedAt, g.UpdatedAt, g.MemberCount = 1, t.now, t.now, 0
		_, err := t.ExecContext(ctx, `INSERT INTO groups (org_id, id, display_name, display_name_key, external_id,
			member_count, version, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, 0, 1, $6, $6)`,
			g.OrgID, g.ID, g.DisplayName, store.Fold(g.DisplayName), nullStr(g.ExternalID), s.t(t.now))
		switch {
		case isGroupNameClash(s, err):
			return &store.ConflictError{Field: "displayName", Value: g.DisplayName}
		case s.d.IsUnique(err):
			return &store.ConflictError{Field: "id", Value: g.ID}
		case s.d.IsForeignKey(err):
			return fmt.Errorf("organization %s: %w", g.OrgID, store.ErrNotFound)
		case err != nil:
			return err
		}
		t.counts.groups++
		t.emit("group.created", "group", g.ID, groupEventData(g))
		added, err := t.addMembers(ctx, g.OrgID, g.ID, members)
		if err != nil {
			return err
		}
		if len(added) > 0 {
			g.MemberCount = int64(len(added))
			if _, err := t.ExecContext(ctx, `UPDATE groups SET member_count = $3 WHERE org_id = $1 AND id = $2`,
				g.OrgID, g.ID, g.MemberCount); err != nil {
				return err
			}
			t.emit("group.members_added", "group", g.ID, map[string]any{"users": added})
		}
		return nil
	})
	if err != nil {
		return store.Group{}, fmt.Errorf("create group %q: %w", g.DisplayName, err)
	}
	return g, nil
}

// isGroupNameClash reports a violation of the unique index on a group's
// folded name (groups_display_name, migration 0005), as opposed to one of
// the primary key: both engines name the index or its column. The index
// alone decides, so writes that race, on one instance or several, cannot
// both take a name.
func isGroupNameClash(s *DB, err error) bool {
	return err != nil && s.d.IsUnique(err) && strings.Contains(err.Error(), "display_name")
}

func groupEventData(g store.Group) map[string]any {
	d := map[string]any{"displayName": g.DisplayName}
	if g.ExternalID != "" {
		d["externalId"] = g.ExternalID
	}
	return d
}

func dedupe(ids []string) []string {
	if len(ids) < 2 {
		return ids
	}
	seen := make(map[string]struct{}, len(ids))
	out := ids[:0:0]
	for _, id := range ids {
		if _, ok := seen[id]; !ok {
			seen[id] = struct{}{}
			out = append(out, id)
		}
	}
	return out
}

// addMembers inserts memberships and returns the users actually added. Every
// id must be a user of the organization.
func (t *tx) addMembers(ctx context.Context, orgID, groupID string, ids []string) ([]string, error) {
	var added []string
	for len(ids) > 0 {
		n := min(len(ids), batch)
		chunk := ids[:n]
		list, args := inList([]any{orgID}, chunk)
		found, err := t.strings(ctx, `SELECT id FROM users WHERE org_id = $1 AND id IN (`+list+`)`, args...)
		if err != nil {
			return nil, fmt.Errorf("check members: %w", err)
		}
		if len(found) != len(chunk) {
			return nil, missingUsers(chunk, found)
		}
		var b strings.Builder
		b.WriteString(`INSERT INTO group_members (org_id, group_id, user_id, created_at) VALUES `)
		args = []any{orgID, groupID, t.s.t(t.now)}
		for i, id := range chunk {
			if i > 0 {
				b.WriteString(", ")
			}
			args = append(args, id)
			fmt.Fprintf(&b, "($1, $2, $%d, $3)", len(args))
		}
		b.WriteString(` ON CONFLICT DO NOTHING RETURNING user_id`)
		got, err := t.strings(ctx, b.String(), args...)
		if err != nil {
			return nil, fmt.Errorf("add members: %w", err)
		}
		added = append(added, got...)
		ids = ids[n:]
	}
	sort.Strings(added)
	return added, nil
}

// missingUsers names the ids that are not users of the organization.
func missingUsers(asked, found []string) error {
	ok := make(map[string]bool, len(found))
	for _, id := range found {
		ok[id] = true
	}
	var missing []string
	for _, id := range asked {
		if !ok[id] {
			missing = append(missing, id)
		}
	}
	if len(missing) > 5 {
		missing = append(missing[:5], fmt.Sprintf("and %d more", len(missing)-5))
	}
	return store.Invalidf("no user with id %s in this organization: members must be users provisioned first", strings.Join(missing, ", "))
}

// removeMembers deletes memberships and returns the users actually removed.
func (t *tx) removeMembers(ctx context.Context, orgID, groupID string, ids []string) ([]string, error) {
	var removed []string
	for len(ids) > 0 {
		n := min(len(ids), batch)
		list, args := inList([]any{orgID, groupID}, ids[:n])
		got, err := t.strings(ctx, `DELETE FROM group_members WHERE org_id = $1 AND group_id = $2 AND user_id IN (`+list+`) RETURNING user_id`, args...)
		if err != nil {
			return nil, fmt.Errorf("remove members: %w", err)
		}
		removed = append(removed, got...)
		ids = ids[n:]
	}
	sort.Strings(removed)
	return removed, nil
}

// GetGroup returns a group without its members.
func (s *DB) GetGroup(ctx context.Context, orgID, id string) (store.Group, error) {
	g, err := scanGroup(orgID, s.r.QueryRowContext(ctx, `SELECT `+groupColumns+` FROM groups g WHERE g.org_id = $1 AND g.id = $2`, orgID, id))
	if err != nil {
		return store.Group{}, fmt.Errorf("get group %s: %w", id, notFound(err))
	}
	return g, nil
}

// UpdateGroup applies a change to a group atomically.
func (s *DB) UpdateGroup(ctx context.Context, actor store.Actor, u store.GroupUpdate) (store.Group, error) {
	if u.DisplayName != nil && *u.DisplayName == "" {
		return store.Group{}, store.Invalidf("displayName cannot be empty")
	}
	orgID := u.OrgID
	var g store.Group
	err := s.write(ctx, actor, orgID, func(t *tx) error {
		var err error
		g, err = scanGroup(orgID, t.QueryRowContext(ctx, `SELECT `+groupColumns+` FROM groups g WHERE g.org_id = $1 AND g.id = $2`, orgID, u.ID))
		if err != nil {
			return notFound(err)
		}
		if u.IfVersion != 0 && u.IfVersion != g.Version {
			return store.ErrVersionMismatch
		}
		changed := false
		if (u.DisplayName != nil && *u.DisplayName != g.DisplayName) || (u.ExternalID != nil && *u.ExternalID != g.ExternalID) {
			if u.DisplayName != nil {
				g.DisplayName = *u.DisplayName
			}
			if u.ExternalID != nil {
				g.ExternalID = *u.ExternalID
			}
			_, err := t.ExecContext(ctx, `UPDATE groups SET display_name = $3, display_name_key = $4, external_id = $5
				WHERE org_id = $1 AND id = $2`, orgID, u.ID, g.DisplayName, store.Fold(g.DisplayName), nullStr(g.ExternalID))
			if isGroupNameClash(s, err) {
				return &store.ConflictError{Field: "displayName", Value: g.DisplayName}
			}
			if err != nil {
				return err
			}
			t.emit("group.updated", "group", g.ID, groupEventData(g))
			changed = true
		}
		add, remove := dedupe(u.Add), dedupe(u.Remove)
		if u.SetMembers {
			current, err := t.strings(ctx, `SELECT user_id FROM group_members WHERE org_id = $1 AND group_id = $2`, orgID, u.ID)
			if err != nil {
				return fmt.Errorf("read members: %w", err)
			}
			want := make(map[string]bool, len(u.Members))
			for _, id := range u.Members {
				want[id] = true
			}
			have := make(map[string]bool, len(current))
			for _, id := range current {
				have[id] = true
				if !want[id] {
					remove = append(remove, id)
				}
			}
			var fresh []string
			for _, id := range dedupe(u.Members) {
				if !have[id] {
					fresh = append(fresh, id)
				}
			}
			add = append(fresh, add...)
		}
		added, err := t.addMembers(ctx, orgID, u.ID, dedupe(add))
		if err != nil {
			return err
		}
		removed, err := t.removeMembers(ctx, orgID, u.ID, dedupe(remove))
		if err != nil {
			return err
		}
		if len(added) > 0 {
			t.emit("group.members_added", "group", g.ID, map[string]any{"users": added})
		}
		if len(removed) > 0 {
			t.emit("group.members_removed", "group", g.ID, map[string]any{"users": removed})
		}
		if !changed && len(added) == 0 && len(removed) == 0 {
			return nil
		}
		delta := int64(len(added) - len(removed))
		g.UpdatedAt = t.now
		return t.QueryRowContext(ctx, `UPDATE groups SET version = version + 1, member_count = member_count + $3, updated_at = $4
			WHERE org_id = $1 AND id = $2 RETURNING version, member_count`, orgID, u.ID, delta, s.t(t.now)).
			Scan(&g.Version, &g.MemberCount)
	})
	if err != nil {
		return store.Group{}, fmt.Errorf("update group %s: %w", u.ID, err)
	}
	return g, nil
}

// DeleteGroup removes a group with everything that names it: its
// memberships (by cascade), its grants and the memberships joined through
// it, each change with its event, so the log tells every change of access
// whatever caused it.
func (s *DB) DeleteGroup(ctx context.Context, actor store.Actor, orgID, id string) error {
	err := s.write(ctx, actor, orgID, func(t *tx) error {
		var name string
		lock := ""
		if s.d.Name == "postgres" {
			// Joins through this group wait for the deletion, or it for
			// them (see groupExists): none is left naming the group.
			lock = " FOR UPDATE"
		}
		if err := t.QueryRowContext(ctx, `SELECT display_name FROM groups WHERE org_id = $1 AND id = $2`+lock, orgID, id).Scan(&name); err != nil {
			return notFound(err)
		}
		var policy store.GroupRemoval
		if err := t.QueryRowContext(ctx, `SELECT group_removal FROM orgs WHERE id = $1`, orgID).Scan(&policy); err != nil {
			return fmt.Errorf("read group removal policy: %w", notFound(err))
		}
		t.emit("group.deleted", "group", id, map[string]any{"displayName": name})
		grants, err := queryAll(ctx, t, func(r scanner) (store.Grant, error) { return scanGrant(orgID, r) },
			`DELETE FROM grants WHERE org_id = $1 AND group_id = $2 RETURNING `+grantColumns, orgID, id)
		if err != nil {
			return fmt.Errorf("remove grants: %w", err)
		}
		sort.Slice(grants, func(i, j int) bool {
			a, b := grants[i], grants[j]
			return a.ResourceType < b.ResourceType || (a.ResourceType == b.ResourceType && a.ResourceID < b.ResourceID)
		})
		for _, g := range grants {
			t.emit("grant.deleted", string(g.ResourceType), g.ResourceID, grantData(g))
		}
		if err := t.endJoinedMemberships(ctx, orgID, store.OriginGroupPrefix+id, policy); err != nil {
			return err
		}
		// The access deriver reads this group's events after they commit,
		// when its members are gone: it keeps them until it has.
		if _, err := t.ExecContext(ctx, `INSERT INTO access_deleted_members (org_id, group_id, user_id, granted)
			SELECT org_id, group_id, user_id, $3 FROM group_members WHERE org_id = $1 AND group_id = $2
			ON CONFLICT DO NOTHING`, orgID, id, len(grants) > 0); err != nil {
			return fmt.Errorf("keep the members for the access deriver: %w", err)
		}
		if _, err := t.ExecContext(ctx, `DELETE FROM groups WHERE org_id = $1 AND id = $2`, orgID, id); err != nil {
			return err
		}
		t.counts.groups--
		return nil
	})
	if err != nil {
		return fmt.Errorf("delete group %s: %w", id, err)
	}
	return nil
}

// endJoinedMemberships deals with the workspace and folder memberships
// joined through a group that is being deleted (origin "group:<id>"), so
// none is left naming a group that no longer exists. Under "revoke" they
// end, as access follows the IdP; under "keep" they stay with origin
// OriginKept, merged with a kept membership already there (the higher
// role wins).
func (t *tx) endJoinedMemberships(ctx context.Context, orgID, origin string, policy store.GroupRemoval) error {
	joined, err := queryAll(ctx, t, func(r scanner) (store.ResourceMember, error) { return scanMember(orgID, r) },
		`SELECT `+memberColumns+` FROM resource_members WHERE org_id = $1 AND origin = $2
		ORDER BY resource_type, resource_id, user_id`, orgID, origin)
	if err != nil {
		return fmt.Errorf("read joined memberships: %w", err)
	}
	if len(joined) == 0 {
		return nil
	}
	if policy != store.GroupRemovalKeep {
		if _, err := t.ExecContext(ctx, `DELETE FROM resource_members WHERE org_id = $1 AND origin = $2`, orgID, origin); err != nil {
			return fmt.Errorf("remove joined memberships: %w", err)
		}
		for _, m := range joined {
			var left int
			if err := t.QueryRowContext(ctx, `SELECT COUNT(*) FROM resource_members
				WHERE org_id = $1 AND resource_type = $2 AND resource_id = $3 AND user_id = $4`,
				orgID, m.ResourceType, m.ResourceID, m.UserID).Scan(&left); err != nil {
				return fmt.Errorf("read remaining memberships: %w", err)
			}
			d := map[string]any{"resource_type": m.ResourceType, "resource_id": m.ResourceID, "user_id": m.UserID,
				"origins": []string{origin}}
			// member.removed means the user is no longer a member of the
			// resource at all (RemoveMember writes it so, and readers of
			// the log rely on it); one origin of several going is another
			// fact.
			typ := "member.removed"
			if left > 0 {
				typ = "member.origin_removed"
			}
			t.emit(typ, string(m.ResourceType), m.ResourceID, d)
		}
		return nil
	}
	for _, m := range joined {
		role := m.Role
		var kept store.Role
		err := t.QueryRowContext(ctx, `SELECT role FROM resource_members
			WHERE org_id = $1 AND resource_type = $2 AND resource_id = $3 AND user_id = $4 AND origin = $5`,
			orgID, m.ResourceType, m.ResourceID, m.UserID, store.OriginKept).Scan(&kept)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			_, err = t.ExecContext(ctx, `UPDATE resource_members SET origin = $6
				WHERE org_id = $1 AND resource_type = $2 AND resource_id = $3 AND user_id = $4 AND origin = $5`,
				orgID, m.ResourceType, m.ResourceID, m.UserID, origin, store.OriginKept)
		case err == nil:
			if roleRank[kept] > roleRank[role] {
				role = kept
			}
			_, err = t.ExecContext(ctx, `DELETE FROM resource_members
				WHERE org_id = $1 AND resource_type = $2 AND resource_id = $3 AND user_id = $4 AND origin = $5`,
				orgID, m.ResourceType, m.ResourceID, m.UserID, origin)
			if err == nil {
				_, err = t.ExecContext(ctx, `UPDATE resource_members SET role = $6
					WHERE org_id = $1 AND resource_type = $2 AND resource_id = $3 AND user_id = $4 AND origin = $5`,
					orgID, m.ResourceType, m.ResourceID, m.UserID, store.OriginKept, role)
			}
		}
		if err != nil {
			return fmt.Errorf("keep joined membership of %s: %w", m.UserID, err)
		}
		t.emit("member.origin_changed", string(m.ResourceType), m.ResourceID, map[string]any{
			"resource_type": m.ResourceType, "resource_id": m.ResourceID, "user_id": m.UserID,
			"origin": store.OriginKept, "from_origin": origin, "role": role})
	}
	return nil
}

// roleRank orders roles as the membership rules do: editor > checker > viewer.
var roleRank = map[store.Role]int{store.RoleViewer: 1, store.RoleChecker: 2, store.RoleEditor: 3}

// QueryGroups returns a page of groups.
func (s *DB) QueryGroups(ctx context.Context, orgID string, q store.Query) (store.Page[store.Group], error) {
	p, err := runQuery(ctx, s, &groupsResource, groupColumns, orgID, q, func(r scanner) (store.Group, error) { return scanGroup(orgID, r) })
	if err != nil {
		return p, fmt.Errorf("query groups: %w", err)
	}
	return p, nil
}

// ListMembers returns one page of a group's members by user id.
func (s *DB) ListMembers(ctx context.Context, orgID, groupID, after string, limit int) ([]store.Member, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT m.user_id, COALESCE(u.display_name, u.user_name) FROM group_members m
		JOIN users u ON u.org_id = m.org_id AND u.id = m.user_id
		WHERE m.org_id = $1 AND m.group_id = $2 AND m.user_id > $3 ORDER BY m.user_id LIMIT $4`, orgID, groupID, after, limit)
	if err != nil {
		return nil, fmt.Errorf("list members of %s: %w", groupID, err)
	}
	defer rows.Close()
	var out []store.Member
	for rows.Next() {
		var m store.Member
		if err := rows.Scan(&m.UserID, &m.Display); err != nil {
			return nil, fmt.Errorf("list members of %s: %w", groupID, err)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list members of %s: %w", groupID, err)
	}
	if len(out) == 0 && after == "" {
		if _, err := s.GetGroup(ctx, orgID, groupID); errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
	}
	return out, nil
}
