package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/rosterhq/roster/internal/store"
)

// This file holds what the access files share; store.AccessStore is
// implemented by concern in workspaces.go, folders.go, grants.go,
// members.go, orgroles.go and snapshot.go.

// queryAll runs a query and scans every row.
func queryAll[T any](ctx context.Context, db querier, scan func(scanner) (T, error), q string, args ...any) ([]T, error) {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// checkResource verifies, inside the transaction, that a resource exists;
// for grants (grantable) a folder must also be invite-only.
func (t *tx) checkResource(ctx context.Context, orgID string, rt store.ResourceType, id string, grantable bool) error {
	switch rt {
	case store.ResourceWorkspace:
		var n int
		if err := t.QueryRowContext(ctx, `SELECT COUNT(*) FROM workspaces WHERE org_id = $1 AND id = $2`, orgID, id).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("workspace %s: %w", id, store.ErrNotFound)
		}
	case store.ResourceFolder:
		var access store.TeamAccess
		err := t.QueryRowContext(ctx, `SELECT team_access FROM folders WHERE org_id = $1 AND id = $2`, orgID, id).Scan(&access)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("folder %s: %w", id, store.ErrNotFound)
		}
		if err != nil {
			return err
		}
		if grantable && access != store.TeamAccessInviteOnly {
			return store.Invalidf("folder %s has team access %q: groups can be granted only folders whose team access is %q (a workspace grant already covers it)",
				id, access, store.TeamAccessInviteOnly)
		}
	default:
		return store.Invalidf("resource type must be %q or %q, not %q", store.ResourceWorkspace, store.ResourceFolder, rt)
	}
	return nil
}
