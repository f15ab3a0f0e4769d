package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/rosterhq/roster/internal/store"
)

const grantColumns = `resource_type, resource_id, group_id, role, created_at, updated_at`

func scanGrant(orgID string, row scanner) (store.Grant, error) {
	g := store.Grant{OrgID: orgID}
	err := row.Scan(&g.ResourceType, &g.ResourceID, &g.GroupID, &g.Role, &g.CreatedAt, &g.UpdatedAt)
	g.CreatedAt, g.UpdatedAt = g.CreatedAt.UTC(), g.UpdatedAt.UTC()
	return g, err
}

func grantData(g store.Grant) map[string]any {
	return map[string]any{"resource_type": g.ResourceType, "resource_id": g.ResourceID, "group_id": g.GroupID, "role": g.Role}
}

// PutGrant creates or changes a grant.
func (s *DB) PutGrant(ctx context.Context, actor store.Actor, g store.Grant) (store.Grant, bool, error) {
	if !g.Role.Valid() {
		return store.Grant{}, false, store.Invalidf("role must be %q, %q or %q, not %q", store.RoleEditor, store.RoleChecker, store.RoleViewer, g.Role)
	}
	created := false
	err := s.write(ctx, actor, g.OrgID, func(t *tx) error {
		if err := t.checkResource(ctx, g.OrgID, g.ResourceType, g.ResourceID, true); err != nil {
			return err
		}
		old, err := scanGrant(g.OrgID, t.QueryRowContext(ctx, `SELECT `+grantColumns+` FROM grants
			WHERE org_id = $1 AND resource_type = $2 AND resource_id = $3 AND group_id = $4`, g.OrgID, g.ResourceType, g.ResourceID, g.GroupID))
		switch {
		case errors.Is(err, sql.ErrNoRows):
			g.CreatedAt, g.UpdatedAt = t.now, t.now
			_, err := t.ExecContext(ctx, `INSERT INTO grants (org_id, resource_type, resource_id, group_id, role, created_at, updated_at)
				VALUES ($1, $2, $3, $4, $5, $6, $6)`, g.OrgID, g.ResourceType, g.ResourceID, g.GroupID, g.Role, s.t(t.now))
			if s.d.IsForeignKey(err) {
				return fmt.Errorf("group %s: %w", g.GroupID, store.ErrNotFound)
			}
			if err != nil {
				return err
			}
			created = true
			t.emit("grant.created", string(g.ResourceType), g.ResourceID, grantData(g))
			return nil
		case err != nil:
			return err
		}
		if old.Role == g.Role {
			g = old
			return nil
		}
		g.CreatedAt, g.UpdatedAt = old.CreatedAt, t.now
		if _, err := t.ExecContext(ctx, `UPDATE grants SET role = $5, updated_at = $6
			WHERE org_id = $1 AND resource_type = $2 AND resource_id = $3 AND group_id = $4`,
			g.OrgID, g.ResourceType, g.ResourceID, g.GroupID, g.Role, s.t(t.now)); err != nil {
			return err
		}
		d := grantData(g)
		d["from_role"] = old.Role
		t.emit("grant.updated", string(g.ResourceType), g.ResourceID, d)
		return nil
	})
	if err != nil {
		return store.Grant{}, false, fmt.Errorf("grant %s on %s %s: %w", g.GroupID, g.ResourceType, g.ResourceID, err)
	}
	return g, created, nil
}

// DeleteGrant removes a grant.
func (s *DB) DeleteGrant(ctx context.Context, actor store.Actor, orgID string, rt store.ResourceType, resourceID, groupID string) error {
	err := s.write(ctx, actor, orgID, func(t *tx) error {
		g, err := scanGrant(orgID, t.QueryRowContext(ctx, `DELETE FROM grants
			WHERE org_id = $1 AND resource_type = $2 AND resource_id = $3 AND group_id = $4 RETURNING `+grantColumns,
			orgID, rt, resourceID, groupID))
		if err != nil {
			return notFound(err)
		}
		t.emit("grant.deleted", string(rt), resourceID, grantData(g))
		return nil
	})
	if err != nil {
		return fmt.Errorf("remove grant of %s on %s %s: %w", groupID, rt, resourceID, err)
	}
	return nil
}

// ListGrants pages through grants.
func (s *DB) ListGrants(ctx context.Context, orgID string, f store.GrantFilter, after string, limit int) ([]store.Grant, error) {
	var b strings.Builder
	b.WriteString(`SELECT ` + grantColumns + ` FROM grants WHERE org_id = $1`)
	args := []any{orgID}
	add := func(cond string, v any) {
		args = append(args, v)
		fmt.Fprintf(&b, cond, len(args))
	}
	if f.ResourceType != "" {
		add(` AND resource_type = $%d`, f.ResourceType)
	}
	if f.ResourceID != "" {
		add(` AND resource_id = $%d`, f.ResourceID)
	}
	if f.GroupID != "" {
		add(` AND group_id = $%d`, f.GroupID)
	}
	if after != "" {
		p, ok := store.SplitCursor(after, 3)
		if !ok {
			return nil, store.Invalidf("malformed grant cursor")
		}
		n := len(args)
		args = append(args, p[0], p[1], p[2])
		fmt.Fprintf(&b, ` AND (resource_type > $%d OR (resource_type = $%d AND (resource_id > $%d OR (resource_id = $%d AND group_id > $%d))))`,
			n+1, n+1, n+2, n+2, n+3)
	}
	args = append(args, limit)
	fmt.Fprintf(&b, ` ORDER BY resource_type, resource_id, group_id LIMIT $%d`, len(args))
	out, err := queryAll(ctx, s.r, func(r scanner) (store.Grant, error) { return scanGrant(orgID, r) }, b.String(), args...)
	if err != nil {
		return nil, fmt.Errorf("list grants: %w", err)
	}
	return out, nil
}
