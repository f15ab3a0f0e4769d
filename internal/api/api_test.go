package api_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/rosterhq/roster/internal/access"
	"github.com/rosterhq/roster/internal/api"
	"github.com/rosterhq/roster/internal/directory"
	"github.com/rosterhq/roster/internal/events"
	provision "github.com/rosterhq/roster/internal/scim"
	"github.com/rosterhq/roster/internal/server"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/store/postgres/pgtest"
	"github.com/rosterhq/roster/internal/store/sqlite"
	"github.com/rosterhq/roster/internal/store/sqlstore"
	"github.com/rosterhq/roster/internal/store/storetest"
	"github.com/rosterhq/roster/internal/token"
)

type fixture struct {
	t        *testing.T
	s        *sqlstore.DB
	srv      *httptest.Server
	h        *api.Handler
	tokens   *token.Service
	admin    string
	keyA     string
	keyB     string
	orgA     string
	orgB     string
	ann, bob string
	sales    string
}

var scim = store.Actor{Kind: "scim_token", Name: "okta"}

// setup returns a running roster (SCIM and the host API behind the
// server's middleware) on SQLite with two organizations.
func setup(t *testing.T) *fixture {
	t.Helper()
	clock := storetest.NewClock()
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "roster.db"), sqlite.Options{Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	return setupOn(t, s)
}

// engines runs fn on SQLite and, when ROSTER_TEST_POSTGRES is set, on
// PostgreSQL.
func engines(t *testing.T, fn func(t *testing.T, f *fixture)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, setup(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, setupOn(t, pgtest.Open(t, storetest.NewClock().Now))) })
}

func setupOn(t *testing.T, s *sqlstore.DB) *fixture {
	t.Helper()
	ctx := context.Background()
	t.Cleanup(func() { s.Close() })
	res := &access.Resolver{Store: s, PollInterval: -1}
	keys := &token.Service{Store: s}
	dir := &directory.Service{Store: s, Changed: res.Invalidate}
	// Webhooks may reach the tests' loopback receivers, as with
	// --webhook-allow-private-targets.
	hooks := &events.Service{Store: s, Targets: events.Targets{AllowPrivate: true}}
	h := &api.Handler{Access: &access.Service{Store: s, Resolver: res}, Directory: dir, Keys: keys, Webhooks: hooks}
	quiet := slog.New(slog.DiscardHandler)
	provisioning := &provision.Handler{Directory: dir, Orgs: h.Access, Tokens: keys, Logger: quiet}
	f := &fixture{t: t, s: s, h: h, tokens: keys, srv: httptest.NewServer(server.New(&server.Server{Logger: quiet}, provisioning, h))}
	t.Cleanup(f.srv.Close)
	provisioning.BaseURL = f.srv.URL
	var err error
	f.admin, _, err = keys.CreateAdmin(ctx, store.Actor{Kind: "cli"}, "ops")
	if err != nil {
		t.Fatal(err)
	}
	// Organizations and their keys through the admin API.
	var org struct{ ID string }
	f.do("POST", "/api/v1/orgs", f.admin, `{"name":"Acme","plan":"enterprise"}`, 201, &org)
	f.orgA = org.ID
	f.do("POST", "/api/v1/orgs", f.admin, `{"name":"Globex"}`, 201, &org)
	f.orgB = org.ID
	var key struct{ Key string }
	f.do("POST", "/api/v1/orgs/"+f.orgA+"/api-keys", f.admin, `{"name":"app"}`, 201, &key)
	f.keyA = key.Key
	f.do("POST", "/api/v1/orgs/"+f.orgB+"/api-keys", f.admin, `{}`, 201, &key)
	f.keyB = key.Key
	// Users and a group as SCIM provisions them.
	for name, u := range map[string]*string{"ann@acme.test": &f.ann, "bob@acme.test": &f.bob} {
		*u, _ = access.NewID()
		if _, err := s.CreateUser(ctx, scim, store.User{OrgID: f.orgA, ID: *u, UserName: name, Active: true, Attributes: json.RawMessage(`{}`)}); err != nil {
			t.Fatal(err)
		}
	}
	f.sales, _ = access.NewID()
	if _, err := s.CreateGroup(ctx, scim, store.Group{OrgID: f.orgA, ID: f.sales, DisplayName: "Sales"}, []string{f.ann, f.bob}); err != nil {
		t.Fatal(err)
	}
	return f
}

// do sends a request and checks the status; out, when not nil, receives
// the JSON body. It returns the body.
func (f *fixture) do(method, path, key, body string, want int, out any) string {
	f.t.Helper()
	req, _ := http.NewRequest(method, f.srv.URL+path, strings.NewReader(body))
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		f.t.Fatalf("%s %s = %d %s, want %d", method, path, resp.StatusCode, b, want)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			f.t.Fatalf("%s %s: decode %s: %v", method, path, b, err)
		}
	}
	return string(b)
}

