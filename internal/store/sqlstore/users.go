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

// userColumns reads the manager's current name with the user, so a
// response never shows a name the manager no longer has.
const userColumns = `u.id, u.user_name, u.external_id, u.display_name, u.active, u.attributes, u.version, u.created_at, u.updated_at,
	u.manager_id, (SELECT COALESCE(mu.display_name, mu.user_name) FROM users mu WHERE mu.org_id = u.org_id AND mu.id = u.manager_id)`

func scanUser(orgID string, row scanner) (store.User, error) {
	u := store.User{OrgID: orgID}
	var ext, disp, mgr, mgrDisp sql.NullString
	var attrs string
	err := row.Scan(&u.ID, &u.UserName, &ext, &disp, &u.Active, &attrs, &u.Version, &u.CreatedAt, &u.UpdatedAt, &mgr, &mgrDisp)
	u.ExternalID, u.DisplayName, u.Attributes = ext.String, disp.String, []byte(attrs)
	u.ManagerID, u.ManagerDisplay = mgr.String, mgrDisp.String
	u.CreatedAt, u.UpdatedAt = u.CreatedAt.UTC(), u.UpdatedAt.UTC()
	return u, err
}

func foldOrNil(s string) any {
	if s == "" {
		return nil
	}
	return store.Fold(s)
}

// CreateUser stores a new user.
func (s *DB) CreateUser(ctx context.Context, actor store.Actor, u store.User) (store.User, error) {
	if u.ID == "" || u.UserName == "" {
		return store.User{}, store.Invalidf("a user needs an id and a userName")
	}
	err := s.write(ctx, actor, u.OrgID, func(t *tx) error {
		u.Version, u.CreatedAt, u.UpdatedAt = 1, t.now, t.now
		var err error
		if u.ManagerDisplay, err = t.managerName(ctx, u.OrgID, u.ManagerID); err != nil {
			return err
		}
		row := []any{u.OrgID, u.ID, u.UserName, store.Fold(u.UserName), nullStr(u.ExternalID),
			nullStr(u.DisplayName), foldOrNil(u.DisplayName), u.Active, string(u.Attributes), 1, s.t(t.now), s.t(t.now), nullStr(u.ManagerID)}
		if t.rows != nil {
			// Sent with the batch's other creates; a failure reruns the
			// batch isolated, where the switch below names it.
			t.rows.add(insertUser, "", row...)
		} else {
			_, err = t.ExecContext(ctx, rowsStatement(insertUser, "", len(row), 1), row...)
			switch {
			case s.d.IsForeignKey(err) && u.ManagerID != "":
				// The manager was deleted after managerName read it
				// (PostgreSQL's foreign key; SQLite has one writer).
				return noManager(u.ManagerID)
			case s.d.IsUnique(err):
				return s.userConflict(ctx, t, u)
			case s.d.IsForeignKey(err):
				return fmt.Errorf("organization %s: %w", u.OrgID, store.ErrNotFound)
			case err != nil:
				return err
			}
		}
		if err := t.insertValues(ctx, u.OrgID, u.ID, u.Values); err != nil {
			return err
		}
		t.counts.users++
		t.emit("user.created", "user", u.ID, userEventData(u))
		return nil
	})
	if err != nil {
		return store.User{}, fmt.Errorf("create user %q: %w", u.UserName, err)
	}
	return u, nil
}

// userConflict tells an id clash from a userName clash.
func (s *DB) userConflict(ctx context.Context, t *tx, u store.User) error {
	var n int
	if err := t.QueryRowContext(ctx, `SELECT COUNT(*) FROM users WHERE org_id = $1 AND user_name_key = $2 AND id <> $3`,
		u.OrgID, store.Fold(u.UserName), u.ID).Scan(&n); err == nil && n == 0 {
		return &store.ConflictError{Field: "id", Value: u.ID}
	}
	return &store.ConflictError{Field: "userName", Value: u.UserName}
}

