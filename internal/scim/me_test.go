package scim_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/rosterhq/roster/internal/access"
	"github.com/rosterhq/roster/internal/directory"
	"github.com/rosterhq/roster/internal/scim"
	"github.com/rosterhq/roster/internal/server"
)

// TestMeUsesTheSession checks that /Me is served by the sign-in surface,
// which identifies users by their session rather than by a SCIM token, and
// that it renders the user as GET /Users/{id} does.
func TestMeUsesTheSession(t *testing.T) {
	e := sqliteEnv(t)
	id := e.createUser("me@example.com", map[string]any{"displayName": "Me"})
	gid := e.createGroup("Mine", id)
	h := &scim.Handler{Directory: &directory.Service{Store: e.store}, Orgs: &access.Service{Store: e.store}, Tokens: e.tokens, Logger: slog.New(slog.DiscardHandler)}
	// The stand-in for the sign-in surface: a request with the header is
	// "signed in" as the user.
	h.Me = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Test-User") == "" {
			http.Error(w, "not signed in", http.StatusUnauthorized)
			return
		}
		u, err := e.store.GetUser(context.Background(), e.org, r.Header.Get("X-Test-User"))
		if err != nil {
			t.Fatal(err)
		}
		h.ServeUser(w, r, u)
	})
	srv := httptest.NewServer(server.New(&server.Server{Logger: slog.New(slog.DiscardHandler)}, h))
	defer srv.Close()
	h.BaseURL = srv.URL

	req, _ := http.NewRequest("GET", srv.URL+"/scim/v2/Me", nil)
	req.Header.Set("X-Test-User", id)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var me map[string]any
	json.NewDecoder(res.Body).Decode(&me)
	groups, _ := me["groups"].([]any)
	if res.StatusCode != 200 || me["userName"] != "me@example.com" || len(groups) != 1 || groups[0].(map[string]any)["value"] != gid || res.Header.Get("ETag") == "" {
		t.Errorf("/Me without a bearer token = %d %v", res.StatusCode, me)
	}
	res2, _ := http.Get(srv.URL + "/scim/v2/Me")
	res2.Body.Close()
	if res2.StatusCode != http.StatusUnauthorized {
		t.Errorf("/Me without a session = %d, want 401", res2.StatusCode)
	}
}
