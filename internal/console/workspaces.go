package console

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/rosterhq/roster/internal/access"
	"github.com/rosterhq/roster/internal/fault"
	"github.com/rosterhq/roster/internal/store"
)

// Sharing is what the workspace and folder pages need of the access
// domain: workspaces, folders, group grants and direct memberships;
// *access.Service is it.
type Sharing interface {
	CreateWorkspace(ctx context.Context, actor store.Actor, orgID, name, creatorID string) (store.Workspace, store.Folder, error)
	GetWorkspace(ctx context.Context, orgID, id string) (store.Workspace, error)
	ListWorkspaces(ctx context.Context, orgID, after string, limit int) ([]store.Workspace, error)
	RenameWorkspace(ctx context.Context, actor store.Actor, orgID, id, name string) (store.Workspace, error)
	DeleteWorkspace(ctx context.Context, actor store.Actor, orgID, id string) error
	CreateFolder(ctx context.Context, actor store.Actor, orgID, workspaceID, name string, access store.TeamAccess) (store.Folder, error)
	GetFolder(ctx context.Context, orgID, id string) (store.Folder, error)
	ListFolders(ctx context.Context, orgID, workspaceID, after string, limit int) ([]store.Folder, error)
	UpdateFolder(ctx context.Context, actor store.Actor, u store.FolderUpdate) (store.Folder, error)
	DeleteFolder(ctx context.Context, actor store.Actor, orgID, id string) error
	PutGrant(ctx context.Context, actor store.Actor, orgID string, rt store.ResourceType, resourceID, groupID string, role store.Role) (store.Grant, bool, error)
	DeleteGrant(ctx context.Context, actor store.Actor, orgID string, rt store.ResourceType, resourceID, groupID string) error
	ListGrants(ctx context.Context, orgID string, f store.GrantFilter, after string, limit int) ([]store.Grant, error)
	RemoveMember(ctx context.Context, actor store.Actor, orgID string, rt store.ResourceType, resourceID, userID string) error
	ListMembers(ctx context.Context, orgID string, rt store.ResourceType, resourceID, after string, limit int) ([]store.ResourceMember, error)
}

// WhoHas lists everyone who reaches a workspace or folder, with the
// resolver's reasons; *access.Resolver is it.
type WhoHas interface {
	ResourceAccess(ctx context.Context, orgID string, rt store.ResourceType, resourceID, after string, limit int) ([]access.Reacher, bool, error)
}

// Names finds groups by name and names the users and groups the pages
// show; *directory.Service is it.
type Names interface {
	ListGroups(ctx context.Context, orgID string, f store.GroupListing, after string, limit int) ([]store.Group, error)
	GroupNames(ctx context.Context, orgID string, ids []string) (map[string]string, error)
	GetUser(ctx context.Context, orgID, id string) (store.User, error)
}

// sharePage is how many rows a list of the workspace pages shows.
const sharePage = 50

// countCap bounds what the delete confirmations count: they say "1,000 or
// more" rather than reading a million rows to be exact.
const countCap = 1000

// roleNames are the help pages' words for the roles.
var roleNames = map[string]string{
	"owner": "Owner", "admin": "Admin",
	string(store.RoleEditor): "Editor", string(store.RoleChecker): "Checker", string(store.RoleViewer): "Viewer",
}

func roleName(r string) string {
	if n, ok := roleNames[r]; ok {
		return n
	}
	return r
}

// roleChoices are the grant roles, as the help pages name them.
var roleChoices = []struct{ Value, Label string }{
	{string(store.RoleEditor), "Edit"}, {string(store.RoleChecker), "Check"}, {string(store.RoleViewer), "View only"},
}

func teamAccessName(a store.TeamAccess) string {
	if a == store.TeamAccessInviteOnly {
		return "Invite only"
	}
	return "Workspace"
}

// nextLink is the link to the page after the last row shown, when there
// may be one.
func nextLink(path string, q url.Values, key, after string, more bool) string {
	if !more || after == "" {
		return ""
	}
	v := url.Values{}
	for k, vs := range q {
		v[k] = vs
	}
	v.Set(key, after)
	return path + "?" + v.Encode()
}

// workspaceRow is one workspace of the list.
type workspaceRow struct{ ID, Name, Created string }

type workspacesPage struct {
	Rows             []workspaceRow
	Next, First      string
	Name, NameError  string
	Notice           string
	Creating, Paging bool
}

