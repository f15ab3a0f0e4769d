package access

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/rosterhq/roster/internal/fault"
	"github.com/rosterhq/roster/internal/store"
)

// serviceStore is what Service needs of the store.
type serviceStore interface {
	store.AccessStore
	CreateOrg(ctx context.Context, actor store.Actor, org store.Org) (store.Org, error)
	GetOrg(ctx context.Context, id string) (store.Org, error)
	ListOrgs(ctx context.Context, after string, limit int) ([]store.Org, error)
	SetOrgPlan(ctx context.Context, actor store.Actor, id string, plan store.Plan) (store.Org, error)
	SetOrgSettings(ctx context.Context, actor store.Actor, id string, s store.Settings) (store.Org, error)
	GetGroup(ctx context.Context, orgID, id string) (store.Group, error)
	GetUser(ctx context.Context, orgID, id string) (store.User, error)
	ListEvents(ctx context.Context, orgID string, after int64, limit int) ([]store.Event, error)
	EventHorizon(ctx context.Context, orgID string) (int64, error)
}

// Service manages workspaces, folders, grants, direct memberships,
// organization roles and settings, and answers access questions through
// its Resolver. Every write goes to the store, which records it in the
// organization's event log in the same transaction with the actor, and
// then invalidates the Resolver's index of the organization, so that the
// next check in this process sees it.
type Service struct {
	Store    serviceStore
	Resolver *Resolver
}

func (s *Service) changed(orgID string, err error) error {
	if err == nil && s.Resolver != nil {
		s.Resolver.Invalidate(orgID)
	}
	return err
}

func checkName(what, name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return "", errorf(fault.Invalid, "a %s needs a name", what)
	}
	if len(name) > 200 {
		return "", errorf(fault.Invalid, "a %s name may be at most 200 bytes, not %d", what, len(name))
	}
	return name, nil
}

// CreateWorkspace creates a workspace with its home folder (named "Home").
// creatorID, when not "", names the user creating it: the organization's
// setting allow_members_create_workspaces must let them, and they become
// the workspace's editor with origin "owner".
func (s *Service) CreateWorkspace(ctx context.Context, actor store.Actor, orgID, name, creatorID string) (store.Workspace, store.Folder, error) {
	name, err := checkName("workspace", name)
	if err != nil {
		return store.Workspace{}, store.Folder{}, err
	}
	if creatorID != "" {
		ok, why, err := s.Resolver.CanCreateWorkspace(ctx, orgID, creatorID)
		if err != nil {
			return store.Workspace{}, store.Folder{}, err
		}
		if !ok {
			return store.Workspace{}, store.Folder{}, errorf(fault.Forbidden, "user %s may not create a workspace: %s", creatorID, why)
		}
	}
	wid, err := NewID()
	if err != nil {
		return store.Workspace{}, store.Folder{}, err
	}
	fid, err := NewID()
	if err != nil {
		return store.Workspace{}, store.Folder{}, err
	}
	w, f, err := s.Store.CreateWorkspace(ctx, actor, store.Workspace{OrgID: orgID, ID: wid, Name: name},
		store.Folder{ID: fid, Name: "Home"}, creatorID)
	if errors.Is(err, store.ErrNotFound) && creatorID != "" {
		err = notFound("user", creatorID)
	}
	return w, f, s.changed(orgID, err)
}

// GetWorkspace returns a workspace.
func (s *Service) GetWorkspace(ctx context.Context, orgID, id string) (store.Workspace, error) {
	w, err := s.Store.GetWorkspace(ctx, orgID, id)
	return w, mapNotFound(err, "workspace", id)
}

// ListWorkspaces returns a page of workspaces by id.
func (s *Service) ListWorkspaces(ctx context.Context, orgID, after string, limit int) ([]store.Workspace, error) {
	return s.Store.ListWorkspaces(ctx, orgID, after, limit)
}

// RenameWorkspace renames a workspace.
func (s *Service) RenameWorkspace(ctx context.Context, actor store.Actor, orgID, id, name string) (store.Workspace, error) {
	name, err := checkName("workspace", name)
	if err != nil {
		return store.Workspace{}, err
	}
	w, err := s.Store.RenameWorkspace(ctx, actor, orgID, id, name)
	return w, s.changed(orgID, mapNotFound(err, "workspace", id))
}

