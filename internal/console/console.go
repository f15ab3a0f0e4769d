// Package console is the owners' web console under /console: the edge
// through which an organization's owners follow the help pages' steps in a
// browser. Pages are server-rendered with html/template from templates and
// assets embedded in the binary; nothing is loaded from another host, every
// action works without JavaScript, and the script only adds copy buttons.
//
// An owner enters with a single-use setup link (roster console link, or the
// host app's POST /api/v1/console-links); spending it starts a console
// session held in an HttpOnly, SameSite=Lax cookie (Secure when roster's
// base URL is https), which the token service ends after 30 idle minutes or
// 12 hours. The session is one more principal of the credential seam
// (auth.ConsoleSession); a session of one organization answers 404 for any
// record of another. Every state-changing form carries a CSRF token, and
// every page is sent with a strict Content-Security-Policy.
//
// Like every edge, the console calls domain services only.
package console

import (
	"context"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/rosterhq/roster/internal/auth"
	"github.com/rosterhq/roster/internal/store"
)

//go:embed templates
var templateFS embed.FS

//go:embed assets
var assetFS embed.FS

// Prefix is where the console is mounted.
const Prefix = "/console"

// Tokens is what the console needs of the token service: setup links,
// console sessions and SCIM tokens.
type Tokens interface {
	EnterLink(ctx context.Context, text string) (string, store.ConsoleSession, error)
	StartConsoleSession(ctx context.Context, orgID string, actor store.Actor, method string) (string, store.ConsoleSession, error)
	PeekLink(ctx context.Context, text string) (store.ConsoleLink, error)
	ConsoleSession(ctx context.Context, text string) (store.ConsoleSession, error)
	EndConsoleSession(ctx context.Context, text string) error
	Create(ctx context.Context, actor store.Actor, orgID string, kind store.TokenKind, name string) (string, store.Token, error)
	List(ctx context.Context, orgID string, kind store.TokenKind) ([]store.Token, error)
	RevokeKind(ctx context.Context, actor store.Actor, orgID string, kind store.TokenKind, id string) (store.Token, error)
}

// Orgs reads organizations and whether a group has been granted anything;
// *access.Service is it.
type Orgs interface {
	Org(ctx context.Context, orgID string) (store.Org, error)
	ListGrants(ctx context.Context, orgID string, f store.GrantFilter, after string, limit int) ([]store.Grant, error)
}

// Groups tells whether groups have been provisioned; *directory.Service is
// it.
type Groups interface {
	QueryGroups(ctx context.Context, orgID string, q store.Query) (store.Page[store.Group], error)
}

// SAML reads and changes an organization's SSO configuration;
// *sso.Service is it.
type SAML interface {
	Config(ctx context.Context, orgID string) (store.SAMLConfig, error)
	SSO
}

// Handler serves the console. Its exported fields are its dependencies;
// set them before Mount.
type Handler struct {
	Tokens Tokens
	Orgs   Orgs
	Groups Groups
	SAML   SAML
	// Sharing, WhoHas and Names serve the workspace and folder pages.
	Sharing Sharing
	WhoHas  WhoHas
	Names   Names
	// Requests reads the provisioning log; RequestLogDays is how long it
	// is kept, said on the page (0: not said).
	Requests       Requests
	RequestLogDays int
	// MetadataFetch lets owners give an IdP metadata URL for roster to
	// fetch (roster serve --allow-outbound-http); without it they upload
	// the file.
	MetadataFetch bool
	// Members and Roles let owners and admins sign in through the
	// organization's identity provider (/console/sso/{org}); without them
	// only setup links sign in.
	Members Members
	Roles   Roles
	// Directory, Reach and Admin serve the groups, users, settings and
	// events pages.
	Directory Directory
	Reach     Reach
	Admin     Admin
	// Webhooks serves the Webhooks pages.
	Webhooks Webhooks
	// Tester runs the SAML page's Test sign-in; nil offers none.
	Tester Tester
	// SignIns reads the sign-in log.
	SignIns SignIns
	// Domains keeps the verified domains shown on the Settings page; nil
	// leaves them out.
	Domains Domains
	// BaseURL is roster's public URL, without a trailing slash: the SCIM
	// base URL shown is BaseURL + "/scim/v2", and an https BaseURL makes the
	// session cookie Secure.
	BaseURL string
	Logger  *slog.Logger
	// RateLimits, when set, limits each console session's requests.
	RateLimits *auth.Limits

	pages map[string]*template.Template
}

