// Package api is the host app's JSON API under /api/v1: workspaces,
// folders and their team access, group grants, direct members,
// organization roles and settings, access checks with their reasons, what a
// user can reach and who can reach a resource, and the event feed.
//
// Requests authenticate with an API key of one organization ("Authorization:
// Bearer roster_api_…"); every id in a request is looked up in that
// organization only, so another organization's ids answer 404. Instance
// admin keys ("roster_admin_…") create and list organizations, change plans
// and issue API keys, and nothing else.
//
// Errors are JSON, {"error": {"code": "...", "message": "..."}}, with a
// message a person can act on. Lists are paged: ?limit= (1–1000, default
// 100) and ?after= with the "next" value of the previous page. Request
// bodies are bounded and unknown fields refused by name.
package api

import (
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/rosterhq/roster/internal/access"
	"github.com/rosterhq/roster/internal/requestid"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/token"
	"github.com/rosterhq/roster/internal/ttlcache"
)

//go:embed openapi.json
var openAPI []byte

// DefaultMaxBody bounds request bodies: every request of this API is small.
const DefaultMaxBody = 64 << 10

// DefaultAuthCacheTTL is how long a verified key is trusted without asking
// the database again; it bounds how long a revoked key keeps working.
const DefaultAuthCacheTTL = 2 * time.Second

// adminKeys is what the handler needs to verify admin keys.
type adminKeys interface {
	GetAdminToken(ctx context.Context, id string) (store.Token, error)
	TouchAdminToken(ctx context.Context, id string, at time.Time) error
}

// Handler serves /api/v1. Its exported fields are its dependencies; set
// them before Mount.
type Handler struct {
	Access *access.Service
	Orgs   *access.Orgs
	// Keys verifies organization API keys and issues new ones.
	Keys *token.Service
	// Admin verifies instance admin keys.
	Admin  adminKeys
	Logger *slog.Logger
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// MaxBody bounds request bodies; DefaultMaxBody when 0.
	MaxBody int64
	// AuthCacheTTL is how long a verified key is remembered;
	// DefaultAuthCacheTTL when 0, no caching when negative.
	AuthCacheTTL time.Duration

	// keys are verified keys by the SHA-256 of their text.
	keys ttlcache.Cache[[32]byte, store.Token]
}

// route is one endpoint; the OpenAPI test walks them.
type route struct {
	method, path string
	auth         authKind
	fn           func(w http.ResponseWriter, r *http.Request, c *call) error
}

type authKind int

const (
	authNone authKind = iota
	authOrg
	authAdmin
)

// call is the authenticated context of one request.
type call struct {
	orgID string
	actor store.Actor
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
	for _, rt := range h.routes() {
		mux.HandleFunc(rt.method+" "+rt.path, h.wrap(rt))
	}
}

