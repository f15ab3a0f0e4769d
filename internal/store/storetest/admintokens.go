package storetest

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/store"
)

// testAdminTokens pins the AdminTokenStore contract: instance admin keys
// are kept apart from every organization's tokens, listed newest first with
// the revoked ones, revoked once, and never written to an organization's
// event log.
func testAdminTokens(t *testing.T, s store.Store) {
	ctx := context.Background()
	o := mustOrg(t, s)
	hash := []byte("0123456789abcdef0123456789abcdef")
	admin := func(name string) store.Token {
		return store.Token{ID: id("ak"), Kind: store.TokenAdmin, Name: name, SecretHash: hash, Hint: name[:1] + "xyz"}
	}
	a, err := s.CreateAdminToken(ctx, admin("ops"))
	if err != nil {
		t.Fatalf("CreateAdminToken: %v", err)
	}
	if a.CreatedAt.IsZero() || a.Revoked() || !a.LastUsedAt.IsZero() {
		t.Errorf("CreateAdminToken = %+v; want a creation time, not used, not revoked", a)
	}
	b, err := s.CreateAdminToken(ctx, admin("billing"))
	if err != nil {
		t.Fatal(err)
	}

	// Refusals: an admin key is of kind admin, belongs to no organization,
	// and its id is unique.
	for name, bad := range map[string]store.Token{
		"with an organization": {ID: id("ak"), Kind: store.TokenAdmin, OrgID: o.ID, SecretHash: hash},
		"of another kind":      {ID: id("ak"), Kind: store.TokenAPI, SecretHash: hash},
		"without a hash":       {ID: id("ak"), Kind: store.TokenAdmin},
		"without an id":        {Kind: store.TokenAdmin, SecretHash: hash},
	} {
		if _, err := s.CreateAdminToken(ctx, bad); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("CreateAdminToken %s err = %v, want ErrInvalid", name, err)
		}
	}
	if _, err := s.CreateAdminToken(ctx, store.Token{ID: a.ID, Kind: store.TokenAdmin, SecretHash: hash}); !errors.Is(err, store.ErrConflict) {
		t.Errorf("CreateAdminToken with a taken id err = %v, want ErrConflict", err)
	}

	got, err := s.GetAdminToken(ctx, a.ID)
	if err != nil || got.Kind != store.TokenAdmin || got.OrgID != "" || got.Name != "ops" || string(got.SecretHash) != string(hash) || got.Hint != "oxyz" {
		t.Errorf("GetAdminToken = %+v, %v", got, err)
	}
	if _, err := s.GetAdminToken(ctx, "ak-missing"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetAdminToken(missing) err = %v, want ErrNotFound", err)
	}
	used := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	if err := s.TouchAdminToken(ctx, a.ID, used); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.GetAdminToken(ctx, a.ID); !got.LastUsedAt.Equal(used) {
		t.Errorf("LastUsedAt = %v, want %v", got.LastUsedAt, used)
	}

	// Apart from organization tokens, both ways.
	tk, err := s.CreateToken(ctx, cli, store.Token{ID: id("tk"), OrgID: o.ID, Kind: store.TokenAPI, Name: "app", SecretHash: hash, Hint: "abcd"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetToken(ctx, a.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("an admin key reads as an organization token: %v", err)
	}
	if _, err := s.GetAdminToken(ctx, tk.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("an organization token reads as an admin key: %v", err)
	}
	if _, err := s.RevokeAdminToken(ctx, tk.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("RevokeAdminToken of an organization token err = %v, want ErrNotFound", err)
	}
	if got, _ := s.GetToken(ctx, tk.ID); got.Revoked() {
		t.Error("RevokeAdminToken revoked an organization token")
	}

	list, err := s.ListAdminTokens(ctx)
	if ids := tokenIDs(list); err != nil || !slices.Equal(ids, []string{b.ID, a.ID}) {
		t.Fatalf("ListAdminTokens = %v, %v; want %v (newest first, no organization tokens)", ids, err, []string{b.ID, a.ID})
	}

	r, err := s.RevokeAdminToken(ctx, a.ID)
	if err != nil || !r.Revoked() || r.ID != a.ID || r.Name != "ops" {
		t.Fatalf("RevokeAdminToken = %+v, %v", r, err)
	}
	again, err := s.RevokeAdminToken(ctx, a.ID)
	if err != nil || !again.RevokedAt.Equal(r.RevokedAt) {
		t.Errorf("second RevokeAdminToken = %+v, %v; want it unchanged at %v", again, err, r.RevokedAt)
	}
	if _, err := s.RevokeAdminToken(ctx, "ak-missing"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("RevokeAdminToken(missing) err = %v, want ErrNotFound", err)
	}
	list, err = s.ListAdminTokens(ctx)
	if err != nil || len(list) != 2 || list[0].Revoked() || !list[1].Revoked() {
		t.Errorf("ListAdminTokens after a revoke = %+v, %v; want the revoked key still listed, as revoked", list, err)
	}
	if got, _ := s.GetAdminToken(ctx, b.ID); got.Revoked() {
		t.Error("revoking one admin key revoked another")
	}

	// Admin keys are no organization's business.
	if got, want := eventTypes(events(t, s, o.ID)), []string{"org.created", "token.created"}; !slices.Equal(got, want) {
		t.Errorf("organization events = %v, want %v", got, want)
	}
}

func tokenIDs(ts []store.Token) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.ID
	}
	return out
}