func TestHostAppFlow(t *testing.T) {
	f := setup(t)
	var ws struct {
		ID           string
		HomeFolderID string `json:"home_folder_id"`
	}
	f.do("POST", "/api/v1/workspaces", f.keyA, `{"name":"Sales"}`, 201, &ws)
	var deals struct{ ID string }
	f.do("POST", "/api/v1/workspaces/"+ws.ID+"/folders", f.keyA, `{"name":"Deals","team_access":"invite_only"}`, 201, &deals)
	f.do("PUT", "/api/v1/workspaces/"+ws.ID+"/grants/"+f.sales, f.keyA, `{"role":"editor"}`, 201, nil)
	f.do("PUT", "/api/v1/workspaces/"+ws.ID+"/grants/"+f.sales, f.keyA, `{"role":"editor"}`, 200, nil)

	var d struct {
		Allowed bool
		Role    string
		Reasons []access.Reason
		Joined  []struct{ Origin string }
	}
	f.do("POST", "/api/v1/check", f.keyA, `{"user_id":"`+f.ann+`","resource_type":"folder","resource_id":"`+ws.HomeFolderID+`","role":"editor","join":true}`, 200, &d)
	if !d.Allowed || d.Role != "editor" || len(d.Reasons) != 1 || d.Reasons[0].GroupID != f.sales || len(d.Joined) != 1 || d.Joined[0].Origin != "group:"+f.sales {
		t.Errorf("check with join = %+v", d)
	}
	f.do("POST", "/api/v1/check", f.keyA, `{"user_id":"`+f.ann+`","resource_type":"folder","resource_id":"`+deals.ID+`"}`, 200, &d)
	if d.Allowed || d.Role != "" {
		t.Errorf("invite-only folder before its grant: %+v", d)
	}
	var reach struct {
		Items []access.Reach
		Next  string
		Can   bool `json:"can_create_workspaces"`
	}
	f.do("GET", "/api/v1/users/"+f.ann+"/access?limit=1", f.keyA, "", 200, &reach)
	if len(reach.Items) != 1 || reach.Next == "" || !reach.Can {
		t.Errorf("first page of ann's access = %+v", reach)
	}
	next := reach.Next
	reach.Items, reach.Next = nil, ""
	f.do("GET", "/api/v1/users/"+f.ann+"/access?limit=1&after="+next, f.keyA, "", 200, &reach)
	if len(reach.Items) != 1 || reach.Next != "" {
		t.Errorf("second page of ann's access = %+v; want the workspace and its home folder in all", reach)
	}
	var who struct{ Items []access.Reacher }
	f.do("GET", "/api/v1/workspaces/"+ws.ID+"/access", f.keyA, "", 200, &who)
	if len(who.Items) != 2 {
		t.Errorf("who reaches the workspace = %+v", who)
	}
	var members struct {
		Items []struct {
			UserID string `json:"user_id"`
			Origin string
		}
	}
	f.do("GET", "/api/v1/workspaces/"+ws.ID+"/members", f.keyA, "", 200, &members)
	if len(members.Items) != 1 || members.Items[0].UserID != f.ann {
		t.Errorf("members = %+v; want ann, joined", members)
	}
	var evs struct {
		Items []store.Event
		Next  string
	}
	f.do("GET", "/api/v1/events?limit=1000", f.keyA, "", 200, &evs)
	last := evs.Items[len(evs.Items)-1]
	if last.Type != "member.joined" || last.Actor.Kind != "api_key" {
		t.Errorf("last event = %+v, want member.joined by the API key", last)
	}
	f.do("GET", "/api/v1/events?after="+evs.Next, f.keyA, "", 200, &evs)
	if len(evs.Items) != 0 {
		t.Errorf("events after the last = %+v", evs.Items)
	}
}

