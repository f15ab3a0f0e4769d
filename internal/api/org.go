package api

import (
	"net/http"
	"time"

	"github.com/rosterhq/roster/internal/access"
	"github.com/rosterhq/roster/internal/store"
)

func (h *Handler) getOrg(w http.ResponseWriter, r *http.Request) error {
	who := principal(r)
	o, err := h.Access.Org(r.Context(), who.OrgID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, orgOut(o))
	return nil
}

func (h *Handler) patchSettings(w http.ResponseWriter, r *http.Request) error {
	who := principal(r)
	var p access.SettingsPatch
	if err := decode(r, &p); err != nil {
		return err
	}
	o, err := h.Access.UpdateSettings(r.Context(), who.Actor(), who.OrgID, p)
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

func (h *Handler) listOrgRoles(w http.ResponseWriter, r *http.Request) error {
	who := principal(r)
	after, limit, err := page(r)
	if err != nil {
		return err
	}
	items, err := h.Access.ListOrgRoles(r.Context(), who.OrgID, after, limit+1)
	items, more, err := fetchPage(items, err, limit)
	if err != nil {
		return err
	}
	return list(w, mapSlice(items, func(m store.OrgMember) orgRoleJSON { return orgRoleJSON{m.UserID, m.Role, m.CreatedAt} }),
		more, func(m orgRoleJSON) string { return m.UserID })
}

func (h *Handler) putOrgRole(w http.ResponseWriter, r *http.Request) error {
	who := principal(r)
	var body struct {
		Role store.OrgRole `json:"role"`
	}
	if err := decode(r, &body); err != nil {
		return err
	}
	m, err := h.Access.SetOrgRole(r.Context(), who.Actor(), who.OrgID, r.PathValue("user_id"), body.Role)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, orgRoleJSON{m.UserID, m.Role, m.CreatedAt})
	return nil
}

func (h *Handler) deleteOrgRole(w http.ResponseWriter, r *http.Request) error {
	who := principal(r)
	if err := h.Access.RemoveOrgRole(r.Context(), who.Actor(), who.OrgID, r.PathValue("user_id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