// managerName checks, inside the write, that id ("" for none) is a user of
// the organization and returns the name responses show for them.
func (t *tx) managerName(ctx context.Context, orgID, id string) (string, error) {
	if id == "" {
		return "", nil
	}
	var name string
	err := t.QueryRowContext(ctx, `SELECT COALESCE(display_name, user_name) FROM users WHERE org_id = $1 AND id = $2`, orgID, id).Scan(&name)
	if errors.Is(err, sql.ErrNoRows) {
		return "", noManager(id)
	}
	if err != nil {
		return "", fmt.Errorf("read manager: %w", err)
	}
	return name, nil
}

func noManager(id string) error {
	return store.Invalidf("manager %q is not a user of this organization: manager.value must be the id of a user provisioned here first", id)
}

func userEventData(u store.User) map[string]any {
	d := map[string]any{"userName": u.UserName, "active": u.Active}
	if u.ExternalID != "" {
		d["externalId"] = u.ExternalID
	}
	return d
}

// insertUser is the INSERT of user creates.
const insertUser = `INSERT INTO users (org_id, id, user_name, user_name_key, external_id,
	display_name, display_name_key, active, attributes, version, created_at, updated_at, manager_id) VALUES `

// insertValue is the INSERT of indexed values.
const insertValue = `INSERT INTO user_values (org_id, user_id, attr, elem, sub, str, fold) VALUES `

// onConflictKeepFirst makes a repeated (attr, elem, sub) keep its first
// value.
const onConflictKeepFirst = " ON CONFLICT DO NOTHING"

// insertValues writes a user's indexed values in multi-row statements: with
// the batch's deferred rows when it defers, at once otherwise.
func (t *tx) insertValues(ctx context.Context, orgID, userID string, vals []store.Value) error {
	b := t.rows
	if b == nil {
		b = &rowBuffer{}
	}
	for _, v := range vals {
		b.add(insertValue, onConflictKeepFirst, orgID, userID, strings.ToLower(v.Attr), v.Elem, strings.ToLower(v.Sub), v.Str, store.Fold(v.Str))
	}
	if t.rows != nil {
		return nil
	}
	if err := t.send(ctx, b); err != nil {
		return fmt.Errorf("index values: %w", err)
	}
	return nil
}