func (h *Handler) workspacesView(w http.ResponseWriter, r *http.Request, s *session, status int, p workspacesPage) {
	after := r.URL.Query().Get("after")
	list, err := h.Sharing.ListWorkspaces(r.Context(), s.org.ID, after, sharePage+1)
	if err != nil {
		h.fail(w, r, s, err)
		return
	}
	more := len(list) > sharePage
	if more {
		list = list[:sharePage]
	}
	for _, ws := range list {
		p.Rows = append(p.Rows, workspaceRow{ws.ID, ws.Name, when(ws.CreatedAt)})
	}
	if len(list) > 0 {
		p.Next = nextLink(Prefix+"/workspaces", nil, "after", list[len(list)-1].ID, more)
	}
	if after != "" {
		p.First, p.Paging = Prefix+"/workspaces", true
	}
	h.render(w, r, status, "workspaces", view{Title: "Workspaces", Nav: "workspaces", Org: s.org, CSRF: s.csrf, Data: p})
}

func (h *Handler) workspaces(w http.ResponseWriter, r *http.Request, s *session) {
	h.workspacesView(w, r, s, http.StatusOK, workspacesPage{})
}

// createWorkspace makes a workspace, with its home folder, as an owner.
func (h *Handler) createWorkspace(w http.ResponseWriter, r *http.Request, s *session) {
	name := strings.TrimSpace(r.PostForm.Get("name"))
	ws, _, err := h.Sharing.CreateWorkspace(r.Context(), s.actor, s.org.ID, name, "")
	if kind, msg, ok := fault.As(err); ok && kind == fault.Invalid || ok && kind == fault.Conflict {
		h.workspacesView(w, r, s, http.StatusBadRequest, workspacesPage{Name: name, NameError: sentence(msg), Creating: true})
		return
	}
	if err != nil {
		h.fail(w, r, s, err)
		return
	}
	http.Redirect(w, r, Prefix+"/workspaces/"+ws.ID+"?done=created", http.StatusSeeOther)
}

// folderRow is one folder of a workspace page.
type folderRow struct {
	ID, Name, Access string
	Home, Invite     bool
}

// grantView is one group grant with the group's name.
type grantView struct {
	GroupID, Group, Role, RoleName string
}

// memberView is one direct membership with the user's name.
type memberView struct {
	UserID, User, Role, Origin string
	// Removable: direct and kept memberships are removed by hand; the
	// rest follow the IdP's groups.
	Removable bool
}

type workspacePage struct {
	WS           store.Workspace
	Folders      []folderRow
	FoldersNext  string
	Grants       []grantView
	GrantsNext   string
	Members      []memberView
	MembersNext  string
	Notice       string
	RenameError  string
	RenameValue  string
	FolderName   string
	FolderError  string
	FolderInvite bool
	Roles        any
	GrantSearch  groupSearch
	Base         string
	// CSRF is the session's form token, for the partials.
	CSRF string
}

// groupSearch is the Share form's group picker: a name prefix and the
// groups it matches, found by the store's name index.
type groupSearch struct {
	Query    string
	Results  []store.Group
	Error    string
	Action   string
	Searched bool
}

var notices = map[string]string{
	"created":        "Workspace created, with its home folder.",
	"renamed":        "Workspace renamed.",
	"folder-created": "Folder created.",
	"granted":        "Access granted. Members of the group get it the next time they open the workspace.",
	"grant-removed":  "Group access removed.",
	"member-removed": "Member removed.",
	"saved":          "Folder saved.",
	"folder-deleted": "Folder deleted.",
}

func (h *Handler) loadWorkspace(w http.ResponseWriter, r *http.Request, s *session) (store.Workspace, bool) {
	ws, err := h.Sharing.GetWorkspace(r.Context(), s.org.ID, r.PathValue("id"))
	if err != nil {
		h.fail(w, r, s, notFoundAs(err, "workspace", r.PathValue("id")))
		return store.Workspace{}, false
	}
	return ws, true
}

// notFoundAs turns a missing record into a fault that names it, so every
// id of another organization reads the same.
func notFoundAs(err error, what, id string) error {
	if errors.Is(err, store.ErrNotFound) || fault.Is(err, fault.NotFound) {
		return fault.NotFoundf("there is no %s %s in this organization", what, id)
	}
	return err
}