func (h *Handler) routes() []route {
	rs := []route{
		{"GET", "/api/v1/openapi.json", authNone, func(w http.ResponseWriter, r *http.Request, _ *call) error {
			w.Header().Set("Content-Type", "application/json")
			_, err := w.Write(openAPI)
			return err
		}},
		{"GET", "/api/v1/org", authOrg, h.getOrg},
		{"PATCH", "/api/v1/org/settings", authOrg, h.patchSettings},
		{"GET", "/api/v1/org/roles", authOrg, h.listOrgRoles},
		{"PUT", "/api/v1/org/roles/{user_id}", authOrg, h.putOrgRole},
		{"DELETE", "/api/v1/org/roles/{user_id}", authOrg, h.deleteOrgRole},
		{"GET", "/api/v1/workspaces", authOrg, h.listWorkspaces},
		{"POST", "/api/v1/workspaces", authOrg, h.createWorkspace},
		{"GET", "/api/v1/workspaces/{id}", authOrg, h.getWorkspace},
		{"PATCH", "/api/v1/workspaces/{id}", authOrg, h.patchWorkspace},
		{"DELETE", "/api/v1/workspaces/{id}", authOrg, h.deleteWorkspace},
		{"GET", "/api/v1/workspaces/{id}/folders", authOrg, h.listFolders},
		{"POST", "/api/v1/workspaces/{id}/folders", authOrg, h.createFolder},
		{"GET", "/api/v1/folders/{id}", authOrg, h.getFolder},
		{"PATCH", "/api/v1/folders/{id}", authOrg, h.patchFolder},
		{"DELETE", "/api/v1/folders/{id}", authOrg, h.deleteFolder},
		{"GET", "/api/v1/groups/{id}/grants", authOrg, h.listGroupGrants},
		{"POST", "/api/v1/check", authOrg, h.check},
		{"POST", "/api/v1/join", authOrg, h.join},
		{"GET", "/api/v1/users/{id}/access", authOrg, h.userAccess},
		{"GET", "/api/v1/events", authOrg, h.events},
		{"GET", "/api/v1/orgs", authAdmin, h.listOrgs},
		{"POST", "/api/v1/orgs", authAdmin, h.createOrg},
		{"GET", "/api/v1/orgs/{id}", authAdmin, h.adminGetOrg},
		{"PUT", "/api/v1/orgs/{id}/plan", authAdmin, h.putPlan},
		{"POST", "/api/v1/orgs/{id}/api-keys", authAdmin, h.createAPIKey},
	}
	for _, k := range []struct {
		plural string
		rt     store.ResourceType
	}{{"workspaces", store.ResourceWorkspace}, {"folders", store.ResourceFolder}} {
		rt := k.rt
		base := "/api/v1/" + k.plural + "/{id}"
		rs = append(rs,
			route{"GET", base + "/grants", authOrg, func(w http.ResponseWriter, r *http.Request, c *call) error { return h.listGrants(w, r, c, rt) }},
			route{"PUT", base + "/grants/{group_id}", authOrg, func(w http.ResponseWriter, r *http.Request, c *call) error { return h.putGrant(w, r, c, rt) }},
			route{"DELETE", base + "/grants/{group_id}", authOrg, func(w http.ResponseWriter, r *http.Request, c *call) error { return h.deleteGrant(w, r, c, rt) }},
			route{"GET", base + "/members", authOrg, func(w http.ResponseWriter, r *http.Request, c *call) error { return h.listMembers(w, r, c, rt) }},
			route{"PUT", base + "/members/{user_id}", authOrg, func(w http.ResponseWriter, r *http.Request, c *call) error { return h.putMember(w, r, c, rt) }},
			route{"DELETE", base + "/members/{user_id}", authOrg, func(w http.ResponseWriter, r *http.Request, c *call) error { return h.deleteMember(w, r, c, rt) }},
			route{"GET", base + "/access", authOrg, func(w http.ResponseWriter, r *http.Request, c *call) error { return h.resourceAccess(w, r, c, rt) }},
		)
	}
	return rs
}

func (h *Handler) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

func (h *Handler) logger() *slog.Logger {
	if h.Logger != nil {
		return h.Logger
	}
	return slog.Default()
}

// apiError is an error with its HTTP status and code.
type apiError struct {
	status  int
	code    string
	message string
}

func (e *apiError) Error() string { return e.message }

func fail(status int, code, format string, args ...any) error {
	return &apiError{status, code, fmt.Sprintf(format, args...)}
}

func (h *Handler) wrap(rt route) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		max := h.MaxBody
		if max == 0 {
			max = DefaultMaxBody
		}
		r.Body = http.MaxBytesReader(w, r.Body, max)
		c, err := h.authenticate(r, rt.auth)
		if err == nil {
			err = rt.fn(w, r, c)
		}
		if err != nil {
			h.writeError(w, r, err)
		}
	}
}

