package signin

import (
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/rosterhq/roster/internal/fault"
	"github.com/rosterhq/roster/internal/sso"
	"github.com/rosterhq/roster/internal/sso/saml"
	"github.com/rosterhq/roster/internal/store"
)

// maxACSBody bounds the ACS request body: a SAMLResponse of
// saml.MaxResponseSize base64 characters, form-encoded (at worst three
// bytes each), plus the RelayState.
const maxACSBody = 3*saml.MaxResponseSize + 8<<10

// Cookie names. The session cookie takes the __Host- prefix over HTTPS, so
// that no subdomain can set or shadow it.
const (
	sessionCookie       = "roster_session"
	secureSessionCookie = "__Host-roster_session"
	browserCookie       = "roster_saml_browser"
)

// UserRenderer writes a user's SCIM representation; the SCIM surface
// provides it so /scim/v2/Me renders users exactly as /Users/{id} does.
type UserRenderer interface {
	ServeUser(w http.ResponseWriter, r *http.Request, u store.User)
}

// Handler is roster's SAML service provider and session surface: per
// organization SP metadata, SP-initiated login, the Assertion Consumer
// Service, and the session endpoints (whoami, logout) plus the /Me handler
// for the SCIM surface. See the package documentation for the flows.
type Handler struct {
	// Service is the single sign-on domain; the Handler reaches the store
	// only through it.
	Service *sso.Service
	// Renderer, when set, renders /scim/v2/Me; otherwise the Handler
	// renders the stored SCIM document itself.
	Renderer UserRenderer
	Logger   *slog.Logger
	// DefaultReturn is where a browser goes after signing in when it asked
	// for no page and its organization hands sign-ins to no host app;
	// MemberPath (the member page) when "".
	DefaultReturn string
	// RosterPaths are local path prefixes of roster's own pages that a
	// sign-in returns to even when the organization hands sign-ins to its
	// host app: the console's single sign-on for owners
	// (console.Prefix + "/sso/"). Only local paths, so never a host.
	RosterPaths []string
	// TestResultPath is where a Test sign-in (StartTest) ends:
	// TestResultPath + the request id, the console's page of the result
	// (console.Prefix + "/saml/test/"). When "", the ACS shows the
	// outcome on a page of its own.
	TestResultPath string
}

// MemberPath is the member page: what the signed-in member can reach, with
// a Join button where a grant lets them join. Join posts to MemberPath +
// "/join"; discovery is DiscoverPath.
const (
	MemberPath   = "/auth/member"
	DiscoverPath = sso.PathPrefix + "discover"
)

func (h *Handler) logger() *slog.Logger {
	if h.Logger == nil {
		return slog.Default()
	}
	return h.Logger
}

// Mount registers the routes:
//
//	GET  /auth/saml/{org}/metadata  SP metadata XML (the entity id)
//	GET  /auth/saml/{org}/login     SP-initiated sign-in; ?state=… for the host app, ?return_to=/local/path
//	POST /auth/saml/{org}/acs       Assertion Consumer Service (HTTP-POST)
//	GET  /auth/saml/discover        ?email= or ?domain=: to the organization's sign-in; a form without
//	GET  /auth/member               the member page (workspaces and folders, Join)
//	POST /auth/member/join          joins one (CSRF-protected)
//	GET  /auth/whoami               the signed-in user, JSON; 401 otherwise
//	POST /auth/logout               ends the session (CSRF-protected)
//
// The ACS is deliberately not behind http.CrossOriginProtection: the IdP's
// auto-submitted form is a cross-site POST by design.
func (h *Handler) Mount(mux *http.ServeMux) {
	mux.HandleFunc("GET "+sso.PathPrefix+"{org}/metadata", h.metadata)
	mux.HandleFunc("GET "+sso.PathPrefix+"{org}/login", h.login)
	mux.HandleFunc("POST "+sso.PathPrefix+"{org}/acs", h.acs)
	mux.HandleFunc("GET "+DiscoverPath, h.discover)
	mux.HandleFunc("GET "+MemberPath, h.member)
	mux.Handle("POST "+MemberPath+"/join", http.NewCrossOriginProtection().Handler(http.HandlerFunc(h.join)))
	mux.HandleFunc("GET /auth/whoami", h.whoami)
	mux.Handle("POST /auth/logout", http.NewCrossOriginProtection().Handler(http.HandlerFunc(h.logout)))
}