func (h *Handler) workspaceView(w http.ResponseWriter, r *http.Request, s *session, status int, ws store.Workspace, p workspacePage) {
	ctx := r.Context()
	q := r.URL.Query()
	p.WS, p.Roles, p.Base, p.CSRF = ws, roleChoices, Prefix+"/workspaces/"+ws.ID, s.csrf
	if p.Notice == "" {
		p.Notice = notices[q.Get("done")]
	}
	folders, err := h.Sharing.ListFolders(ctx, s.org.ID, ws.ID, q.Get("folders_after"), sharePage+1)
	if err != nil {
		h.fail(w, r, s, err)
		return
	}
	more := len(folders) > sharePage
	if more {
		folders = folders[:sharePage]
	}
	for _, f := range folders {
		p.Folders = append(p.Folders, folderRow{ID: f.ID, Name: f.Name, Access: teamAccessName(f.TeamAccess), Home: f.IsHome, Invite: f.TeamAccess == store.TeamAccessInviteOnly})
	}
	if len(folders) > 0 {
		p.FoldersNext = nextLink(p.Base, q, "folders_after", folders[len(folders)-1].ID, more)
	}
	if p.Grants, p.GrantsNext, err = h.grantViews(ctx, s.org.ID, store.ResourceWorkspace, ws.ID, p.Base, q); err != nil {
		h.fail(w, r, s, err)
		return
	}
	if p.Members, p.MembersNext, err = h.memberViews(ctx, s.org.ID, store.ResourceWorkspace, ws.ID, p.Base, q); err != nil {
		h.fail(w, r, s, err)
		return
	}
	if p.GrantSearch, err = h.searchGroups(ctx, s.org.ID, q.Get("group"), p.Base+"/grants"); err != nil {
		h.fail(w, r, s, err)
		return
	}
	h.render(w, r, status, "workspace", view{Title: ws.Name, Nav: "workspaces", Org: s.org, CSRF: s.csrf, Data: p})
}

func (h *Handler) workspace(w http.ResponseWriter, r *http.Request, s *session) {
	if ws, ok := h.loadWorkspace(w, r, s); ok {
		h.workspaceView(w, r, s, http.StatusOK, ws, workspacePage{})
	}
}

// grantViews reads a page of a resource's group grants with the groups'
// names.
func (h *Handler) grantViews(ctx context.Context, orgID string, rt store.ResourceType, id, base string, q url.Values) ([]grantView, string, error) {
	grants, err := h.Sharing.ListGrants(ctx, orgID, store.GrantFilter{ResourceType: rt, ResourceID: id}, q.Get("grants_after"), sharePage+1)
	if err != nil {
		return nil, "", err
	}
	more := len(grants) > sharePage
	if more {
		grants = grants[:sharePage]
	}
	ids := make([]string, len(grants))
	for i, g := range grants {
		ids[i] = g.GroupID
	}
	names, err := h.Names.GroupNames(ctx, orgID, ids)
	if err != nil {
		return nil, "", err
	}
	out := make([]grantView, len(grants))
	for i, g := range grants {
		out[i] = grantView{GroupID: g.GroupID, Group: names[g.GroupID], Role: string(g.Role), RoleName: roleName(string(g.Role))}
		if out[i].Group == "" {
			out[i].Group = g.GroupID
		}
	}
	next := ""
	if len(grants) > 0 {
		next = nextLink(base, q, "grants_after", store.GrantCursor(grants[len(grants)-1]), more)
	}
	return out, next, nil
}

// memberViews reads a page of a resource's direct memberships with the
// users' names and where each membership came from.
func (h *Handler) memberViews(ctx context.Context, orgID string, rt store.ResourceType, id, base string, q url.Values) ([]memberView, string, error) {
	ms, err := h.Sharing.ListMembers(ctx, orgID, rt, id, q.Get("members_after"), sharePage+1)
	if err != nil {
		return nil, "", err
	}
	more := len(ms) > sharePage
	if more {
		ms = ms[:sharePage]
	}
	var groupIDs []string
	for _, m := range ms {
		if g, ok := strings.CutPrefix(m.Origin, "group:"); ok {
			groupIDs = append(groupIDs, g)
		}
	}
	groups, err := h.Names.GroupNames(ctx, orgID, groupIDs)
	if err != nil {
		return nil, "", err
	}
	out := make([]memberView, 0, len(ms))
	for _, m := range ms {
		name := m.UserID
		if u, err := h.Names.GetUser(ctx, orgID, m.UserID); err == nil {
			name = u.UserName
		} else if !errors.Is(err, store.ErrNotFound) && !fault.Is(err, fault.NotFound) {
			return nil, "", err
		}
		out = append(out, memberView{UserID: m.UserID, User: name, Role: roleName(string(m.Role)), Origin: originText(m.Origin, groups),
			Removable: !strings.HasPrefix(m.Origin, "group:")})
	}
	next := ""
	if len(ms) > 0 {
		next = nextLink(base, q, "members_after", store.MemberCursor(ms[len(ms)-1]), more)
	}
	return out, next, nil
}

