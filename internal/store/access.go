package store

import (
	"context"
	"strings"
	"time"
)

// Role is an access level on a workspace or folder. Roles are ordered
// Editor > Checker > Viewer; organization owners and admins sit above all
// three (see OrgRole).
type Role string

// Roles a grant or a membership may carry.
const (
	RoleEditor  Role = "editor"
	RoleChecker Role = "checker"
	RoleViewer  Role = "viewer"
)

// Valid reports whether r is a role a grant or membership may carry.
func (r Role) Valid() bool { return r == RoleEditor || r == RoleChecker || r == RoleViewer }

// ResourceType names what a grant or membership is on.
type ResourceType string

// Resource types.
const (
	ResourceWorkspace ResourceType = "workspace"
	ResourceFolder    ResourceType = "folder"
)

// Valid reports whether t is a known resource type.
func (t ResourceType) Valid() bool { return t == ResourceWorkspace || t == ResourceFolder }

// TeamAccess says who reaches a folder besides its own members.
type TeamAccess string

// Team access modes.
const (
	// TeamAccessWorkspace folders follow their workspace: whoever has a role
	// on the workspace has it on the folder.
	TeamAccessWorkspace TeamAccess = "workspace"
	// TeamAccessInviteOnly folders are reached only through their own
	// members and group grants.
	TeamAccessInviteOnly TeamAccess = "invite_only"
)

// Valid reports whether a is a known mode.
func (a TeamAccess) Valid() bool { return a == TeamAccessWorkspace || a == TeamAccessInviteOnly }

// OrgRole makes a user an owner or admin of the organization: above every
// workspace and folder role.
type OrgRole string

// Organization roles.
const (
	OrgOwner OrgRole = "owner"
	OrgAdmin OrgRole = "admin"
)

// Valid reports whether r is a known organization role.
func (r OrgRole) Valid() bool { return r == OrgOwner || r == OrgAdmin }

// Membership origins other than "group:<id>".
const (
	OriginInvited = "invited"
	OriginOwner   = "owner"
	// OriginGroupPrefix starts the origin of a membership joined through a
	// group grant: "group:<group id>".
	OriginGroupPrefix = "group:"
	// OriginKept is the origin of a membership joined through a group that
	// was deleted while the organization's group_removal policy was
	// "keep": the member stays until removed by hand, whatever the policy
	// later, and the origin no longer names a group that does not exist.
	OriginKept = "kept"
)

// TokenAdmin is the kind of instance-level admin keys. They belong to no
// organization and are kept apart from the per-organization tokens; see
// AdminTokenStore.
const TokenAdmin TokenKind = "admin"

