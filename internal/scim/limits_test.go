package scim_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/rosterhq/roster/internal/access"
	"github.com/rosterhq/roster/internal/directory"
	"github.com/rosterhq/roster/internal/scim"
	"github.com/rosterhq/roster/internal/server"
	"github.com/rosterhq/roster/internal/store"
)

// serveWith serves e's store through a handler configured by set, under
// the env's organization and token.
func serveWith(t *testing.T, e *env, s store.Store, set func(h *scim.Handler)) *env {
	h := &scim.Handler{Directory: &directory.Service{Store: s}, Orgs: &access.Service{Store: s}, Tokens: e.tokens, Logger: slog.New(slog.DiscardHandler)}
	set(h)
	srv := httptest.NewServer(server.New(&server.Server{Logger: slog.New(slog.DiscardHandler)}, h))
	t.Cleanup(srv.Close)
	h.BaseURL = srv.URL
	c := *e
	c.srv = srv
	return &c
}

// TestSortedQueriesAreBounded: a sorted query orders every match, so one
// matching more than MaxSorted is refused with tooMany, and a narrower
// one is answered.
func TestSortedQueriesAreBounded(t *testing.T) {
	e := sqliteEnv(t)
	small := serveWith(t, e, e.store, func(h *scim.Handler) { h.Limits.MaxSorted = 3 })
	for _, n := range []string{"dana", "eli", "fay", "gus", "hal"} {
		e.createUser(n+"@example.com", nil)
	}
	small.do("GET", "/scim/v2/Users?sortBy=userName", nil).isError(t, 400, "tooMany")
	small.do("POST", "/scim/v2/Users/.search", map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:SearchRequest"},
		"sortBy": "userName", "sortOrder": "descending"}).isError(t, 400, "tooMany")

	r := small.do("GET", "/scim/v2/Users?sortBy=userName&sortOrder=descending&filter="+url.QueryEscape(`userName sw "e" or userName sw "g"`), nil).must(t, 200)
	if got := r.str("Resources.0.userName") + " " + r.str("Resources.1.userName"); got != "gus@example.com eli@example.com" {
		t.Errorf("sorted narrow query answered %q, want gus then eli", got)
	}
	// Unsorted queries are not bounded: they page through an index.
	if r := small.do("GET", "/scim/v2/Users", nil).must(t, 200); resources(r) != 5 {
		t.Errorf("unsorted list answered %d users, want 5", resources(r))
	}
}

// failingStore fails every user query the way a database that went away
// does, with a message naming its internals.
type failingStore struct{ store.Store }

const internals = "dial tcp 10.0.3.7:5432: connect: connection refused (table users_values_fold)"

func (failingStore) QueryUsers(context.Context, string, store.Query) (store.Page[store.User], error) {
	return store.Page[store.User]{}, errors.New(internals)
}

func (failingStore) GetUser(context.Context, string, string) (store.User, error) {
	return store.User{}, errors.New(internals)
}

// TestInternalErrorsStayInside: a failure of roster itself is a 500 in
// RFC 7644 error form that names nothing of the machinery behind it.
func TestInternalErrorsStayInside(t *testing.T) {
	e := sqliteEnv(t)
	id := e.createUser("ivy@example.com", nil)
	broken := serveWith(t, e, failingStore{e.store}, func(h *scim.Handler) { h.LookupCacheBytes = -1 })
	for _, path := range []string{
		"/scim/v2/Users?filter=" + url.QueryEscape(`userName eq "ivy@example.com"`),
		"/scim/v2/Users/" + id,
	} {
		r := broken.do("GET", path, nil)
		if r.code != 500 {
			t.Fatalf("GET %s with the database gone: %d %s, want 500", path, r.code, r.raw)
		}
		if s, _ := r.body["status"].(string); s != "500" || r.body["schemas"] == nil {
			t.Errorf("GET %s: 500 body is not an RFC 7644 error: %s", path, r.raw)
		}
		for _, leak := range []string{"10.0.3.7", "5432", "dial", "users_values_fold", "refused"} {
			if bytes.Contains(r.raw, []byte(leak)) {
				t.Errorf("GET %s: the 500 body shows %q: %s", path, leak, r.raw)
			}
		}
		if d, _ := r.body["detail"].(string); strings.TrimSpace(d) == "" {
			t.Errorf("GET %s: the 500 body says nothing to act on: %s", path, r.raw)
		}
	}
}
