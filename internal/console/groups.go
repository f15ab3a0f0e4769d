package console

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/rosterhq/roster/internal/fault"
	"github.com/rosterhq/roster/internal/store"
)

// Directory is what the groups and users pages read of the directory: one
// group or user, and pages of them; *directory.Service is it.
type Directory interface {
	Group(ctx context.Context, orgID, id string) (store.Group, error)
	GroupUsers(ctx context.Context, orgID, groupID, after string, limit int) ([]store.UserSummary, error)
	ListUsers(ctx context.Context, orgID string, f store.UserListing, after string, limit int) ([]store.UserSummary, error)
	ListUsersByEmail(ctx context.Context, orgID, prefix, after string, limit int) ([]store.EmailMatch, error)
	QueryUsers(ctx context.Context, orgID string, q store.Query) (store.Page[store.User], error)
	UserWithGroups(ctx context.Context, orgID, id string) (store.User, []store.GroupRef, error)
	// Seq is the number of the organization's last event: where the
	// newest page of the event feed ends.
	Seq(ctx context.Context, orgID string) (int64, error)
}

// isNotFound reports whether err says a record does not exist (in this
// organization).
func isNotFound(err error) bool {
	return errors.Is(err, store.ErrNotFound) || fault.Is(err, fault.NotFound)
}

// trim cuts a page read with limit+1 rows to limit and says whether the
// extra row was there, i.e. whether a next page exists.
func trim[T any](list []T, limit int) ([]T, bool) {
	if len(list) > limit {
		return list[:limit], true
	}
	return list, false
}

// groupRow is one group of the list.
type groupRow struct {
	ID, Name string
	Members  int64
}

type groupsPage struct {
	Rows        []groupRow
	Query       string
	Next, First string
	Paging      bool
}

// groups is the organization screen's list of provisioned groups: name
// and member count, found by name prefix, a page at a time.
func (h *Handler) groups(w http.ResponseWriter, r *http.Request, s *session) {
	q := r.URL.Query()
	p := groupsPage{Query: strings.TrimSpace(q.Get("q"))}
	after := q.Get("after")
	list, err := h.Names.ListGroups(r.Context(), s.org.ID, store.GroupListing{NamePrefix: p.Query}, after, sharePage+1)
	if err != nil {
		h.fail(w, r, s, err)
		return
	}
	list, more := trim(list, sharePage)
	for _, g := range list {
		p.Rows = append(p.Rows, groupRow{g.ID, g.DisplayName, g.MemberCount})
	}
	keep := url.Values{}
	if p.Query != "" {
		keep.Set("q", p.Query)
	}
	if len(list) > 0 {
		p.Next = nextLink(Prefix+"/groups", keep, "after", list[len(list)-1].ID, more)
	}
	if after != "" {
		p.Paging, p.First = true, Prefix+"/groups"
		if p.Query != "" {
			p.First += "?" + keep.Encode()
		}
	}
	h.render(w, r, http.StatusOK, "groups", view{Title: "Groups", Nav: "groups", Org: s.org, CSRF: s.csrf, Data: p})
}

// loadGroup reads the group of the path; another organization's group is
// not found.
func (h *Handler) loadGroup(w http.ResponseWriter, r *http.Request, s *session) (store.Group, bool) {
	id := r.PathValue("id")
	g, err := h.Directory.Group(r.Context(), s.org.ID, id)
	if err != nil {
		h.fail(w, r, s, notFoundAs(err, "group", id))
		return store.Group{}, false
	}
	return g, true
}

// resourceRow is a workspace or folder a grant is on, named, with the
// link to its page.
type resourceRow struct {
	Kind, Name, Link, Role, Access string
	Invite                         bool
}

// resources names the workspaces and folders of grants, reading each
// once: a page holds at most sharePage of them.
type resources struct {
	h     *Handler
	orgID string
	ws    map[string]store.Workspace
	fs    map[string]store.Folder
}

func (h *Handler) resources(orgID string) *resources {
	return &resources{h: h, orgID: orgID, ws: map[string]store.Workspace{}, fs: map[string]store.Folder{}}
}

// workspace returns the workspace, or one named by its id when it is
// gone (a grant listed while the workspace is being deleted).
func (rs *resources) workspace(ctx context.Context, id string) (store.Workspace, error) {
	if w, ok := rs.ws[id]; ok {
		return w, nil
	}
	w, err := rs.h.Sharing.GetWorkspace(ctx, rs.orgID, id)
	if isNotFound(err) {
		w, err = store.Workspace{ID: id, Name: "deleted workspace " + id}, nil
	}
	if err != nil {
		return w, fmt.Errorf("name workspace %s: %w", id, err)
	}
	rs.ws[id] = w
	return w, nil
}

func (rs *resources) folder(ctx context.Context, id string) (store.Folder, error) {
	if f, ok := rs.fs[id]; ok {
		return f, nil
	}
	f, err := rs.h.Sharing.GetFolder(ctx, rs.orgID, id)
	if isNotFound(err) {
		f, err = store.Folder{ID: id, Name: "deleted folder " + id}, nil
	}
	if err != nil {
		return f, fmt.Errorf("name folder %s: %w", id, err)
	}
	rs.fs[id] = f
	return f, nil
}

