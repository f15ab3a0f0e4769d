package api

import (
	"net/http"

	"github.com/rosterhq/roster/internal/store"
)

func (h *Handler) listMembers(w http.ResponseWriter, r *http.Request, rt store.ResourceType) error {
	who := principal(r)
	after, limit, err := page(r)
	if err != nil {
		return err
	}
	items, err := h.Access.ListMembers(r.Context(), who.OrgID, rt, r.PathValue("id"), after, limit+1)
	items, more, err := fetchPage(items, err, limit)
	if err != nil {
		return err
	}
	return list(w, mapSlice(items, memberOut), more, func(m memberJSON) string {
		return store.MemberCursor(store.ResourceMember{UserID: m.UserID, Origin: m.Origin})
	})
}

func (h *Handler) putMember(w http.ResponseWriter, r *http.Request, rt store.ResourceType) error {
	who := principal(r)
	var body struct {
		Role   store.Role `json:"role"`
		Origin string     `json:"origin"`
	}
	if err := decode(r, &body); err != nil {
		return err
	}
	m, err := h.Access.PutMember(r.Context(), who.Actor(), store.ResourceMember{OrgID: who.OrgID, ResourceType: rt, ResourceID: r.PathValue("id"),
		UserID: r.PathValue("user_id"), Origin: body.Origin, Role: body.Role})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, memberOut(m))
	return nil
}

func (h *Handler) deleteMember(w http.ResponseWriter, r *http.Request, rt store.ResourceType) error {
	who := principal(r)
	if err := h.Access.RemoveMember(r.Context(), who.Actor(), who.OrgID, rt, r.PathValue("id"), r.PathValue("user_id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
