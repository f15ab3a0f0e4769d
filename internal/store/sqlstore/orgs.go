package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/rosterhq/roster/internal/store"
)

const orgColumns = `id, name, plan, allow_members_create_workspaces, group_removal, sign_in_redirect_url, scim_rate_limit, created_at, updated_at`

func scanOrg(row interface{ Scan(...any) error }) (store.Org, error) {
	var o store.Org
	err := row.Scan(&o.ID, &o.Name, &o.Plan, &o.Settings.AllowMembersCreateWorkspaces,
		&o.Settings.GroupRemoval, &o.Settings.SignInRedirectURL, &o.Settings.SCIMRateLimit, &o.CreatedAt, &o.UpdatedAt)
	o.CreatedAt, o.UpdatedAt = o.CreatedAt.UTC(), o.UpdatedAt.UTC()
	return o, err
}

// CreateOrg stores a new organization.
func (s *DB) CreateOrg(ctx context.Context, actor store.Actor, o store.Org) (store.Org, error) {
	if !o.Plan.Valid() || !o.Settings.GroupRemoval.Valid() || o.Settings.SCIMRateLimit < 0 || o.ID == "" || o.Name == "" {
		return store.Org{}, fmt.Errorf("create organization: id, name, plan and group removal policy are required: %w", store.ErrInvalid)
	}
	err := s.write(ctx, actor, o.ID, func(t *tx) error {
		o.CreatedAt, o.UpdatedAt = t.now, t.now
		_, err := t.ExecContext(ctx, `INSERT INTO orgs (`+orgColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			o.ID, o.Name, o.Plan, o.Settings.AllowMembersCreateWorkspaces, o.Settings.GroupRemoval,
			o.Settings.SignInRedirectURL, o.Settings.SCIMRateLimit, s.t(t.now), s.t(t.now))
		if s.d.IsUnique(err) {
			return &store.ConflictError{Field: "id", Value: o.ID}
		}
		if err != nil {
			return err
		}
		t.emit("org.created", "org", o.ID, map[string]any{"name": o.Name, "plan": o.Plan, "settings": o.Settings})
		return nil
	})
	if err != nil {
		return store.Org{}, fmt.Errorf("create organization %s: %w", o.ID, err)
	}
	return o, nil
}

// GetOrg returns an organization.
func (s *DB) GetOrg(ctx context.Context, id string) (store.Org, error) {
	o, err := scanOrg(s.r.QueryRowContext(ctx, `SELECT `+orgColumns+` FROM orgs WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		err = store.ErrNotFound
	}
	if err != nil {
		return store.Org{}, fmt.Errorf("get organization %s: %w", id, err)
	}
	return o, nil
}

// ListOrgs pages through organizations by id.
func (s *DB) ListOrgs(ctx context.Context, after string, limit int) ([]store.Org, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+orgColumns+` FROM orgs WHERE id > $1 ORDER BY id LIMIT $2`, after, limit)
	if err != nil {
		return nil, fmt.Errorf("list organizations: %w", err)
	}
	defer rows.Close()
	var out []store.Org
	for rows.Next() {
		o, err := scanOrg(rows)
		if err != nil {
			return nil, fmt.Errorf("list organizations: %w", err)
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// SetOrgPlan changes an organization's plan.
func (s *DB) SetOrgPlan(ctx context.Context, actor store.Actor, id string, plan store.Plan) (store.Org, error) {
	if !plan.Valid() {
		return store.Org{}, fmt.Errorf("set plan of %s: unknown plan %q: %w", id, plan, store.ErrInvalid)
	}
	var o store.Org
	err := s.write(ctx, actor, id, func(t *tx) error {
		var old store.Plan
		if err := t.QueryRowContext(ctx, `SELECT plan FROM orgs WHERE id = $1`, id).Scan(&old); err != nil {
			return notFound(err)
		}
		var err error
		o, err = scanOrg(t.QueryRowContext(ctx, `UPDATE orgs SET plan = $2, updated_at = $3 WHERE id = $1 RETURNING `+orgColumns,
			id, plan, s.t(t.now)))
		if err != nil {
			return err
		}
		if old != plan {
			t.emit("org.plan_changed", "org", id, map[string]any{"from": old, "to": plan})
		}
		return nil
	})
	if err != nil {
		return store.Org{}, fmt.Errorf("set plan of %s: %w", id, err)
	}
	return o, nil
}

// SetOrgSettings replaces an organization's settings.
func (s *DB) SetOrgSettings(ctx context.Context, actor store.Actor, id string, set store.Settings) (store.Org, error) {
	if !set.GroupRemoval.Valid() {
		return store.Org{}, fmt.Errorf("set settings of %s: group removal must be %q or %q: %w",
			id, store.GroupRemovalRevoke, store.GroupRemovalKeep, store.ErrInvalid)
	}
	if set.SCIMRateLimit < 0 {
		return store.Org{}, fmt.Errorf("set settings of %s: scim rate limit must not be negative: %w", id, store.ErrInvalid)
	}
	var o store.Org
	err := s.write(ctx, actor, id, func(t *tx) error {
		old, err := scanOrg(t.QueryRowContext(ctx, `SELECT `+orgColumns+` FROM orgs WHERE id = $1`, id))
		if err != nil {
			return notFound(err)
		}
		o, err = scanOrg(t.QueryRowContext(ctx, `UPDATE orgs SET allow_members_create_workspaces = $2,
			group_removal = $3, sign_in_redirect_url = $4, scim_rate_limit = $5, updated_at = $6
			WHERE id = $1 RETURNING `+orgColumns,
			id, set.AllowMembersCreateWorkspaces, set.GroupRemoval, set.SignInRedirectURL, set.SCIMRateLimit, s.t(t.now)))
		if err != nil {
			return err
		}
		if old.Settings != set {
			t.emit("org.settings_changed", "org", id, map[string]any{"from": old.Settings, "to": set})
		}
		return nil
	})
	if err != nil {
		return store.Org{}, fmt.Errorf("set settings of %s: %w", id, err)
	}
	return o, nil
}

// notFound maps sql.ErrNoRows to store.ErrNotFound.
func notFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return store.ErrNotFound
	}
	return err
}