func (h *Handler) metadata(w http.ResponseWriter, r *http.Request) {
	orgID := r.PathValue("org")
	if _, err := h.Service.Org(r.Context(), orgID); err != nil {
		h.orgError(w, r, err)
		return
	}
	c, err := h.Service.Config(r.Context(), orgID)
	if err != nil {
		h.internal(w, r, err)
		return
	}
	doc, err := h.Service.SPMetadata(orgID, c)
	if err != nil {
		h.internal(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/samlmetadata+xml")
	w.Header().Set("Content-Disposition", `inline; filename="roster-sp-metadata.xml"`)
	w.Write(doc)
}

// ready loads the organization and its configuration for a sign-in and
// answers the browser itself when sign-in is impossible.
func (h *Handler) ready(w http.ResponseWriter, r *http.Request) (store.Org, store.SAMLConfig, saml.SPConfig, bool) {
	orgID := r.PathValue("org")
	o, err := h.Service.EnterpriseOrg(r.Context(), orgID)
	if fault.Is(err, fault.PlanRequired) {
		h.page(w, r, http.StatusForbidden, o, refusal{Title: "Single sign-on is not available",
			Message: "Single sign-on needs the enterprise plan, and " + o.Name + " is not on it."})
		return o, store.SAMLConfig{}, saml.SPConfig{}, false
	}
	if err != nil {
		h.orgError(w, r, err)
		return o, store.SAMLConfig{}, saml.SPConfig{}, false
	}
	c, err := h.Service.Config(r.Context(), orgID)
	if err != nil {
		h.internal(w, r, err)
		return o, c, saml.SPConfig{}, false
	}
	cfg, err := h.Service.SPConfig(orgID, c)
	if err != nil {
		if !errors.Is(err, sso.ErrNotConfigured) {
			h.logger().ErrorContext(r.Context(), "stored IdP metadata does not parse", "org", orgID, "err", err)
		}
		h.page(w, r, http.StatusNotFound, o, refusal{Title: "Single sign-on is not set up",
			Message: o.Name + " has not finished setting up single sign-on.", Reason: "not_configured"})
		return o, c, cfg, false
	}
	return o, c, cfg, true
}

// badState answers a state sso.CheckState refuses.
func badState() refusal {
	return refusal{Title: "Sign-in cannot start",
		Message: "The link that sent you here passed a state roster does not accept (at most 512 letters, digits and - . _ ~). Go back to the app and try again.",
		Reason:  "bad_state"}
}

// login starts an SP-initiated sign-in: the domain records the request
// under the RelayState's hash, bound to this browser by a cookie, and the
// browser is redirected to the IdP.
func (h *Handler) login(w http.ResponseWriter, r *http.Request) {
	o, c, cfg, ok := h.ready(w, r)
	if !ok {
		return
	}
	if !c.SPInitiated {
		h.page(w, r, http.StatusForbidden, o, refusal{Title: "Sign in from your identity provider",
			Message: o.Name + " allows signing in only from its identity provider's app dashboard (the Okta tile or Entra My Apps).",
			Reason:  "sp_initiated_disabled"})
		return
	}
	state := r.URL.Query().Get("state")
	if err := sso.CheckState(state); err != nil {
		h.page(w, r, http.StatusBadRequest, o, badState())
		return
	}
	browser := h.browserBinding(w, r)
	redirect, err := h.Service.Begin(r.Context(), o.ID, cfg, browser, SafeReturnPath(r.URL.Query().Get("return_to"), ""), state)
	if errors.Is(err, sso.ErrBusy) {
		w.Header().Set("Retry-After", "60")
		h.page(w, r, http.StatusServiceUnavailable, o, refusal{Title: "Sign-in is busy",
			Message: "Too many sign-ins to " + o.Name + " are in progress right now. Try again in a few minutes.", Reason: "busy"})
		return
	}
	if fault.Is(err, fault.Conflict) {
		h.logger().WarnContext(r.Context(), "cannot build an AuthnRequest", "org", o.ID, "err", err)
		h.page(w, r, http.StatusConflict, o, refusal{Title: "Sign-in cannot start here",
			Message: "The identity provider's configuration does not allow roster to start sign-in (it demands signed requests or has no redirect endpoint). Sign in from the identity provider's dashboard instead.",
			Reason:  "authn_request_unavailable"})
		return
	}
	if err != nil {
		h.internal(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, redirect, http.StatusFound)
}

// browserBinding returns this browser's binding secret, setting the cookie
// when the browser has none. One value serves every sign-in of the browser,
// so sign-ins started in two tabs both complete.
//
// The IdP returns the browser to the ACS with a cross-site POST, on which a
// SameSite=Lax cookie is not sent, so over HTTPS the cookie is
// SameSite=None; Secure. Over plain HTTP (development) SameSite=None is
// refused by browsers, so the attribute is left out.
func (h *Handler) browserBinding(w http.ResponseWriter, r *http.Request) string {
	if ck, err := r.Cookie(browserCookie); err == nil && sso.PlausibleToken(ck.Value) {
		return ck.Value
	}
	v := sso.NewToken()
	ck := &http.Cookie{Name: browserCookie, Value: v, Path: sso.PathPrefix, HttpOnly: true, MaxAge: int((sso.RequestTTL + 5*time.Minute).Seconds())}
	if h.Service.Secure() {
		ck.Secure, ck.SameSite = true, http.SameSiteNoneMode
	}
	http.SetCookie(w, ck)
	return v
}

// acs is the Assertion Consumer Service.
func (h *Handler) acs(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxACSBody)
	o, c, cfg, ok := h.ready(w, r)
	if !ok {
		return
	}
	if err := r.ParseForm(); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			h.refuse(w, r, o, http.StatusRequestEntityTooLarge, store.SignIn{Reason: string(saml.ReasonTooLarge), Detail: "request body too large"})
			return
		}
		h.refuse(w, r, o, http.StatusBadRequest, store.SignIn{Reason: string(saml.ReasonMalformed), Detail: "unreadable form"})
		return
	}
	response := r.PostForm.Get("SAMLResponse")
	if response == "" {
		h.refuse(w, r, o, http.StatusBadRequest, store.SignIn{Reason: string(saml.ReasonMalformed), Detail: "no SAMLResponse in the form"})
		return
	}
	relay := r.PostForm.Get("RelayState")

	// Bind the response to the request this browser started: the request
	// state is found by the RelayState the IdP echoes, and belongs to the
	// browser holding the binding cookie it was created with.
	in := store.SignIn{Method: "idp_initiated"}
	var expect saml.Expectation
	returnTo, state := "", ""
	if relay != "" && len(relay) <= 1024 {
		browser := ""
		if ck, err := r.Cookie(browserCookie); err == nil {
			browser = ck.Value
		}
		req, err := h.Service.Resume(r.Context(), o.ID, relay, browser)
		var refused *sso.Refusal
		switch {
		case req.Test && (err == nil || errors.As(err, &refused)):
			h.finishTest(w, r, o, c, cfg, req, response, err)
			return
		case err == nil:
			in.Method = "sp_initiated"
			expect.InResponseTo, returnTo, state = req.RequestID, req.ReturnTo, req.State
		case errors.As(err, &refused):
			in.Method = "sp_initiated"
			in.Reason, in.Detail = refused.Reason, refused.Detail
			h.refuse(w, r, o, http.StatusForbidden, in)
			return
		case errors.Is(err, sso.ErrNoRequest):
			// Not ours (an IdP-initiated RelayState, or a request already
			// used or expired): validate as unsolicited, which succeeds only
			// when IdP-initiated sign-in is on and the response answers no
			// request.
			returnTo = SafeReturnPath(relay, "")
		default:
			h.internal(w, r, err)
			return
		}
	}

	a, err := h.Service.Validate(r.Context(), o.ID, cfg, response, expect)
	if err != nil {
		reason, _ := saml.ReasonOf(err)
		in.Reason = string(reason)
		var ve *saml.ValidationError
		if errors.As(err, &ve) {
			in.Detail = ve.Detail
		}
		status := http.StatusForbidden
		if reason == saml.ReasonReplayCheckFailed || reason == saml.ReasonConfig {
			status = http.StatusServiceUnavailable
		}
		h.logger().InfoContext(r.Context(), "SAML response refused", "org", o.ID, "reason", reason, "err", err)
		h.refuse(w, r, o, status, in)
		return
	}
	in.NameID = a.NameID

	u, jit, err := h.Service.Link(r.Context(), o, c, a)
	var s sso.NewSession
	if err == nil {
		in.JIT = jit
		if s, err = h.Service.StartSession(r.Context(), o, u, a, in); err == nil {
			h.setSessionCookie(w, s)
		}
	}
	if err != nil {
		var refused *sso.Refusal
		if !errors.As(err, &refused) {
			h.internal(w, r, err)
			return
		}
		in.Reason, in.Detail, in.UserID = refused.Reason, refused.Detail, refused.UserID
		h.refuse(w, r, o, http.StatusForbidden, in)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	// An organization that hands sign-ins to its host app sends the browser
	// there and nowhere else: the configured URL with a one-time code and
	// the state the app started with. return_to and RelayState never choose
	// a host.
	if h.Service.RedirectURL(o) != "" && !h.rosterPath(returnTo) {
		target, err := h.Service.HandOff(r.Context(), o, u.ID, in.Method, state, s.Joined)
		if err != nil {
			h.internal(w, r, err)
			return
		}
		http.Redirect(w, r, target, http.StatusSeeOther)
		return
	}
	if returnTo == "" {
		returnTo = SafeReturnPath(h.DefaultReturn, MemberPath)
	}
	http.Redirect(w, r, returnTo, http.StatusSeeOther)
}

// StartTest starts a Test sign-in of the organization for the console's
// SAML page: an SP-initiated sign-in bound to this browser whose response
// starts no session and reaches no host app, but is recorded for
// TestResultPath. It returns the IdP URL to redirect the browser to. An
// organization whose metadata is missing or rules out SP-initiated sign-in
// is a fault.Conflict; one in flight too many, sso.ErrBusy.
func (h *Handler) StartTest(w http.ResponseWriter, r *http.Request, orgID string) (string, error) {
	if _, err := h.Service.EnterpriseOrg(r.Context(), orgID); err != nil {
		return "", err
	}
	c, err := h.Service.Config(r.Context(), orgID)
	if err != nil {
		return "", err
	}
	cfg, err := h.Service.SPConfig(orgID, c)
	if errors.Is(err, sso.ErrNotConfigured) {
		return "", fault.Conflictf("give roster the identity provider's metadata first")
	}
	if err != nil {
		return "", err
	}
	u, _, err := h.Service.BeginTest(r.Context(), orgID, cfg, h.browserBinding(w, r))
	return u, err
}

// finishTest validates and matches the response to a Test sign-in, records
// the result and sends the browser to it. No session starts and nothing is
// handed off, whatever the organization's redirect URL; refusals are the
// result, not entries of the sign-in log. resumed is Resume's error: nil,
// or the *sso.Refusal of a response brought by another browser.
func (h *Handler) finishTest(w http.ResponseWriter, r *http.Request, o store.Org, c store.SAMLConfig, cfg saml.SPConfig, req store.SAMLRequest, response string, resumed error) {
	var a *saml.Assertion
	refused := resumed
	if refused == nil {
		a, refused = h.Service.Validate(r.Context(), o.ID, cfg, response, saml.Expectation{InResponseTo: req.RequestID})
		if _, ok := saml.ReasonOf(refused); refused != nil && !ok {
			h.internal(w, r, refused)
			return
		}
	}
	res, err := h.Service.FinishTest(r.Context(), o, c, req, a, refused)
	if err != nil {
		h.internal(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	if h.TestResultPath != "" {
		http.Redirect(w, r, h.TestResultPath+url.PathEscape(req.RequestID), http.StatusSeeOther)
		return
	}
	p := refusal{Title: "Test sign-in succeeded", Message: "The identity provider signed in " + res.NameID + " and roster matched the user. No session was started."}
	if res.Outcome == store.SignInRefused {
		p = refusal{Title: "Test sign-in refused", Message: sso.ReasonMessage(res.Reason), Reason: res.Reason}
	}
	h.page(w, r, http.StatusOK, o, p)
}

// rosterPath reports whether a sign-in's return path is one of roster's
// own pages (RosterPaths), which the hand-off does not replace.
func (h *Handler) rosterPath(p string) bool {
	for _, prefix := range h.RosterPaths {
		if p != "" && strings.HasPrefix(p, prefix) {
			return true
		}
	}
	return false
}

// refuse records a refused sign-in in the event log and shows the browser
// why, and whom to ask.
func (h *Handler) refuse(w http.ResponseWriter, r *http.Request, o store.Org, status int, in store.SignIn) {
	if err := h.Service.RecordRefused(r.Context(), o.ID, in); err != nil {
		h.logger().ErrorContext(r.Context(), "recording a refused sign-in failed", "org", o.ID, "err", err)
	}
	h.page(w, r, status, o, refusal{Title: "Sign-in refused", Message: sso.ReasonMessage(in.Reason), Reason: in.Reason, Admins: true})
}

// SafeReturnPath returns p when it is a path on this site — starting with
// a single "/", with no scheme, host, backslash or control character — and
// fallback otherwise, so that nothing a sign-in carries can redirect the
// browser to another site.
func SafeReturnPath(p, fallback string) string {
	if p == "" || len(p) > 2048 || p[0] != '/' || strings.HasPrefix(p, "//") {
		return fallback
	}
	for _, r := range p {
		if r < 0x20 || r == 0x7f || r == '\\' {
			return fallback
		}
	}
	u, err := url.Parse(p)
	if err != nil || u.Scheme != "" || u.Host != "" || u.Opaque != "" || u.User != nil {
		return fallback
	}
	return p
}

func (h *Handler) orgError(w http.ResponseWriter, r *http.Request, err error) {
	if fault.Is(err, fault.NotFound) {
		h.page(w, r, http.StatusNotFound, store.Org{}, refusal{Title: "No such organization",
			Message: "This sign-in link names no organization roster knows. Use the link your administrator gave you."})
		return
	}
	h.internal(w, r, err)
}

func (h *Handler) internal(w http.ResponseWriter, r *http.Request, err error) {
	h.logger().ErrorContext(r.Context(), "sign-in failed", "path", r.URL.Path, "err", err)
	h.page(w, r, http.StatusInternalServerError, store.Org{}, refusal{Title: "Sign-in failed",
		Message: "Something went wrong on roster's side. Try again in a minute."})
}
