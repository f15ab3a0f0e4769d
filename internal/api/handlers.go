package api

import (
	"crypto/subtle"
	"net/http"
	"strconv"
	"time"

	"github.com/rosterhq/roster/internal/access"
	"github.com/rosterhq/roster/internal/store"
)

func equalHash(a, b []byte) bool { return subtle.ConstantTimeCompare(a, b) == 1 }

// JSON shapes of the records.

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
	Role         store.Role         `json:"role"`
	CreatedAt    time.Time          `json:"created_at"`
	UpdatedAt    time.Time          `json:"updated_at"`
}

func grantOut(g store.Grant) grantJSON {
	return grantJSON{g.ResourceType, g.ResourceID, g.GroupID, g.Role, g.CreatedAt, g.UpdatedAt}
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

// Organization.

func (h *Handler) getOrg(w http.ResponseWriter, r *http.Request, c *call) error {
	o, err := h.Access.Org(r.Context(), c.orgID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, orgOut(o))
	return nil
}

func (h *Handler) patchSettings(w http.ResponseWriter, r *http.Request, c *call) error {
	var p access.SettingsPatch
	if err := decode(r, &p); err != nil {
		return err
	}
	o, err := h.Access.UpdateSettings(r.Context(), c.actor, c.orgID, p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, orgOut(o))
	return nil
}

type orgRoleJSON struct {
	UserID    string        `json:"user_id"`
	Role      store.OrgRole `json:"role"`
	CreatedAt time.Time     `json:"created_at"`
}

func (h *Handler) listOrgRoles(w http.ResponseWriter, r *http.Request, c *call) error {
	after, limit, err := page(r)
	if err != nil {
		return err
	}
	items, err := h.Access.ListOrgRoles(r.Context(), c.orgID, after, limit+1)
	items, more, err := fetchPage(items, err, limit)
	if err != nil {
		return err
	}
	return list(w, mapSlice(items, func(m store.OrgMember) orgRoleJSON { return orgRoleJSON{m.UserID, m.Role, m.CreatedAt} }),
		more, func(m orgRoleJSON) string { return m.UserID })
}

func (h *Handler) putOrgRole(w http.ResponseWriter, r *http.Request, c *call) error {
	var body struct {
		Role store.OrgRole `json:"role"`
	}
	if err := decode(r, &body); err != nil {
		return err
	}
	m, err := h.Access.SetOrgRole(r.Context(), c.actor, c.orgID, r.PathValue("user_id"), body.Role)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, orgRoleJSON{m.UserID, m.Role, m.CreatedAt})
	return nil
}

