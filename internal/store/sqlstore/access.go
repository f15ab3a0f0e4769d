package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/rosterhq/roster/internal/store"
)

// This file implements store.AccessStore: workspaces, folders, grants,
// direct memberships and organization roles.

const workspaceColumns = `w.id, w.name, COALESCE(f.id, ''), w.created_at, w.updated_at`

const workspaceFrom = ` FROM workspaces w LEFT JOIN folders f
	ON f.org_id = w.org_id AND f.workspace_id = w.id AND f.is_home`

func scanWorkspace(orgID string, row scanner) (store.Workspace, error) {
	w := store.Workspace{OrgID: orgID}
	err := row.Scan(&w.ID, &w.Name, &w.HomeFolderID, &w.CreatedAt, &w.UpdatedAt)
	w.CreatedAt, w.UpdatedAt = w.CreatedAt.UTC(), w.UpdatedAt.UTC()
	return w, err
}

const folderColumns = `id, workspace_id, name, is_home, team_access, created_at, updated_at`

func scanFolder(orgID string, row scanner) (store.Folder, error) {
	f := store.Folder{OrgID: orgID}
	err := row.Scan(&f.ID, &f.WorkspaceID, &f.Name, &f.IsHome, &f.TeamAccess, &f.CreatedAt, &f.UpdatedAt)
	f.CreatedAt, f.UpdatedAt = f.CreatedAt.UTC(), f.UpdatedAt.UTC()
	return f, err
}

const grantColumns = `resource_type, resource_id, group_id, role, created_at, updated_at`

func scanGrant(orgID string, row scanner) (store.Grant, error) {
	g := store.Grant{OrgID: orgID}
	err := row.Scan(&g.ResourceType, &g.ResourceID, &g.GroupID, &g.Role, &g.CreatedAt, &g.UpdatedAt)
	g.CreatedAt, g.UpdatedAt = g.CreatedAt.UTC(), g.UpdatedAt.UTC()
	return g, err
}

const memberColumns = `resource_type, resource_id, user_id, origin, role, created_at`

func scanMember(orgID string, row scanner) (store.ResourceMember, error) {
	m := store.ResourceMember{OrgID: orgID}
	err := row.Scan(&m.ResourceType, &m.ResourceID, &m.UserID, &m.Origin, &m.Role, &m.CreatedAt)
	m.CreatedAt = m.CreatedAt.UTC()
	return m, err
}

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

// CreateWorkspace stores a workspace and its home folder.
func (s *DB) CreateWorkspace(ctx context.Context, actor store.Actor, w store.Workspace, home store.Folder, creatorID string) (store.Workspace, store.Folder, error) {
	if w.ID == "" || w.Name == "" || home.ID == "" || home.Name == "" {
		return store.Workspace{}, store.Folder{}, fmt.Errorf("create workspace: ids and names are required: %w", store.ErrInvalid)
	}
	err := s.write(ctx, actor, w.OrgID, func(t *tx) error {
		w.CreatedAt, w.UpdatedAt, w.HomeFolderID = t.now, t.now, home.ID
		_, err := t.ExecContext(ctx, `INSERT INTO workspaces (org_id, id, name, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)`,
			w.OrgID, w.ID, w.Name, s.t(t.now))
		switch {
		case s.d.IsUnique(err):
			return &store.ConflictError{Field: "id", Value: w.ID}
		case s.d.IsForeignKey(err):
			return fmt.Errorf("organization %s: %w", w.OrgID, store.ErrNotFound)
		case err != nil:
			return err
		}
		home = store.Folder{OrgID: w.OrgID, ID: home.ID, WorkspaceID: w.ID, Name: home.Name, IsHome: true,
			TeamAccess: store.TeamAccessWorkspace, CreatedAt: t.now, UpdatedAt: t.now}
		t.emit("workspace.created", "workspace", w.ID, map[string]any{"name": w.Name, "home_folder_id": home.ID})
		if err := t.insertFolder(ctx, home); err != nil {
			return err
		}
		if creatorID == "" {
			return nil
		}
		m := store.ResourceMember{OrgID: w.OrgID, ResourceType: store.ResourceWorkspace, ResourceID: w.ID,
			UserID: creatorID, Origin: store.OriginOwner, Role: store.RoleEditor}
		if _, err := t.insertMember(ctx, &m); err != nil {
			return err
		}
		t.emit("member.added", "workspace", w.ID, memberData(m))
		return nil
	})
	if err != nil {
		return store.Workspace{}, store.Folder{}, fmt.Errorf("create workspace %q: %w", w.Name, err)
	}
	return w, home, nil
}

