package api

import (
	"net/http"

	"github.com/rosterhq/roster/internal/store"
)

func (h *Handler) listGrants(w http.ResponseWriter, r *http.Request, rt store.ResourceType) error {
	return h.grantPage(w, r, store.GrantFilter{ResourceType: rt, ResourceID: r.PathValue("id")})
}

func (h *Handler) listGroupGrants(w http.ResponseWriter, r *http.Request) error {
	return h.grantPage(w, r, store.GrantFilter{GroupID: r.PathValue("id")})
}

func (h *Handler) grantPage(w http.ResponseWriter, r *http.Request, f store.GrantFilter) error {
	who := principal(r)
	after, limit, err := page(r)
	if err != nil {
		return err
	}
	items, err := h.Access.ListGrants(r.Context(), who.OrgID, f, after, limit+1)
	items, more, err := fetchPage(items, err, limit)
	if err != nil {
		return err
	}
	out, err := h.namedGrants(r, who.OrgID, items...)
	if err != nil {
		return err
	}
	return list(w, out, more, func(g grantJSON) string {
		return store.GrantCursor(store.Grant{ResourceType: g.ResourceType, ResourceID: g.ResourceID, GroupID: g.GroupID})
	})
}

func (h *Handler) putGrant(w http.ResponseWriter, r *http.Request, rt store.ResourceType) error {
	who := principal(r)
	var body struct {
		Role store.Role `json:"role"`
	}
	if err := decode(r, &body); err != nil {
		return err
	}
	g, created, err := h.Access.PutGrant(r.Context(), who.Actor(), who.OrgID, rt, r.PathValue("id"), r.PathValue("group_id"), body.Role)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	out, err := h.namedGrants(r, who.OrgID, g)
	if err != nil {
		return err
	}
	writeJSON(w, status, out[0])
	return nil
}

func (h *Handler) deleteGrant(w http.ResponseWriter, r *http.Request, rt store.ResourceType) error {
	who := principal(r)
	if err := h.Access.DeleteGrant(r.Context(), who.Actor(), who.OrgID, rt, r.PathValue("id"), r.PathValue("group_id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// namedGrants returns the grants' JSON with their groups' names, read in
// one query for the page.
func (h *Handler) namedGrants(r *http.Request, orgID string, gs ...store.Grant) ([]grantJSON, error) {
	ids := make([]string, 0, len(gs))
	for _, g := range gs {
		ids = append(ids, g.GroupID)
	}
	names, err := h.Directory.GroupNames(r.Context(), orgID, ids)
	if err != nil {
		return nil, err
	}
	out := make([]grantJSON, len(gs))
	for i, g := range gs {
		out[i] = grantOut(g)
		out[i].GroupName = names[g.GroupID]
	}
	return out, nil
}
