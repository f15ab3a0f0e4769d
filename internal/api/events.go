package api

import (
	"net/http"
	"strconv"

	"github.com/rosterhq/roster/internal/store"
)

// events serves the event feed, oldest first.
func (h *Handler) events(w http.ResponseWriter, r *http.Request) error {
	who := principal(r)
	// The feed's position is an event number, not a cursor: a host app
	// stores the seq of the last event it processed and resumes after it.
	limit, err := limitOf(r)
	if err != nil {
		return err
	}
	var after int64
	if s := r.URL.Query().Get("after"); s != "" {
		if after, err = strconv.ParseInt(s, 10, 64); err != nil || after < 0 {
			return invalid("after must be the seq of the last event you have (a whole number, 0 for the start), not %q", s)
		}
	}
	evs, err := h.Access.Events(r.Context(), who.OrgID, after, limit)
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
