package api

import (
	"net/http"
	"time"

	"github.com/rosterhq/roster/internal/fault"
	"github.com/rosterhq/roster/internal/store"
)

// tokenJSON is a credential as lists show it: never its secret.
type tokenJSON struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	Hint       string     `json:"hint"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	RevokedAt  *time.Time `json:"revoked_at"`
}

func tokenOut(t store.Token) tokenJSON {
	at := func(t time.Time) *time.Time {
		if t.IsZero() {
			return nil
		}
		return &t
	}
	return tokenJSON{t.ID, t.Name, t.Hint, t.CreatedAt, at(t.LastUsedAt), at(t.RevokedAt)}
}

// listSCIMTokens lists the organization's SCIM tokens, newest first,
// revoked ones included (with revoked_at). An organization has a handful,
// so the list is not paged.
func (h *Handler) listSCIMTokens(w http.ResponseWriter, r *http.Request) error {
	ts, err := h.Keys.List(r.Context(), principal(r).OrgID, store.TokenSCIM)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": mapSlice(ts, tokenOut)})
	return nil
}

// createSCIMToken issues a SCIM token. Earlier tokens stay valid, so an
// identity provider can move to the new one before the old is revoked.
func (h *Handler) createSCIMToken(w http.ResponseWriter, r *http.Request) error {
	who := principal(r)
	var body struct {
		Name string `json:"name"`
	}
	if err := decode(r, &body); err != nil {
		return err
	}
	text, t, err := h.Keys.Create(r.Context(), who.Actor(), who.OrgID, store.TokenSCIM, body.Name)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/scim-tokens/"+t.ID)
	writeJSON(w, http.StatusCreated, struct {
		tokenJSON
		Token string `json:"token"`
		Note  string `json:"note"`
	}{tokenOut(t), text, "the token is shown this once; roster keeps only its hash"})
	return nil
}

// revokeSCIMToken revokes one of the organization's SCIM tokens; through
// the token service, so this instance refuses it from the next request.
func (h *Handler) revokeSCIMToken(w http.ResponseWriter, r *http.Request) error {
	who := principal(r)
	id := r.PathValue("id")
	// An API key's id, or another organization's token, is no SCIM token
	// of this organization: 404 either way.
	_, err := h.Keys.RevokeKind(r.Context(), who.Actor(), who.OrgID, store.TokenSCIM, id)
	if fault.Is(err, fault.Invalid) {
		return fault.NotFoundf("SCIM token %s does not exist in this organization", id)
	}
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
