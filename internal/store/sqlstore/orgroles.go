package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/rosterhq/roster/internal/store"
)

// SetOrgRole makes a user an owner or admin.
func (s *DB) SetOrgRole(ctx context.Context, actor store.Actor, orgID, userID string, role store.OrgRole) (store.OrgMember, error) {
	if !role.Valid() {
		return store.OrgMember{}, store.Invalidf("organization role must be %q or %q, not %q", store.OrgOwner, store.OrgAdmin, role)
	}
	m := store.OrgMember{OrgID: orgID, UserID: userID, Role: role}
	err := s.write(ctx, actor, orgID, func(t *tx) error {
		var old store.OrgRole
		err := t.QueryRowContext(ctx, `SELECT role, created_at FROM org_roles WHERE org_id = $1 AND user_id = $2`, orgID, userID).
			Scan(&old, &m.CreatedAt)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			m.CreatedAt = t.now
			_, err = t.ExecContext(ctx, `INSERT INTO org_roles (org_id, user_id, role, created_at) VALUES ($1, $2, $3, $4)`,
				orgID, userID, role, s.t(t.now))
			if s.d.IsForeignKey(err) {
				return fmt.Errorf("user %s: %w", userID, store.ErrNotFound)
			}
		case err == nil && old != role:
			_, err = t.ExecContext(ctx, `UPDATE org_roles SET role = $3 WHERE org_id = $1 AND user_id = $2`, orgID, userID, role)
		case err == nil:
			m.CreatedAt = m.CreatedAt.UTC()
			return nil
		}
		if err != nil {
			return err
		}
		m.CreatedAt = m.CreatedAt.UTC()
		t.emit("org.role_set", "user", userID, map[string]any{"user_id": userID, "role": role, "from_role": old})
		return nil
	})
	if err != nil {
		return store.OrgMember{}, fmt.Errorf("make %s %s: %w", userID, role, err)
	}
	return m, nil
}

// RemoveOrgRole takes a user's organization role away.
func (s *DB) RemoveOrgRole(ctx context.Context, actor store.Actor, orgID, userID string) error {
	err := s.write(ctx, actor, orgID, func(t *tx) error {
		got, err := t.strings(ctx, `DELETE FROM org_roles WHERE org_id = $1 AND user_id = $2 RETURNING role`, orgID, userID)
		if err != nil {
			return err
		}
		if len(got) == 0 {
			return store.ErrNotFound
		}
		t.emit("org.role_removed", "user", userID, map[string]any{"user_id": userID, "role": got[0]})
		return nil
	})
	if err != nil {
		return fmt.Errorf("remove organization role of %s: %w", userID, err)
	}
	return nil
}

// ListOrgRoles pages through owners and admins.
func (s *DB) ListOrgRoles(ctx context.Context, orgID, after string, limit int) ([]store.OrgMember, error) {
	out, err := queryAll(ctx, s.r, func(r scanner) (store.OrgMember, error) {
		m := store.OrgMember{OrgID: orgID}
		err := r.Scan(&m.UserID, &m.Role, &m.CreatedAt)
		m.CreatedAt = m.CreatedAt.UTC()
		return m, err
	}, `SELECT user_id, role, created_at FROM org_roles WHERE org_id = $1 AND user_id > $2 ORDER BY user_id LIMIT $3`, orgID, after, limit)
	if err != nil {
		return nil, fmt.Errorf("list organization roles: %w", err)
	}
	return out, nil
}