// Mount registers the console's routes.
func (h *Handler) Mount(mux *http.ServeMux) {
	if h.Logger == nil {
		h.Logger = slog.Default()
	}
	h.pages = map[string]*template.Template{}
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		panic(fmt.Sprintf("console: embedded templates: %v", err)) // the binary's own files
	}
	for _, file := range names {
		name := strings.TrimSuffix(strings.TrimPrefix(file, "templates/"), ".html")
		if name == "layout" {
			continue
		}
		// Every page shares the layout and the partials (blocks several
		// pages include); a page template is named after its file, so
		// adding a page is adding a file.
		h.pages[name] = template.Must(template.New(name).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/partials/*.html", file))
	}
	assets, err := fs.Sub(assetFS, "assets")
	if err != nil {
		panic(fmt.Sprintf("console: embedded assets: %v", err)) // the binary's own files
	}
	files := http.StripPrefix(Prefix+"/assets/", http.FileServerFS(assets))
	mux.Handle("GET "+Prefix+"/assets/", secured(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		files.ServeHTTP(w, r)
	})))
	mux.Handle("GET "+Prefix+"/enter/{link}", secured(http.HandlerFunc(h.enterPage)))
	mux.Handle("POST "+Prefix+"/enter", secured(http.HandlerFunc(h.enter)))
	mux.Handle("GET "+Prefix+"/sso/{org}", secured(http.HandlerFunc(h.ssoEnter)))
	for pattern, fn := range h.routes() {
		mux.Handle(pattern, secured(h.signedIn(fn)))
	}
	mux.Handle(Prefix, http.RedirectHandler(Prefix+"/", http.StatusMovedPermanently))
	mux.Handle(Prefix+"/", secured(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.message(w, r, http.StatusNotFound, nil, message{Heading: "Page not found", Bad: true,
			Text: "There is no console page at " + r.URL.Path + ".", Next: Prefix + "/", NextLabel: "Go to the overview"})
	})))
}

// routes are the signed-in pages and actions, by ServeMux pattern.
func (h *Handler) routes() map[string]pageFunc {
	return map[string]pageFunc{
		"GET " + Prefix + "/{$}":     h.overview,
		"POST " + Prefix + "/logout": h.logout,

		"GET " + Prefix + "/tokens":              h.tokens,
		"POST " + Prefix + "/tokens":             h.createToken,
		"POST " + Prefix + "/tokens/{id}/revoke": h.revokeToken,

		"GET " + Prefix + "/workspaces":                                          h.workspaces,
		"POST " + Prefix + "/workspaces":                                         h.createWorkspace,
		"GET " + Prefix + "/workspaces/{id}":                                     h.workspace,
		"POST " + Prefix + "/workspaces/{id}/rename":                             h.renameWorkspace,
		"GET " + Prefix + "/workspaces/{id}/delete":                              h.confirmDeleteWorkspace,
		"POST " + Prefix + "/workspaces/{id}/delete":                             h.deleteWorkspace,
		"POST " + Prefix + "/workspaces/{id}/folders":                            h.createFolder,
		"POST " + Prefix + "/workspaces/{id}/grants":                             h.putGrant,
		"POST " + Prefix + "/workspaces/{id}/members/{uid}/remove":               h.removeMember,
		"GET " + Prefix + "/workspaces/{id}/access":                              h.whoHasAccess,
		"GET " + Prefix + "/workspaces/{id}/folders/{fid}":                       h.folder,
		"POST " + Prefix + "/workspaces/{id}/folders/{fid}/edit":                 h.editFolder,
		"GET " + Prefix + "/workspaces/{id}/folders/{fid}/delete":                h.confirmDeleteFolder,
		"POST " + Prefix + "/workspaces/{id}/folders/{fid}/delete":               h.deleteFolder,
		"POST " + Prefix + "/workspaces/{id}/folders/{fid}/grants":               h.putGrant,
		"POST " + Prefix + "/workspaces/{id}/folders/{fid}/members/{uid}/remove": h.removeMember,
		"GET " + Prefix + "/workspaces/{id}/folders/{fid}/access":                h.whoHasAccess,

		"GET " + Prefix + "/saml":              h.samlPage,
		"GET " + Prefix + "/saml/metadata.xml": h.spMetadata,
		"POST " + Prefix + "/saml/metadata":    h.setMetadata,
		"POST " + Prefix + "/saml/settings":    h.saveSAMLSettings,
		"POST " + Prefix + "/saml/test":        h.startTest,
		"GET " + Prefix + "/saml/test/{id}":    h.testResult,

		"GET " + Prefix + "/provisioning":        h.provisioning,
		"GET " + Prefix + "/provisioning/{id}":   h.provisioningRequest,
		"GET " + Prefix + "/sign-ins":            h.signIns,
		"GET " + Prefix + "/groups":              h.groups,
		"GET " + Prefix + "/groups/{id}":         h.group,
		"GET " + Prefix + "/groups/{id}/manage":  h.manage,
		"POST " + Prefix + "/groups/{id}/manage": h.saveManage,

		"GET " + Prefix + "/users":      h.users,
		"GET " + Prefix + "/users/{id}": h.user,

		"GET " + Prefix + "/settings":                          h.settings,
		"POST " + Prefix + "/settings":                         h.saveSettings,
		"POST " + Prefix + "/settings/roles":                   h.addOrgRole,
		"POST " + Prefix + "/settings/roles/{uid}/remove":      h.removeOrgRole,
		"POST " + Prefix + "/settings/redirect":                h.saveRedirect,
		"POST " + Prefix + "/settings/domains":                 h.addDomain,
		"POST " + Prefix + "/settings/domains/{domain}/remove": h.removeDomain,

		"GET " + Prefix + "/events":                       h.events,
		"GET " + Prefix + "/webhooks":                     h.webhooks,
		"POST " + Prefix + "/webhooks":                    h.createWebhook,
		"GET " + Prefix + "/webhooks/{id}":                h.webhook,
		"POST " + Prefix + "/webhooks/{id}/edit":          h.editWebhook,
		"POST " + Prefix + "/webhooks/{id}/enable":        h.setWebhookEnabled(true),
		"POST " + Prefix + "/webhooks/{id}/disable":       h.setWebhookEnabled(false),
		"POST " + Prefix + "/webhooks/{id}/rotate-secret": h.rotateWebhook,
		"GET " + Prefix + "/webhooks/{id}/delete":         h.confirmDeleteWebhook,
		"POST " + Prefix + "/webhooks/{id}/delete":        h.deleteWebhook,
		"POST " + Prefix + "/webhooks/{id}/redeliver":     h.redeliverWebhook,
	}
}

// funcs are the helpers every template may call.
var funcs = template.FuncMap{
	"when": when,
}

// secured sets the headers every console answer carries: a CSP that allows
// only roster's own files (no inline script or style), no framing, no
// referrer (a setup link in the address bar must not leak to another
// site), and no caching of pages that show secrets.
func secured(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "+
			"form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Referrer-Policy", "no-referrer")
		if !strings.HasPrefix(r.URL.Path, Prefix+"/assets/") {
			hd.Set("Cache-Control", "no-store")
		}
		next.ServeHTTP(w, r)
	})
}

// view is what every page template gets.
type view struct {
	Title string
	Base  string
	Nav   string
	Org   store.Org
	CSRF  string
	Data  any
}

func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, page string, v view) {
	v.Base = Prefix
	var b strings.Builder
	if err := h.pages[page].ExecuteTemplate(&b, "layout", v); err != nil {
		h.Logger.ErrorContext(r.Context(), "console page failed to render", "page", page, "err", err)
		http.Error(w, "the page failed to render; the server log says why", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(b.String()))
}

// message is a page that says what happened.
type message struct {
	Heading, Text   string
	Next, NextLabel string
	Bad             bool
}

func (h *Handler) message(w http.ResponseWriter, r *http.Request, status int, s *session, m message) {
	v := view{Title: m.Heading, Data: m}
	if s != nil {
		v.Org, v.CSRF = s.org, s.csrf
	}
	h.render(w, r, status, "message", v)
}

// when formats a time for people; the zero time is "never".
func when(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2 Jan 2006 15:04 UTC")
}
