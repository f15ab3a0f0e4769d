package scim

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/rosterhq/roster/internal/access"
	"github.com/rosterhq/roster/internal/auth"
	"github.com/rosterhq/roster/internal/directory"
	"github.com/rosterhq/roster/internal/fault"
	"github.com/rosterhq/roster/internal/jsontext"
	"github.com/rosterhq/roster/internal/scim/schema"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/ttlcache"
)

// Directory is what SCIM needs of the directory service: the protocol is
// SCIM's, the rules (ids, uniqueness, racing writes) the directory's.
type Directory interface {
	CreateUser(ctx context.Context, actor store.Actor, u store.User) (store.User, error)
	GetUser(ctx context.Context, orgID, id string) (store.User, error)
	PutUser(ctx context.Context, actor store.Actor, orgID, id string, pre directory.Precondition, build func(store.User) (store.User, error)) (store.User, error)
	PatchUser(ctx context.Context, actor store.Actor, orgID, id string, pre directory.Precondition, change func(store.User) (store.User, error)) (store.User, error)
	DeleteUserIf(ctx context.Context, actor store.Actor, orgID, id string, pre directory.Precondition) error
	QueryUsers(ctx context.Context, orgID string, q store.Query) (store.Page[store.User], error)
	UserGroups(ctx context.Context, orgID string, ids []string) (map[string][]store.GroupRef, error)

	CreateGroup(ctx context.Context, actor store.Actor, g store.Group, members []string) (store.Group, error)
	GetGroup(ctx context.Context, orgID, id string) (store.Group, error)
	UpdateGroup(ctx context.Context, actor store.Actor, u store.GroupUpdate) (store.Group, error)
	DeleteGroup(ctx context.Context, actor store.Actor, orgID, id string) error
	QueryGroups(ctx context.Context, orgID string, q store.Query) (store.Page[store.Group], error)
	ListMembers(ctx context.Context, orgID, groupID, after string, limit int) ([]store.Member, error)

	// Seq and Changes tell the lookup cache what changed since it filled.
	Seq(ctx context.Context, orgID string) (int64, error)
	Changes(ctx context.Context, orgID string, after int64, limit int) ([]store.Event, error)
}

// Authenticator verifies bearer tokens; *token.Service is one.
type Authenticator = auth.Authenticator

// Limits bound what one request may ask for; they are advertised in
// /ServiceProviderConfig.
type Limits struct {
	// MaxResults caps count; 1000 when 0.
	MaxResults int
	// DefaultCount is the page size when count is absent; 100 when 0.
	DefaultCount int
	// BulkMaxOperations caps the operations of one /Bulk request; 1000
	// when 0.
	BulkMaxOperations int
	// BulkMaxPayload caps a /Bulk body in bytes; 1 MiB when 0.
	BulkMaxPayload int
	// MaxBody caps other request bodies in bytes; 32 MiB when 0 (a PUT of
	// a group with 100,000 members is about 6 MiB).
	MaxBody int64
	// MaxSorted caps how many resources a query with sortBy may match,
	// since they are all ordered before a page is cut; more is 400
	// tooMany. 100,000 when 0.
	MaxSorted int
}

func (l *Limits) defaults() {
	if l.MaxResults == 0 {
		l.MaxResults = 1000
	}
	if l.DefaultCount == 0 {
		l.DefaultCount = 100
	}
	if l.BulkMaxOperations == 0 {
		l.BulkMaxOperations = 1000
	}
	if l.BulkMaxPayload == 0 {
		l.BulkMaxPayload = 1 << 20
	}
	if l.MaxBody == 0 {
		l.MaxBody = MaxBody
	}
	if l.MaxSorted == 0 {
		l.MaxSorted = 100_000
	}
}

