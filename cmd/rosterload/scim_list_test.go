package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/rosterhq/roster/internal/access"
	"github.com/rosterhq/roster/internal/directory"
	"github.com/rosterhq/roster/internal/scim"
	"github.com/rosterhq/roster/internal/server"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/store/sqlite"
	"github.com/rosterhq/roster/internal/token"
)

// TestSeedSCIMStoresWhatSCIMStores posts scim-users' body through the SCIM
// handler and compares the stored record with the one seed-scim writes
// straight to the store: the benchmark's directory must be the one an
// initial sync makes.
func TestSeedSCIMStoresWhatSCIMStores(t *testing.T) {
	ctx := context.Background()
	s, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "r.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	actor := store.Actor{Kind: "cli"}
	org, err := (&access.Service{Store: s}).CreateOrg(ctx, actor, "Acme", store.PlanEnterprise)
	if err != nil {
		t.Fatal(err)
	}
	tokens := &token.Service{Store: s}
	tok, _, err := tokens.Create(ctx, actor, org.ID, store.TokenSCIM, "test")
	if err != nil {
		t.Fatal(err)
	}
	h := &scim.Handler{Directory: &directory.Service{Store: s}, Orgs: &access.Service{Store: s}, Tokens: tokens, Logger: slog.New(slog.DiscardHandler)}
	srv := httptest.NewServer(server.New(&server.Server{Logger: slog.New(slog.DiscardHandler), MaxBody: 1 << 20}, h))
	defer srv.Close()
	h.BaseURL = srv.URL

	for _, i := range []int{7, 50} { // an active user and an inactive one
		active := i%50 != 0
		req, _ := http.NewRequest("POST", srv.URL+"/scim/v2/Users", strings.NewReader(scimUserBody("load", i, active)))
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/scim+json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusCreated {
			t.Fatalf("POST /Users: %d %s", res.StatusCode, b)
		}
		var created struct{ ID string }
		if err := json.Unmarshal(b, &created); err != nil {
			t.Fatal(err)
		}
		got, err := s.GetUser(ctx, org.ID, created.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := scimUser(org.ID, created.ID, "load", i)
		if got.UserName != want.UserName || got.ExternalID != want.ExternalID || got.DisplayName != want.DisplayName || got.Active != want.Active {
			t.Errorf("user %d columns: SCIM stored %+v, seed-scim writes %+v", i, got, want)
		}
		var gotDoc, wantDoc any
		if err := json.Unmarshal(got.Attributes, &gotDoc); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(want.Attributes, &wantDoc); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(gotDoc, wantDoc) {
			t.Errorf("user %d document:\nSCIM stored   %s\nseed-scim has %s", i, got.Attributes, want.Attributes)
		}
		// The indexed values: what filters and sorts read.
		for _, v := range want.Values {
			f := store.Cmp{Field: store.Field{Attr: v.Attr, Sub: v.Sub}, Op: store.OpEq, Value: v.Str}
			p, err := s.QueryUsers(ctx, org.ID, store.Query{Filter: store.And{L: f, R: store.Cmp{Field: store.Field{Attr: "id"}, Op: store.OpEq, Value: created.ID}}, Limit: 1})
			if err != nil || p.Total != 1 {
				t.Errorf("user %d: SCIM did not index %s.%s = %q as seed-scim does (total %d, err %v)", i, v.Attr, v.Sub, v.Str, p.Total, err)
			}
		}
	}
}