func (t *tx) insertFolder(ctx context.Context, f store.Folder) error {
	_, err := t.ExecContext(ctx, `INSERT INTO folders (org_id, id, workspace_id, name, is_home, team_access, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $7)`, f.OrgID, f.ID, f.WorkspaceID, f.Name, f.IsHome, f.TeamAccess, t.s.t(t.now))
	switch {
	case t.s.d.IsUnique(err):
		return &store.ConflictError{Field: "id", Value: f.ID}
	case t.s.d.IsForeignKey(err):
		return fmt.Errorf("workspace %s: %w", f.WorkspaceID, store.ErrNotFound)
	case err != nil:
		return err
	}
	t.emit("folder.created", "folder", f.ID, map[string]any{
		"workspace_id": f.WorkspaceID, "name": f.Name, "is_home": f.IsHome, "team_access": f.TeamAccess})
	return nil
}

// GetWorkspace returns a workspace.
func (s *DB) GetWorkspace(ctx context.Context, orgID, id string) (store.Workspace, error) {
	w, err := scanWorkspace(orgID, s.r.QueryRowContext(ctx, `SELECT `+workspaceColumns+workspaceFrom+
		` WHERE w.org_id = $1 AND w.id = $2`, orgID, id))
	if err != nil {
		return store.Workspace{}, fmt.Errorf("get workspace %s: %w", id, notFound(err))
	}
	return w, nil
}

// ListWorkspaces pages through workspaces by id.
func (s *DB) ListWorkspaces(ctx context.Context, orgID, after string, limit int) ([]store.Workspace, error) {
	out, err := queryAll(ctx, s.r, func(r scanner) (store.Workspace, error) { return scanWorkspace(orgID, r) },
		`SELECT `+workspaceColumns+workspaceFrom+` WHERE w.org_id = $1 AND w.id > $2 ORDER BY w.id LIMIT $3`, orgID, after, limit)
	if err != nil {
		return nil, fmt.Errorf("list workspaces: %w", err)
	}
	return out, nil
}

// RenameWorkspace renames a workspace.
func (s *DB) RenameWorkspace(ctx context.Context, actor store.Actor, orgID, id, name string) (store.Workspace, error) {
	if name == "" {
		return store.Workspace{}, store.Invalidf("a workspace needs a name")
	}
	var w store.Workspace
	err := s.write(ctx, actor, orgID, func(t *tx) error {
		var err error
		w, err = scanWorkspace(orgID, t.QueryRowContext(ctx, `SELECT `+workspaceColumns+workspaceFrom+
			` WHERE w.org_id = $1 AND w.id = $2`, orgID, id))
		if err != nil {
			return notFound(err)
		}
		if w.Name == name {
			return nil
		}
		old := w.Name
		w.Name, w.UpdatedAt = name, t.now
		if _, err := t.ExecContext(ctx, `UPDATE workspaces SET name = $3, updated_at = $4 WHERE org_id = $1 AND id = $2`,
			orgID, id, name, s.t(t.now)); err != nil {
			return err
		}
		t.emit("workspace.updated", "workspace", id, map[string]any{"name": name, "from_name": old})
		return nil
	})
	if err != nil {
		return store.Workspace{}, fmt.Errorf("rename workspace %s: %w", id, err)
	}
	return w, nil
}