// Handler serves the SCIM 2.0 endpoint of every organization under
// /scim/v2. The bearer token names the organization; a token never reaches
// another organization's resources (they answer 404).
type Handler struct {
	// SecurityEventURIs are the RFC 9967 event URIs roster can push (to
	// webhook endpoints of format scim-events), advertised in
	// ServiceProviderConfig's "securityEvents"; none, and no attribute,
	// when empty.
	SecurityEventURIs []string
	// Directory holds the organizations' users and groups and the rules for
	// changing them; *directory.Service is it.
	Directory Directory
	// Orgs reads organizations (their plan); *access.Service is one.
	Orgs interface {
		Org(ctx context.Context, id string) (store.Org, error)
	}
	Tokens Authenticator
	// BaseURL is the public URL of roster, without a trailing slash; SCIM
	// locations are BaseURL + "/scim/v2/…".
	BaseURL string
	Logger  *slog.Logger
	Limits  Limits
	// RateLimits, when set, limits each SCIM token's requests: the
	// organization's SCIMRateLimit, else the instance's rate.
	RateLimits *auth.Limits
	// Me, when set, serves /Me for signed-in users; without it /Me answers
	// 501 Not Implemented.
	Me http.Handler
	// OrgCacheTTL, when positive, keeps organizations (their plan) in
	// memory that long instead of reading them on every request; a plan
	// change then takes effect within OrgCacheTTL.
	OrgCacheTTL time.Duration
	// LookupCacheBytes bounds the memory kept for answering userName
	// lookups without the store (see lookupCache);
	// DefaultLookupCacheBytes when 0, no cache when negative.
	LookupCacheBytes int
	// Log, when set, receives every request a token of an organization
	// made, once answered, for the provisioning log.
	Log RequestLog
	// ClientAddr, when set, names the client of a request for the
	// provisioning log (behind a trusted proxy, the address it forwarded);
	// the TCP peer's otherwise.
	ClientAddr func(*http.Request) string

	orgs ttlcache.Cache[string, store.Org]

	lookups *lookupCache
	// writers are the buffers list responses stream through, reused: a
	// fresh 32 KiB buffer per lookup was a tenth of its allocations.
	writers sync.Pool
	// oneUserHead opens a list response of one user, up to its resource.
	oneUserHead []byte

	user, group *schema.ResourceType
	spc         []byte
}

// Prefix is where the SCIM endpoint is mounted.
const Prefix = "/scim/v2"

func (h *Handler) base() string { return strings.TrimSuffix(h.BaseURL, "/") + Prefix }

// Mount registers the SCIM routes.
func (h *Handler) Mount(mux *http.ServeMux) {
	if h.Logger == nil {
		h.Logger = slog.Default()
	}
	h.Limits.defaults()
	h.user, h.group = schema.User(), schema.Group()
	spc, err := h.serviceProviderConfig()
	if err != nil {
		// The configuration is ours, not a client's: a broken one is a
		// programming error caught by every test.
		panic(fmt.Sprintf("scim: service provider config: %v", err))
	}
	h.spc = spc
	if h.LookupCacheBytes >= 0 {
		h.lookups = newLookupCache(cmp.Or(h.LookupCacheBytes, DefaultLookupCacheBytes))
	}
	head, err := marshal(listHeader{Schemas: []string{schema.ListResponseURN}, TotalResults: 1, ItemsPerPage: 1, StartIndex: 1})
	if err != nil {
		panic(fmt.Sprintf("scim: list header: %v", err))
	}
	h.oneUserHead = append(head[:len(head)-1], `,"Resources":[`...)

	routes := map[string]func(http.ResponseWriter, *http.Request, *caller) error{
		"GET /Users":          h.list(h.user),
		"POST /Users":         h.createUser,
		"POST /Users/.search": h.search(h.user),
		"GET /Users/{id}":     h.getUser,
		"PUT /Users/{id}":     h.replaceUser,
		"PATCH /Users/{id}":   h.patchUser,
		"DELETE /Users/{id}":  h.deleteUser,

		"GET /Groups":          h.list(h.group),
		"POST /Groups":         h.createGroup,
		"POST /Groups/.search": h.search(h.group),
		"GET /Groups/{id}":     h.getGroup,
		"PUT /Groups/{id}":     h.replaceGroup,
		"PATCH /Groups/{id}":   h.patchGroup,
		"DELETE /Groups/{id}":  h.deleteGroup,

		"POST /.search": h.search(h.user, h.group),
		"POST /Bulk":    h.bulk,

		"GET /ServiceProviderConfig": h.getServiceProviderConfig,
		"GET /ResourceTypes":         h.getResourceTypes,
		"GET /ResourceTypes/{name}":  h.getResourceType,
		"GET /Schemas":               h.getSchemas,
		"GET /Schemas/{urn}":         h.getSchema,
	}
	for pattern, fn := range routes {
		method, path, _ := strings.Cut(pattern, " ")
		mux.Handle(method+" "+Prefix+path, h.authenticated(fn))
	}
	mux.Handle(Prefix+"/Me", h.authenticatedMe())
	mux.Handle(Prefix+"/Me/", h.authenticatedMe())
	mux.HandleFunc(Prefix+"/", h.fallback)
}