// originText says in words how a membership came to be.
func originText(origin string, groups map[string]string) string {
	switch {
	case origin == store.OriginInvited:
		return "invited"
	case origin == store.OriginOwner:
		return "created it"
	case origin == store.OriginKept:
		return "kept after its group lost access"
	case strings.HasPrefix(origin, "group:"):
		id := strings.TrimPrefix(origin, "group:")
		if n := groups[id]; n != "" {
			return "joined through group " + n
		}
		return "joined through a group that no longer exists"
	}
	return origin
}

// searchGroups finds groups whose name starts with q, for the Share form.
func (h *Handler) searchGroups(ctx context.Context, orgID, q, action string) (groupSearch, error) {
	gs := groupSearch{Query: q, Action: action}
	q = strings.TrimSpace(q)
	if q == "" {
		return gs, nil
	}
	gs.Searched = true
	list, err := h.Names.ListGroups(ctx, orgID, store.GroupListing{NamePrefix: q}, "", 10)
	if err != nil {
		return gs, err
	}
	gs.Results = list
	return gs, nil
}

func (h *Handler) renameWorkspace(w http.ResponseWriter, r *http.Request, s *session) {
	ws, ok := h.loadWorkspace(w, r, s)
	if !ok {
		return
	}
	name := strings.TrimSpace(r.PostForm.Get("name"))
	if _, err := h.Sharing.RenameWorkspace(r.Context(), s.actor, s.org.ID, ws.ID, name); err != nil {
		if kind, msg, ok := fault.As(err); ok && (kind == fault.Invalid || kind == fault.Conflict) {
			h.workspaceView(w, r, s, http.StatusBadRequest, ws, workspacePage{RenameValue: name, RenameError: sentence(msg)})
			return
		}
		h.fail(w, r, s, err)
		return
	}
	http.Redirect(w, r, Prefix+"/workspaces/"+ws.ID+"?done=renamed", http.StatusSeeOther)
}

func (h *Handler) createFolder(w http.ResponseWriter, r *http.Request, s *session) {
	ws, ok := h.loadWorkspace(w, r, s)
	if !ok {
		return
	}
	name := strings.TrimSpace(r.PostForm.Get("name"))
	ta := store.TeamAccess(r.PostForm.Get("team_access"))
	if !ta.Valid() {
		ta = store.TeamAccessWorkspace
	}
	f, err := h.Sharing.CreateFolder(r.Context(), s.actor, s.org.ID, ws.ID, name, ta)
	if err != nil {
		if kind, msg, ok := fault.As(err); ok && (kind == fault.Invalid || kind == fault.Conflict) {
			h.workspaceView(w, r, s, http.StatusBadRequest, ws, workspacePage{FolderName: name, FolderError: sentence(msg), FolderInvite: ta == store.TeamAccessInviteOnly})
			return
		}
		h.fail(w, r, s, err)
		return
	}
	http.Redirect(w, r, Prefix+"/workspaces/"+ws.ID+"/folders/"+f.ID+"?done=folder-created", http.StatusSeeOther)
}

// count reads up to countCap rows through list and says how many, in
// words.
func count(n int) string {
	if n >= countCap {
		return fmt.Sprintf("%d or more", countCap)
	}
	return fmt.Sprint(n)
}

type confirmPage struct {
	Heading, Text, Action, Button, Back string
	Losses                              []string
}

