package sqlstore

import (
	"context"
	"fmt"

	"github.com/rosterhq/roster/internal/store"
)

const workspaceColumns = `w.id, w.name, COALESCE(f.id, ''), w.created_at, w.updated_at`

const workspaceFrom = ` FROM workspaces w LEFT JOIN folders f
	ON f.org_id = w.org_id AND f.workspace_id = w.id AND f.is_home`

func scanWorkspace(orgID string, row scanner) (store.Workspace, error) {
	w := store.Workspace{OrgID: orgID}
	err := row.Scan(&w.ID, &w.Name, &w.HomeFolderID, &w.CreatedAt, &w.UpdatedAt)
	w.CreatedAt, w.UpdatedAt = w.CreatedAt.UTC(), w.UpdatedAt.UTC()
	return w, err
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