// DeleteWorkspace deletes a workspace with its folders, grants and
// memberships.
func (s *Service) DeleteWorkspace(ctx context.Context, actor store.Actor, orgID, id string) error {
	return s.changed(orgID, mapNotFound(s.Store.DeleteWorkspace(ctx, actor, orgID, id), "workspace", id))
}

// CreateFolder creates a folder in a workspace; team access "" means
// "workspace".
func (s *Service) CreateFolder(ctx context.Context, actor store.Actor, orgID, workspaceID, name string, access store.TeamAccess) (store.Folder, error) {
	name, err := checkName("folder", name)
	if err != nil {
		return store.Folder{}, err
	}
	id, err := NewID()
	if err != nil {
		return store.Folder{}, err
	}
	f, err := s.Store.CreateFolder(ctx, actor, store.Folder{OrgID: orgID, ID: id, WorkspaceID: workspaceID, Name: name, TeamAccess: access})
	return f, s.changed(orgID, mapNotFound(err, "workspace", workspaceID))
}

// GetFolder returns a folder.
func (s *Service) GetFolder(ctx context.Context, orgID, id string) (store.Folder, error) {
	f, err := s.Store.GetFolder(ctx, orgID, id)
	return f, mapNotFound(err, "folder", id)
}

// ListFolders returns a page of a workspace's folders.
func (s *Service) ListFolders(ctx context.Context, orgID, workspaceID, after string, limit int) ([]store.Folder, error) {
	if _, err := s.GetWorkspace(ctx, orgID, workspaceID); err != nil {
		return nil, err
	}
	return s.Store.ListFolders(ctx, orgID, workspaceID, after, limit)
}

// UpdateFolder renames a folder or changes its team access.
func (s *Service) UpdateFolder(ctx context.Context, actor store.Actor, u store.FolderUpdate) (store.Folder, error) {
	if u.Name != nil {
		name, err := checkName("folder", *u.Name)
		if err != nil {
			return store.Folder{}, err
		}
		u.Name = &name
	}
	f, err := s.Store.UpdateFolder(ctx, actor, u)
	return f, s.changed(u.OrgID, mapNotFound(err, "folder", u.ID))
}

// DeleteFolder deletes a folder other than a home folder.
func (s *Service) DeleteFolder(ctx context.Context, actor store.Actor, orgID, id string) error {
	return s.changed(orgID, mapNotFound(s.Store.DeleteFolder(ctx, actor, orgID, id), "folder", id))
}

// resource checks that a workspace or folder exists.
func (s *Service) resource(ctx context.Context, orgID string, rt store.ResourceType, id string) error {
	switch rt {
	case store.ResourceWorkspace:
		_, err := s.GetWorkspace(ctx, orgID, id)
		return err
	case store.ResourceFolder:
		_, err := s.GetFolder(ctx, orgID, id)
		return err
	}
	return errorf(fault.Invalid, "resource type must be %q or %q, not %q", store.ResourceWorkspace, store.ResourceFolder, rt)
}

// PutGrant gives a group a role on a workspace or an invite-only folder,
// or changes the role it has. Group grants need the enterprise plan, as
// groups come from SCIM. created reports a new grant.
func (s *Service) PutGrant(ctx context.Context, actor store.Actor, orgID string, rt store.ResourceType, resourceID, groupID string, role store.Role) (store.Grant, bool, error) {
	if !role.Valid() {
		return store.Grant{}, false, errorf(fault.Invalid, "role must be %q, %q or %q, not %q", store.RoleEditor, store.RoleChecker, store.RoleViewer, role)
	}
	o, err := s.Org(ctx, orgID)
	if err != nil {
		return store.Grant{}, false, err
	}
	if err := RequirePlan(o, "granting access to provisioned groups"); err != nil {
		return store.Grant{}, false, err
	}
	if err := s.resource(ctx, orgID, rt, resourceID); err != nil {
		return store.Grant{}, false, err
	}
	if _, err := s.Store.GetGroup(ctx, orgID, groupID); err != nil {
		return store.Grant{}, false, mapNotFound(err, "group", groupID)
	}
	g, created, err := s.Store.PutGrant(ctx, actor, store.Grant{OrgID: orgID, ResourceType: rt, ResourceID: resourceID, GroupID: groupID, Role: role})
	return g, created, s.changed(orgID, mapNotFound(err, string(rt), resourceID))
}

