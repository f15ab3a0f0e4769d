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

// TestRevocationReachesOtherInstances: two instances share a PostgreSQL
// database and cache token records for an hour; a token revoked through
// one stops working on the other within moments, not when its cache
// expires. An instance that does not watch shows the cache would hide it.
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
	text, tok, err := a.Create(ctx, cli, org.ID, store.TokenSCIM, "okta")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []*token.Service{b, unwatched} {
		if _, err := s.Authenticate(ctx, store.TokenSCIM, text); err != nil {
			t.Fatalf("before revocation: %v", err)
		}
	}
	if _, err := a.Revoke(ctx, cli, org.ID, tok.ID); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for {
		_, err := b.Authenticate(ctx, store.TokenSCIM, text)
		if errors.Is(err, token.ErrUnauthorized) {
			t.Logf("revocation took effect on the other instance after %v", time.Since(start))
			break
		}
		if time.Since(start) > 2*time.Second {
			t.Fatalf("the other instance still accepts the revoked token after %v (err %v)", time.Since(start), err)
		}
		time.Sleep(time.Millisecond)
	}
	if _, err := unwatched.Authenticate(ctx, store.TokenSCIM, text); err != nil {
		t.Fatalf("an instance that does not watch already refuses (%v): the test proves nothing", err)
	}
}

// TestAdminKeyRevocationReachesOtherInstances: the same for admin keys,
// which live in a table of their own and are cached under keys of their
// own.
func TestAdminKeyRevocationReachesOtherInstances(t *testing.T) {
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
	text, key, err := a.CreateAdmin(ctx, cli, "provisioning")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []*token.Service{b, unwatched} {
		if _, err := s.Authenticate(ctx, store.TokenAdmin, text); err != nil {
			t.Fatalf("before revocation: %v", err)
		}
	}
	if _, err := a.RevokeAdmin(ctx, cli, key.ID); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for {
		_, err := b.Authenticate(ctx, store.TokenAdmin, text)
		if errors.Is(err, token.ErrUnauthorized) {
			break
		}
		if time.Since(start) > 2*time.Second {
			t.Fatalf("the other instance still accepts the revoked admin key after %v (err %v)", time.Since(start), err)
		}
		time.Sleep(time.Millisecond)
	}
	if _, err := unwatched.Authenticate(ctx, store.TokenAdmin, text); err != nil {
		t.Fatalf("an instance that does not watch already refuses (%v): the test proves nothing", err)
	}
}
