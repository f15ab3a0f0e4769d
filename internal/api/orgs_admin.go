package api

import (
	"net/http"

	"github.com/rosterhq/roster/internal/store"
)

func (h *Handler) listOrgs(w http.ResponseWriter, r *http.Request) error {
	after, limit, err := page(r)
	if err != nil {
		return err
	}
	items, err := h.Access.ListOrgs(r.Context(), after, limit+1)
	items, more, err := fetchPage(items, err, limit)
	if err != nil {
		return err
	}
	return list(w, mapSlice(items, orgOut), more, func(o orgJSON) string { return o.ID })
}

func (h *Handler) createOrg(w http.ResponseWriter, r *http.Request) error {
	who := principal(r)
	var body struct {
		Name string     `json:"name"`
		Plan store.Plan `json:"plan"`
	}
	if err := decode(r, &body); err != nil {
		return err
	}
	o, err := h.Access.CreateOrg(r.Context(), who.Actor(), body.Name, body.Plan)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/orgs/"+o.ID)
	writeJSON(w, http.StatusCreated, orgOut(o))
	return nil
}

func (h *Handler) adminGetOrg(w http.ResponseWriter, r *http.Request) error {
	o, err := h.Access.Org(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, orgOut(o))
	return nil
}

func (h *Handler) putPlan(w http.ResponseWriter, r *http.Request) error {
	who := principal(r)
	var body struct {
		Plan store.Plan `json:"plan"`
	}
	if err := decode(r, &body); err != nil {
		return err
	}
	o, err := h.Access.SetPlan(r.Context(), who.Actor(), r.PathValue("id"), body.Plan)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, orgOut(o))
	return nil
}

func (h *Handler) createAPIKey(w http.ResponseWriter, r *http.Request) error {
	who := principal(r)
	var body struct {
		Name string `json:"name"`
	}
	if err := decode(r, &body); err != nil {
		return err
	}
	orgID := r.PathValue("id")
	if _, err := h.Access.Org(r.Context(), orgID); err != nil {
		return err
	}
	text, t, err := h.Keys.Create(r.Context(), who.Actor(), orgID, store.TokenAPI, body.Name)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"id": t.ID, "org_id": orgID, "name": t.Name, "key": text,
		"note": "the key is shown this once; roster keeps only its hash"})
	return nil
}
