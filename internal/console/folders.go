package console

import (
	"net/http"
	"strings"

	"github.com/rosterhq/roster/internal/access"
	"github.com/rosterhq/roster/internal/fault"
	"github.com/rosterhq/roster/internal/store"
)

// loadFolder reads the folder of the path, which must belong to the
// workspace of the path: a folder id of another workspace or organization
// is not found.
func (h *Handler) loadFolder(w http.ResponseWriter, r *http.Request, s *session, ws store.Workspace) (store.Folder, bool) {
	fid := r.PathValue("fid")
	f, err := h.Sharing.GetFolder(r.Context(), s.org.ID, fid)
	if err == nil && f.WorkspaceID != ws.ID {
		err = store.ErrNotFound
	}
	if err != nil {
		h.fail(w, r, s, notFoundAs(err, "folder", fid))
		return store.Folder{}, false
	}
	return f, true
}

type folderPage struct {
	WS          store.Workspace
	Folder      store.Folder
	Invite      bool
	Base        string
	Grants      []grantView
	GrantsNext  string
	Members     []memberView
	MembersNext string
	Roles       any
	GrantSearch groupSearch
	Notice      string
	EditError   string
	EditName    string
	ShareError  string
	// CSRF is the session's form token, for the partials.
	CSRF string
}

func (h *Handler) folderView(w http.ResponseWriter, r *http.Request, s *session, status int, ws store.Workspace, f store.Folder, p folderPage) {
	ctx := r.Context()
	q := r.URL.Query()
	p.WS, p.Folder, p.Roles, p.CSRF = ws, f, roleChoices, s.csrf
	p.Invite = f.TeamAccess == store.TeamAccessInviteOnly
	p.Base = Prefix + "/workspaces/" + ws.ID + "/folders/" + f.ID
	if p.Notice == "" {
		p.Notice = notices[q.Get("done")]
	}
	if p.EditName == "" {
		p.EditName = f.Name
	}
	var err error
	if p.Grants, p.GrantsNext, err = h.grantViews(ctx, s.org.ID, store.ResourceFolder, f.ID, p.Base, q); err != nil {
		h.fail(w, r, s, err)
		return
	}
	if p.Members, p.MembersNext, err = h.memberViews(ctx, s.org.ID, store.ResourceFolder, f.ID, p.Base, q); err != nil {
		h.fail(w, r, s, err)
		return
	}
	if p.GrantSearch, err = h.searchGroups(ctx, s.org.ID, q.Get("group"), p.Base+"/grants"); err != nil {
		h.fail(w, r, s, err)
		return
	}
	h.render(w, r, status, "folder", view{Title: f.Name + " · " + ws.Name, Nav: "workspaces", Org: s.org, CSRF: s.csrf, Data: p})
}

func (h *Handler) folder(w http.ResponseWriter, r *http.Request, s *session) {
	ws, ok := h.loadWorkspace(w, r, s)
	if !ok {
		return
	}
	if f, ok := h.loadFolder(w, r, s, ws); ok {
		h.folderView(w, r, s, http.StatusOK, ws, f, folderPage{})
	}
}

// editFolder is the help page's Edit: the folder's name and its team
// access, Workspace or Invite only.
func (h *Handler) editFolder(w http.ResponseWriter, r *http.Request, s *session) {
	ws, ok := h.loadWorkspace(w, r, s)
	if !ok {
		return
	}
	f, ok := h.loadFolder(w, r, s, ws)
	if !ok {
		return
	}
	name := strings.TrimSpace(r.PostForm.Get("name"))
	u := store.FolderUpdate{OrgID: s.org.ID, ID: f.ID}
	if name != f.Name {
		u.Name = &name
	}
	if ta := store.TeamAccess(r.PostForm.Get("team_access")); ta != "" && ta != f.TeamAccess {
		if !ta.Valid() {
			h.folderView(w, r, s, http.StatusBadRequest, ws, f, folderPage{EditName: name, EditError: "Choose Workspace or Invite only."})
			return
		}
		u.TeamAccess = &ta
	}
	if u.Name == nil && u.TeamAccess == nil {
		http.Redirect(w, r, Prefix+"/workspaces/"+ws.ID+"/folders/"+f.ID, http.StatusSeeOther)
		return
	}
	if _, err := h.Sharing.UpdateFolder(r.Context(), s.actor, u); err != nil {
		if kind, msg, ok := fault.As(err); ok && (kind == fault.Invalid || kind == fault.Conflict) {
			h.folderView(w, r, s, http.StatusBadRequest, ws, f, folderPage{EditName: name, EditError: sentence(msg)})
			return
		}
		h.fail(w, r, s, err)
		return
	}
	http.Redirect(w, r, Prefix+"/workspaces/"+ws.ID+"/folders/"+f.ID+"?done=saved", http.StatusSeeOther)
}