// caller is the authenticated client of a request.
type caller struct {
	org   store.Org
	actor store.Actor
}

// authenticated runs fn for a request the credential seam let through,
// once the organization's plan allows SCIM, writing any error fn returns
// as a SCIM error.
func (h *Handler) authenticated(fn func(http.ResponseWriter, *http.Request, *caller) error) http.Handler {
	surface := &auth.Surface{Name: "SCIM", Accept: []auth.Kind{auth.SCIMToken}, Tokens: h.Tokens, Limits: h.RateLimits}
	return surface.Require(h.logged(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := h.caller(r)
		if err == nil {
			err = fn(w, r, c)
		}
		if err != nil {
			h.writeError(w, r, err)
		}
	})), h.writeError)
}

// caller returns the client the seam authenticated, with its organization.
func (h *Handler) caller(r *http.Request) (*caller, error) {
	p, ok := auth.FromContext(r.Context())
	if !ok {
		return nil, fault.New(fault.Unauthorized, "a SCIM token is required")
	}
	org, err := h.org(r.Context(), p.OrgID)
	if errors.Is(err, store.ErrNotFound) {
		// The token outlived its organization: as good as revoked.
		return nil, fault.New(fault.Unauthorized, "the SCIM token is invalid or revoked")
	}
	if err != nil {
		return nil, err
	}
	if err := access.RequirePlan(org, "SCIM provisioning"); err != nil {
		return nil, err
	}
	return &caller{org: org, actor: p.Actor()}, nil
}

// org reads an organization, from the cache when it is fresh.
func (h *Handler) org(ctx context.Context, id string) (store.Org, error) {
	if h.OrgCacheTTL <= 0 {
		return h.Orgs.Org(ctx, id)
	}
	now := time.Now()
	if org, ok := h.orgs.Get(id, now); ok {
		return org, nil
	}
	org, err := h.Orgs.Org(ctx, id)
	if err == nil {
		h.orgs.Put(id, org, now.Add(h.OrgCacheTTL))
	}
	return org, err
}

// authenticatedMe serves /Me. A signed-in user is identified by their
// session, which the Me handler checks itself; a SCIM bearer token
// identifies an identity provider, not a user, so without a Me handler the
// answer is 501 behind the usual token check.
func (h *Handler) authenticatedMe() http.Handler {
	if h.Me != nil {
		return h.Me
	}
	return h.authenticated(func(w http.ResponseWriter, r *http.Request, c *caller) error {
		return &Error{Status: http.StatusNotImplemented, Detail: "/Me is not available: it needs a signed-in user, and a SCIM bearer token identifies an identity provider, not a user"}
	})
}

// ServeUser writes a user's SCIM representation exactly as GET /Users/{id}
// does; the sign-in surface uses it for /Me.
func (h *Handler) ServeUser(w http.ResponseWriter, r *http.Request, u store.User) {
	c := &caller{org: store.Org{ID: u.OrgID}}
	if notModified(w, r, u.Version) {
		return
	}
	if err := h.writeUser(w, r, c, u, http.StatusOK); err != nil {
		h.writeError(w, r, err)
	}
}

