package scim_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"sync/atomic"
	"testing"

	"github.com/rosterhq/roster/internal/access"
	"github.com/rosterhq/roster/internal/directory"
	"github.com/rosterhq/roster/internal/scim"
	"github.com/rosterhq/roster/internal/server"
	"github.com/rosterhq/roster/internal/store"
)

// countingStore counts user queries, to tell cache hits from misses.
type countingStore struct {
	store.Store
	queries atomic.Int64
}

func (c *countingStore) QueryUsers(ctx context.Context, orgID string, q store.Query) (store.Page[store.User], error) {
	c.queries.Add(1)
	return c.Store.QueryUsers(ctx, orgID, q)
}

// twoInstances serves e's store twice: cached is the handler under test,
// other is a second roster instance without the lookup cache. Both render
// locations under cached's URL, so their answers compare byte for byte.
func twoInstances(t *testing.T, e *env) (cached, other *env, counter *countingStore) {
	counter = &countingStore{Store: e.store}
	serve := func(s store.Store, cacheBytes int) *env {
		h := &scim.Handler{Directory: &directory.Service{Store: s}, Orgs: &access.Service{Store: s}, Tokens: e.tokens,
			Logger: slog.New(slog.DiscardHandler), LookupCacheBytes: cacheBytes}
		srv := httptest.NewServer(server.New(&server.Server{Logger: slog.New(slog.DiscardHandler)}, h))
		t.Cleanup(srv.Close)
		h.BaseURL = e.srv.URL
		c := *e
		c.srv = srv
		return &c
	}
	return serve(counter, 0), serve(e.store, -1), counter
}

// TestLookupCacheAnswersAsTheStore changes a user in every way that shows
// in its representation, through this instance and through another one,
// and checks after each change that a userName lookup answers exactly
// what the store does, and from memory when nothing changed.
func TestLookupCacheAnswersAsTheStore(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		cached, other, counter := twoInstances(t, e)
		alice := cached.createUser("alice@example.com", map[string]any{"displayName": "Alice",
			"emails": []map[string]any{{"value": "alice@example.com", "type": "work", "primary": true}}})
		bob := cached.createUser("bob@example.com", nil)
		dana := cached.createUser("dana@example.com", map[string]any{"displayName": "Dana"})
		var group string
		look := "/scim/v2/Users?filter=" + url.QueryEscape(`userName eq "ALICE@example.com"`)
		patch := func(in *env, path, op, p string, value any) {
			r := in.do("PATCH", path, map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
				"Operations": []map[string]any{{"op": op, "path": p, "value": value}}})
			if r.code != 200 && r.code != 204 {
				t.Fatalf("PATCH %s %s: %d %s", path, p, r.code, r.raw)
			}
		}
		steps := []struct {
			name   string
			change func()
			// keeps: the change does not touch alice, so her entry
			// survives it and even the first lookup after it is served
			// from memory.
			keeps bool
		}{
			{"created", func() {}, false},
			{"created", func() {}, true},
			{"another user patched by the other instance", func() { patch(other, "/scim/v2/Users/"+bob, "replace", "displayName", "Bob B.") }, true},
			{"another user created", func() { cached.createUser("carol@example.com", nil) }, true},
			{"displayName patched here", func() { patch(cached, "/scim/v2/Users/"+alice, "replace", "displayName", "Alice A.") }, false},
			{"displayName patched by the other instance", func() { patch(other, "/scim/v2/Users/"+alice, "replace", "displayName", "Alice B.") }, false},
			{"added to a group", func() { group = cached.createGroup("Engineering", alice, bob) }, false},
			{"group renamed by the other instance", func() { patch(other, "/scim/v2/Groups/"+group, "replace", "displayName", "R&D") }, false},
			{"another member removed", func() {
				patch(cached, "/scim/v2/Groups/"+group, "remove", `members[value eq "`+bob+`"]`, nil)
			}, true},
			{"removed from the group by the other instance", func() {
				patch(other, "/scim/v2/Groups/"+group, "remove", `members[value eq "`+alice+`"]`, nil)
			}, false},
			{"added back", func() {
				patch(cached, "/scim/v2/Groups/"+group, "add", "members", []map[string]string{{"value": alice}})
			}, false},
			{"deactivated", func() { patch(cached, "/scim/v2/Users/"+alice, "replace", "active", false) }, false},
			{"group deleted by the other instance", func() { other.do("DELETE", "/scim/v2/Groups/"+group, nil).must(t, 204) }, false},
			{"userName changed", func() {
				patch(cached, "/scim/v2/Users/"+alice, "replace", "userName", "alice.smith@example.com")
				look = "/scim/v2/Users?filter=" + url.QueryEscape(`userName eq "alice.smith@example.com"`)
			}, false},
			{"manager set by the other instance", func() {
				patch(other, "/scim/v2/Users/"+alice, "replace", entURN+":manager", dana)
			}, false},
			{"manager renamed here", func() { patch(cached, "/scim/v2/Users/"+dana, "replace", "displayName", "Dana D.") }, false},
			{"manager renamed by the other instance", func() {
				patch(other, "/scim/v2/Users/"+dana, "replace", "displayName", "Dana E.")
			}, false},
			{"manager deleted by the other instance", func() { other.do("DELETE", "/scim/v2/Users/"+dana, nil).must(t, 204) }, false},
			{"another user deleted", func() { cached.do("DELETE", "/scim/v2/Users/"+bob, nil).must(t, 204) }, true},
			{"deleted by the other instance", func() { other.do("DELETE", "/scim/v2/Users/"+alice, nil).must(t, 204) }, false},
		}
		for _, step := range steps {
			step.change()
			want := other.do("GET", look, nil).must(t, 200).raw
			before := counter.queries.Load()
			got := cached.do("GET", look, nil).must(t, 200).raw
			if read := counter.queries.Load() - before; step.keeps && read != 0 {
				t.Errorf("after %s: %d store queries; want alice's entry to survive a change that is not hers", step.name, read)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("after %s: the lookup answered\n%s\nthe store answers\n%s", step.name, got, want)
			}
			before = counter.queries.Load()
			again := cached.do("GET", look, nil).must(t, 200).raw
			if !bytes.Equal(again, want) {
				t.Fatalf("after %s, asked again: the lookup answered\n%s\nthe store answers\n%s", step.name, again, want)
			}
			found := bytes.Contains(want, []byte(`"totalResults":1`))
			if read := counter.queries.Load() - before; found && read != 0 {
				t.Errorf("after %s, asked again with nothing changed: %d store queries, want the answer from memory", step.name, read)
			}
		}
	})
}

