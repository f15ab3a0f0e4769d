package console

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	"github.com/rosterhq/roster/internal/fault"
	"github.com/rosterhq/roster/internal/sso"
	"github.com/rosterhq/roster/internal/store"
)

// SignIns reads the sign-in log: the organization's SAML sign-ins, those
// that succeeded and those refused, with their reason; *sso.Service is it.
type SignIns interface {
	SignIns(ctx context.Context, orgID string, f store.SignInFilter, before int64, limit int) ([]store.SignInEntry, error)
}

// signInRow is one sign-in of the log as the page shows it.
type signInRow struct {
	At, Method       string
	Refused          bool
	UserID, User     string
	NameID           string
	Reason, Message  string
	Fix, Detail, JIT string
}

// methodNames name the ways a sign-in starts.
var methodNames = map[string]string{
	"sp_initiated":  "Started at roster or the app",
	"idp_initiated": "Started at the identity provider",
}

// explained is a refusal reason in plain words: what happened and what to
// change, the sentences the refused person's page and docs/saml.md use.
func explained(reason string) (message, fix string) {
	return sso.ReasonMessage(reason), sso.ReasonFix(reason)
}

type signInsPage struct {
	Rows            []signInRow
	Outcome, Reason []choice
	Filtered        bool
	Next, First     string
	// UserID and User name the user the log is narrowed to.
	UserID, User string
}

// signIns lists the organization's sign-ins, newest first, filtered by
// outcome and refusal reason; each refusal says why and what to change.
func (h *Handler) signIns(w http.ResponseWriter, r *http.Request, s *session) {
	if h.SignIns == nil {
		h.fail(w, r, s, fault.NotFoundf("this server keeps no sign-in log"))
		return
	}
	ctx, q := r.Context(), r.URL.Query()
	var f store.SignInFilter
	outcome, reason := q.Get("outcome"), q.Get("reason")
	switch outcome {
	case store.SignInSuccess, store.SignInRefused:
		f.Outcome = outcome
	default:
		outcome = ""
	}
	reasons := [][2]string{{"", "Any reason"}}
	known := false
	for _, code := range sso.Reasons() {
		reasons = append(reasons, [2]string{code, code})
		known = known || code == reason
	}
	if known {
		f.Reason = reason
	} else {
		reason = ""
	}
	// user narrows the log to one user of the organization (their page
	// links here); another organization's user is not found.
	var who store.User
	if id := q.Get("user"); id != "" {
		u, err := h.Names.GetUser(ctx, s.org.ID, id)
		if err != nil {
			h.fail(w, r, s, notFoundAs(err, "user", id))
			return
		}
		who, f.UserID = u, u.ID
	}
	before, _ := strconv.ParseInt(q.Get("before"), 10, 64)
	if before < 0 {
		before = 0
	}
	list, err := h.SignIns.SignIns(ctx, s.org.ID, f, before, logPage+1)
	if err != nil {
		h.fail(w, r, s, err)
		return
	}
	list, more := trim(list, logPage)
	p := signInsPage{
		Outcome:  choices([][2]string{{"", "All sign-ins"}, {store.SignInSuccess, "Signed in"}, {store.SignInRefused, "Refused"}}, outcome),
		Reason:   choices(reasons, reason),
		Filtered: outcome != "" || reason != "" || who.ID != "",
		UserID:   who.ID, User: who.UserName,
	}
	names := map[string]string{} // a page names each user once
	for _, e := range list {
		row := signInRow{At: e.At.UTC().Format("2 Jan 15:04:05"), Method: methodNames[e.Method], Refused: e.Outcome == store.SignInRefused,
			UserID: e.UserID, NameID: e.NameID, Reason: e.Reason, Detail: e.Detail}
		if row.Method == "" {
			row.Method = e.Method
		}
		if e.JIT {
			row.JIT = "created just in time"
		}
		if row.Refused {
			row.Message, row.Fix = explained(e.Reason)
		}
		if e.UserID != "" {
			name, ok := names[e.UserID]
			if !ok {
				u, err := h.Names.GetUser(ctx, s.org.ID, e.UserID)
				switch {
				case err == nil:
					name = u.UserName
				case isNotFound(err):
					name = "" // deleted since: the NameID names them
				default:
					h.fail(w, r, s, err)
					return
				}
				names[e.UserID] = name
			}
			row.User = name
			if name == "" {
				row.UserID = ""
			}
		}
		p.Rows = append(p.Rows, row)
	}
	keep := url.Values{}
	for k, v := range map[string]string{"outcome": outcome, "reason": reason, "user": who.ID} {
		if v != "" {
			keep.Set(k, v)
		}
	}
	if len(list) > 0 {
		p.Next = nextLink(Prefix+"/sign-ins", keep, "before", strconv.FormatInt(list[len(list)-1].ID, 10), more)
	}
	if before > 0 {
		p.First = Prefix + "/sign-ins"
		if len(keep) > 0 {
			p.First += "?" + keep.Encode()
		}
	}
	h.render(w, r, http.StatusOK, "signins", view{Title: "Sign-in log", Nav: "provisioning", Org: s.org, CSRF: s.csrf, Data: p})
}