func (h *Handler) confirmDeleteFolder(w http.ResponseWriter, r *http.Request, s *session) {
	ws, ok := h.loadWorkspace(w, r, s)
	if !ok {
		return
	}
	f, ok := h.loadFolder(w, r, s, ws)
	if !ok {
		return
	}
	if f.IsHome {
		h.fail(w, r, s, fault.Invalidf("the home folder goes only with its workspace"))
		return
	}
	grants, err := h.Sharing.ListGrants(r.Context(), s.org.ID, store.GrantFilter{ResourceType: store.ResourceFolder, ResourceID: f.ID}, "", countCap)
	if err != nil {
		h.fail(w, r, s, err)
		return
	}
	members, err := h.Sharing.ListMembers(r.Context(), s.org.ID, store.ResourceFolder, f.ID, "", countCap)
	if err != nil {
		h.fail(w, r, s, err)
		return
	}
	base := Prefix + "/workspaces/" + ws.ID + "/folders/" + f.ID
	h.render(w, r, http.StatusOK, "workspace_delete", view{Title: "Delete " + f.Name, Nav: "workspaces", Org: s.org, CSRF: s.csrf, Data: confirmPage{
		Heading: "Delete folder “" + f.Name + "” of " + ws.Name + "?",
		Text:    "This cannot be undone. Its members lose access to it at once.",
		Losses:  []string{count(len(grants)) + " group grants on the folder", count(len(members)) + " folder members"},
		Action:  base + "/delete", Button: "Delete folder", Back: base}})
}

func (h *Handler) deleteFolder(w http.ResponseWriter, r *http.Request, s *session) {
	ws, ok := h.loadWorkspace(w, r, s)
	if !ok {
		return
	}
	f, ok := h.loadFolder(w, r, s, ws)
	if !ok {
		return
	}
	if err := h.Sharing.DeleteFolder(r.Context(), s.actor, s.org.ID, f.ID); err != nil {
		h.fail(w, r, s, err)
		return
	}
	http.Redirect(w, r, Prefix+"/workspaces/"+ws.ID+"?done=folder-deleted", http.StatusSeeOther)
}

// accessRowView is one person who reaches a workspace or folder, with the
// resolver's reasons in words.
type accessRowView struct {
	UserID, User, Role string
	Reasons            []string
	// Removable names the direct or kept membership a Remove button ends.
	Removable bool
}

type accessPage struct {
	WS          store.Workspace
	Folder      *store.Folder
	Title, Back string
	Rows        []accessRowView
	Next        string
	Notice      string
	Action      string
}

// whoHasAccess is "Who has access and why": everyone the resolver says
// reaches the workspace or folder, each with role and reasons by name.
func (h *Handler) whoHasAccess(w http.ResponseWriter, r *http.Request, s *session) {
	ws, ok := h.loadWorkspace(w, r, s)
	if !ok {
		return
	}
	ctx := r.Context()
	p := accessPage{WS: ws, Title: ws.Name, Back: Prefix + "/workspaces/" + ws.ID}
	rt, id := store.ResourceWorkspace, ws.ID
	if r.PathValue("fid") != "" {
		f, ok := h.loadFolder(w, r, s, ws)
		if !ok {
			return
		}
		p.Folder, p.Title, p.Back = &f, f.Name+" · "+ws.Name, p.Back+"/folders/"+f.ID
		rt, id = store.ResourceFolder, f.ID
	}
	p.Action = p.Back
	q := r.URL.Query()
	p.Notice = notices[q.Get("done")]
	list, more, err := h.WhoHas.ResourceAccess(ctx, s.org.ID, rt, id, q.Get("after"), sharePage)
	if err != nil {
		h.fail(w, r, s, err)
		return
	}
	var groupIDs []string
	for _, re := range list {
		for _, why := range re.Reasons {
			if g, ok := strings.CutPrefix(why.Origin, "group:"); ok && why.GroupName == "" {
				groupIDs = append(groupIDs, g)
			}
		}
	}
	groups, err := h.Names.GroupNames(ctx, s.org.ID, groupIDs)
	if err != nil {
		h.fail(w, r, s, err)
		return
	}
	for _, re := range list {
		row := accessRowView{UserID: re.UserID, User: re.UserName, Role: roleName(re.Role)}
		if row.User == "" {
			row.User = re.UserID
		}
		for _, why := range re.Reasons {
			row.Reasons = append(row.Reasons, reasonText(why, rt, id, groups))
			if why.Kind == "membership" && why.ResourceType == rt && why.ResourceID == id && !strings.HasPrefix(why.Origin, "group:") {
				row.Removable = true
			}
		}
		p.Rows = append(p.Rows, row)
	}
	if len(list) > 0 {
		p.Next = nextLink(r.URL.Path, nil, "after", list[len(list)-1].UserID, more)
	}
	h.render(w, r, http.StatusOK, "access", view{Title: "Who has access · " + p.Title, Nav: "workspaces", Org: s.org, CSRF: s.csrf, Data: p})
}

// reasonText says one of the resolver's reasons as a sentence.
func reasonText(why access.Reason, rt store.ResourceType, id string, groups map[string]string) string {
	role := roleName(why.Role)
	where := ""
	if why.Inherited || why.ResourceID != "" && (why.ResourceType != rt || why.ResourceID != id) {
		// A workspace grant or membership reaching its home folder or a
		// folder that follows the workspace.
		where = " on the workspace"
	}
	switch why.Kind {
	case "org_role":
		return role + " of the organization: owners and admins reach everything"
	case "grant":
		name := why.GroupName
		if name == "" {
			name = why.GroupID
		}
		return role + " through group " + name + where + " (the IdP's group decides)"
	case "membership":
		origin := originText(why.Origin, groups)
		if why.GroupName != "" && strings.HasPrefix(why.Origin, "group:") {
			origin = "joined through group " + why.GroupName
		}
		return role + " as a member" + where + ", " + origin
	}
	return role
}
