package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/rosterhq/roster/internal/store"
)

// redeem exchanges the one-time code of a sign-in hand-off for the person
// who signed in. A code of another organization answers 404 like an
// unknown one.
func (h *Handler) redeem(w http.ResponseWriter, r *http.Request) error {
	who := principal(r)
	var body struct {
		Code string `json:"code"`
	}
	if err := decode(r, &body); err != nil {
		return err
	}
	if err := required("code", body.Code); err != nil {
		return err
	}
	id, err := h.SSO.Redeem(r.Context(), who.OrgID, body.Code)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, id)
	return nil
}

type signInJSON struct {
	ID      int64     `json:"id"`
	At      time.Time `json:"at"`
	Outcome string    `json:"outcome"`
	Method  string    `json:"method,omitempty"`
	Reason  string    `json:"reason,omitempty"`
	Detail  string    `json:"detail,omitempty"`
	UserID  string    `json:"user_id,omitempty"`
	NameID  string    `json:"name_id,omitempty"`
}

// signIns pages through the sign-in log, newest first; ?outcome=,
// ?reason= and ?user_id= filter it.
func (h *Handler) signIns(w http.ResponseWriter, r *http.Request) error {
	who := principal(r)
	after, limit, err := page(r)
	if err != nil {
		return err
	}
	var before int64
	if after != "" {
		if before, err = strconv.ParseInt(after, 10, 64); err != nil || before <= 0 {
			return invalid("after is not a cursor of the sign-in log: pass the \"next\" value of the previous page")
		}
	}
	q := r.URL.Query()
	f := store.SignInFilter{Outcome: q.Get("outcome"), Reason: q.Get("reason"), UserID: q.Get("user_id")}
	items, err := h.SSO.SignIns(r.Context(), who.OrgID, f, before, limit+1)
	items, more, err := fetchPage(items, err, limit)
	if err != nil {
		return err
	}
	return list(w, mapSlice(items, func(e store.SignInEntry) signInJSON {
		return signInJSON{e.ID, e.At, e.Outcome, e.Method, e.Reason, e.Detail, e.UserID, e.NameID}
	}), more, func(e signInJSON) string { return strconv.FormatInt(e.ID, 10) })
}

type domainJSON struct {
	Domain    string    `json:"domain"`
	CreatedAt time.Time `json:"created_at"`
}

func (h *Handler) listDomains(w http.ResponseWriter, r *http.Request) error {
	ds, err := h.SSO.Domains(r.Context(), principal(r).OrgID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": mapSlice(ds, func(d store.OrgDomain) domainJSON { return domainJSON{d.Domain, d.CreatedAt} })})
	return nil
}

func (h *Handler) addDomain(w http.ResponseWriter, r *http.Request) error {
	who := principal(r)
	var body struct {
		Domain string `json:"domain"`
	}
	if err := decode(r, &body); err != nil {
		return err
	}
	if err := required("domain", body.Domain); err != nil {
		return err
	}
	d, err := h.SSO.AddDomain(r.Context(), who.Actor(), who.OrgID, body.Domain)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, domainJSON{d.Domain, d.CreatedAt})
	return nil
}

func (h *Handler) removeDomain(w http.ResponseWriter, r *http.Request) error {
	who := principal(r)
	if err := h.SSO.RemoveDomain(r.Context(), who.Actor(), who.OrgID, r.PathValue("domain")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
