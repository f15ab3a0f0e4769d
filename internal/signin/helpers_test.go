package signin_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/access"
	"github.com/rosterhq/roster/internal/directory"
	"github.com/rosterhq/roster/internal/signin"
	"github.com/rosterhq/roster/internal/sso"
	"github.com/rosterhq/roster/internal/sso/saml/samltest"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/store/postgres"
	"github.com/rosterhq/roster/internal/store/postgres/pgtest"
	"github.com/rosterhq/roster/internal/store/sqlite"
	"github.com/rosterhq/roster/internal/store/sqlstore"
)

const baseURL = "https://roster.example.test"

var cli = store.Actor{Kind: "cli", Name: "test"}

// clock is the settable clock shared by the store, the handler and the IdP.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// engine opens stores on one database: the same database each time it is
// called within a test, so two instances can share it.
type engine struct {
	name string
	// target returns a new database for the test.
	target func(t testing.TB) string
	open   func(t testing.TB, target string, now func() time.Time) *sqlstore.DB
}

var engines = []engine{
	{
		name:   "sqlite",
		target: func(t testing.TB) string { return filepath.Join(t.TempDir(), "roster.db") },
		open: func(t testing.TB, path string, now func() time.Time) *sqlstore.DB {
			s, err := sqlite.Open(context.Background(), path, sqlite.Options{Now: now})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		},
	},
	{
		name:   "postgres",
		target: func(t testing.TB) string { return pgtest.URL(t) },
		open: func(t testing.TB, url string, now func() time.Time) *sqlstore.DB {
			s, err := postgres.Open(context.Background(), url, postgres.Options{MaxConns: 4, Now: now})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		},
	},
}

// forEngines runs fn on SQLite and on PostgreSQL.
func forEngines(t *testing.T, fn func(t *testing.T, e engine)) {
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) { fn(t, e) })
	}
}

// env is one roster instance with an organization, users and a test IdP.
type env struct {
	t       testing.TB
	eng     engine
	target  string
	clock   *clock
	s       *sqlstore.DB
	org     store.Org
	idp     *samltest.IdP
	svc     *sso.Service
	h       *signin.Handler
	mux     *http.ServeMux
	dir     *directory.Service
	acc     *access.Service
	urls    sso.URLs
	alice   store.User
	admin   store.User
	foreign *samltest.Key
}

func newEnv(t testing.TB, eng engine) *env {
	t.Helper()
	ctx := context.Background()
	e := &env{t: t, eng: eng, clock: &clock{t: time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)}}
	e.target = eng.target(t)
	e.s = eng.open(t, e.target, e.clock.Now)
	org, err := (&access.Service{Store: e.s}).CreateOrg(ctx, cli, "Acme", store.PlanEnterprise)
	if err != nil {
		t.Fatal(err)
	}
	e.org = org
	e.idp = samltest.NewIdP(t, samltest.Options{Now: e.clock.Now, Keys: 2})
	e.foreign = samltest.NewKey(t, "attacker", e.clock.Now().Add(-time.Hour), e.clock.Now().Add(24*time.Hour))
	e.instance(e.s) // sets svc, h, mux, dir, acc
	c, err := e.svc.Config(ctx, org.ID)
	if err != nil {
		t.Fatal(err)
	}
	e.urls = e.svc.URLs(c)
	if _, _, err := e.svc.SetIdPMetadata(ctx, cli, org.ID, e.idp.Metadata(), ""); err != nil {
		t.Fatalf("SetIdPMetadata: %v", err)
	}
	e.alice = e.user("Alice@Example.com", "Alice Liddell", "7f3c1b2a-0000-4000-8000-00000000a11c")
	e.admin = e.user("admin@example.com", "Ada Admin", "")
	if _, err := e.acc.SetOrgRole(ctx, cli, org.ID, e.admin.ID, store.OrgOwner); err != nil {
		t.Fatal(err)
	}
	return e
}

// instance builds the surfaces of one roster process over s and returns
// its HTTP handler.
func (e *env) instance(s *sqlstore.DB) http.Handler {
	res := &access.Resolver{Store: s, PollInterval: -1}
	dir := &directory.Service{Store: s, Changed: res.Invalidate}
	acc := &access.Service{Store: s, Resolver: res}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc := &sso.Service{Store: s, Orgs: acc, Users: dir, Joiner: acc, BaseURL: baseURL, Now: e.clock.Now,
		Logger: logger, IdleTimeout: 30 * time.Minute, MaxAge: 2 * time.Hour}
	h := &signin.Handler{Service: svc, Logger: logger}
	mux := http.NewServeMux()
	h.Mount(mux)
	mux.Handle("/scim/v2/Me", h.MeHandler())
	if e.h == nil {
		e.svc, e.h, e.mux, e.dir, e.acc = svc, h, mux, dir, acc
	}
	return mux
}

