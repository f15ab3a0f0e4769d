package token_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/store/postgres"
	"github.com/rosterhq/roster/internal/store/postgres/pgtest"
	"github.com/rosterhq/roster/internal/token"
)

// TestRevocationReachesOtherInstances: three instances share a PostgreSQL
// database and cache credentials for an hour; a SCIM token or an admin key
// (which lives in a table of its own and is cached under keys of its own)
// revoked through one stops working on a watching one within moments, not
// when its cache expires. The instance that does not watch shows the cache
// would hide it.
func TestRevocationReachesOtherInstances(t *testing.T) {
	url := pgtest.URL(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	open := func() *token.Service {
		s, err := postgres.Open(ctx, url, postgres.Options{MaxConns: 4})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return &token.Service{Store: s, CacheTTL: time.Hour}
	}
	a, b, unwatched := open(), open(), open()
	if err := b.Watch(ctx); err != nil {
		t.Fatal(err)
	}
	cli := store.Actor{Kind: "cli"}
	org, err := a.Store.(store.OrgStore).CreateOrg(ctx, cli, store.Org{ID: "org-1", Name: "Acme", Plan: store.PlanEnterprise, Settings: store.DefaultSettings()})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		kind   store.TokenKind
		create func() (string, store.Token, error)
		revoke func(id string) error
	}{
		{store.TokenSCIM,
			func() (string, store.Token, error) { return a.Create(ctx, cli, org.ID, store.TokenSCIM, "okta") },
			func(id string) error { _, err := a.Revoke(ctx, cli, org.ID, id); return err }},
		{store.TokenAdmin,
			func() (string, store.Token, error) { return a.CreateAdmin(ctx, cli, "provisioning") },
			func(id string) error { _, err := a.RevokeAdmin(ctx, cli, id); return err }},
	} {
		t.Run(string(tc.kind), func(t *testing.T) {
			text, tok, err := tc.create()
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range []*token.Service{b, unwatched} {
				if _, err := s.Authenticate(ctx, tc.kind, text); err != nil {
					t.Fatalf("before revocation: %v", err)
				}
			}
			if err := tc.revoke(tok.ID); err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			for {
				_, err := b.Authenticate(ctx, tc.kind, text)
				if errors.Is(err, token.ErrUnauthorized) {
					t.Logf("revocation took effect on the other instance after %v", time.Since(start))
					break
				}
				if time.Since(start) > 2*time.Second {
					t.Fatalf("the other instance still accepts the revoked credential after %v (err %v)", time.Since(start), err)
				}
				time.Sleep(time.Millisecond)
			}
			if _, err := unwatched.Authenticate(ctx, tc.kind, text); err != nil {
				t.Fatalf("an instance that does not watch already refuses (%v): the test proves nothing", err)
			}
		})
	}
}