// GetUser returns a user.
func (s *DB) GetUser(ctx context.Context, orgID, id string) (store.User, error) {
	u, err := scanUser(orgID, s.r.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users u WHERE u.org_id = $1 AND u.id = $2`, orgID, id))
	if err != nil {
		return store.User{}, fmt.Errorf("get user %s: %w", id, notFound(err))
	}
	return u, nil
}

// ReplaceUser stores a new state of a user.
func (s *DB) ReplaceUser(ctx context.Context, actor store.Actor, u store.User, ifVersion int64) (store.User, error) {
	if u.UserName == "" {
		return store.User{}, store.Invalidf("userName is required")
	}
	err := s.write(ctx, actor, u.OrgID, func(t *tx) error {
		var wasActive bool
		var version int64
		err := t.QueryRowContext(ctx, `SELECT active, version FROM users WHERE org_id = $1 AND id = $2`, u.OrgID, u.ID).
			Scan(&wasActive, &version)
		if err != nil {
			return notFound(err)
		}
		if ifVersion != 0 && version != ifVersion {
			return store.ErrVersionMismatch
		}
		if u.ManagerDisplay, err = t.managerName(ctx, u.OrgID, u.ManagerID); err != nil {
			return err
		}
		var created sql.NullTime
		err = t.QueryRowContext(ctx, `UPDATE users SET user_name = $3, user_name_key = $4, external_id = $5,
			display_name = $6, display_name_key = $7, active = $8, attributes = $9, version = version + 1, updated_at = $10,
			manager_id = $12
			WHERE org_id = $1 AND id = $2 AND version = $11 RETURNING version, created_at`,
			u.OrgID, u.ID, u.UserName, store.Fold(u.UserName), nullStr(u.ExternalID), nullStr(u.DisplayName),
			foldOrNil(u.DisplayName), u.Active, string(u.Attributes), s.t(t.now), version, nullStr(u.ManagerID)).Scan(&u.Version, &created)
		switch {
		case s.d.IsForeignKey(err) && u.ManagerID != "":
			return noManager(u.ManagerID)
		case s.d.IsUnique(err):
			return &store.ConflictError{Field: "userName", Value: u.UserName}
		case err == sql.ErrNoRows:
			// Changed between our read and our write (PostgreSQL only).
			return store.ErrVersionMismatch
		case err != nil:
			return err
		}
		u.CreatedAt, u.UpdatedAt = created.Time.UTC(), t.now
		if _, err := t.ExecContext(ctx, `DELETE FROM user_values WHERE org_id = $1 AND user_id = $2`, u.OrgID, u.ID); err != nil {
			return fmt.Errorf("clear values: %w", err)
		}
		if err := t.insertValues(ctx, u.OrgID, u.ID, u.Values); err != nil {
			return err
		}
		t.emit("user.updated", "user", u.ID, userEventData(u))
		switch {
		case wasActive && !u.Active:
			t.emit("user.deactivated", "user", u.ID, userEventData(u))
		case !wasActive && u.Active:
			t.emit("user.reactivated", "user", u.ID, userEventData(u))
		}
		return nil
	})
	if err != nil {
		return store.User{}, fmt.Errorf("replace user %s: %w", u.ID, err)
	}
	return u, nil
}

// DeleteUser removes a user and their memberships.
func (s *DB) DeleteUser(ctx context.Context, actor store.Actor, orgID, id string) error {
	err := s.write(ctx, actor, orgID, func(t *tx) error {
		var userName string
		lock := ""
		if s.d.Name == "postgres" {
			// Writes that name this user as manager wait for the deletion
			// and then fail on the foreign key, rather than the deletion
			// failing on a reference made meanwhile.
			lock = " FOR UPDATE"
		}
		if err := t.QueryRowContext(ctx, `SELECT user_name FROM users WHERE org_id = $1 AND id = $2`+lock, orgID, id).Scan(&userName); err != nil {
			return notFound(err)
		}
		if err := t.clearManager(ctx, orgID, id); err != nil {
			return err
		}
		groups, err := t.strings(ctx, `SELECT group_id FROM group_members WHERE org_id = $1 AND user_id = $2 ORDER BY group_id`, orgID, id)
		if err != nil {
			return err
		}
		if len(groups) > 0 {
			if _, err := t.ExecContext(ctx, `UPDATE groups SET member_count = member_count - 1, version = version + 1, updated_at = $3
				WHERE org_id = $1 AND id IN (SELECT group_id FROM group_members WHERE org_id = $1 AND user_id = $2)`,
				orgID, id, s.t(t.now)); err != nil {
				return fmt.Errorf("update groups: %w", err)
			}
		}
		if _, err := t.ExecContext(ctx, `DELETE FROM users WHERE org_id = $1 AND id = $2`, orgID, id); err != nil {
			return err
		}
		t.counts.users--
		t.emit("user.deleted", "user", id, map[string]any{"userName": userName, "groups": groups})
		return nil
	})
	if err != nil {
		return fmt.Errorf("delete user %s: %w", id, err)
	}
	return nil
}

// clearManager removes a user about to be deleted from the users they
// manage: each gets a new version and a "user.updated" event, since their
// representation loses its manager.
func (t *tx) clearManager(ctx context.Context, orgID, managerID string) error {
	rows, err := t.QueryContext(ctx, `UPDATE users SET manager_id = NULL, version = version + 1, updated_at = $3
		WHERE org_id = $1 AND manager_id = $2 AND id <> $2 RETURNING id, user_name, external_id, active`, orgID, managerID, t.s.t(t.now))
	if err != nil {
		return fmt.Errorf("clear manager: %w", err)
	}
	defer rows.Close()
	var reports []store.User
	for rows.Next() {
		var u store.User
		var ext sql.NullString
		if err := rows.Scan(&u.ID, &u.UserName, &ext, &u.Active); err != nil {
			return fmt.Errorf("clear manager: %w", err)
		}
		u.ExternalID = ext.String
		reports = append(reports, u)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("clear manager: %w", err)
	}
	sort.Slice(reports, func(i, j int) bool { return reports[i].ID < reports[j].ID })
	if len(reports) > 0 {
		// Everyone indexed under this manager was just cleared above.
		if _, err := t.ExecContext(ctx, `DELETE FROM user_values WHERE org_id = $1 AND attr = $2 AND sub = 'value' AND fold = $3`,
			orgID, store.ManagerAttr, store.Fold(managerID)); err != nil {
			return fmt.Errorf("clear manager: %w", err)
		}
	}
	for _, u := range reports {
		d := userEventData(u)
		d["manager"] = nil
		t.emit("user.updated", "user", u.ID, d)
	}
	return nil
}

// strings runs a query returning one text column.
func (t *tx) strings(ctx context.Context, q string, args ...any) ([]string, error) {
	return queryStrings(ctx, t, q, args...)
}

type querier interface {
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
}

func queryStrings(ctx context.Context, db querier, q string, args ...any) ([]string, error) {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// QueryUsers returns a page of users.
func (s *DB) QueryUsers(ctx context.Context, orgID string, q store.Query) (store.Page[store.User], error) {
	p, err := runQuery(ctx, s, &usersResource, userColumns, orgID, q, func(r scanner) (store.User, error) { return scanUser(orgID, r) })
	if err != nil {
		return p, fmt.Errorf("query users: %w", err)
	}
	return p, nil
}

// runQuery runs a page query and, when the page does not tell it, the count.
func runQuery[T any](ctx context.Context, s *DB, res *resource, cols, orgID string, q store.Query, scan func(scanner) (T, error)) (store.Page[T], error) {
	var p store.Page[T]
	if q.Limit < 0 || q.Offset < 0 {
		return p, store.Invalidf("negative limit or offset")
	}
	sel, args, count, countArgs, err := s.buildSelect(res, cols, orgID, q)
	if err != nil {
		return p, err
	}
	if q.Limit > 0 {
		rows, err := s.r.QueryContext(ctx, sel, args...)
		if err != nil {
			return p, err
		}
		defer rows.Close()
		for rows.Next() {
			v, err := scan(rows)
			if err != nil {
				return p, err
			}
			p.Items = append(p.Items, v)
		}
		if err := rows.Err(); err != nil {
			return p, err
		}
		if len(p.Items) > q.Limit {
			p.Items, p.More = p.Items[:q.Limit], true
		}
		if q.Before != "" {
			for i, j := 0, len(p.Items)-1; i < j; i, j = i+1, j-1 {
				p.Items[i], p.Items[j] = p.Items[j], p.Items[i]
			}
		}
		if !p.More && q.After == "" && q.Before == "" && (len(p.Items) > 0 || q.Offset == 0) {
			// The whole tail is on this page: the total follows from it.
			p.Total = q.Offset + len(p.Items)
			return p, nil
		}
	}
	err = s.r.QueryRowContext(ctx, count, countArgs...).Scan(&p.Total)
	if err == sql.ErrNoRows {
		// No such organization: nothing matches, as COUNT(*) would say.
		err = nil
	}
	return p, err
}

// UserGroups returns the groups of each user given.
func (s *DB) UserGroups(ctx context.Context, orgID string, userIDs []string) (map[string][]store.GroupRef, error) {
	out := make(map[string][]store.GroupRef, len(userIDs))
	for len(userIDs) > 0 {
		n := min(len(userIDs), 500)
		list, args := inList([]any{orgID}, userIDs[:n])
		rows, err := s.r.QueryContext(ctx, `SELECT m.user_id, g.id, g.display_name FROM group_members m
			JOIN groups g ON g.org_id = m.org_id AND g.id = m.group_id
			WHERE m.org_id = $1 AND m.user_id IN (`+list+`) ORDER BY m.user_id, g.id`, args...)
		if err != nil {
			return nil, fmt.Errorf("groups of users: %w", err)
		}
		for rows.Next() {
			var uid string
			var g store.GroupRef
			if err := rows.Scan(&uid, &g.GroupID, &g.DisplayName); err != nil {
				rows.Close()
				return nil, fmt.Errorf("groups of users: %w", err)
			}
			out[uid] = append(out[uid], g)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("groups of users: %w", err)
		}
		userIDs = userIDs[n:]
	}
	return out, nil
}