// TestLookupCacheKeepsTenantsApart looks up one userName in two
// organizations.
func TestLookupCacheKeepsTenantsApart(t *testing.T) {
	e := sqliteEnv(t)
	a := e.createUser("pat@example.com", map[string]any{"displayName": "Pat of A"})
	orgB, tokB := e.newOrg(store.PlanEnterprise)
	b := *e
	b.org, b.token = orgB, tokB
	bID := b.createUser("pat@example.com", map[string]any{"displayName": "Pat of B"})
	look := "/scim/v2/Users?filter=" + url.QueryEscape(`userName eq "pat@example.com"`)
	for i := 0; i < 2; i++ {
		if got := e.do("GET", look, nil).must(t, 200).str("Resources.0.id"); got != a {
			t.Errorf("organization A found %q, want its own user %q", got, a)
		}
		if got := b.do("GET", look, nil).must(t, 200).str("Resources.0.id"); got != bID {
			t.Errorf("organization B found %q, want its own user %q", got, bID)
		}
	}
}

// TestLookupCacheLeavesOtherListsAlone checks that requests which only
// look like the cached lookup get their own answers.
func TestLookupCacheLeavesOtherListsAlone(t *testing.T) {
	e := sqliteEnv(t)
	e.createUser("kim@example.com", map[string]any{"displayName": "Kim", "title": "Engineer"})
	base := `userName eq "kim@example.com"`
	e.do("GET", "/scim/v2/Users?filter="+url.QueryEscape(base), nil).must(t, 200) // fill the cache
	tests := []struct {
		query string
		check func(r resp) bool
	}{
		{"filter=" + url.QueryEscape(base) + "&attributes=userName", func(r resp) bool { return r.str("Resources.0.displayName") == "" }},
		{"filter=" + url.QueryEscape(base) + "&excludedAttributes=title", func(r resp) bool { return r.str("Resources.0.title") == "" }},
		{"filter=" + url.QueryEscape(base) + "&count=0", func(r resp) bool { return resources(r) == 0 }},
		{"filter=" + url.QueryEscape(base) + "&startIndex=2", func(r resp) bool { return resources(r) == 0 }},
		{"filter=" + url.QueryEscape(`userName ne "kim@example.com"`), func(r resp) bool { return resources(r) == 0 }},
		{"filter=" + url.QueryEscape(`userName eq "kim@example.com" and title eq "Chef"`), func(r resp) bool { return resources(r) == 0 }},
		{"filter=" + url.QueryEscape(`displayName eq "kim@example.com"`), func(r resp) bool { return resources(r) == 0 }},
	}
	for _, tc := range tests {
		r := e.do("GET", "/scim/v2/Users?"+tc.query, nil).must(t, 200)
		if !tc.check(r) {
			t.Errorf("GET /Users?%s answered %s", tc.query, r.raw)
		}
	}
}

// resources counts the resources of a list response.
func resources(r resp) int {
	list, _ := dig(r.body, "Resources").([]any)
	return len(list)
}
