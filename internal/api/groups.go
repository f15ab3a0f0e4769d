package api

import (
	"net/http"
	"time"

	"github.com/rosterhq/roster/internal/store"
)

// groupJSON is a group as the identity provider provisioned it.
type groupJSON struct {
	ID          string    `json:"id"`
	DisplayName string    `json:"display_name"`
	ExternalID  string    `json:"external_id,omitempty"`
	MemberCount int64     `json:"member_count"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

func groupOut(g store.Group) groupJSON {
	return groupJSON{g.ID, g.DisplayName, g.ExternalID, g.MemberCount, g.CreatedAt, g.UpdatedAt}
}

// listGroups serves a page of groups; ?q= keeps those whose name starts
// with it, ignoring case.
func (h *Handler) listGroups(w http.ResponseWriter, r *http.Request) error {
	who := principal(r)
	after, limit, err := page(r)
	if err != nil {
		return err
	}
	f := store.GroupListing{NamePrefix: r.URL.Query().Get("q")}
	items, err := h.Directory.ListGroups(r.Context(), who.OrgID, f, after, limit+1)
	items, more, err := fetchPage(items, err, limit)
	if err != nil {
		return err
	}
	return list(w, mapSlice(items, groupOut), more, func(g groupJSON) string { return g.ID })
}

func (h *Handler) getGroup(w http.ResponseWriter, r *http.Request) error {
	g, err := h.Directory.Group(r.Context(), principal(r).OrgID, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, groupOut(g))
	return nil
}

// listGroupMembers serves a page of a group's members.
func (h *Handler) listGroupMembers(w http.ResponseWriter, r *http.Request) error {
	who := principal(r)
	after, limit, err := page(r)
	if err != nil {
		return err
	}
	items, err := h.Directory.GroupUsers(r.Context(), who.OrgID, r.PathValue("id"), after, limit+1)
	items, more, err := fetchPage(items, err, limit)
	if err != nil {
		return err
	}
	return list(w, mapSlice(items, userSummaryOut), more, func(u userSummaryJSON) string { return u.ID })
}
