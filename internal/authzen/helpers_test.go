package authzen_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/rosterhq/roster/internal/access"
	"github.com/rosterhq/roster/internal/authzen"
	"github.com/rosterhq/roster/internal/directory"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/store/postgres/pgtest"
	"github.com/rosterhq/roster/internal/store/sqlite"
	"github.com/rosterhq/roster/internal/store/sqlstore"
	"github.com/rosterhq/roster/internal/store/storetest"
	"github.com/rosterhq/roster/internal/token"
)

// engines are the stores every test runs on. PostgreSQL is skipped without
// ROSTER_TEST_POSTGRES.
var engines = []struct {
	name string
	open func(t *testing.T) *sqlstore.DB
}{
	{"sqlite", func(t *testing.T) *sqlstore.DB {
		s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "roster.db"), sqlite.Options{Now: storetest.NewClock().Now})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}},
	{"postgres", func(t *testing.T) *sqlstore.DB {
		s := pgtest.Open(t, storetest.NewClock().Now)
		t.Cleanup(func() { s.Close() })
		return s
	}},
}

// eachEngine runs fn on a fresh world on every engine.
func eachEngine(t *testing.T, fn func(t *testing.T, f *fixture)) {
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) {
			fn(t, newFixture(t, e.open(t)))
		})
	}
}

var (
	scimActor  = store.Actor{Kind: "scim_token", ID: "tk-okta", Name: "okta"}
	ownerActor = store.Actor{Kind: "api_key", ID: "key-app", Name: "host app"}
)

// fixture is two organizations behind an AuthZEN handler on a test server.
//
// Organization A (enterprise): group Sales = alice, bob, carol; Sales is
// editor of workspace sales (whose folder plans follows it, and whose
// folder deals is invite-only with no grant); alice is an invited viewer
// of notes and an invited checker of ops; bob is an invited editor of
// secret. carol is deactivated, dave was deleted, erin and frank share an
// e-mail, olga is an owner of the organization.
//
// Organization B: user zed, workspace globex.
type fixture struct {
	t      testing.TB
	srv    *httptest.Server
	h      *authzen.Handler
	keyA   string
	keyB   string
	scimA  string
	ids    map[string]string
	vars   *strings.Replacer
	orgA   string
	acc    *access.Service
	dir    *directory.Service
	folder map[string]store.Folder
}

func newFixture(t testing.TB, s *sqlstore.DB) *fixture {
	t.Helper()
	ctx := context.Background()
	res := &access.Resolver{Store: s, PollInterval: -1}
	dir := &directory.Service{Store: s, Changed: res.Invalidate}
	acc := &access.Service{Store: s, Resolver: res}
	tokens := &token.Service{Store: s}
	f := &fixture{t: t, ids: map[string]string{}, acc: acc, dir: dir, folder: map[string]store.Folder{}}
	f.h = &authzen.Handler{Access: res, Directory: dir, Tokens: tokens, BaseURL: "https://pdp.example.com"}
	mux := http.NewServeMux()
	f.h.Mount(mux)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)

	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	orgA, err := acc.CreateOrg(ctx, ownerActor, "Acme", store.PlanEnterprise)
	must(err)
	orgB, err := acc.CreateOrg(ctx, ownerActor, "Globex", store.PlanEnterprise)
	must(err)
	f.orgA = orgA.ID
	f.keyA, _, err = tokens.Create(ctx, ownerActor, orgA.ID, store.TokenAPI, "pep")
	must(err)
	f.keyB, _, err = tokens.Create(ctx, ownerActor, orgB.ID, store.TokenAPI, "pep")
	must(err)
	f.scimA, _, err = tokens.Create(ctx, ownerActor, orgA.ID, store.TokenSCIM, "okta")
	must(err)

	user := func(org, name, email string, active bool) string {
		t.Helper()
		u := store.User{OrgID: org, UserName: name, Active: active, Attributes: json.RawMessage(`{}`)}
		if email != "" {
			u.Values = []store.Value{{Attr: "emails", Sub: "type", Str: "work"}, {Attr: "emails", Sub: "value", Str: email}}
		}
		u, err := dir.CreateUser(ctx, scimActor, u)
		must(err)
		f.ids[name] = u.ID
		return u.ID
	}
	alice := user(orgA.ID, "alice", "alice@example.com", true)
	bob := user(orgA.ID, "bob", "bob@example.com", true)
	carol := user(orgA.ID, "carol", "carol@example.com", false)
	dave := user(orgA.ID, "dave", "dave@example.com", true)
	user(orgA.ID, "erin", "shared@example.com", true)
	user(orgA.ID, "frank", "Shared@Example.com", true)
	olga := user(orgA.ID, "olga", "", true)
	user(orgB.ID, "zed", "zed@example.com", true)

	sales, err := dir.CreateGroup(ctx, scimActor, store.Group{OrgID: orgA.ID, DisplayName: "Sales"}, []string{alice, bob, carol, dave})
	must(err)
	f.ids["Sales"] = sales.ID
	must(dir.DeleteUser(ctx, scimActor, orgA.ID, dave))
	_, err = acc.SetOrgRole(ctx, ownerActor, orgA.ID, olga, store.OrgOwner)
	must(err)

	workspace := func(org, name string) string {
		t.Helper()
		w, home, err := acc.CreateWorkspace(ctx, ownerActor, org, name, "")
		must(err)
		f.ids[name] = w.ID
		f.ids[name+"-home"] = home.ID
		f.folder[name+"-home"] = home
		return w.ID
	}
	folder := func(ws, name string, ta store.TeamAccess) {
		t.Helper()
		fo, err := acc.CreateFolder(ctx, ownerActor, orgA.ID, ws, name, ta)
		must(err)
		f.ids[name] = fo.ID
		f.folder[name] = fo
	}
	member := func(rt store.ResourceType, id, uid string, role store.Role) {
		t.Helper()
		_, err := acc.PutMember(ctx, ownerActor, store.ResourceMember{OrgID: orgA.ID, ResourceType: rt, ResourceID: id, UserID: uid, Role: role})
		must(err)
	}
	ws := workspace(orgA.ID, "sales")
	folder(ws, "plans", store.TeamAccessWorkspace)
	folder(ws, "deals", store.TeamAccessInviteOnly)
	_, _, err = acc.PutGrant(ctx, ownerActor, orgA.ID, store.ResourceWorkspace, ws, sales.ID, store.RoleEditor)
	must(err)
	member(store.ResourceWorkspace, workspace(orgA.ID, "notes"), alice, store.RoleViewer)
	member(store.ResourceWorkspace, workspace(orgA.ID, "ops"), alice, store.RoleChecker)
	member(store.ResourceWorkspace, workspace(orgA.ID, "secret"), bob, store.RoleEditor)
	workspace(orgB.ID, "globex")

	var pairs []string
	for k, v := range f.ids {
		pairs = append(pairs, "{"+k+"}", v)
	}
	f.vars = strings.NewReplacer(pairs...)
	return f
}