// DeleteWorkspace removes a workspace, its folders, grants and memberships.
func (s *DB) DeleteWorkspace(ctx context.Context, actor store.Actor, orgID, id string) error {
	err := s.write(ctx, actor, orgID, func(t *tx) error {
		var name string
		if err := t.QueryRowContext(ctx, `SELECT name FROM workspaces WHERE org_id = $1 AND id = $2`, orgID, id).Scan(&name); err != nil {
			return notFound(err)
		}
		folders, err := t.strings(ctx, `SELECT id FROM folders WHERE org_id = $1 AND workspace_id = $2 ORDER BY id`, orgID, id)
		if err != nil {
			return err
		}
		for _, q := range []string{
			`DELETE FROM grants WHERE org_id = $1 AND resource_type = 'folder'
				AND resource_id IN (SELECT id FROM folders WHERE org_id = $1 AND workspace_id = $2)`,
			`DELETE FROM resource_members WHERE org_id = $1 AND resource_type = 'folder'
				AND resource_id IN (SELECT id FROM folders WHERE org_id = $1 AND workspace_id = $2)`,
			`DELETE FROM grants WHERE org_id = $1 AND resource_type = 'workspace' AND resource_id = $2`,
			`DELETE FROM resource_members WHERE org_id = $1 AND resource_type = 'workspace' AND resource_id = $2`,
			`DELETE FROM workspaces WHERE org_id = $1 AND id = $2`, // folders cascade
		} {
			if _, err := t.ExecContext(ctx, q, orgID, id); err != nil {
				return err
			}
		}
		t.emit("workspace.deleted", "workspace", id, map[string]any{"name": name, "folders": folders})
		return nil
	})
	if err != nil {
		return fmt.Errorf("delete workspace %s: %w", id, err)
	}
	return nil
}

// CreateFolder stores a folder in a workspace.
func (s *DB) CreateFolder(ctx context.Context, actor store.Actor, f store.Folder) (store.Folder, error) {
	if f.ID == "" || f.Name == "" || f.WorkspaceID == "" {
		return store.Folder{}, store.Invalidf("a folder needs an id, a name and a workspace")
	}
	if f.TeamAccess == "" {
		f.TeamAccess = store.TeamAccessWorkspace
	}
	if !f.TeamAccess.Valid() {
		return store.Folder{}, store.Invalidf("team access must be %q or %q, not %q", store.TeamAccessWorkspace, store.TeamAccessInviteOnly, f.TeamAccess)
	}
	f.IsHome = false
	err := s.write(ctx, actor, f.OrgID, func(t *tx) error {
		f.CreatedAt, f.UpdatedAt = t.now, t.now
		return t.insertFolder(ctx, f)
	})
	if err != nil {
		return store.Folder{}, fmt.Errorf("create folder %q: %w", f.Name, err)
	}
	return f, nil
}

// GetFolder returns a folder.
func (s *DB) GetFolder(ctx context.Context, orgID, id string) (store.Folder, error) {
	f, err := scanFolder(orgID, s.r.QueryRowContext(ctx, `SELECT `+folderColumns+` FROM folders WHERE org_id = $1 AND id = $2`, orgID, id))
	if err != nil {
		return store.Folder{}, fmt.Errorf("get folder %s: %w", id, notFound(err))
	}
	return f, nil
}

// ListFolders pages through a workspace's folders by id.
func (s *DB) ListFolders(ctx context.Context, orgID, workspaceID, after string, limit int) ([]store.Folder, error) {
	out, err := queryAll(ctx, s.r, func(r scanner) (store.Folder, error) { return scanFolder(orgID, r) },
		`SELECT `+folderColumns+` FROM folders WHERE org_id = $1 AND workspace_id = $2 AND id > $3 ORDER BY id LIMIT $4`,
		orgID, workspaceID, after, limit)
	if err != nil {
		return nil, fmt.Errorf("list folders of %s: %w", workspaceID, err)
	}
	return out, nil
}

