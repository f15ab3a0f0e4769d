package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/rosterhq/roster/internal/store"
)

// userSummaryJSON is a user as lists show them.
type userSummaryJSON struct {
	ID          string `json:"id"`
	UserName    string `json:"user_name"`
	DisplayName string `json:"display_name,omitempty"`
	Active      bool   `json:"active"`
}

func userSummaryOut(u store.UserSummary) userSummaryJSON {
	return userSummaryJSON{u.ID, u.UserName, u.DisplayName, u.Active}
}

// groupRefJSON is one group of a user.
type groupRefJSON struct {
	ID          string `json:"id"`
	DisplayName string `json:"display_name"`
}

// userJSON is one user with their groups.
type userJSON struct {
	ID          string         `json:"id"`
	UserName    string         `json:"user_name"`
	DisplayName string         `json:"display_name,omitempty"`
	ExternalID  string         `json:"external_id,omitempty"`
	Active      bool           `json:"active"`
	Groups      []groupRefJSON `json:"groups"`
	CreatedAt   time.Time      `json:"created_at"`
	UpdatedAt   time.Time      `json:"updated_at"`
}

// listUsers serves a page of users; ?q= keeps those whose userName or
// displayName starts with it, ignoring case, and ?active=true|false those
// active or deactivated.
func (h *Handler) listUsers(w http.ResponseWriter, r *http.Request) error {
	who := principal(r)
	after, limit, err := page(r)
	if err != nil {
		return err
	}
	f := store.UserListing{Prefix: r.URL.Query().Get("q")}
	if s := r.URL.Query().Get("active"); s != "" {
		b, err := strconv.ParseBool(s)
		if err != nil || (s != "true" && s != "false") {
			return invalid("active must be true or false, not %q", s)
		}
		f.Active = &b
	}
	items, err := h.Directory.ListUsers(r.Context(), who.OrgID, f, after, limit+1)
	items, more, err := fetchPage(items, err, limit)
	if err != nil {
		return err
	}
	return list(w, mapSlice(items, userSummaryOut), more, func(u userSummaryJSON) string { return u.ID })
}

func (h *Handler) getUser(w http.ResponseWriter, r *http.Request) error {
	u, groups, err := h.Directory.UserWithGroups(r.Context(), principal(r).OrgID, r.PathValue("id"))
	if err != nil {
		return err
	}
	out := userJSON{ID: u.ID, UserName: u.UserName, DisplayName: u.DisplayName, ExternalID: u.ExternalID, Active: u.Active,
		Groups:    mapSlice(groups, func(g store.GroupRef) groupRefJSON { return groupRefJSON{g.GroupID, g.DisplayName} }),
		CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt}
	writeJSON(w, http.StatusOK, out)
	return nil
}
