package auth_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rosterhq/roster/internal/auth"
	"github.com/rosterhq/roster/internal/fault"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/store/sqlite"
	"github.com/rosterhq/roster/internal/token"
)

func TestSurface(t *testing.T) {
	ctx := context.Background()
	s, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "roster.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	org, err := s.CreateOrg(ctx, store.Actor{Kind: "cli"}, store.Org{ID: "org-a", Name: "A", Plan: store.PlanEnterprise, Settings: store.DefaultSettings()})
	if err != nil {
		t.Fatal(err)
	}
	tokens := &token.Service{Store: s}
	scimText, scimTok, err := tokens.Create(ctx, store.Actor{Kind: "cli"}, org.ID, store.TokenSCIM, "okta")
	if err != nil {
		t.Fatal(err)
	}
	apiText, apiTok, err := tokens.Create(ctx, store.Actor{Kind: "cli"}, org.ID, store.TokenAPI, "host")
	if err != nil {
		t.Fatal(err)
	}
	revokedText, revoked, err := tokens.Create(ctx, store.Actor{Kind: "cli"}, org.ID, store.TokenAPI, "old")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tokens.Revoke(ctx, store.Actor{Kind: "cli"}, org.ID, revoked.ID); err != nil {
		t.Fatal(err)
	}
	hostAPI := &auth.Surface{Name: "the host API", Accept: []auth.Kind{auth.APIKey}, Tokens: tokens}

	for _, tc := range []struct {
		name, header string
		want         auth.Principal
		kind         fault.Kind
		msg          string // a part of the refusal's message
	}{
		{"API key", "Bearer " + apiText, auth.Principal{Kind: auth.APIKey, OrgID: org.ID, KeyID: apiTok.ID, Name: "host"}, "", ""},
		{"scheme case", "bearer " + apiText, auth.Principal{Kind: auth.APIKey, OrgID: org.ID, KeyID: apiTok.ID, Name: "host"}, "", ""},
		{"no header", "", auth.Principal{}, fault.Unauthorized, "roster apikey create --org ID"},
		{"basic", "Basic dXNlcjpwYXNz", auth.Principal{}, fault.Unauthorized, "Authorization: Bearer"},
		{"garbage", "Bearer hello", auth.Principal{}, fault.Unauthorized, "invalid or revoked"},
		{"revoked", "Bearer " + revokedText, auth.Principal{}, fault.Unauthorized, "invalid or revoked"},
		{"tampered", "Bearer " + apiText[:len(apiText)-1] + "x", auth.Principal{}, fault.Unauthorized, "invalid or revoked"},
		{"SCIM token", "Bearer " + scimText, auth.Principal{}, fault.WrongCredential, "this is a SCIM token; the host API takes an organization API key: roster apikey create --org ID"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/api/v1/org", nil)
			if tc.header != "" {
				r.Header.Set("Authorization", tc.header)
			}
			var got auth.Principal
			var refused error
			h := hostAPI.Require(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				got, _ = auth.FromContext(r.Context())
			}), func(w http.ResponseWriter, r *http.Request, err error) { refused = err })
			h.ServeHTTP(httptest.NewRecorder(), r)
			if tc.kind == "" {
				if refused != nil || got != tc.want {
					t.Fatalf("principal = %+v, refused %v; want %+v", got, refused, tc.want)
				}
				return
			}
			kind, msg, ok := fault.As(refused)
			if !ok || kind != tc.kind || !strings.Contains(msg, tc.msg) {
				t.Fatalf("refusal = %v (kind %q); want kind %q with %q", refused, kind, tc.kind, tc.msg)
			}
			if got != (auth.Principal{}) {
				t.Fatalf("handler ran for a refused request as %+v", got)
			}
		})
	}
	if p := (auth.Principal{Kind: auth.SCIMToken, OrgID: org.ID, KeyID: scimTok.ID, Name: "okta"}).Actor(); p != (store.Actor{Kind: "scim_token", ID: scimTok.ID, Name: "okta"}) {
		t.Errorf("Actor = %+v", p)
	}
}
