package sqlstore

import (
	"context"
	"fmt"
	"strings"

	"github.com/rosterhq/roster/internal/store"
)

const memberColumns = `resource_type, resource_id, user_id, origin, role, created_at`

func scanMember(orgID string, row scanner) (store.ResourceMember, error) {
	m := store.ResourceMember{OrgID: orgID}
	err := row.Scan(&m.ResourceType, &m.ResourceID, &m.UserID, &m.Origin, &m.Role, &m.CreatedAt)
	m.CreatedAt = m.CreatedAt.UTC()
	return m, err
}

func memberData(m store.ResourceMember) map[string]any {
	return map[string]any{"resource_type": m.ResourceType, "resource_id": m.ResourceID, "user_id": m.UserID,
		"origin": m.Origin, "role": m.Role}
}

func validMember(m store.ResourceMember) error {
	if !m.Role.Valid() {
		return store.Invalidf("role must be %q, %q or %q, not %q", store.RoleEditor, store.RoleChecker, store.RoleViewer, m.Role)
	}
	if m.UserID == "" {
		return store.Invalidf("a membership needs a user id")
	}
	if m.Origin != store.OriginInvited && m.Origin != store.OriginOwner &&
		(!strings.HasPrefix(m.Origin, store.OriginGroupPrefix) || len(m.Origin) == len(store.OriginGroupPrefix)) {
		return store.Invalidf("origin must be %q, %q or \"group:<group id>\", not %q", store.OriginInvited, store.OriginOwner, m.Origin)
	}
	return nil
}

// insertMember inserts a membership that is not there yet; added is false
// when it was.
func (t *tx) insertMember(ctx context.Context, m *store.ResourceMember) (added bool, err error) {
	m.CreatedAt = t.now
	got, err := t.strings(ctx, `INSERT INTO resource_members (org_id, resource_type, resource_id, user_id, origin, role, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING RETURNING user_id`,
		m.OrgID, m.ResourceType, m.ResourceID, m.UserID, m.Origin, m.Role, t.s.t(t.now))
	if t.s.d.IsForeignKey(err) {
		return false, fmt.Errorf("user %s: %w", m.UserID, store.ErrNotFound)
	}
	return len(got) == 1, err
}

// PutMember creates or changes one membership.
func (s *DB) PutMember(ctx context.Context, actor store.Actor, m store.ResourceMember) (store.ResourceMember, error) {
	if err := validMember(m); err != nil {
		return store.ResourceMember{}, err
	}
	err := s.write(ctx, actor, m.OrgID, func(t *tx) error {
		if err := t.checkResource(ctx, m.OrgID, m.ResourceType, m.ResourceID, false); err != nil {
			return err
		}
		added, err := t.insertMember(ctx, &m)
		if err != nil || added {
			if added {
				t.emit("member.added", string(m.ResourceType), m.ResourceID, memberData(m))
			}
			return err
		}
		var old store.Role
		if err := t.QueryRowContext(ctx, `SELECT role, created_at FROM resource_members
			WHERE org_id = $1 AND resource_type = $2 AND resource_id = $3 AND user_id = $4 AND origin = $5`,
			m.OrgID, m.ResourceType, m.ResourceID, m.UserID, m.Origin).Scan(&old, &m.CreatedAt); err != nil {
			return err
		}
		m.CreatedAt = m.CreatedAt.UTC()
		if old == m.Role {
			return nil
		}
		if _, err := t.ExecContext(ctx, `UPDATE resource_members SET role = $6
			WHERE org_id = $1 AND resource_type = $2 AND resource_id = $3 AND user_id = $4 AND origin = $5`,
			m.OrgID, m.ResourceType, m.ResourceID, m.UserID, m.Origin, m.Role); err != nil {
			return err
		}
		d := memberData(m)
		d["from_role"] = old
		t.emit("member.role_changed", string(m.ResourceType), m.ResourceID, d)
		return nil
	})
	if err != nil {
		return store.ResourceMember{}, fmt.Errorf("add %s to %s %s: %w", m.UserID, m.ResourceType, m.ResourceID, err)
	}
	return m, nil
}

