package api

import "net/http"

func (h *Handler) listWorkspaces(w http.ResponseWriter, r *http.Request) error {
	who := principal(r)
	after, limit, err := page(r)
	if err != nil {
		return err
	}
	items, err := h.Access.ListWorkspaces(r.Context(), who.OrgID, after, limit+1)
	items, more, err := fetchPage(items, err, limit)
	if err != nil {
		return err
	}
	return list(w, mapSlice(items, workspaceOut), more, func(x workspaceJSON) string { return x.ID })
}

func (h *Handler) createWorkspace(w http.ResponseWriter, r *http.Request) error {
	who := principal(r)
	var body struct {
		Name string `json:"name"`
		// CreatedBy is the user creating it; the organization's settings
		// decide whether they may, and they become its editor.
		CreatedBy string `json:"created_by"`
	}
	if err := decode(r, &body); err != nil {
		return err
	}
	ws, _, err := h.Access.CreateWorkspace(r.Context(), who.Actor(), who.OrgID, body.Name, body.CreatedBy)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/workspaces/"+ws.ID)
	writeJSON(w, http.StatusCreated, workspaceOut(ws))
	return nil
}

func (h *Handler) getWorkspace(w http.ResponseWriter, r *http.Request) error {
	who := principal(r)
	ws, err := h.Access.GetWorkspace(r.Context(), who.OrgID, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, workspaceOut(ws))
	return nil
}

func (h *Handler) patchWorkspace(w http.ResponseWriter, r *http.Request) error {
	who := principal(r)
	var body struct {
		Name string `json:"name"`
	}
	if err := decode(r, &body); err != nil {
		return err
	}
	ws, err := h.Access.RenameWorkspace(r.Context(), who.Actor(), who.OrgID, r.PathValue("id"), body.Name)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, workspaceOut(ws))
	return nil
}

func (h *Handler) deleteWorkspace(w http.ResponseWriter, r *http.Request) error {
	who := principal(r)
	if err := h.Access.DeleteWorkspace(r.Context(), who.Actor(), who.OrgID, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