func (h *Handler) deleteOrgRole(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := h.Access.RemoveOrgRole(r.Context(), c.actor, c.orgID, r.PathValue("user_id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// Workspaces.

func (h *Handler) listWorkspaces(w http.ResponseWriter, r *http.Request, c *call) error {
	after, limit, err := page(r)
	if err != nil {
		return err
	}
	items, err := h.Access.ListWorkspaces(r.Context(), c.orgID, after, limit+1)
	items, more, err := fetchPage(items, err, limit)
	if err != nil {
		return err
	}
	return list(w, mapSlice(items, workspaceOut), more, func(x workspaceJSON) string { return x.ID })
}

func (h *Handler) createWorkspace(w http.ResponseWriter, r *http.Request, c *call) error {
	var body struct {
		Name string `json:"name"`
		// CreatedBy is the user creating it; the organization's settings
		// decide whether they may, and they become its editor.
		CreatedBy string `json:"created_by"`
	}
	if err := decode(r, &body); err != nil {
		return err
	}
	ws, _, err := h.Access.CreateWorkspace(r.Context(), c.actor, c.orgID, body.Name, body.CreatedBy)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/workspaces/"+ws.ID)
	writeJSON(w, http.StatusCreated, workspaceOut(ws))
	return nil
}

func (h *Handler) getWorkspace(w http.ResponseWriter, r *http.Request, c *call) error {
	ws, err := h.Access.GetWorkspace(r.Context(), c.orgID, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, workspaceOut(ws))
	return nil
}

func (h *Handler) patchWorkspace(w http.ResponseWriter, r *http.Request, c *call) error {
	var body struct {
		Name string `json:"name"`
	}
	if err := decode(r, &body); err != nil {
		return err
	}
	ws, err := h.Access.RenameWorkspace(r.Context(), c.actor, c.orgID, r.PathValue("id"), body.Name)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, workspaceOut(ws))
	return nil
}

func (h *Handler) deleteWorkspace(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := h.Access.DeleteWorkspace(r.Context(), c.actor, c.orgID, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// Folders.

func (h *Handler) listFolders(w http.ResponseWriter, r *http.Request, c *call) error {
	after, limit, err := page(r)
	if err != nil {
		return err
	}
	items, err := h.Access.ListFolders(r.Context(), c.orgID, r.PathValue("id"), after, limit+1)
	items, more, err := fetchPage(items, err, limit)
	if err != nil {
		return err
	}
	return list(w, mapSlice(items, folderOut), more, func(x folderJSON) string { return x.ID })
}

func (h *Handler) createFolder(w http.ResponseWriter, r *http.Request, c *call) error {
	var body struct {
		Name       string           `json:"name"`
		TeamAccess store.TeamAccess `json:"team_access"`
	}
	if err := decode(r, &body); err != nil {
		return err
	}
	f, err := h.Access.CreateFolder(r.Context(), c.actor, c.orgID, r.PathValue("id"), body.Name, body.TeamAccess)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/folders/"+f.ID)
	writeJSON(w, http.StatusCreated, folderOut(f))
	return nil
}

func (h *Handler) getFolder(w http.ResponseWriter, r *http.Request, c *call) error {
	f, err := h.Access.GetFolder(r.Context(), c.orgID, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, folderOut(f))
	return nil
}

func (h *Handler) patchFolder(w http.ResponseWriter, r *http.Request, c *call) error {
	var body struct {
		Name       *string           `json:"name"`
		TeamAccess *store.TeamAccess `json:"team_access"`
	}
	if err := decode(r, &body); err != nil {
		return err
	}
	f, err := h.Access.UpdateFolder(r.Context(), c.actor, store.FolderUpdate{OrgID: c.orgID, ID: r.PathValue("id"), Name: body.Name, TeamAccess: body.TeamAccess})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, folderOut(f))
	return nil
}

func (h *Handler) deleteFolder(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := h.Access.DeleteFolder(r.Context(), c.actor, c.orgID, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// Grants.

func (h *Handler) listGrants(w http.ResponseWriter, r *http.Request, c *call, rt store.ResourceType) error {
	return h.grantPage(w, r, c, store.GrantFilter{ResourceType: rt, ResourceID: r.PathValue("id")})
}

func (h *Handler) listGroupGrants(w http.ResponseWriter, r *http.Request, c *call) error {
	return h.grantPage(w, r, c, store.GrantFilter{GroupID: r.PathValue("id")})
}

func (h *Handler) grantPage(w http.ResponseWriter, r *http.Request, c *call, f store.GrantFilter) error {
	after, limit, err := page(r)
	if err != nil {
		return err
	}
	items, err := h.Access.ListGrants(r.Context(), c.orgID, f, after, limit+1)
	items, more, err := fetchPage(items, err, limit)
	if err != nil {
		return err
	}
	return list(w, mapSlice(items, grantOut), more, func(g grantJSON) string {
		return store.GrantCursor(store.Grant{ResourceType: g.ResourceType, ResourceID: g.ResourceID, GroupID: g.GroupID})
	})
}

func (h *Handler) putGrant(w http.ResponseWriter, r *http.Request, c *call, rt store.ResourceType) error {
	var body struct {
		Role store.Role `json:"role"`
	}
	if err := decode(r, &body); err != nil {
		return err
	}
	g, created, err := h.Access.PutGrant(r.Context(), c.actor, c.orgID, rt, r.PathValue("id"), r.PathValue("group_id"), body.Role)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	writeJSON(w, status, grantOut(g))
	return nil
}

func (h *Handler) deleteGrant(w http.ResponseWriter, r *http.Request, c *call, rt store.ResourceType) error {
	if err := h.Access.DeleteGrant(r.Context(), c.actor, c.orgID, rt, r.PathValue("id"), r.PathValue("group_id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// Direct members.

func (h *Handler) listMembers(w http.ResponseWriter, r *http.Request, c *call, rt store.ResourceType) error {
	after, limit, err := page(r)
	if err != nil {
		return err
	}
	items, err := h.Access.ListMembers(r.Context(), c.orgID, rt, r.PathValue("id"), after, limit+1)
	items, more, err := fetchPage(items, err, limit)
	if err != nil {
		return err
	}
	return list(w, mapSlice(items, memberOut), more, func(m memberJSON) string {
		return store.MemberCursor(store.ResourceMember{UserID: m.UserID, Origin: m.Origin})
	})
}

func (h *Handler) putMember(w http.ResponseWriter, r *http.Request, c *call, rt store.ResourceType) error {
	var body struct {
		Role   store.Role `json:"role"`
		Origin string     `json:"origin"`
	}
	if err := decode(r, &body); err != nil {
		return err
	}
	m, err := h.Access.PutMember(r.Context(), c.actor, store.ResourceMember{OrgID: c.orgID, ResourceType: rt, ResourceID: r.PathValue("id"),
		UserID: r.PathValue("user_id"), Origin: body.Origin, Role: body.Role})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, memberOut(m))
	return nil
}

func (h *Handler) deleteMember(w http.ResponseWriter, r *http.Request, c *call, rt store.ResourceType) error {
	if err := h.Access.RemoveMember(r.Context(), c.actor, c.orgID, rt, r.PathValue("id"), r.PathValue("user_id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// Access questions.

type checkRequest struct {
	UserID       string `json:"user_id"`
	ResourceType string `json:"resource_type"`
	ResourceID   string `json:"resource_id"`
	// Role is the role wanted; "viewer" when empty.
	Role string `json:"role"`
	// Join records the membership of a user allowed through group grants.
	Join bool `json:"join"`
}

type checkResponse struct {
	access.Decision
	Joined []memberJSON `json:"joined,omitempty"`
}

func (h *Handler) check(w http.ResponseWriter, r *http.Request, c *call) error {
	var req checkRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	rt, err := h.checkArgs(&req)
	if err != nil {
		return err
	}
	d, joined, err := h.Access.Check(r.Context(), c.actor, c.orgID, req.UserID, rt, req.ResourceID, store.Role(req.Role), req.Join)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, checkResponse{d, mapSlice(joined, memberOut)})
	return nil
}

func (h *Handler) checkArgs(req *checkRequest) (store.ResourceType, error) {
	if err := required("user_id", req.UserID); err != nil {
		return "", err
	}
	if err := required("resource_id", req.ResourceID); err != nil {
		return "", err
	}
	if req.Role == "" {
		req.Role = string(store.RoleViewer)
	}
	return resourceType(req.ResourceType)
}

func (h *Handler) join(w http.ResponseWriter, r *http.Request, c *call) error {
	var req struct {
		UserID       string `json:"user_id"`
		ResourceType string `json:"resource_type"`
		ResourceID   string `json:"resource_id"`
	}
	if err := decode(r, &req); err != nil {
		return err
	}
	cr := checkRequest{UserID: req.UserID, ResourceType: req.ResourceType, ResourceID: req.ResourceID}
	rt, err := h.checkArgs(&cr)
	if err != nil {
		return err
	}
	d, joined, err := h.Access.Join(r.Context(), c.actor, c.orgID, req.UserID, rt, req.ResourceID)
	if err != nil {
		return err
	}
	resp := checkResponse{d, mapSlice(joined, memberOut)}
	if resp.Joined == nil {
		resp.Joined = []memberJSON{}
	}
	writeJSON(w, http.StatusOK, struct {
		checkResponse
		Joined []memberJSON `json:"joined"`
	}{resp, resp.Joined})
	return nil
}

func (h *Handler) userAccess(w http.ResponseWriter, r *http.Request, c *call) error {
	after, limit, err := page(r)
	if err != nil {
		return err
	}
	uid := r.PathValue("id")
	items, more, err := h.Access.Resolver.UserAccess(r.Context(), c.orgID, uid, after, limit)
	if err != nil {
		return err
	}
	can, _, err := h.Access.Resolver.CanCreateWorkspace(r.Context(), c.orgID, uid)
	if err != nil {
		return err
	}
	body := map[string]any{"user_id": uid, "can_create_workspaces": can, "items": items}
	if items == nil {
		body["items"] = []access.Reach{}
	}
	if more && len(items) > 0 {
		body["next"] = cursor(items[len(items)-1].Cursor())
	}
	writeJSON(w, http.StatusOK, body)
	return nil
}

func (h *Handler) resourceAccess(w http.ResponseWriter, r *http.Request, c *call, rt store.ResourceType) error {
	after, limit, err := page(r)
	if err != nil {
		return err
	}
	items, more, err := h.Access.Resolver.ResourceAccess(r.Context(), c.orgID, rt, r.PathValue("id"), after, limit)
	if err != nil {
		return err
	}
	return list(w, items, more, func(x access.Reacher) string { return x.UserID })
}

func (h *Handler) events(w http.ResponseWriter, r *http.Request, c *call) error {
	_, limit, err := page(r)
	if err != nil {
		return err
	}
	var after int64
	if s := r.URL.Query().Get("after"); s != "" {
		if after, err = strconv.ParseInt(s, 10, 64); err != nil || after < 0 {
			return fail(http.StatusBadRequest, "invalid_request", "after must be the seq of the last event you have, not %q", s)
		}
	}
	evs, err := h.Access.Events(r.Context(), c.orgID, after, limit)
	if err != nil {
		return err
	}
	body := map[string]any{"items": evs}
	if evs == nil {
		body["items"] = []store.Event{}
	}
	// The feed never ends: next is where to resume, even on an empty page.
	next := after
	if len(evs) > 0 {
		next = evs[len(evs)-1].Seq
	}
	body["next"] = strconv.FormatInt(next, 10)
	writeJSON(w, http.StatusOK, body)
	return nil
}

// Instance administration (admin keys).

func (h *Handler) listOrgs(w http.ResponseWriter, r *http.Request, c *call) error {
	after, limit, err := page(r)
	if err != nil {
		return err
	}
	items, err := h.Orgs.List(r.Context(), after, limit+1)
	items, more, err := fetchPage(items, err, limit)
	if err != nil {
		return err
	}
	return list(w, mapSlice(items, orgOut), more, func(o orgJSON) string { return o.ID })
}

func (h *Handler) createOrg(w http.ResponseWriter, r *http.Request, c *call) error {
	var body struct {
		Name string     `json:"name"`
		Plan store.Plan `json:"plan"`
	}
	if err := decode(r, &body); err != nil {
		return err
	}
	o, err := h.Orgs.Create(r.Context(), c.actor, body.Name, body.Plan)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/orgs/"+o.ID)
	writeJSON(w, http.StatusCreated, orgOut(o))
	return nil
}

func (h *Handler) adminGetOrg(w http.ResponseWriter, r *http.Request, c *call) error {
	o, err := h.Access.Org(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, orgOut(o))
	return nil
}

func (h *Handler) putPlan(w http.ResponseWriter, r *http.Request, c *call) error {
	var body struct {
		Plan store.Plan `json:"plan"`
	}
	if err := decode(r, &body); err != nil {
		return err
	}
	o, err := h.Access.SetPlan(r.Context(), c.actor, r.PathValue("id"), body.Plan)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, orgOut(o))
	return nil
}

func (h *Handler) createAPIKey(w http.ResponseWriter, r *http.Request, c *call) error {
	var body struct {
		Name string `json:"name"`
	}
	if err := decode(r, &body); err != nil {
		return err
	}
	orgID := r.PathValue("id")
	if _, err := h.Access.Org(r.Context(), orgID); err != nil {
		return err
	}
	text, t, err := h.Keys.Create(r.Context(), c.actor, orgID, store.TokenAPI, body.Name)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"id": t.ID, "org_id": orgID, "name": t.Name, "key": text,
		"note": "the key is shown this once; roster keeps only its hash"})
	return nil
}