// fallback answers paths under /scim/v2 that no route serves: 405 with
// Allow for a known path and a wrong method, 404 otherwise, both as SCIM
// errors (the mux's own answers are plain text).
func (h *Handler) fallback(w http.ResponseWriter, r *http.Request) {
	rest := strings.TrimPrefix(r.URL.Path, Prefix)
	segs := strings.Split(strings.Trim(rest, "/"), "/")
	allow := ""
	switch {
	case len(segs) == 1 && (segs[0] == "Users" || segs[0] == "Groups"):
		allow = "GET, POST"
	case len(segs) == 2 && (segs[0] == "Users" || segs[0] == "Groups") && segs[1] == ".search":
		allow = "POST"
	case len(segs) == 2 && (segs[0] == "Users" || segs[0] == "Groups"):
		allow = "GET, PUT, PATCH, DELETE"
	case len(segs) == 1 && (segs[0] == ".search" || segs[0] == "Bulk"):
		allow = "POST"
	case len(segs) <= 2 && (segs[0] == "ServiceProviderConfig" || segs[0] == "ResourceTypes" || segs[0] == "Schemas"):
		allow = "GET"
	}
	if allow != "" {
		w.Header().Set("Allow", allow)
		h.writeError(w, r, &Error{Status: http.StatusMethodNotAllowed, Detail: fmt.Sprintf("%s is not allowed on %s; allowed: %s", r.Method, r.URL.Path, allow)})
		return
	}
	h.writeError(w, r, &Error{Status: http.StatusNotFound, Detail: fmt.Sprintf("no SCIM endpoint at %s; resources are under %s/Users and %s/Groups", r.URL.Path, Prefix, Prefix)})
}

// readBody reads a JSON request body within the limit and refuses text
// that would not decode to what was sent (see jsontext.Check).
func (h *Handler) readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || !(mt == "application/scim+json" || mt == "application/json" || strings.HasSuffix(mt, "+json") || mt == "text/json") {
			return nil, &Error{Status: http.StatusUnsupportedMediaType, Detail: fmt.Sprintf("Content-Type %q is not supported: send application/scim+json or application/json", ct)}
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, &Error{Status: http.StatusRequestEntityTooLarge, Detail: fmt.Sprintf("the request body is larger than the %d bytes allowed", limit)}
		}
		return nil, badRequest("invalidSyntax", "could not read the request body")
	}
	if len(strings.TrimSpace(string(body))) == 0 {
		return nil, badRequest("invalidSyntax", "the request body is empty; send a JSON object")
	}
	// Before decoding: encoding/json would turn invalid UTF-8 and lone
	// surrogates into U+FFFD and store that instead of refusing.
	if err := jsontext.Check(body); err != nil {
		var je *jsontext.Error
		if errors.As(err, &je) && je.Problem == jsontext.NUL {
			// The text is well-formed; a NUL is a value no attribute takes.
			return nil, badRequest("invalidValue", "%s", err)
		}
		return nil, badRequest("invalidSyntax", "%s", err)
	}
	return body, nil
}

// decodeObject decodes a JSON object with numbers kept exact.
func decodeObject(body []byte) (map[string]any, error) {
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, badRequest("invalidSyntax", "the request body is not a JSON object: %s", jsonProblem(err))
	}
	if dec.More() {
		return nil, badRequest("invalidSyntax", "the request body holds more than one JSON value")
	}
	if m == nil {
		return nil, badRequest("invalidSyntax", "the request body must be a JSON object, not null")
	}
	return m, nil
}

func jsonProblem(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("%v (at byte %d)", se, se.Offset)
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("found a JSON %s where an object was expected", te.Value)
	}
	return err.Error()
}

// rfc3339 formats times in meta.
func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// MaxBody is the largest request body the SCIM endpoint accepts (see
// Limits.MaxBody); the server's own limit must not be lower.
const MaxBody = 32 << 20