// DeleteGrant removes a group's grant. Under group_removal "revoke" the
// members who joined through it lose the access it gave at once; under
// "keep" they stay members.
func (s *Service) DeleteGrant(ctx context.Context, actor store.Actor, orgID string, rt store.ResourceType, resourceID, groupID string) error {
	if err := s.resource(ctx, orgID, rt, resourceID); err != nil {
		return err
	}
	err := s.Store.DeleteGrant(ctx, actor, orgID, rt, resourceID, groupID)
	if errors.Is(err, store.ErrNotFound) {
		err = errorf(fault.NotFound, "group %s has no grant on %s %s", groupID, rt, resourceID)
	}
	return s.changed(orgID, err)
}

// ListGrants returns a page of grants matching f.
func (s *Service) ListGrants(ctx context.Context, orgID string, f store.GrantFilter, after string, limit int) ([]store.Grant, error) {
	if f.ResourceID != "" {
		if err := s.resource(ctx, orgID, f.ResourceType, f.ResourceID); err != nil {
			return nil, err
		}
	}
	if f.GroupID != "" {
		if _, err := s.Store.GetGroup(ctx, orgID, f.GroupID); err != nil {
			return nil, mapNotFound(err, "group", f.GroupID)
		}
	}
	return s.Store.ListGrants(ctx, orgID, f, after, limit)
}

// PutMember makes a user a direct member of a workspace or folder (origin
// "invited" or "owner"), or changes that membership's role.
func (s *Service) PutMember(ctx context.Context, actor store.Actor, m store.ResourceMember) (store.ResourceMember, error) {
	if m.Origin == "" {
		m.Origin = store.OriginInvited
	}
	if m.Origin != store.OriginInvited && m.Origin != store.OriginOwner {
		return store.ResourceMember{}, errorf(fault.Invalid, "origin must be %q or %q: group memberships are recorded when a user joins", store.OriginInvited, store.OriginOwner)
	}
	if !m.Role.Valid() {
		return store.ResourceMember{}, errorf(fault.Invalid, "role must be %q, %q or %q, not %q", store.RoleEditor, store.RoleChecker, store.RoleViewer, m.Role)
	}
	if err := s.resource(ctx, m.OrgID, m.ResourceType, m.ResourceID); err != nil {
		return store.ResourceMember{}, err
	}
	out, err := s.Store.PutMember(ctx, actor, m)
	return out, s.changed(m.OrgID, mapNotFound(err, "user", m.UserID))
}

// RemoveMember removes a user's direct memberships (every origin) of a
// workspace or folder. Access the user's groups grant remains.
func (s *Service) RemoveMember(ctx context.Context, actor store.Actor, orgID string, rt store.ResourceType, resourceID, userID string) error {
	if err := s.resource(ctx, orgID, rt, resourceID); err != nil {
		return err
	}
	err := s.Store.RemoveMember(ctx, actor, orgID, rt, resourceID, userID)
	if errors.Is(err, store.ErrNotFound) {
		err = errorf(fault.NotFound, "user %s is not a member of %s %s", userID, rt, resourceID)
	}
	return s.changed(orgID, err)
}

// ListMembers returns a page of a resource's direct memberships.
func (s *Service) ListMembers(ctx context.Context, orgID string, rt store.ResourceType, resourceID, after string, limit int) ([]store.ResourceMember, error) {
	if err := s.resource(ctx, orgID, rt, resourceID); err != nil {
		return nil, err
	}
	return s.Store.ListResourceMembers(ctx, orgID, rt, resourceID, after, limit)
}

// SetOrgRole makes a user an owner or admin of the organization.
func (s *Service) SetOrgRole(ctx context.Context, actor store.Actor, orgID, userID string, role store.OrgRole) (store.OrgMember, error) {
	if !role.Valid() {
		return store.OrgMember{}, errorf(fault.Invalid, "organization role must be %q or %q, not %q", store.OrgOwner, store.OrgAdmin, role)
	}
	m, err := s.Store.SetOrgRole(ctx, actor, orgID, userID, role)
	return m, s.changed(orgID, mapNotFound(err, "user", userID))
}

