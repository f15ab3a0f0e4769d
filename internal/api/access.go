package api

import (
	"net/http"

	"github.com/rosterhq/roster/internal/access"
	"github.com/rosterhq/roster/internal/store"
)

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

func (h *Handler) check(w http.ResponseWriter, r *http.Request) error {
	who := principal(r)
	var req checkRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	rt, err := h.checkArgs(&req)
	if err != nil {
		return err
	}
	d, joined, err := h.Access.Check(r.Context(), who.Actor(), who.OrgID, req.UserID, rt, req.ResourceID, store.Role(req.Role), req.Join)
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

func (h *Handler) join(w http.ResponseWriter, r *http.Request) error {
	who := principal(r)
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
	d, joined, err := h.Access.Join(r.Context(), who.Actor(), who.OrgID, req.UserID, rt, req.ResourceID)
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

func (h *Handler) userAccess(w http.ResponseWriter, r *http.Request) error {
	who := principal(r)
	after, limit, err := page(r)
	if err != nil {
		return err
	}
	uid := r.PathValue("id")
	items, more, err := h.Access.Resolver.UserAccess(r.Context(), who.OrgID, uid, after, limit)
	if err != nil {
		return err
	}
	can, _, err := h.Access.Resolver.CanCreateWorkspace(r.Context(), who.OrgID, uid)
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

func (h *Handler) resourceAccess(w http.ResponseWriter, r *http.Request, rt store.ResourceType) error {
	who := principal(r)
	after, limit, err := page(r)
	if err != nil {
		return err
	}
	items, more, err := h.Access.Resolver.ResourceAccess(r.Context(), who.OrgID, rt, r.PathValue("id"), after, limit)
	if err != nil {
		return err
	}
	return list(w, items, more, func(x access.Reacher) string { return x.UserID })
}