// row describes the resource of a grant or access entry.
func (rs *resources) row(ctx context.Context, rt store.ResourceType, id, role string) (resourceRow, error) {
	if rt == store.ResourceWorkspace {
		w, err := rs.workspace(ctx, id)
		return resourceRow{Kind: "Workspace", Name: w.Name, Link: Prefix + "/workspaces/" + id, Role: roleName(role)}, err
	}
	f, err := rs.folder(ctx, id)
	if err != nil {
		return resourceRow{}, err
	}
	row := resourceRow{Kind: "Folder", Name: f.Name, Role: roleName(role), Access: teamAccessName(f.TeamAccess),
		Invite: f.TeamAccess == store.TeamAccessInviteOnly}
	if f.WorkspaceID != "" {
		w, err := rs.workspace(ctx, f.WorkspaceID)
		if err != nil {
			return resourceRow{}, err
		}
		row.Name += " · " + w.Name
		row.Link = Prefix + "/workspaces/" + f.WorkspaceID + "/folders/" + f.ID
	}
	return row, nil
}

type groupPage struct {
	Group       store.Group
	Members     []store.UserSummary
	MembersNext string
	Grants      []resourceRow
	GrantsNext  string
	Base        string
}

// group is a group's page: its members, a page at a time, and what it
// has been granted.
func (h *Handler) group(w http.ResponseWriter, r *http.Request, s *session) {
	g, ok := h.loadGroup(w, r, s)
	if !ok {
		return
	}
	ctx, q := r.Context(), r.URL.Query()
	p := groupPage{Group: g, Base: Prefix + "/groups/" + g.ID}
	members, err := h.Directory.GroupUsers(ctx, s.org.ID, g.ID, q.Get("members_after"), sharePage+1)
	if err != nil {
		h.fail(w, r, s, notFoundAs(err, "group", g.ID))
		return
	}
	members, more := trim(members, sharePage)
	p.Members = members
	if len(members) > 0 {
		p.MembersNext = nextLink(p.Base, q, "members_after", members[len(members)-1].ID, more)
	}
	var next string
	p.Grants, next, more, err = h.grantRows(ctx, s.org.ID, store.GrantFilter{GroupID: g.ID}, q.Get("grants_after"))
	if err != nil {
		h.fail(w, r, s, err)
		return
	}
	p.GrantsNext = nextLink(p.Base, q, "grants_after", next, more)
	h.render(w, r, http.StatusOK, "group", view{Title: g.DisplayName, Nav: "groups", Org: s.org, CSRF: s.csrf, Data: p})
}

// manageChoices are the choices of the Manage page, in the help pages'
// order, "none" last.
var manageChoices = []struct{ Value, Label string }{
	{string(store.RoleEditor), "Editor"}, {string(store.RoleChecker), "Checker"}, {string(store.RoleViewer), "Viewer"}, {"none", "No access"},
}

// manageRow is one workspace of the Manage page with the group's role on
// it ("none" for no grant).
type manageRow struct {
	ID, Name, Role, Error string
}

type managePage struct {
	Group         store.Group
	Rows          []manageRow
	Choices       any
	After         string
	Next, First   string
	Folders       []resourceRow
	FoldersNext   string
	Notice, Error string
	Base          string
}

// manageView renders the Manage page for the workspaces after the
// cursor; chosen, when not nil, replaces the stored roles (a refused save
// shows what was chosen), and errs holds messages by workspace id.
func (h *Handler) manageView(w http.ResponseWriter, r *http.Request, s *session, status int, g store.Group, after string, chosen, errs map[string]string, p managePage) {
	ctx, q := r.Context(), r.URL.Query()
	p.Group, p.Choices, p.After, p.Base = g, manageChoices, after, Prefix+"/groups/"+g.ID+"/manage"
	if p.Notice == "" && q.Get("done") == "saved" {
		p.Notice = "Saved. Members of " + g.DisplayName + " get the new access the next time they open the workspace."
	}
	list, err := h.Sharing.ListWorkspaces(ctx, s.org.ID, after, sharePage+1)
	if err != nil {
		h.fail(w, r, s, err)
		return
	}
	list, more := trim(list, sharePage)
	current, err := h.workspaceRoles(ctx, s.org.ID, g.ID, list)
	if err != nil {
		h.fail(w, r, s, err)
		return
	}
	for _, ws := range list {
		role := current[ws.ID]
		if c, ok := chosen[ws.ID]; ok {
			role = c
		}
		p.Rows = append(p.Rows, manageRow{ID: ws.ID, Name: ws.Name, Role: role, Error: errs[ws.ID]})
	}
	if len(list) > 0 {
		p.Next = nextLink(p.Base, nil, "after", list[len(list)-1].ID, more)
	}
	if after != "" {
		p.First = p.Base
	}
	folders, next, more, err := h.grantRows(ctx, s.org.ID, store.GrantFilter{ResourceType: store.ResourceFolder, GroupID: g.ID}, q.Get("folders_after"))
	if err != nil {
		h.fail(w, r, s, err)
		return
	}
	p.Folders = folders
	keep := url.Values{}
	if after != "" {
		keep.Set("after", after)
	}
	p.FoldersNext = nextLink(p.Base, keep, "folders_after", next, more)
	h.render(w, r, status, "group_manage", view{Title: "Manage " + g.DisplayName, Nav: "groups", Org: s.org, CSRF: s.csrf, Data: p})
}

