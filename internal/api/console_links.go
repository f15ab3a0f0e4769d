package api

import (
	"net/http"
	"strings"
	"time"

	"github.com/rosterhq/roster/internal/console"
	"github.com/rosterhq/roster/internal/fault"
)

// consoleLinkRequest asks for a setup link; ttl_seconds 0 is the default
// lifetime (24 hours), at most 7 days.
type consoleLinkRequest struct {
	TTLSeconds int64 `json:"ttl_seconds"`
}

// createConsoleLink issues a setup link that signs its holder into the
// organization's console once, for the host app to hand its customer's IT
// admin.
func (h *Handler) createConsoleLink(w http.ResponseWriter, r *http.Request) error {
	return h.consoleLink(w, r, principal(r).OrgID)
}

// adminCreateConsoleLink issues a setup link for any organization.
func (h *Handler) adminCreateConsoleLink(w http.ResponseWriter, r *http.Request) error {
	orgID := r.PathValue("id")
	if _, err := h.Access.Org(r.Context(), orgID); err != nil {
		return err
	}
	return h.consoleLink(w, r, orgID)
}

func (h *Handler) consoleLink(w http.ResponseWriter, r *http.Request, orgID string) error {
	var body consoleLinkRequest
	if err := decode(r, &body); err != nil {
		return err
	}
	if body.TTLSeconds < 0 {
		return fault.Invalidf("ttl_seconds must be 0 (24 hours) or a positive number of seconds, not %d", body.TTLSeconds)
	}
	if h.BaseURL == "" {
		return fault.Invalidf("this roster instance does not know its public URL: start roster serve with --base-url")
	}
	text, l, err := h.Keys.CreateLink(r.Context(), principal(r).Actor(), orgID, time.Duration(body.TTLSeconds)*time.Second)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{
		"id": l.ID, "org_id": l.OrgID, "hint": l.Hint, "expires_at": l.ExpiresAt.UTC(),
		"url":  strings.TrimSuffix(h.BaseURL, "/") + console.Prefix + "/enter/" + text,
		"note": "the link signs in once and is shown this once; roster keeps only its hash",
	})
	return nil
}
