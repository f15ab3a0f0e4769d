package api

import (
	"net/http"
)

// listAdminKeys lists the instance's admin keys, newest first, revoked
// ones included (with revoked_at); never their secrets. There are a
// handful, so the list is not paged.
func (h *Handler) listAdminKeys(w http.ResponseWriter, r *http.Request) error {
	ts, err := h.Keys.ListAdmin(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": mapSlice(ts, tokenOut)})
	return nil
}

// revokeAdminKey revokes an admin key; this instance refuses it from the
// next request. Revoking a revoked key changes nothing.
func (h *Handler) revokeAdminKey(w http.ResponseWriter, r *http.Request) error {
	if _, err := h.Keys.RevokeAdmin(r.Context(), principal(r).Actor(), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