// JoinMembers records joined memberships that are not there yet.
func (s *DB) JoinMembers(ctx context.Context, actor store.Actor, ms []store.ResourceMember) ([]store.ResourceMember, error) {
	if len(ms) == 0 {
		return nil, nil
	}
	orgID := ms[0].OrgID
	for _, m := range ms {
		if err := validMember(m); err != nil {
			return nil, err
		}
		if m.OrgID != orgID {
			return nil, store.Invalidf("joined memberships must belong to one organization")
		}
	}
	var added []store.ResourceMember
	err := s.write(ctx, actor, orgID, func(t *tx) error {
		added = added[:0]
		checked := map[string]bool{}
		groups := map[string]bool{} // group id → exists
		for _, m := range ms {
			if g, ok := strings.CutPrefix(m.Origin, store.OriginGroupPrefix); ok {
				exists, seen := groups[g]
				if !seen {
					var err error
					if exists, err = t.groupExists(ctx, orgID, g); err != nil {
						return err
					}
					groups[g] = exists
				}
				if !exists {
					// Deleted since the caller decided: there is no group
					// left to have joined through.
					continue
				}
			}
			if k := string(m.ResourceType) + m.ResourceID; !checked[k] {
				if err := t.checkResource(ctx, orgID, m.ResourceType, m.ResourceID, false); err != nil {
					return err
				}
				checked[k] = true
			}
			ok, err := t.insertMember(ctx, &m)
			if err != nil {
				return err
			}
			if ok {
				added = append(added, m)
				t.emit("member.joined", string(m.ResourceType), m.ResourceID, memberData(m))
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("join: %w", err)
	}
	return added, nil
}

// groupExists reports whether the group exists, and on PostgreSQL keeps it
// from being deleted until the transaction ends: a deletion either sees
// the memberships this transaction joins through it, or comes first and
// leaves none to join.
func (t *tx) groupExists(ctx context.Context, orgID, id string) (bool, error) {
	lock := ""
	if t.s.d.Name == "postgres" {
		lock = " FOR SHARE"
	}
	got, err := t.strings(ctx, `SELECT id FROM groups WHERE org_id = $1 AND id = $2`+lock, orgID, id)
	if err != nil {
		return false, fmt.Errorf("check group %s: %w", id, err)
	}
	return len(got) == 1, nil
}

// RemoveMember removes every membership of a user in a resource.
func (s *DB) RemoveMember(ctx context.Context, actor store.Actor, orgID string, rt store.ResourceType, resourceID, userID string) error {
	err := s.write(ctx, actor, orgID, func(t *tx) error {
		origins, err := t.strings(ctx, `DELETE FROM resource_members
			WHERE org_id = $1 AND resource_type = $2 AND resource_id = $3 AND user_id = $4 RETURNING origin`,
			orgID, rt, resourceID, userID)
		if err != nil {
			return err
		}
		if len(origins) == 0 {
			return store.ErrNotFound
		}
		t.emit("member.removed", string(rt), resourceID, map[string]any{
			"resource_type": rt, "resource_id": resourceID, "user_id": userID, "origins": origins})
		return nil
	})
	if err != nil {
		return fmt.Errorf("remove %s from %s %s: %w", userID, rt, resourceID, err)
	}
	return nil
}

// ListResourceMembers pages through a resource's memberships.
func (s *DB) ListResourceMembers(ctx context.Context, orgID string, rt store.ResourceType, resourceID, after string, limit int) ([]store.ResourceMember, error) {
	user, origin := "", ""
	if after != "" {
		p, ok := store.SplitCursor(after, 2)
		if !ok {
			return nil, store.Invalidf("malformed member cursor")
		}
		user, origin = p[0], p[1]
	}
	out, err := queryAll(ctx, s.r, func(r scanner) (store.ResourceMember, error) { return scanMember(orgID, r) },
		`SELECT `+memberColumns+` FROM resource_members WHERE org_id = $1 AND resource_type = $2 AND resource_id = $3
		AND (user_id > $4 OR (user_id = $4 AND origin > $5)) ORDER BY user_id, origin LIMIT $6`,
		orgID, rt, resourceID, user, origin, limit)
	if err != nil {
		return nil, fmt.Errorf("list members of %s %s: %w", rt, resourceID, err)
	}
	return out, nil
}
