package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"

	"github.com/rosterhq/roster/internal/store"
)

// prefixRange returns the bounds of the folded keys that start with
// prefix: key >= lo AND key < hi. Both engines compare these columns byte
// by byte (PostgreSQL's are COLLATE "C"), so the range uses the index and
// U+10FFFF, the highest code point, closes it.
func prefixRange(prefix string) (lo, hi string) {
	lo = store.Fold(prefix)
	return lo, lo + "\U0010FFFF"
}

// arg appends v to args and returns its placeholder.
func arg(args *[]any, v any) string {
	*args = append(*args, v)
	return "$" + strconv.Itoa(len(*args))
}

// ListGroups returns a page of groups with their member counts, which the
// groups row keeps: listing costs no scan of the members.
func (s *DB) ListGroups(ctx context.Context, orgID string, f store.GroupListing, after string, limit int) ([]store.Group, error) {
	args := []any{orgID, after}
	q := `SELECT ` + groupColumns + ` FROM groups g WHERE g.org_id = $1 AND g.id > $2`
	if f.NamePrefix != "" {
		lo, hi := prefixRange(f.NamePrefix)
		q += ` AND g.display_name_key >= ` + arg(&args, lo) + ` AND g.display_name_key < ` + arg(&args, hi)
	}
	q += ` ORDER BY g.id LIMIT ` + arg(&args, limit)
	out, err := queryAll(ctx, s.r, func(r scanner) (store.Group, error) { return scanGroup(orgID, r) }, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list groups: %w", err)
	}
	return out, nil
}

func scanSummary(r scanner) (store.UserSummary, error) {
	var u store.UserSummary
	var disp sql.NullString
	err := r.Scan(&u.ID, &u.UserName, &disp, &u.Active)
	u.DisplayName = disp.String
	return u, err
}

// ListGroupUsers returns a page of a group's members as users.
func (s *DB) ListGroupUsers(ctx context.Context, orgID, groupID, after string, limit int) ([]store.UserSummary, error) {
	// The group is looked up first so that an unknown group is ErrNotFound
	// on every page, not an empty page.
	if _, err := s.GetGroup(ctx, orgID, groupID); err != nil {
		return nil, err
	}
	out, err := queryAll(ctx, s.r, scanSummary, `SELECT u.id, u.user_name, u.display_name, u.active FROM group_members m
		JOIN users u ON u.org_id = m.org_id AND u.id = m.user_id
		WHERE m.org_id = $1 AND m.group_id = $2 AND m.user_id > $3 ORDER BY m.user_id LIMIT $4`, orgID, groupID, after, limit)
	if err != nil {
		return nil, fmt.Errorf("list users of group %s: %w", groupID, err)
	}
	return out, nil
}

// ListUsers returns a page of users.
func (s *DB) ListUsers(ctx context.Context, orgID string, f store.UserListing, after string, limit int) ([]store.UserSummary, error) {
	args := []any{orgID, after}
	q := `SELECT u.id, u.user_name, u.display_name, u.active FROM users u WHERE u.org_id = $1 AND u.id > $2`
	if f.Prefix != "" {
		lo, hi := prefixRange(f.Prefix)
		a, b := arg(&args, lo), arg(&args, hi)
		q += ` AND ((u.user_name_key >= ` + a + ` AND u.user_name_key < ` + b + `) OR (u.display_name_key >= ` + a + ` AND u.display_name_key < ` + b + `))`
	}
	if f.Active != nil {
		q += ` AND u.active = ` + arg(&args, *f.Active)
	}
	q += ` ORDER BY u.id LIMIT ` + arg(&args, limit)
	out, err := queryAll(ctx, s.r, scanSummary, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return out, nil
}

// ListUsersByEmail returns a page of users found by the start of an
// email address, in address order: the (org_id, attr, sub, fold) index
// serves the range and the order, so no match past the page is read.
func (s *DB) ListUsersByEmail(ctx context.Context, orgID, prefix, after string, limit int) ([]store.EmailMatch, error) {
	fold, user := "", ""
	if after != "" {
		p, ok := store.SplitCursor(after, 2)
		if !ok {
			return nil, store.Invalidf("malformed email cursor")
		}
		fold, user = p[0], p[1]
	}
	lo, hi := prefixRange(prefix)
	out, err := queryAll(ctx, s.r, func(r scanner) (store.EmailMatch, error) {
		var m store.EmailMatch
		var display sql.NullString
		err := r.Scan(&m.ID, &m.UserName, &display, &m.Active, &m.Email)
		m.DisplayName = display.String
		return m, err
	}, `SELECT u.id, u.user_name, u.display_name, u.active, v.str FROM user_values v
		JOIN users u ON u.org_id = v.org_id AND u.id = v.user_id
		WHERE v.org_id = $1 AND v.attr = 'emails' AND v.sub = 'value' AND v.fold >= $2 AND v.fold < $3
		AND (v.fold > $4 OR (v.fold = $4 AND v.user_id > $5))
		ORDER BY v.fold, v.user_id LIMIT $6`, orgID, lo, hi, fold, user, limit)
	if err != nil {
		return nil, fmt.Errorf("list users by email: %w", err)
	}
	return out, nil
}

// GroupNames returns the displayNames of the groups given.
func (s *DB) GroupNames(ctx context.Context, orgID string, ids []string) (map[string]string, error) {
	out := make(map[string]string, len(ids))
	for len(ids) > 0 {
		n := min(len(ids), batch)
		list, args := inList([]any{orgID}, ids[:n])
		if err := s.namePairs(ctx, out, `SELECT id, display_name FROM groups WHERE org_id = $1 AND id IN (`+list+`)`, args...); err != nil {
			return nil, fmt.Errorf("group names: %w", err)
		}
		ids = ids[n:]
	}
	return out, nil
}

// AccessNames returns the names of the organization's users and groups.
func (s *DB) AccessNames(ctx context.Context, orgID string) (store.AccessNames, error) {
	if _, err := s.GetOrg(ctx, orgID); err != nil {
		return store.AccessNames{}, err
	}
	n := store.AccessNames{Users: map[string]string{}, Groups: map[string]string{}}
	if err := s.namePairs(ctx, n.Users, `SELECT id, user_name FROM users WHERE org_id = $1`, orgID); err != nil {
		return store.AccessNames{}, fmt.Errorf("user names of %s: %w", orgID, err)
	}
	if err := s.namePairs(ctx, n.Groups, `SELECT id, display_name FROM groups WHERE org_id = $1`, orgID); err != nil {
		return store.AccessNames{}, fmt.Errorf("group names of %s: %w", orgID, err)
	}
	return n, nil
}

// namePairs runs a query of (id, name) rows into a map.
func (s *DB) namePairs(ctx context.Context, into map[string]string, q string, args ...any) error {
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id, name string
		if err := rows.Scan(&id, &name); err != nil {
			return err
		}
		into[id] = name
	}
	return rows.Err()
}
