package api

import (
	"net/http"

	"github.com/rosterhq/roster/internal/store"
)

func (h *Handler) listFolders(w http.ResponseWriter, r *http.Request) error {
	who := principal(r)
	after, limit, err := page(r)
	if err != nil {
		return err
	}
	items, err := h.Access.ListFolders(r.Context(), who.OrgID, r.PathValue("id"), after, limit+1)
	items, more, err := fetchPage(items, err, limit)
	if err != nil {
		return err
	}
	return list(w, mapSlice(items, folderOut), more, func(x folderJSON) string { return x.ID })
}

func (h *Handler) createFolder(w http.ResponseWriter, r *http.Request) error {
	who := principal(r)
	var body struct {
		Name       string           `json:"name"`
		TeamAccess store.TeamAccess `json:"team_access"`
	}
	if err := decode(r, &body); err != nil {
		return err
	}
	f, err := h.Access.CreateFolder(r.Context(), who.Actor(), who.OrgID, r.PathValue("id"), body.Name, body.TeamAccess)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/folders/"+f.ID)
	writeJSON(w, http.StatusCreated, folderOut(f))
	return nil
}

func (h *Handler) getFolder(w http.ResponseWriter, r *http.Request) error {
	who := principal(r)
	f, err := h.Access.GetFolder(r.Context(), who.OrgID, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, folderOut(f))
	return nil
}

func (h *Handler) patchFolder(w http.ResponseWriter, r *http.Request) error {
	who := principal(r)
	var body struct {
		Name       *string           `json:"name"`
		TeamAccess *store.TeamAccess `json:"team_access"`
	}
	if err := decode(r, &body); err != nil {
		return err
	}
	f, err := h.Access.UpdateFolder(r.Context(), who.Actor(), store.FolderUpdate{OrgID: who.OrgID, ID: r.PathValue("id"), Name: body.Name, TeamAccess: body.TeamAccess})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, folderOut(f))
	return nil
}

func (h *Handler) deleteFolder(w http.ResponseWriter, r *http.Request) error {
	who := principal(r)
	if err := h.Access.DeleteFolder(r.Context(), who.Actor(), who.OrgID, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
