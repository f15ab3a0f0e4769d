// Package api is the host app's JSON API under /api/v1: workspaces,
// folders and their team access, group grants, direct members,
// organization roles and settings, access checks with their reasons, what a
// user can reach and who can reach a resource, the directory's groups and
// users as the identity provider provisioned them, the organization's SCIM
// tokens, the event feed, and the webhook endpoints that receive it.
//
// Requests authenticate with an API key of one organization ("Authorization:
// Bearer roster_api_…") through the auth seam, which puts the principal in
// the request context; every id in a request is looked up in that
// organization only, so another organization's ids answer 404. Instance
// admin keys ("roster_admin_…") create and list organizations, change plans
// and issue API keys, and nothing else.
//
// Errors are JSON, {"error": {"code": "...", "message": "..."}}, with a
// message a person can act on; one function maps every error to its answer.
// Lists are paged: ?limit= (1–1000, default 100) and ?after= with the
// "next" value of the previous page (the event feed's is an event number).
// Request bodies are bounded, must be one JSON object, and unknown fields
// are refused by name.
//
// The files of the package: api.go (the Handler), routes.go (the routes
// table), auth.go, errors.go, paging.go, json.go (bodies) and shapes.go
// (the JSON of records), then one file per resource.
package api

import (
	_ "embed"
	"log/slog"
	"net/http"

	"github.com/rosterhq/roster/internal/access"
	"github.com/rosterhq/roster/internal/auth"
	"github.com/rosterhq/roster/internal/directory"
	"github.com/rosterhq/roster/internal/sso"
	"github.com/rosterhq/roster/internal/token"
)

//go:embed openapi.json
var openAPI []byte

// DefaultMaxBody bounds request bodies: every request of this API is small.
const DefaultMaxBody = 64 << 10

// Handler serves /api/v1. Its exported fields are its dependencies; set
// them before Mount.
type Handler struct {
	// Access owns organizations, workspaces, folders, grants and joins.
	Access *access.Service
	// Directory lists the users and groups the identity provider
	// provisioned.
	Directory *directory.Service
	// Keys verifies every credential the API takes (API keys, admin keys)
	// and issues, lists and revokes them and SCIM tokens. Revoking through
	// it takes effect on this instance's next request, SCIM's included
	// when SCIM shares it.
	Keys *token.Service
	// Webhooks manages the organization's webhook endpoints
	// (events.Service).
	Webhooks Webhooks
	// SSO redeems sign-in hand-off codes, reads the sign-in log and keeps
	// the organization's verified domains.
	SSO *sso.Service
	// BaseURL is roster's public URL, without a trailing slash; setup links
	// point there.
	BaseURL string
	Logger  *slog.Logger
	// MaxBody bounds request bodies; DefaultMaxBody when 0.
	MaxBody int64
	// RateLimits, when set, limits each API key's and admin key's
	// requests.
	RateLimits *auth.Limits

	org, admin *auth.Surface
}

// Routes lists the mounted endpoints as "METHOD /path" patterns.
func (h *Handler) Routes() []string {
	var out []string
	for _, rt := range h.routes() {
		out = append(out, rt.method+" "+rt.path)
	}
	return out
}

// Mount registers the API's routes.
func (h *Handler) Mount(mux *http.ServeMux) {
	h.org, h.admin = h.surfaces()
	for _, rt := range h.routes() {
		mux.Handle(rt.method+" "+rt.path, h.serve(rt))
	}
}

// serve returns a route's handler: the body bound, the credential the
// route needs checked by the auth seam, and any error written once.
func (h *Handler) serve(rt route) http.Handler {
	var next http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := rt.fn(w, r); err != nil {
			h.writeError(w, r, err)
		}
	})
	switch rt.auth {
	case authOrg:
		next = h.org.Require(next, h.writeError)
	case authAdmin:
		next = h.admin.Require(next, h.writeError)
	}
	max := h.MaxBody
	if max == 0 {
		max = DefaultMaxBody
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, max)
		next.ServeHTTP(w, r)
	})
}

func (h *Handler) logger() *slog.Logger {
	if h.Logger != nil {
		return h.Logger
	}
	return slog.Default()
}