// Workspace is a workspace of an organization. Every workspace has exactly
// one home folder, created with it.
type Workspace struct {
	OrgID        string
	ID           string
	Name         string
	HomeFolderID string
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Folder is a folder of a workspace.
type Folder struct {
	OrgID       string
	ID          string
	WorkspaceID string
	Name        string
	// IsHome marks the workspace's home folder; its team access is always
	// TeamAccessWorkspace, so a workspace grant covers it.
	IsHome     bool
	TeamAccess TeamAccess
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// FolderUpdate changes a folder; nil fields are left as they are.
type FolderUpdate struct {
	OrgID      string
	ID         string
	Name       *string
	TeamAccess *TeamAccess
}

// Grant gives a group a role on a workspace or on an invite-only folder.
type Grant struct {
	OrgID        string
	ResourceType ResourceType
	ResourceID   string
	GroupID      string
	Role         Role
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// ResourceMember is one direct membership of a user in a workspace or
// folder, from one origin: "group:<id>" (joined through that group's grant),
// "invited", "owner" or OriginKept. A user may be a member through several
// origins.
type ResourceMember struct {
	OrgID        string
	ResourceType ResourceType
	ResourceID   string
	UserID       string
	Origin       string
	Role         Role
	CreatedAt    time.Time
}

// OrgMember is a user's organization role.
type OrgMember struct {
	OrgID     string
	UserID    string
	Role      OrgRole
	CreatedAt time.Time
}

// GrantFilter selects grants; empty fields match everything.
type GrantFilter struct {
	ResourceType ResourceType
	ResourceID   string
	GroupID      string
}

// AccessSnapshot is everything the access resolver needs about one
// organization, read in one consistent snapshot: the state right after
// event Seq.
type AccessSnapshot struct {
	Org        Org
	Seq        int64
	Users      []UserState
	Groups     []string
	Membership []GroupMembership
	Workspaces []Workspace
	Folders    []Folder
	Grants     []Grant
	Members    []ResourceMember
	OrgRoles   []OrgMember
}

// UserState is a user as the resolver sees it.
type UserState struct {
	ID     string
	Active bool
}

// GroupMembership is one user's membership of one group.
type GroupMembership struct {
	GroupID string
	UserID  string
}

// AccessStore keeps workspaces, folders, grants, direct memberships and
// organization roles. Every write appends its events in its transaction.
type AccessStore interface {
	// CreateWorkspace stores a workspace and its home folder (named by
	// home.ID and home.Name). When creatorID is not "", that user becomes
	// an editor of the workspace with origin "owner", in the same
	// transaction. Events "workspace.created", "folder.created" and, with a
	// creator, "member.added".
	CreateWorkspace(ctx context.Context, actor Actor, w Workspace, home Folder, creatorID string) (Workspace, Folder, error)
	// GetWorkspace returns a workspace or ErrNotFound.
	GetWorkspace(ctx context.Context, orgID, id string) (Workspace, error)
	// ListWorkspaces returns workspaces ordered by id, after the id given.
	ListWorkspaces(ctx context.Context, orgID, after string, limit int) ([]Workspace, error)
	// RenameWorkspace renames a workspace. Event "workspace.updated".
	RenameWorkspace(ctx context.Context, actor Actor, orgID, id, name string) (Workspace, error)
	// DeleteWorkspace removes a workspace with its folders, their grants and
	// their memberships. Event "workspace.deleted".
	DeleteWorkspace(ctx context.Context, actor Actor, orgID, id string) error

	// CreateFolder stores a non-home folder in an existing workspace.
	// Event "folder.created".
	CreateFolder(ctx context.Context, actor Actor, f Folder) (Folder, error)
	// GetFolder returns a folder or ErrNotFound.
	GetFolder(ctx context.Context, orgID, id string) (Folder, error)
	// ListFolders returns a workspace's folders ordered by id.
	ListFolders(ctx context.Context, orgID, workspaceID, after string, limit int) ([]Folder, error)
	// UpdateFolder renames a folder or changes its team access. A home
	// folder cannot become invite-only, and a folder with group grants
	// cannot leave invite-only (an *InvalidError says so). Event
	// "folder.updated" when something changed.
	UpdateFolder(ctx context.Context, actor Actor, u FolderUpdate) (Folder, error)
	// DeleteFolder removes a non-home folder with its grants and
	// memberships. Event "folder.deleted".
	DeleteFolder(ctx context.Context, actor Actor, orgID, id string) error

	// PutGrant creates or changes a group's grant on a workspace or an
	// invite-only folder; created reports which. A grant on a folder that
	// is not invite-only is an *InvalidError. Event "grant.created" or
	// "grant.updated" (none when the role is unchanged).
	PutGrant(ctx context.Context, actor Actor, g Grant) (out Grant, created bool, err error)
	// DeleteGrant removes a grant or returns ErrNotFound. Event
	// "grant.deleted".
	DeleteGrant(ctx context.Context, actor Actor, orgID string, rt ResourceType, resourceID, groupID string) error
	// ListGrants returns grants matching f ordered by resource type,
	// resource id and group id, after the grant given ("" for the first
	// page; see GrantCursor).
	ListGrants(ctx context.Context, orgID string, f GrantFilter, after string, limit int) ([]Grant, error)

	// PutMember creates or changes one direct membership (one origin).
	// Event "member.added" or "member.role_changed".
	PutMember(ctx context.Context, actor Actor, m ResourceMember) (ResourceMember, error)
	// JoinMembers records memberships a user earned by using a resource,
	// skipping those already there and those through a group that no
	// longer exists, and returns the ones added. Event "member.joined" for
	// each.
	JoinMembers(ctx context.Context, actor Actor, ms []ResourceMember) ([]ResourceMember, error)
	// RemoveMember removes a user's memberships of a resource, all origins,
	// or ErrNotFound when there are none. Event "member.removed".
	RemoveMember(ctx context.Context, actor Actor, orgID string, rt ResourceType, resourceID, userID string) error
	// ListResourceMembers returns a resource's memberships ordered by user
	// id then origin, after the one given ("" for the first page; see
	// MemberCursor).
	ListResourceMembers(ctx context.Context, orgID string, rt ResourceType, resourceID, after string, limit int) ([]ResourceMember, error)

	// SetOrgRole makes a user an owner or admin. Event "org.role_set".
	SetOrgRole(ctx context.Context, actor Actor, orgID, userID string, role OrgRole) (OrgMember, error)
	// RemoveOrgRole takes the role away or returns ErrNotFound. Event
	// "org.role_removed".
	RemoveOrgRole(ctx context.Context, actor Actor, orgID, userID string) error
	// ListOrgRoles returns owners and admins ordered by user id.
	ListOrgRoles(ctx context.Context, orgID, after string, limit int) ([]OrgMember, error)

	// EventSeq returns the organization's last event number: a cheap way
	// for caches to learn that something changed.
	EventSeq(ctx context.Context, orgID string) (int64, error)
	// AccessSnapshot reads the organization's access state in one
	// consistent read.
	AccessSnapshot(ctx context.Context, orgID string) (AccessSnapshot, error)
}

// AdminTokenStore keeps instance-level admin keys. They live apart from
// the per-organization tokens because they belong to no organization and
// so to no organization's event log; creating and revoking them is an
// operator's act at the command line.
type AdminTokenStore interface {
	// CreateAdminToken stores an admin key (Kind TokenAdmin, no OrgID).
	CreateAdminToken(ctx context.Context, t Token) (Token, error)
	// GetAdminToken returns an admin key by id, revoked or not, or
	// ErrNotFound.
	GetAdminToken(ctx context.Context, id string) (Token, error)
	// ListAdminTokens returns admin keys, newest first.
	ListAdminTokens(ctx context.Context) ([]Token, error)
	// RevokeAdminToken revokes an admin key; revoking twice changes nothing.
	RevokeAdminToken(ctx context.Context, id string) (Token, error)
	// TouchAdminToken records a use of the key.
	TouchAdminToken(ctx context.Context, id string, at time.Time) error
}

// cursorSep separates the parts of a composite cursor; ids never hold it.
const cursorSep = "\x1f"

// GrantCursor returns the cursor that pages past g in ListGrants.
func GrantCursor(g Grant) string {
	return string(g.ResourceType) + cursorSep + g.ResourceID + cursorSep + g.GroupID
}

// MemberCursor returns the cursor that pages past m in ListResourceMembers.
func MemberCursor(m ResourceMember) string { return m.UserID + cursorSep + m.Origin }

// SplitCursor splits a composite cursor into n parts; ok is false when it
// has another shape.
func SplitCursor(c string, n int) (parts []string, ok bool) {
	parts = strings.Split(c, cursorSep)
	return parts, len(parts) == n
}