func (e *env) user(userName, display, externalID string) store.User {
	e.t.Helper()
	u, err := e.dir.CreateUser(context.Background(), cli, store.User{OrgID: e.org.ID, UserName: userName, DisplayName: display,
		ExternalID: externalID, Active: true, Attributes: json.RawMessage(`{"userName":"` + userName + `"}`)})
	if err != nil {
		e.t.Fatal(err)
	}
	return u
}

func (e *env) settings(p sso.Settings) {
	e.t.Helper()
	if _, err := e.svc.UpdateSettings(context.Background(), cli, e.org.ID, p); err != nil {
		e.t.Fatalf("UpdateSettings: %v", err)
	}
}

func ptr[T any](v T) *T { return &v }

func (e *env) sp() samltest.SP { return samltest.SP{EntityID: e.urls.EntityID, ACSURL: e.urls.ACSURL} }

// events returns the organization's events of the given type.
func (e *env) events(typ string) []store.Event {
	e.t.Helper()
	all, err := e.s.ListEvents(context.Background(), e.org.ID, 0, 10000)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []store.Event
	for _, ev := range all {
		if ev.Type == typ {
			out = append(out, ev)
		}
	}
	return out
}

// browser is a user agent with a cookie jar. Go's jar ignores SameSite, as
// a browser does for the SameSite=None binding cookie on the IdP's POST.
type browser struct {
	t   testing.TB
	jar *cookiejar.Jar
	// header is added to every request.
	header http.Header
}

func newBrowser(t testing.TB) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, jar: jar, header: http.Header{}}
}

func (b *browser) do(h http.Handler, req *http.Request) *http.Response {
	for _, c := range b.jar.Cookies(req.URL) {
		req.AddCookie(c)
	}
	for k, v := range b.header {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	resp := rec.Result()
	b.jar.SetCookies(req.URL, resp.Cookies())
	return resp
}

func (b *browser) get(h http.Handler, u string) *http.Response {
	return b.do(h, httptest.NewRequest(http.MethodGet, u, nil))
}

func (b *browser) postForm(h http.Handler, u string, form url.Values) *http.Response {
	req := httptest.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	// The IdP's auto-submitted form: a cross-site POST.
	req.Header.Set("Origin", "https://idp.example.test")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	return b.do(h, req)
}

func body(t testing.TB, resp *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// login starts an SP-initiated sign-in and returns the AuthnRequest ID and
// RelayState the IdP received.
func (e *env) login(b *browser, h http.Handler, returnTo string) (reqID, relay string) {
	e.t.Helper()
	u := e.urls.LoginURL
	if returnTo != "" {
		u += "?return_to=" + url.QueryEscape(returnTo)
	}
	resp := b.get(h, u)
	if resp.StatusCode != http.StatusFound {
		e.t.Fatalf("login: status %d: %s", resp.StatusCode, body(e.t, resp))
	}
	req := e.idp.ReadRedirect(e.t, resp.Header.Get("Location"))
	if req.ACSURL != e.urls.ACSURL {
		e.t.Errorf("AuthnRequest ACS URL = %q, want %q", req.ACSURL, e.urls.ACSURL)
	}
	return req.ID, req.RelayState
}

// response builds a signed response for the SP-initiated request reqID
// ("" for IdP-initiated) with the options o (SP filled in).
func (e *env) response(reqID string, o samltest.ResponseOptions) []byte {
	e.t.Helper()
	o.SP = e.sp()
	if reqID != "" && o.InResponseTo == "" {
		o.InResponseTo = reqID
	}
	return e.idp.ResponseXML(e.t, o)
}

func (e *env) acs(b *browser, h http.Handler, doc []byte, relay string) *http.Response {
	form := url.Values{"SAMLResponse": {samltest.Encode(doc)}}
	if relay != "" {
		form.Set("RelayState", relay)
	}
	return b.postForm(h, e.urls.ACSURL, form)
}

type whoami struct {
	UserID       string `json:"user_id"`
	UserName     string `json:"userName"`
	Organization struct {
		ID, Name string
	} `json:"organization"`
}

// whoami returns the status of GET /auth/whoami and its body.
func (e *env) whoami(b *browser, h http.Handler) (int, whoami) {
	e.t.Helper()
	resp := b.get(h, baseURL+"/auth/whoami")
	var w whoami
	if resp.StatusCode == http.StatusOK {
		if err := json.NewDecoder(resp.Body).Decode(&w); err != nil {
			e.t.Fatal(err)
		}
	}
	return resp.StatusCode, w
}

// signIn runs a complete SP-initiated sign-in for alice and fails the test
// unless it succeeds.
func (e *env) signIn(b *browser) {
	e.t.Helper()
	id, relay := e.login(b, e.mux, "/home")
	resp := e.acs(b, e.mux, e.response(id, samltest.ResponseOptions{}), relay)
	if resp.StatusCode != http.StatusSeeOther {
		e.t.Fatalf("sign-in: status %d: %s", resp.StatusCode, body(e.t, resp))
	}
}
