package scim_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/access"
	"github.com/rosterhq/roster/internal/directory"
	"github.com/rosterhq/roster/internal/reqlog"
	"github.com/rosterhq/roster/internal/scim"
	"github.com/rosterhq/roster/internal/server"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/store/postgres/pgtest"
	"github.com/rosterhq/roster/internal/store/sqlite"
	"github.com/rosterhq/roster/internal/token"
)

// env is a running roster with one enterprise organization and its token.
type env struct {
	t      testing.TB
	store  store.Store
	srv    *httptest.Server
	org    string
	token  string
	tokens *token.Service
	// log is the provisioning log's recorder, writing to store.
	log *reqlog.Recorder
}

// engines runs fn against SQLite and, when configured, PostgreSQL.
func engines(t *testing.T, fn func(t *testing.T, e *env)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) {
		s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "r.db"), sqlite.Options{})
		if err != nil {
			t.Fatal(err)
		}
		fn(t, newEnv(t, s))
	})
	t.Run("postgres", func(t *testing.T) {
		fn(t, newEnv(t, pgtest.Open(t, nil)))
	})
}

// sqliteEnv is for tests whose subject does not depend on the engine.
func sqliteEnv(t *testing.T) *env { return sqliteEnvTB(t) }

func sqliteEnvTB(t testing.TB) *env {
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "r.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return newEnv(t, s)
}

func newEnv(t testing.TB, s store.Store) *env {
	t.Helper()
	t.Cleanup(func() { s.Close() })
	e := &env{t: t, store: s, tokens: &token.Service{Store: s}}
	e.log = &reqlog.Recorder{Store: s, Logger: slog.New(slog.DiscardHandler), Flush: 10 * time.Millisecond}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); e.log.Run(ctx) }()
	t.Cleanup(func() { stop(); <-done }) // before the store closes
	h := &scim.Handler{
		Directory: &directory.Service{Store: s}, Orgs: &access.Service{Store: s},
		Tokens: e.tokens,
		Logger: slog.New(slog.DiscardHandler),
		Log:    e.log,
	}
	srv := server.New(&server.Server{Logger: slog.New(slog.DiscardHandler), MaxBody: 64 << 20}, h)
	e.srv = httptest.NewServer(srv)
	t.Cleanup(e.srv.Close)
	h.BaseURL = e.srv.URL
	e.org, e.token = e.newOrg(store.PlanEnterprise)
	return e
}

func (e *env) newOrg(plan store.Plan) (orgID, tok string) {
	e.t.Helper()
	ctx := context.Background()
	o, err := (&access.Service{Store: e.store}).CreateOrg(ctx, store.Actor{Kind: "cli"}, "Acme", plan)
	if err != nil {
		e.t.Fatal(err)
	}
	text, _, err := e.tokens.Create(ctx, store.Actor{Kind: "cli"}, o.ID, store.TokenSCIM, "okta")
	if err != nil {
		e.t.Fatal(err)
	}
	return o.ID, text
}

// resp is a response with its body decoded.
type resp struct {
	code   int
	header http.Header
	raw    []byte
	body   map[string]any
}

func (r resp) str(path string) string {
	v := dig(r.body, path)
	s, _ := v.(string)
	return s
}

// dig walks a dotted path with numeric indexes: "Resources.0.id".
func dig(v any, path string) any {
	for _, p := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			v = x[p]
		case []any:
			i := 0
			for _, c := range p {
				i = i*10 + int(c-'0')
			}
			if i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}

type hdr map[string]string

// do sends a request with the env's token unless headers override it.
func (e *env) do(method, path string, body any, h ...hdr) resp {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+e.token)
	if rd != nil {
		req.Header.Set("Content-Type", "application/scim+json")
	}
	for _, m := range h {
		for k, v := range m {
			if v == "" {
				req.Header.Del(k)
			} else {
				req.Header.Set(k, v)
			}
		}
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	r := resp{code: res.StatusCode, header: res.Header, raw: raw}
	if len(raw) > 0 {
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		if err := dec.Decode(&r.body); err != nil {
			e.t.Fatalf("%s %s: body is not JSON: %v\n%s", method, path, err, raw)
		}
		if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/scim+json") {
			e.t.Errorf("%s %s: Content-Type %q, want application/scim+json", method, path, ct)
		}
	}
	return r
}

// must asserts the status code.
func (r resp) must(t *testing.T, code int) resp {
	t.Helper()
	if r.code != code {
		t.Fatalf("status %d, want %d: %s", r.code, code, r.raw)
	}
	return r
}

// isError asserts an RFC 7644 §3.12 error with status and scimType.
func (r resp) isError(t *testing.T, code int, scimType string) {
	t.Helper()
	if r.code != code {
		t.Fatalf("status %d, want %d: %s", r.code, code, r.raw)
	}
	schemas, _ := r.body["schemas"].([]any)
	if len(schemas) != 1 || schemas[0] != "urn:ietf:params:scim:api:messages:2.0:Error" {
		t.Errorf("error schemas = %v", r.body["schemas"])
	}
	if s, ok := r.body["status"].(string); !ok || s != itoa(code) {
		t.Errorf("error status = %#v, want the string %q", r.body["status"], itoa(code))
	}
	if got, _ := r.body["scimType"].(string); got != scimType {
		t.Errorf("scimType = %q, want %q (detail %q)", got, scimType, r.body["detail"])
	}
	if d, _ := r.body["detail"].(string); d == "" {
		t.Errorf("error without detail")
	}
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func (e *env) createUser(userName string, extra map[string]any) string {
	e.t.Helper()
	body := map[string]any{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:User"}, "userName": userName}
	for k, v := range extra {
		body[k] = v
	}
	r := e.do("POST", "/scim/v2/Users", body)
	if r.code != 201 {
		e.t.Fatalf("create user %q: %d %s", userName, r.code, r.raw)
	}
	return r.str("id")
}

func (e *env) createGroup(name string, members ...string) string {
	e.t.Helper()
	ms := []map[string]string{}
	for _, m := range members {
		ms = append(ms, map[string]string{"value": m})
	}
	r := e.do("POST", "/scim/v2/Groups", map[string]any{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:Group"}, "displayName": name, "members": ms})
	if r.code != 201 {
		e.t.Fatalf("create group %q: %d %s", name, r.code, r.raw)
	}
	return r.str("id")
}