// confirmDeleteWorkspace says what deleting the workspace takes with it.
func (h *Handler) confirmDeleteWorkspace(w http.ResponseWriter, r *http.Request, s *session) {
	ws, ok := h.loadWorkspace(w, r, s)
	if !ok {
		return
	}
	ctx := r.Context()
	folders, err := h.Sharing.ListFolders(ctx, s.org.ID, ws.ID, "", countCap)
	if err != nil {
		h.fail(w, r, s, err)
		return
	}
	grants, err := h.Sharing.ListGrants(ctx, s.org.ID, store.GrantFilter{ResourceType: store.ResourceWorkspace, ResourceID: ws.ID}, "", countCap)
	if err != nil {
		h.fail(w, r, s, err)
		return
	}
	members, err := h.Sharing.ListMembers(ctx, s.org.ID, store.ResourceWorkspace, ws.ID, "", countCap)
	if err != nil {
		h.fail(w, r, s, err)
		return
	}
	h.render(w, r, http.StatusOK, "workspace_delete", view{Title: "Delete " + ws.Name, Nav: "workspaces", Org: s.org, CSRF: s.csrf, Data: confirmPage{
		Heading: "Delete workspace “" + ws.Name + "”?",
		Text:    "This cannot be undone. The host app is told through the event log, and members lose access at once.",
		Losses: []string{count(len(folders)) + " folders, with their own grants and members",
			count(len(grants)) + " group grants on the workspace", count(len(members)) + " workspace members"},
		Action: Prefix + "/workspaces/" + ws.ID + "/delete", Button: "Delete workspace", Back: Prefix + "/workspaces/" + ws.ID}})
}

func (h *Handler) deleteWorkspace(w http.ResponseWriter, r *http.Request, s *session) {
	ws, ok := h.loadWorkspace(w, r, s)
	if !ok {
		return
	}
	if err := h.Sharing.DeleteWorkspace(r.Context(), s.actor, s.org.ID, ws.ID); err != nil {
		h.fail(w, r, s, err)
		return
	}
	h.workspacesView(w, r, s, http.StatusOK, workspacesPage{Notice: "Workspace “" + ws.Name + "” deleted."})
}

// putGrant grants a group a role (or, with role "none", removes its
// grant) on the workspace or folder of the path.
func (h *Handler) putGrant(w http.ResponseWriter, r *http.Request, s *session) {
	ws, ok := h.loadWorkspace(w, r, s)
	if !ok {
		return
	}
	rt, id, back := store.ResourceWorkspace, ws.ID, Prefix+"/workspaces/"+ws.ID
	var folder store.Folder
	if fid := r.PathValue("fid"); fid != "" {
		if folder, ok = h.loadFolder(w, r, s, ws); !ok {
			return
		}
		rt, id, back = store.ResourceFolder, folder.ID, back+"/folders/"+folder.ID
	}
	group := r.PostForm.Get("group_id")
	role := r.PostForm.Get("role")
	var err error
	done := "granted"
	if role == "none" {
		err, done = h.Sharing.DeleteGrant(r.Context(), s.actor, s.org.ID, rt, id, group), "grant-removed"
	} else {
		_, _, err = h.Sharing.PutGrant(r.Context(), s.actor, s.org.ID, rt, id, group, store.Role(role))
	}
	if err != nil {
		if kind, msg, ok := fault.As(err); ok && kind != fault.NotFound || ok && group == "" {
			if rt == store.ResourceFolder {
				h.folderView(w, r, s, http.StatusBadRequest, ws, folder, folderPage{ShareError: sentence(msg)})
			} else {
				h.workspaceView(w, r, s, http.StatusBadRequest, ws, workspacePage{Notice: sentence(msg)})
			}
			return
		}
		h.fail(w, r, s, notFoundAs(err, "group", group))
		return
	}
	http.Redirect(w, r, back+"?done="+done, http.StatusSeeOther)
}

// removeMember removes a direct or kept membership.
func (h *Handler) removeMember(w http.ResponseWriter, r *http.Request, s *session) {
	ws, ok := h.loadWorkspace(w, r, s)
	if !ok {
		return
	}
	rt, id, back := store.ResourceWorkspace, ws.ID, Prefix+"/workspaces/"+ws.ID
	if fid := r.PathValue("fid"); fid != "" {
		f, ok := h.loadFolder(w, r, s, ws)
		if !ok {
			return
		}
		rt, id, back = store.ResourceFolder, f.ID, back+"/folders/"+f.ID
	}
	if r.PostForm.Get("from") == "access" {
		back += "/access"
	}
	uid := r.PathValue("uid")
	if err := h.Sharing.RemoveMember(r.Context(), s.actor, s.org.ID, rt, id, uid); err != nil {
		h.fail(w, r, s, notFoundAs(err, "membership of user", uid))
		return
	}
	http.Redirect(w, r, back+"?done=member-removed", http.StatusSeeOther)
}