// RemoveOrgRole makes an owner or admin a plain member again.
func (s *Service) RemoveOrgRole(ctx context.Context, actor store.Actor, orgID, userID string) error {
	err := s.Store.RemoveOrgRole(ctx, actor, orgID, userID)
	if errors.Is(err, store.ErrNotFound) {
		err = errorf(fault.NotFound, "user %s is neither owner nor admin of this organization", userID)
	}
	return s.changed(orgID, err)
}

// ListOrgRoles returns a page of owners and admins.
func (s *Service) ListOrgRoles(ctx context.Context, orgID, after string, limit int) ([]store.OrgMember, error) {
	return s.Store.ListOrgRoles(ctx, orgID, after, limit)
}

// Check answers whether a user has at least role want on a workspace or
// folder, with the effective role and the reasons. With join, a user who
// is allowed through group grants joins (see Join).
func (s *Service) Check(ctx context.Context, actor store.Actor, orgID, userID string, rt store.ResourceType, resourceID string, want store.Role, join bool) (Decision, []store.ResourceMember, error) {
	d, err := s.Resolver.Check(ctx, orgID, userID, rt, resourceID, want)
	if err != nil || !join || !d.Allowed {
		return d, nil, err
	}
	joined, err := s.join(ctx, actor, orgID, userID, d)
	return d, joined, err
}

// Join records that a user used a resource they are eligible for through
// group grants: one membership per granting group, with origin
// "group:<id>" and the grant's role, on the resource the grant is on (the
// workspace, for a folder that follows it). Memberships already recorded
// are left alone, so joining twice records nothing new. A user with no
// access gets an ErrForbidden error that says why.
func (s *Service) Join(ctx context.Context, actor store.Actor, orgID, userID string, rt store.ResourceType, resourceID string) (Decision, []store.ResourceMember, error) {
	d, err := s.Resolver.Check(ctx, orgID, userID, rt, resourceID, store.RoleViewer)
	if err != nil {
		return d, nil, err
	}
	if !d.Allowed {
		return d, nil, errorf(fault.Forbidden, "user %s cannot join %s %s: %s", userID, rt, resourceID, d.Denial)
	}
	joined, err := s.join(ctx, actor, orgID, userID, d)
	return d, joined, err
}

func (s *Service) join(ctx context.Context, actor store.Actor, orgID, userID string, d Decision) ([]store.ResourceMember, error) {
	var ms []store.ResourceMember
	for _, r := range d.Reasons {
		if r.Kind != "grant" {
			continue
		}
		origin := store.OriginGroupPrefix + r.GroupID
		have := false
		for _, o := range d.Reasons {
			if o.Kind == "membership" && o.Origin == origin && o.ResourceType == r.ResourceType && o.ResourceID == r.ResourceID {
				have = true
			}
		}
		if !have {
			ms = append(ms, store.ResourceMember{OrgID: orgID, ResourceType: r.ResourceType, ResourceID: r.ResourceID,
				UserID: userID, Origin: origin, Role: store.Role(r.Role)})
		}
	}
	if len(ms) == 0 {
		return []store.ResourceMember{}, nil
	}
	added, err := s.Store.JoinMembers(ctx, actor, ms)
	if err != nil {
		return nil, fmt.Errorf("record join of %s: %w", userID, err)
	}
	if added == nil {
		added = []store.ResourceMember{}
	}
	return added, s.changed(orgID, nil)
}

// Events returns the organization's events after seq, at most limit. A
// consumer resuming from a seq that retention has since deleted past gets
// a fault.Gone saying so, not a page that silently skips what it missed.
func (s *Service) Events(ctx context.Context, orgID string, after int64, limit int) ([]store.Event, error) {
	evs, err := s.Store.ListEvents(ctx, orgID, after, limit)
	if err != nil {
		return nil, err
	}
	// Only a page that does not start right after `after` can hide a
	// purge; a page that does costs no second query.
	if len(evs) > 0 && evs[0].Seq == after+1 {
		return evs, nil
	}
	horizon, err := s.Store.EventHorizon(ctx, orgID)
	if err != nil {
		return nil, fmt.Errorf("events of %s: %w", orgID, err)
	}
	if after < horizon {
		return nil, fault.Gonef("events up to seq %d are no longer kept (roster keeps events for its retention period); "+
			"resume from after=%d and reconcile what changed before it from the current state (GET /api/v1/users, /api/v1/groups)", horizon, horizon)
	}
	return evs, nil
}
