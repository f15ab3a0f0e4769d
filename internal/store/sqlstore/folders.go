package sqlstore

import (
	"context"
	"fmt"

	"github.com/rosterhq/roster/internal/store"
)

const folderColumns = `id, workspace_id, name, is_home, team_access, created_at, updated_at`

func scanFolder(orgID string, row scanner) (store.Folder, error) {
	f := store.Folder{OrgID: orgID}
	err := row.Scan(&f.ID, &f.WorkspaceID, &f.Name, &f.IsHome, &f.TeamAccess, &f.CreatedAt, &f.UpdatedAt)
	f.CreatedAt, f.UpdatedAt = f.CreatedAt.UTC(), f.UpdatedAt.UTC()
	return f, err
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