// UpdateFolder renames a folder or changes its team access.
func (s *DB) UpdateFolder(ctx context.Context, actor store.Actor, u store.FolderUpdate) (store.Folder, error) {
	if u.Name != nil && *u.Name == "" {
		return store.Folder{}, store.Invalidf("a folder needs a name")
	}
	if u.TeamAccess != nil && !u.TeamAccess.Valid() {
		return store.Folder{}, store.Invalidf("team access must be %q or %q, not %q", store.TeamAccessWorkspace, store.TeamAccessInviteOnly, *u.TeamAccess)
	}
	var f store.Folder
	err := s.write(ctx, actor, u.OrgID, func(t *tx) error {
		var err error
		f, err = scanFolder(u.OrgID, t.QueryRowContext(ctx, `SELECT `+folderColumns+` FROM folders WHERE org_id = $1 AND id = $2`, u.OrgID, u.ID))
		if err != nil {
			return notFound(err)
		}
		data := map[string]any{"workspace_id": f.WorkspaceID}
		if u.Name != nil && *u.Name != f.Name {
			data["name"], data["from_name"] = *u.Name, f.Name
			f.Name = *u.Name
		}
		if u.TeamAccess != nil && *u.TeamAccess != f.TeamAccess {
			if f.IsHome {
				return store.Invalidf("folder %s is its workspace's home folder: its team access follows the workspace and cannot be %q", f.ID, *u.TeamAccess)
			}
			if *u.TeamAccess == store.TeamAccessWorkspace {
				var n int
				if err := t.QueryRowContext(ctx, `SELECT COUNT(*) FROM grants WHERE org_id = $1 AND resource_type = 'folder' AND resource_id = $2`,
					u.OrgID, f.ID).Scan(&n); err != nil {
					return err
				}
				if n > 0 {
					return store.Invalidf("folder %s has %d group grant(s); remove them before setting its team access to %q", f.ID, n, store.TeamAccessWorkspace)
				}
			}
			data["team_access"], data["from_team_access"] = *u.TeamAccess, f.TeamAccess
			f.TeamAccess = *u.TeamAccess
		}
		if len(data) == 1 {
			return nil
		}
		f.UpdatedAt = t.now
		if _, err := t.ExecContext(ctx, `UPDATE folders SET name = $3, team_access = $4, updated_at = $5 WHERE org_id = $1 AND id = $2`,
			u.OrgID, u.ID, f.Name, f.TeamAccess, s.t(t.now)); err != nil {
			return err
		}
		t.emit("folder.updated", "folder", f.ID, data)
		return nil
	})
	if err != nil {
		return store.Folder{}, fmt.Errorf("update folder %s: %w", u.ID, err)
	}
	return f, nil
}