func (h *Handler) authenticate(r *http.Request, need authKind) (*call, error) {
	if need == authNone {
		return &call{}, nil
	}
	text, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || text == "" {
		return nil, fail(http.StatusUnauthorized, "unauthorized",
			"send an API key as \"Authorization: Bearer roster_api_…\" (create one with: roster apikey create --org ID)")
	}
	isAdmin := strings.HasPrefix(text, "roster_admin_")
	switch {
	case need == authOrg && isAdmin:
		return nil, fail(http.StatusForbidden, "forbidden",
			"this endpoint needs an organization API key; an admin key only manages organizations (POST /api/v1/orgs/{id}/api-keys issues an organization key)")
	case need == authAdmin && !isAdmin:
		return nil, fail(http.StatusForbidden, "forbidden",
			"this endpoint needs an instance admin key (create one with: roster apikey create --admin)")
	}
	tok, err := h.verify(r.Context(), text, isAdmin)
	if errors.Is(err, token.ErrUnauthorized) {
		return nil, fail(http.StatusUnauthorized, "unauthorized", "the API key is invalid or revoked")
	}
	if err != nil {
		return nil, err
	}
	kind := "api_key"
	if isAdmin {
		kind = "admin_key"
	}
	return &call{orgID: tok.OrgID, actor: store.Actor{Kind: kind, ID: tok.ID, Name: tok.Name}}, nil
}

// verify checks a key, remembering good keys for AuthCacheTTL so that a
// check costs no database round trip for authentication.
func (h *Handler) verify(ctx context.Context, text string, admin bool) (store.Token, error) {
	ttl := h.AuthCacheTTL
	if ttl == 0 {
		ttl = DefaultAuthCacheTTL
	}
	sum := sha256.Sum256([]byte(text))
	now := h.now()
	if ttl > 0 {
		if tok, ok := h.keys.Get(sum, now); ok {
			return tok, nil
		}
	}
	var tok store.Token
	var err error
	if admin {
		tok, err = h.verifyAdmin(ctx, text)
	} else {
		tok, err = h.Keys.Authenticate(ctx, store.TokenAPI, text)
	}
	if err != nil {
		return store.Token{}, err
	}
	if ttl > 0 {
		h.keys.Put(sum, tok, now.Add(ttl))
	}
	return tok, nil
}

func (h *Handler) verifyAdmin(ctx context.Context, text string) (store.Token, error) {
	p, err := token.Parse(store.TokenAdmin, text)
	if err != nil {
		return store.Token{}, token.ErrUnauthorized
	}
	t, err := h.Admin.GetAdminToken(ctx, p.ID)
	if errors.Is(err, store.ErrNotFound) {
		return store.Token{}, token.ErrUnauthorized
	}
	if err != nil {
		return store.Token{}, fmt.Errorf("authenticate admin key: %w", err)
	}
	if !equalHash(token.Hash(p.Secret), t.SecretHash) || t.Revoked() {
		return store.Token{}, token.ErrUnauthorized
	}
	_ = h.Admin.TouchAdminToken(context.WithoutCancel(ctx), t.ID, h.now()) // bookkeeping only
	return t, nil
}

func (h *Handler) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var ae *apiError
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &ae):
	case errors.As(err, &mbe):
		ae = &apiError{http.StatusRequestEntityTooLarge, "body_too_large", fmt.Sprintf("the request body is larger than %d bytes", mbe.Limit)}
	default:
		msg, ok := access.Message(err)
		switch {
		case !ok:
			h.logger().ErrorContext(r.Context(), "api request failed", "method", r.Method, "path", r.URL.Path, "err", err)
			ae = &apiError{http.StatusInternalServerError, "internal",
				"internal error; the request id " + requestid.From(r.Context()) + " identifies it in the server log"}
		case errors.Is(err, access.ErrPlanRequired):
			ae = &apiError{http.StatusForbidden, "plan_required", msg}
		case errors.Is(err, access.ErrForbidden):
			ae = &apiError{http.StatusForbidden, "forbidden", msg}
		case errors.Is(err, store.ErrNotFound):
			ae = &apiError{http.StatusNotFound, "not_found", msg}
		case errors.Is(err, store.ErrConflict):
			ae = &apiError{http.StatusConflict, "conflict", msg}
		default:
			ae = &apiError{http.StatusBadRequest, "invalid_request", msg}
		}
	}
	writeJSON(w, ae.status, map[string]any{"error": map[string]string{"code": ae.code, "message": ae.message}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v) //nolint:errcheck // the client went away
}

