package console

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"mime"
	"net/http"
	"strings"

	"github.com/rosterhq/roster/internal/auth"
	"github.com/rosterhq/roster/internal/fault"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/token"
)

// cookieName holds the console session's secret.
const cookieName = "roster_console"

// session is a signed-in request.
type session struct {
	text  string // the cookie's secret
	org   store.Org
	actor store.Actor
	csrf  string
}

type pageFunc func(w http.ResponseWriter, r *http.Request, s *session)

// csrfToken is the form token of a session: an HMAC of a fixed label keyed
// with the session's secret. Another site can neither read the cookie nor
// compute it, and it needs no storage.
func csrfToken(sessionText string) string {
	m := hmac.New(sha256.New, []byte(sessionText))
	m.Write([]byte("roster console csrf"))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// signedIn runs fn for a request with a live console session, after
// checking the CSRF token of a state-changing request. The session's
// principal goes into the request context, as the seam's do.
func (h *Handler) signedIn(fn pageFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := r.Cookie(cookieName)
		if err != nil || c.Value == "" {
			h.signInNeeded(w, r)
			return
		}
		sess, err := h.Tokens.ConsoleSession(r.Context(), c.Value)
		if errors.Is(err, token.ErrUnauthorized) {
			h.clearCookie(w)
			h.signInNeeded(w, r)
			return
		}
		if err != nil {
			h.fail(w, r, nil, err)
			return
		}
		org, err := h.Orgs.Org(r.Context(), sess.OrgID)
		if err != nil {
			h.fail(w, r, nil, err)
			return
		}
		s := &session{text: c.Value, org: org, actor: sess.Actor, csrf: csrfToken(c.Value)}
		if r.Method == http.MethodPost {
			var err error
			if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "multipart/form-data" {
				// File uploads (IdP metadata): bounded, kept in memory.
				r.Body = http.MaxBytesReader(w, r.Body, maxUpload)
				err = r.ParseMultipartForm(maxUpload)
			} else {
				err = r.ParseForm()
			}
			if err != nil {
				h.message(w, r, http.StatusBadRequest, s, message{Heading: "The form could not be read", Bad: true,
					Text: "The browser sent a form roster could not read; nothing was changed. Reload the page and try again."})
				return
			}
			if !hmac.Equal([]byte(r.PostForm.Get("csrf")), []byte(s.csrf)) {
				h.message(w, r, http.StatusForbidden, s, message{Heading: "Nothing was changed", Bad: true,
					Text: "This form was not sent from this console page (its security token is missing or out of date), so roster refused it. Reload the page and try again.",
					Next: Prefix + "/", NextLabel: "Go to the overview"})
				return
			}
		}
		p := auth.Principal{Kind: auth.ConsoleSession, OrgID: org.ID, KeyID: sess.Actor.ID, Name: sess.Actor.Name}
		if err := h.RateLimits.Limit(w, r, p); err != nil {
			h.fail(w, r, s, err)
			return
		}
		fn(w, r.WithContext(auth.WithPrincipal(r.Context(), p)), s)
	})
}

// maxUpload bounds a multipart form: an IdP metadata document (at most
// saml.MaxMetadataSize) and the form's fields.
const maxUpload = 2 << 20

func (h *Handler) signInNeeded(w http.ResponseWriter, r *http.Request) {
	h.message(w, r, http.StatusUnauthorized, nil, message{Heading: "Sign in to the console",
		Text: "Your console session has ended or you have not signed in. Open a setup link to sign in: an operator " +
			"creates one with “roster console link --org ID”, or the app you use hands you one."})
}

func (h *Handler) secure() bool { return strings.HasPrefix(strings.ToLower(h.BaseURL), "https://") }

func (h *Handler) setCookie(w http.ResponseWriter, text string) {
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: text, Path: Prefix, HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: h.secure(), MaxAge: int(token.ConsoleMaxAge.Seconds())})
}

func (h *Handler) clearCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: "", Path: Prefix, HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: h.secure(), MaxAge: -1})
}

// enterPage shows what a setup link opens, without spending it: previews
// and mail scanners that follow links must not use it up.
func (h *Handler) enterPage(w http.ResponseWriter, r *http.Request) {
	link := r.PathValue("link")
	l, err := h.Tokens.PeekLink(r.Context(), link)
	if err != nil {
		h.linkRefused(w, r, err)
		return
	}
	org, err := h.Orgs.Org(r.Context(), l.OrgID)
	if err != nil {
		h.fail(w, r, nil, err)
		return
	}
	h.render(w, r, http.StatusOK, "enter", view{Title: "Sign in", Data: map[string]string{
		"OrgName": org.Name, "Expires": when(l.ExpiresAt), "Link": link}})
}

// enter spends a setup link and starts a session.
func (h *Handler) enter(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		h.linkRefused(w, r, fault.Invalidf("the sign-in form could not be read"))
		return
	}
	text, _, err := h.Tokens.EnterLink(r.Context(), r.PostForm.Get("link"))
	if err != nil {
		h.linkRefused(w, r, err)
		return
	}
	h.setCookie(w, text)
	http.Redirect(w, r, Prefix+"/", http.StatusSeeOther)
}

func (h *Handler) linkRefused(w http.ResponseWriter, r *http.Request, err error) {
	kind, msg, ok := fault.As(err)
	if !ok {
		h.fail(w, r, nil, err)
		return
	}
	status := http.StatusBadRequest
	if kind == fault.Conflict {
		status = http.StatusGone
	}
	h.message(w, r, status, nil, message{Heading: "This setup link cannot sign you in", Bad: true, Text: sentence(msg)})
}

func (h *Handler) logout(w http.ResponseWriter, r *http.Request, s *session) {
	if err := h.Tokens.EndConsoleSession(r.Context(), s.text); err != nil {
		h.fail(w, r, s, err)
		return
	}
	h.clearCookie(w)
	h.message(w, r, http.StatusOK, nil, message{Heading: "Signed out",
		Text: "You are signed out of the console. A new setup link signs you in again."})
}

// fail answers an error: a fault with its message, anything else as an
// internal error the log explains.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, s *session, err error) {
	kind, msg, ok := fault.As(err)
	if !ok {
		h.Logger.ErrorContext(r.Context(), "console request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		h.message(w, r, http.StatusInternalServerError, s, message{Heading: "Something went wrong", Bad: true,
			Text: "roster could not finish this request; nothing you asked for was half done. The server log has the details (look for the X-Request-Id of this page)."})
		return
	}
	status := map[fault.Kind]int{fault.NotFound: http.StatusNotFound, fault.Forbidden: http.StatusForbidden,
		fault.PlanRequired: http.StatusForbidden, fault.Conflict: http.StatusConflict,
		fault.RateLimited: http.StatusTooManyRequests}[kind]
	if status == 0 {
		status = http.StatusBadRequest
	}
	heading := "That did not work"
	switch kind {
	case fault.NotFound:
		heading = "Not found"
	case fault.RateLimited:
		heading = "Too many requests"
	}
	h.message(w, r, status, s, message{Heading: heading, Bad: true, Text: sentence(msg), Next: Prefix + "/", NextLabel: "Go to the overview"})
}

// sentence is a domain message as a sentence: capitalized, with one
// full stop.
func sentence(msg string) string {
	msg = upper(msg)
	if !strings.HasSuffix(msg, ".") {
		msg += "."
	}
	return msg
}

func upper(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