// DeleteFolder removes a folder with its grants and memberships.
func (s *DB) DeleteFolder(ctx context.Context, actor store.Actor, orgID, id string) error {
	err := s.write(ctx, actor, orgID, func(t *tx) error {
		f, err := scanFolder(orgID, t.QueryRowContext(ctx, `SELECT `+folderColumns+` FROM folders WHERE org_id = $1 AND id = $2`, orgID, id))
		if err != nil {
			return notFound(err)
		}
		if f.IsHome {
			return store.Invalidf("folder %s is its workspace's home folder; it goes only with the workspace", id)
		}
		for _, q := range []string{
			`DELETE FROM grants WHERE org_id = $1 AND resource_type = 'folder' AND resource_id = $2`,
			`DELETE FROM resource_members WHERE org_id = $1 AND resource_type = 'folder' AND resource_id = $2`,
			`DELETE FROM folders WHERE org_id = $1 AND id = $2`,
		} {
			if _, err := t.ExecContext(ctx, q, orgID, id); err != nil {
				return err
			}
		}
		t.emit("folder.deleted", "folder", id, map[string]any{"workspace_id": f.WorkspaceID, "name": f.Name})
		return nil
	})
	if err != nil {
		return fmt.Errorf("delete folder %s: %w", id, err)
	}
	return nil
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
		for _, m := range ms {
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

// EventSeq returns the organization's last event number.
func (s *DB) EventSeq(ctx context.Context, orgID string) (int64, error) {
	var seq int64
	if err := s.r.QueryRowContext(ctx, `SELECT event_seq FROM orgs WHERE id = $1`, orgID).Scan(&seq); err != nil {
		return 0, fmt.Errorf("event sequence of %s: %w", orgID, notFound(err))
	}
	return seq, nil
}

// AccessSnapshot reads an organization's access state in one read
// transaction: REPEATABLE READ on PostgreSQL, and on SQLite the WAL
// snapshot a read transaction holds from its first statement.
func (s *DB) AccessSnapshot(ctx context.Context, orgID string) (store.AccessSnapshot, error) {
	opts := &sql.TxOptions{ReadOnly: true}
	if s.d.Name == "postgres" {
		opts.Isolation = sql.LevelRepeatableRead
	}
	var snap store.AccessSnapshot
	err := func() error {
		rtx, err := s.r.BeginTx(ctx, opts)
		if err != nil {
			return err
		}
		defer rtx.Rollback() //nolint:errcheck // read only
		var seq int64
		snap.Org, err = scanOrgSeq(rtx.QueryRowContext(ctx, `SELECT `+orgColumns+`, event_seq FROM orgs WHERE id = $1`, orgID), &seq)
		if err != nil {
			return notFound(err)
		}
		snap.Seq = seq
		if snap.Users, err = queryAll(ctx, rtx, func(r scanner) (store.UserState, error) {
			var u store.UserState
			return u, r.Scan(&u.ID, &u.Active)
		}, `SELECT id, active FROM users WHERE org_id = $1`, orgID); err != nil {
			return fmt.Errorf("users: %w", err)
		}
		if snap.Groups, err = queryStrings(ctx, rtx, `SELECT id FROM groups WHERE org_id = $1`, orgID); err != nil {
			return fmt.Errorf("groups: %w", err)
		}
		if snap.Membership, err = queryAll(ctx, rtx, func(r scanner) (store.GroupMembership, error) {
			var m store.GroupMembership
			return m, r.Scan(&m.GroupID, &m.UserID)
		}, `SELECT group_id, user_id FROM group_members WHERE org_id = $1`, orgID); err != nil {
			return fmt.Errorf("group members: %w", err)
		}
		if snap.Workspaces, err = queryAll(ctx, rtx, func(r scanner) (store.Workspace, error) { return scanWorkspace(orgID, r) },
			`SELECT `+workspaceColumns+workspaceFrom+` WHERE w.org_id = $1`, orgID); err != nil {
			return fmt.Errorf("workspaces: %w", err)
		}
		if snap.Folders, err = queryAll(ctx, rtx, func(r scanner) (store.Folder, error) { return scanFolder(orgID, r) },
			`SELECT `+folderColumns+` FROM folders WHERE org_id = $1`, orgID); err != nil {
			return fmt.Errorf("folders: %w", err)
		}
		if snap.Grants, err = queryAll(ctx, rtx, func(r scanner) (store.Grant, error) { return scanGrant(orgID, r) },
			`SELECT `+grantColumns+` FROM grants WHERE org_id = $1`, orgID); err != nil {
			return fmt.Errorf("grants: %w", err)
		}
		if snap.Members, err = queryAll(ctx, rtx, func(r scanner) (store.ResourceMember, error) { return scanMember(orgID, r) },
			`SELECT `+memberColumns+` FROM resource_members WHERE org_id = $1`, orgID); err != nil {
			return fmt.Errorf("memberships: %w", err)
		}
		if snap.OrgRoles, err = queryAll(ctx, rtx, func(r scanner) (store.OrgMember, error) {
			m := store.OrgMember{OrgID: orgID}
			return m, r.Scan(&m.UserID, &m.Role)
		}, `SELECT user_id, role FROM org_roles WHERE org_id = $1`, orgID); err != nil {
			return fmt.Errorf("organization roles: %w", err)
		}
		return nil
	}()
	if err != nil {
		return store.AccessSnapshot{}, fmt.Errorf("read access state of %s: %w", orgID, err)
	}
	return snap, nil
}

func scanOrgSeq(row scanner, seq *int64) (store.Org, error) {
	var o store.Org
	err := row.Scan(&o.ID, &o.Name, &o.Plan, &o.Settings.AllowMembersCreateWorkspaces,
		&o.Settings.GroupRemoval, &o.CreatedAt, &o.UpdatedAt, seq)
	o.CreatedAt, o.UpdatedAt = o.CreatedAt.UTC(), o.UpdatedAt.UTC()
	return o, err
}