// body replaces {name} in s with the id of the user, group, workspace or
// folder of that name.
func (f *fixture) body(s string) string { return f.vars.Replace(s) }

// response is an HTTP answer.
type response struct {
	status int
	header http.Header
	body   []byte
}

// post sends a JSON request with the key (none when "") and returns the
// answer; names in the body are replaced by ids.
func (f *fixture) post(path, key, body string, header ...string) response {
	f.t.Helper()
	req, err := http.NewRequest("POST", f.srv.URL+path, strings.NewReader(f.body(body)))
	if err != nil {
		f.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		f.t.Fatal(err)
	}
	return response{resp.StatusCode, resp.Header, b}
}

// ok decodes a 200 answer into out.
func (f *fixture) ok(r response, out any) {
	f.t.Helper()
	if r.status != http.StatusOK {
		f.t.Fatalf("status %d, want 200: %s", r.status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		f.t.Errorf("Content-Type %q, want application/json", ct)
	}
	// The answer goes out whole, in one write, not chunked.
	if cl := r.header.Get("Content-Length"); cl != strconv.Itoa(len(r.body)) {
		f.t.Errorf("Content-Length %q for a body of %d bytes", cl, len(r.body))
	}
	if err := json.Unmarshal(r.body, out); err != nil {
		f.t.Fatalf("decode %s: %v", r.body, err)
	}
}

// decisionOut is a decision as a PEP reads it.
type decisionOut struct {
	Decision *bool `json:"decision"`
	Context  *struct {
		Role    string `json:"role"`
		Reason  string `json:"reason"`
		Stopped string `json:"stopped"`
		Reasons []struct {
			Kind      string `json:"kind"`
			Role      string `json:"role"`
			GroupID   string `json:"group_id"`
			Origin    string `json:"origin"`
			Inherited bool   `json:"inherited"`
			Text      string `json:"text"`
		} `json:"reasons"`
		Error *struct {
			Status  int    `json:"status"`
			Message string `json:"message"`
		} `json:"error"`
	} `json:"context"`
}

// errorOut is an error response.
type errorOut struct {
	Error struct {
		Status  int    `json:"status"`
		Message string `json:"message"`
	} `json:"error"`
}

// searchOut is a search response.
type searchOut struct {
	Page *struct {
		NextToken *string `json:"next_token"`
		Count     int     `json:"count"`
	} `json:"page"`
	Context *struct {
		Role   string `json:"role"`
		Reason string `json:"reason"`
	} `json:"context"`
	Results []struct {
		Type       string `json:"type"`
		ID         string `json:"id"`
		Name       string `json:"name"`
		Properties struct {
			Role string `json:"role"`
			Name string `json:"name"`
		} `json:"properties"`
	} `json:"results"`
}