// decode reads a JSON body into v, refusing unknown fields by name.
func decode(r *http.Request, v any) error {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		if dec.More() {
			return fail(http.StatusBadRequest, "invalid_request", "the request body holds more than one JSON value")
		}
		return nil
	}
	var mbe *http.MaxBytesError
	var ute *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &mbe):
		return err
	case errors.Is(err, io.EOF):
		return fail(http.StatusBadRequest, "invalid_request", "the request body is empty; send a JSON object with: %s", fieldNames(v))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.TrimPrefix(err.Error(), "json: unknown field ")
		return fail(http.StatusBadRequest, "invalid_request", "unknown field %s in the request body; accepted fields: %s", name, fieldNames(v))
	case errors.As(err, &ute):
		return fail(http.StatusBadRequest, "invalid_request", "field %q must be a JSON %s, not %s", ute.Field, jsonKind(ute.Type), ute.Value)
	case errors.As(err, &se):
		return fail(http.StatusBadRequest, "invalid_request", "the request body is not valid JSON: %v (at byte %d)", se, se.Offset)
	}
	return fail(http.StatusBadRequest, "invalid_request", "the request body is not valid JSON: %v", err)
}

func jsonKind(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Bool:
		return "boolean"
	case reflect.String:
		return "string"
	case reflect.Int, reflect.Int64, reflect.Float64:
		return "number"
	}
	return "object"
}

// fieldNames lists the JSON fields a request struct accepts.
func fieldNames(v any) string {
	t := reflect.TypeOf(v)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	var names []string
	for i := 0; i < t.NumField(); i++ {
		if n, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ","); n != "" && n != "-" {
			names = append(names, n)
		}
	}
	return strings.Join(names, ", ")
}

// page reads ?limit= and ?after=; cursors are opaque (base64url) to
// clients.
func page(r *http.Request) (after string, limit int, err error) {
	limit = 100
	if s := r.URL.Query().Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 1000 {
			return "", 0, fail(http.StatusBadRequest, "invalid_request", "limit must be a whole number from 1 to 1000, not %q", s)
		}
		limit = n
	}
	if s := r.URL.Query().Get("after"); s != "" {
		b, err := base64.RawURLEncoding.DecodeString(s)
		if err != nil {
			return "", 0, fail(http.StatusBadRequest, "invalid_request", "after %q is not a cursor this API returned: pass the \"next\" value of the previous page", s)
		}
		after = string(b)
	}
	return after, limit, nil
}

func cursor(c string) string { return base64.RawURLEncoding.EncodeToString([]byte(c)) }

// list writes a page: items and, when more exist, the cursor of the next.
func list[T any](w http.ResponseWriter, items []T, more bool, next func(T) string) error {
	body := map[string]any{"items": items}
	if items == nil {
		body["items"] = []T{}
	}
	if more && len(items) > 0 {
		body["next"] = cursor(next(items[len(items)-1]))
	}
	writeJSON(w, http.StatusOK, body)
	return nil
}

// fetchPage asks for one more than limit to learn whether more exist.
func fetchPage[T any](items []T, err error, limit int) ([]T, bool, error) {
	if err != nil {
		return nil, false, err
	}
	if len(items) > limit {
		return items[:limit], true, nil
	}
	return items, false, nil
}

func resourceType(s string) (store.ResourceType, error) {
	rt := store.ResourceType(s)
	if !rt.Valid() {
		return "", fail(http.StatusBadRequest, "invalid_request", "resource_type must be %q or %q, not %q", store.ResourceWorkspace, store.ResourceFolder, s)
	}
	return rt, nil
}

func required(name, v string) error {
	if v == "" {
		return fail(http.StatusBadRequest, "invalid_request", "field %q is required", name)
	}
	return nil
}
