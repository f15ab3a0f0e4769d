package api

import (
	"time"

	"github.com/rosterhq/roster/internal/store"
)

type orgJSON struct {
	ID        string         `json:"id"`
	Name      string         `json:"name"`
	Plan      store.Plan     `json:"plan"`
	Settings  store.Settings `json:"settings"`
	CreatedAt time.Time      `json:"created_at"`
	UpdatedAt time.Time      `json:"updated_at"`
}

func orgOut(o store.Org) orgJSON {
	return orgJSON{o.ID, o.Name, o.Plan, o.Settings, o.CreatedAt, o.UpdatedAt}
}

type workspaceJSON struct {
	ID           string    `json:"id"`
	Name         string    `json:"name"`
	HomeFolderID string    `json:"home_folder_id"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

func workspaceOut(w store.Workspace) workspaceJSON {
	return workspaceJSON{w.ID, w.Name, w.HomeFolderID, w.CreatedAt, w.UpdatedAt}
}

type folderJSON struct {
	ID          string           `json:"id"`
	WorkspaceID string           `json:"workspace_id"`
	Name        string           `json:"name"`
	IsHome      bool             `json:"is_home"`
	TeamAccess  store.TeamAccess `json:"team_access"`
	CreatedAt   time.Time        `json:"created_at"`
	UpdatedAt   time.Time        `json:"updated_at"`
}

func folderOut(f store.Folder) folderJSON {
	return folderJSON{f.ID, f.WorkspaceID, f.Name, f.IsHome, f.TeamAccess, f.CreatedAt, f.UpdatedAt}
}

type grantJSON struct {
	ResourceType store.ResourceType `json:"resource_type"`
	ResourceID   string             `json:"resource_id"`
	GroupID      string             `json:"group_id"`
	GroupName    string             `json:"group_name"`
	Role         store.Role         `json:"role"`
	CreatedAt    time.Time          `json:"created_at"`
	UpdatedAt    time.Time          `json:"updated_at"`
}

// grantOut returns a grant's JSON without its group's name; see
// namedGrants.
func grantOut(g store.Grant) grantJSON {
	return grantJSON{ResourceType: g.ResourceType, ResourceID: g.ResourceID, GroupID: g.GroupID, Role: g.Role, CreatedAt: g.CreatedAt, UpdatedAt: g.UpdatedAt}
}

type memberJSON struct {
	ResourceType store.ResourceType `json:"resource_type"`
	ResourceID   string             `json:"resource_id"`
	UserID       string             `json:"user_id"`
	Origin       string             `json:"origin"`
	Role         store.Role         `json:"role"`
	CreatedAt    time.Time          `json:"created_at"`
}

func memberOut(m store.ResourceMember) memberJSON {
	return memberJSON{m.ResourceType, m.ResourceID, m.UserID, m.Origin, m.Role, m.CreatedAt}
}

func mapSlice[T, U any](in []T, f func(T) U) []U {
	out := make([]U, len(in))
	for i, v := range in {
		out[i] = f(v)
	}
	return out
}
