package console_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/access"
	"github.com/rosterhq/roster/internal/console"
	"github.com/rosterhq/roster/internal/directory"
	"github.com/rosterhq/roster/internal/events"
	"github.com/rosterhq/roster/internal/reqlog"
	"github.com/rosterhq/roster/internal/scim"
	"github.com/rosterhq/roster/internal/server"
	"github.com/rosterhq/roster/internal/signin"
	"github.com/rosterhq/roster/internal/sso"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/store/postgres/pgtest"
	"github.com/rosterhq/roster/internal/store/sqlite"
	"github.com/rosterhq/roster/internal/token"
)

// env is roster's SCIM endpoint and console over one store.
type env struct {
	t      testing.TB
	store  store.Store
	tokens *token.Service
	acc    *access.Service
	dir    *directory.Service
	srv    *httptest.Server
	// log records the SCIM requests for the provisioning log.
	log   *reqlog.Recorder
	sso   *sso.Service
	hooks *events.Service
	// signin is the SAML edge owners sign in through and the Test
	// sign-in goes through.
	signin *signin.Handler
	// owners is the console; its RateLimits are read per request, so a
	// test may set them before it sends any.
	owners *console.Handler
}

// engines are the stores the console is tested on.
var engines = []struct {
	name string
	open func(t testing.TB) store.Store
}{
	{"sqlite", func(t testing.TB) store.Store {
		s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "roster.db"), sqlite.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}},
	{"postgres", func(t testing.TB) store.Store { return pgtest.Open(t, nil) }},
}

func newEnv(t testing.TB, s store.Store) *env {
	t.Helper()
	t.Cleanup(func() { s.Close() })
	e := &env{t: t, store: s, tokens: &token.Service{Store: s}}
	res := &access.Resolver{Store: s, Logger: slog.New(slog.DiscardHandler)}
	dir := &directory.Service{Store: s, Changed: res.Invalidate}
	e.acc = &access.Service{Store: s, Resolver: res}
	e.dir = dir
	e.sso = &sso.Service{Store: s, Orgs: e.acc, Users: dir, Joiner: e.acc, Logger: slog.New(slog.DiscardHandler)}
	// The member sign-in surface, for owners signing in through SSO and
	// the SAML page's Test sign-in.
	e.signin = &signin.Handler{Service: e.sso, Logger: slog.New(slog.DiscardHandler), RosterPaths: []string{console.Prefix + "/sso/"},
		TestResultPath: console.Prefix + "/saml/test/"}
	e.log = &reqlog.Recorder{Store: s, Logger: slog.New(slog.DiscardHandler), Flush: 10 * time.Millisecond}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); e.log.Run(ctx) }()
	t.Cleanup(func() { stop(); <-done }) // before the store closes
	provisioning := &scim.Handler{Directory: dir, Orgs: e.acc, Tokens: e.tokens, Logger: slog.New(slog.DiscardHandler), Log: e.log}
	// Webhooks may reach the tests' loopback receivers.
	e.hooks = &events.Service{Store: s, Targets: events.Targets{AllowPrivate: true}}
	owners := &console.Handler{
		Tokens:  e.tokens,
		Orgs:    e.acc,
		Groups:  dir,
		SAML:    e.sso,
		Sharing: e.acc,
		WhoHas:  res,
		Names:   dir,

		Requests:       &reqlog.Service{Store: s},
		RequestLogDays: 30,
		// The groups, users, settings and events pages.
		Directory: dir,
		Reach:     res,
		Admin:     e.acc,
		Domains:   e.sso,
		SignIns:   e.sso,
		Tester:    e.signin,
		Logger:    slog.New(slog.DiscardHandler),

		Webhooks: e.hooks,
		Members:  e.signin,
		Roles:    res,
	}
	e.owners = owners
	srv := server.New(&server.Server{Logger: slog.New(slog.DiscardHandler)}, provisioning, owners, e.signin)
	e.srv = httptest.NewServer(srv)
	t.Cleanup(e.srv.Close)
	provisioning.BaseURL, owners.BaseURL, e.sso.BaseURL = e.srv.URL, e.srv.URL, e.srv.URL
	return e
}

func (e *env) org(name string) store.Org {
	e.t.Helper()
	o, err := e.acc.CreateOrg(context.Background(), store.Actor{Kind: "cli"}, name, store.PlanEnterprise)
	if err != nil {
		e.t.Fatal(err)
	}
	return o
}

// link returns a setup link's URL for the organization.
func (e *env) link(orgID string) string {
	e.t.Helper()
	text, _, err := e.tokens.CreateLink(context.Background(), store.Actor{Kind: "cli"}, orgID, 0)
	if err != nil {
		e.t.Fatal(err)
	}
	return e.srv.URL + console.Prefix + "/enter/" + text
}

// browser is an HTTP client with cookies that does not follow redirects.
type browser struct {
	t testing.TB
	c *http.Client
}

func newBrowser(t testing.TB) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

type page struct {
	code int
	body string
	hdr  http.Header
}

func (b *browser) get(u string) page {
	b.t.Helper()
	resp, err := b.c.Get(u)
	if err != nil {
		b.t.Fatal(err)
	}
	return read(b.t, resp)
}

func (b *browser) post(u string, form url.Values) page {
	b.t.Helper()
	resp, err := b.c.PostForm(u, form)
	if err != nil {
		b.t.Fatal(err)
	}
	return read(b.t, resp)
}

func read(t testing.TB, resp *http.Response) page {
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return page{resp.StatusCode, string(body), resp.Header}
}

// enter spends a setup link in the browser and returns the overview.
func (b *browser) enter(link string) page {
	b.t.Helper()
	p := b.get(link)
	if p.code != http.StatusOK {
		b.t.Fatalf("setup link page: %d %s", p.code, p.body)
	}
	text := link[strings.LastIndex(link, "/")+1:]
	base := link[:strings.Index(link, console.Prefix)]
	if p = b.post(base+console.Prefix+"/enter", url.Values{"link": {text}}); p.code != http.StatusSeeOther {
		b.t.Fatalf("entering: %d %s", p.code, p.body)
	}
	return b.get(base + p.hdr.Get("Location"))
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func csrf(t testing.TB, p page) string {
	t.Helper()
	m := csrfField.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no CSRF token on the page: %s", p.body)
	}
	return m[1]
}