func TestErrors(t *testing.T) {
	f := setup(t)
	var ws struct {
		ID           string
		HomeFolderID string `json:"home_folder_id"`
	}
	f.do("POST", "/api/v1/workspaces", f.keyA, `{"name":"Sales"}`, 201, &ws)
	tests := []struct {
		name, method, path, key, body string
		status                        int
		code, message                 string
	}{
		{"no key", "GET", "/api/v1/workspaces", "", "", 401, "unauthorized", "Authorization: Bearer"},
		{"bad key", "GET", "/api/v1/workspaces", "roster_api_nope", "", 401, "unauthorized", "invalid or revoked"},
		{"admin key on org route", "GET", "/api/v1/workspaces", "ADMIN", "", 403, "forbidden", "organization API key"},
		{"org key on admin route", "GET", "/api/v1/orgs", "A", "", 403, "forbidden", "admin key"},
		{"tenant isolation", "GET", "/api/v1/workspaces/" + "WS", "B", "", 404, "not_found", "does not exist in this organization"},
		{"tenant isolation on check", "POST", "/api/v1/check", "B", `{"user_id":"x","resource_type":"workspace","resource_id":"WS"}`, 404, "not_found", "workspace"},
		{"unknown field", "POST", "/api/v1/workspaces", "A", `{"name":"x","colour":"red"}`, 400, "invalid_request", `unknown field "colour"`},
		{"wrong type", "POST", "/api/v1/workspaces", "A", `{"name":3}`, 400, "invalid_request", `"name" must be a JSON string`},
		{"empty body", "POST", "/api/v1/workspaces", "A", ``, 400, "invalid_request", "empty"},
		{"too large", "POST", "/api/v1/workspaces", "A", `{"name":"` + strings.Repeat("x", 70000) + `"}`, 413, "body_too_large", "larger than"},
		{"grant on workspace-access folder", "PUT", "/api/v1/folders/HOME/grants/SALES", "A", `{"role":"viewer"}`, 400, "invalid_request", "invite_only"},
		{"bad role", "PUT", "/api/v1/workspaces/WS/grants/SALES", "A", `{"role":"owner"}`, 400, "invalid_request", "role must be"},
		{"unknown group", "PUT", "/api/v1/workspaces/WS/grants/nope", "A", `{"role":"viewer"}`, 404, "not_found", "group nope does not exist"},
		{"free plan grant", "PUT", "/api/v1/workspaces/WSB/grants/x", "B", `{"role":"viewer"}`, 403, "plan_required", "enterprise plan"},
		{"bad limit", "GET", "/api/v1/workspaces?limit=0", "A", "", 400, "invalid_request", "limit must be"},
		{"bad cursor", "GET", "/api/v1/workspaces?after=!!!", "A", "", 400, "invalid_request", "cursor"},
		{"unknown user", "POST", "/api/v1/check", "A", `{"user_id":"ghost","resource_type":"workspace","resource_id":"WS"}`, 404, "not_found", "user ghost"},
		{"missing field", "POST", "/api/v1/check", "A", `{"resource_type":"workspace","resource_id":"WS"}`, 400, "invalid_request", `"user_id" is required`},
		{"bad resource type", "POST", "/api/v1/check", "A", `{"user_id":"u","resource_type":"doc","resource_id":"WS"}`, 400, "invalid_request", "resource_type must be"},
		{"home folder cannot go", "DELETE", "/api/v1/folders/HOME", "A", "", 400, "invalid_request", "home folder"},
	}
	var wsb struct{ ID string }
	f.do("POST", "/api/v1/workspaces", f.keyB, `{"name":"Other"}`, 201, &wsb)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f.t = t
			key := map[string]string{"": "", "A": f.keyA, "B": f.keyB, "ADMIN": f.admin}[tc.key]
			if key == "" && tc.key != "" {
				key = tc.key
			}
			r := strings.NewReplacer("WSB", wsb.ID, "WS", ws.ID, "HOME", ws.HomeFolderID, "SALES", f.sales)
			var body struct {
				Error struct{ Code, Message string }
			}
			f.do(tc.method, r.Replace(tc.path), key, r.Replace(tc.body), tc.status, &body)
			if body.Error.Code != tc.code || !strings.Contains(body.Error.Message, tc.message) {
				t.Errorf("error = %+v, want code %s and a message containing %q", body.Error, tc.code, tc.message)
			}
		})
	}
}

// TestOpenAPIDocumentsEveryRoute keeps openapi.json true: every mounted
// route is documented with its method, and nothing else is.
func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	f := setup(t)
	var doc struct {
		Paths map[string]map[string]any
	}
	f.do("GET", "/api/v1/openapi.json", "", "", 200, &doc)
	mounted := map[string]bool{}
	for _, r := range f.h.Routes() {
		mounted[r] = true
		method, path, _ := strings.Cut(r, " ")
		if _, ok := doc.Paths[path][strings.ToLower(method)]; !ok {
			t.Errorf("route %s is not in openapi.json", r)
		}
	}
	param := regexp.MustCompile(`\{[a-z_]+\}`)
	for path, ops := range doc.Paths {
		for m := range ops {
			if !mounted[strings.ToUpper(m)+" "+path] {
				t.Errorf("openapi.json documents %s %s, which is not mounted", strings.ToUpper(m), path)
			}
		}
		if strings.Contains(param.ReplaceAllString(path, ""), "{") {
			t.Errorf("malformed path %s", path)
		}
	}
}

func TestRevokedKeyStops(t *testing.T) {
	f := setup(t)
	p, _ := token.Parse(store.TokenAPI, f.keyA)
	f.do("GET", "/api/v1/org", f.keyA, "", 200, nil)
	if _, err := f.s.RevokeToken(context.Background(), scim, f.orgA, p.ID); err != nil {
		t.Fatal(err)
	}
	f.do("GET", "/api/v1/org", f.keyA, "", 401, nil)
	ap, _ := token.Parse(store.TokenAdmin, f.admin)
	f.s.RevokeAdminToken(context.Background(), ap.ID)
	f.do("GET", "/api/v1/orgs", f.admin, "", 401, nil)
}