// grantRows reads a page of grants after the cursor and names what each
// is on; next is the cursor of the last row, more whether a page follows.
func (h *Handler) grantRows(ctx context.Context, orgID string, f store.GrantFilter, after string) (rows []resourceRow, next string, more bool, err error) {
	grants, err := h.Sharing.ListGrants(ctx, orgID, f, after, sharePage+1)
	if err != nil {
		return nil, "", false, err
	}
	grants, more = trim(grants, sharePage)
	rs := h.resources(orgID)
	for _, gr := range grants {
		row, err := rs.row(ctx, gr.ResourceType, gr.ResourceID, string(gr.Role))
		if err != nil {
			return nil, "", false, err
		}
		rows = append(rows, row)
	}
	if len(grants) > 0 {
		next = store.GrantCursor(grants[len(grants)-1])
	}
	return rows, next, more, nil
}

// workspaceRoles returns the group's role on each workspace given, "none"
// where it has no grant. Workspaces and grants are both ordered by
// workspace id, so the group's grants on a page of workspaces are one
// range read: at most one grant per workspace, starting at the first.
func (h *Handler) workspaceRoles(ctx context.Context, orgID, groupID string, list []store.Workspace) (map[string]string, error) {
	out := make(map[string]string, len(list))
	for _, ws := range list {
		out[ws.ID] = "none"
	}
	if len(list) == 0 {
		return out, nil
	}
	from := store.GrantCursor(store.Grant{ResourceType: store.ResourceWorkspace, ResourceID: list[0].ID})
	grants, err := h.Sharing.ListGrants(ctx, orgID, store.GrantFilter{ResourceType: store.ResourceWorkspace, GroupID: groupID}, from, len(list))
	if err != nil {
		return nil, fmt.Errorf("grants of group %s: %w", groupID, err)
	}
	for _, gr := range grants {
		if _, ok := out[gr.ResourceID]; ok {
			out[gr.ResourceID] = string(gr.Role)
		}
	}
	return out, nil
}

func (h *Handler) manage(w http.ResponseWriter, r *http.Request, s *session) {
	if g, ok := h.loadGroup(w, r, s); ok {
		h.manageView(w, r, s, http.StatusOK, g, r.URL.Query().Get("after"), nil, nil, managePage{})
	}
}

// saveManage applies the Manage page's choices through the same grant
// service the workspace page uses. Every choice is checked before the
// first write, so a bad one changes nothing.
func (h *Handler) saveManage(w http.ResponseWriter, r *http.Request, s *session) {
	g, ok := h.loadGroup(w, r, s)
	if !ok {
		return
	}
	ctx := r.Context()
	after := r.PostForm.Get("after")
	ids := r.PostForm["ws"]
	if len(ids) > sharePage {
		h.fail(w, r, s, fault.Invalidf("a save changes at most %d workspaces; the page shows that many", sharePage))
		return
	}
	chosen, errs := map[string]string{}, map[string]string{}
	var list []store.Workspace
	for _, id := range ids {
		ws, err := h.Sharing.GetWorkspace(ctx, s.org.ID, id)
		if err != nil {
			h.fail(w, r, s, notFoundAs(err, "workspace", id))
			return
		}
		list = append(list, ws)
		role := r.PostForm.Get("role." + id)
		chosen[id] = role
		if role != "none" && !store.Role(role).Valid() {
			errs[id] = "Choose Editor, Checker, Viewer or No access for " + ws.Name + "."
		}
	}
	if len(errs) > 0 {
		h.manageView(w, r, s, http.StatusBadRequest, g, after, chosen, errs, managePage{Error: "Nothing was saved: a choice below is missing."})
		return
	}
	current, err := h.workspaceRoles(ctx, s.org.ID, g.ID, list)
	if err != nil {
		h.fail(w, r, s, err)
		return
	}
	for _, ws := range list {
		want := chosen[ws.ID]
		switch {
		case want == current[ws.ID]:
			continue
		case want == "none":
			err = h.Sharing.DeleteGrant(ctx, s.actor, s.org.ID, store.ResourceWorkspace, ws.ID, g.ID)
		default:
			_, _, err = h.Sharing.PutGrant(ctx, s.actor, s.org.ID, store.ResourceWorkspace, ws.ID, g.ID, store.Role(want))
		}
		if err != nil {
			h.fail(w, r, s, fmt.Errorf("grant %s on %s: %w", g.ID, ws.ID, err))
			return
		}
	}
	back := url.Values{"done": {"saved"}}
	if after != "" {
		back.Set("after", after)
	}
	http.Redirect(w, r, Prefix+"/groups/"+g.ID+"/manage?"+back.Encode(), http.StatusSeeOther)
}
