package storetest

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/store"
)

func testConsole(t *testing.T, s store.Store) {
	ctx := context.Background()
	a, b := mustOrg(t, s), mustOrg(t, s)
	// The store's clock, not the wall's, decides expiry: read it off a write.
	now := a.CreatedAt
	link := store.ConsoleLink{ID: id("link"), OrgID: a.ID, SecretHash: hash("secret"), Hint: "abcd", ExpiresAt: now.Add(time.Hour)}
	created, err := s.CreateConsoleLink(ctx, cli, link)
	if err != nil {
		t.Fatal(err)
	}
	if created.CreatedBy != cli || created.CreatedAt.IsZero() {
		t.Errorf("created link = %+v; want created by %+v with a time", created, cli)
	}
	if _, err := s.CreateConsoleLink(ctx, cli, store.ConsoleLink{ID: id("link"), OrgID: "nope", SecretHash: hash("x"), ExpiresAt: now.Add(time.Hour)}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("link for a missing organization: err = %v, want ErrNotFound", err)
	}
	got, err := s.GetConsoleLink(ctx, link.ID)
	if err != nil || got.OrgID != a.ID || string(got.SecretHash) != string(link.SecretHash) || !got.UsedAt.IsZero() {
		t.Fatalf("GetConsoleLink = %+v, %v", got, err)
	}
	if list, err := s.ListConsoleLinks(ctx, b.ID, 10); err != nil || len(list) != 0 {
		t.Errorf("organization B lists A's links: %+v, %v", list, err)
	}

	// Two browsers race with one link: one session.
	sess := func(tag string) store.ConsoleSession {
		return store.ConsoleSession{IDHash: hash(tag), OrgID: a.ID, Actor: store.Actor{Kind: "console_link", ID: link.ID},
			IdleExpiresAt: now.Add(30 * time.Minute), ExpiresAt: now.Add(12 * time.Hour)}
	}
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.UseConsoleLink(ctx, link.ID, sess(string(rune('a'+i))))
		}()
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, store.ErrConflict):
			t.Errorf("losing UseConsoleLink err = %v, want ErrConflict", err)
		}
	}
	if won != 1 {
		t.Fatalf("%d browsers got a session from one link, want 1", won)
	}
	if got, _ := s.GetConsoleLink(ctx, link.ID); got.UsedAt.IsZero() {
		t.Error("a used link has no UsedAt")
	}
	var mine store.ConsoleSession
	for i, err := range errs {
		if err == nil {
			mine = sess(string(rune('a' + i)))
		}
	}
	ss, err := s.GetConsoleSession(ctx, mine.IDHash)
	if err != nil || ss.OrgID != a.ID || ss.Actor.ID != link.ID {
		t.Fatalf("GetConsoleSession = %+v, %v", ss, err)
	}
	if err := s.TouchConsoleSession(ctx, mine.IDHash, now.Add(time.Minute), now.Add(100*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if ss, _ := s.GetConsoleSession(ctx, mine.IDHash); !ss.IdleExpiresAt.Equal(ss.ExpiresAt) {
		t.Errorf("touch moved the idle expiry past the absolute one: %v > %v", ss.IdleExpiresAt, ss.ExpiresAt)
	}

	// Expired and revoked links are refused.
	old := store.ConsoleLink{ID: id("link"), OrgID: a.ID, SecretHash: hash("old"), ExpiresAt: now.Add(-time.Minute)}
	if _, err := s.CreateConsoleLink(ctx, cli, old); err != nil {
		t.Fatal(err)
	}
	if err := s.UseConsoleLink(ctx, old.ID, sess("old")); !errors.Is(err, store.ErrConflict) {
		t.Errorf("expired link: err = %v, want ErrConflict", err)
	}
	rev := store.ConsoleLink{ID: id("link"), OrgID: a.ID, SecretHash: hash("rev"), ExpiresAt: now.Add(time.Hour)}
	if _, err := s.CreateConsoleLink(ctx, cli, rev); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RevokeConsoleLink(ctx, cli, b.ID, rev.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("organization B revoking A's link: err = %v, want ErrNotFound", err)
	}
	if l, err := s.RevokeConsoleLink(ctx, cli, a.ID, rev.ID); err != nil || l.RevokedAt.IsZero() {
		t.Fatalf("RevokeConsoleLink = %+v, %v", l, err)
	}
	if err := s.UseConsoleLink(ctx, rev.ID, sess("rev")); !errors.Is(err, store.ErrConflict) {
		t.Errorf("revoked link: err = %v, want ErrConflict", err)
	}
	if list, err := s.ListConsoleLinks(ctx, a.ID, 10); err != nil || len(list) != 3 {
		t.Errorf("ListConsoleLinks = %d links, %v; want 3", len(list), err)
	}

	// Logout ends the session with an event; B cannot end A's sessions.
	if err := s.DeleteConsoleSession(ctx, cli, b.ID, mine.IDHash, "logout"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("B ending A's session: err = %v, want ErrNotFound", err)
	}
	if err := s.DeleteConsoleSession(ctx, store.Actor{Kind: "console_link", ID: link.ID}, a.ID, mine.IDHash, "logout"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetConsoleSession(ctx, mine.IDHash); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("session after logout: err = %v, want ErrNotFound", err)
	}
	types := eventTypes(events(t, s, a.ID))
	for _, want := range []string{"console_link.created", "console_link.used", "console_link.revoked", "console.signed_out"} {
		if !slices.Contains(types, want) {
			t.Errorf("events %v lack %s", types, want)
		}
	}
	if n := countOf(types, "console_link.used"); n != 1 {
		t.Errorf("%d console_link.used events, want 1", n)
	}
	if _, err := s.PurgeConsole(ctx, now.Add(48*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetConsoleLink(ctx, link.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("link a day past expiry survived the purge: %v", err)
	}
}

func countOf(list []string, s string) int {
	n := 0
	for _, x := range list {
		if x == s {
			n++
		}
	}
	return n
}

// testConsoleSSOSession pins sessions started by single sign-on: stored
// under their hash with the person as actor, found again, recorded as
// console.signed_in, and refused for a missing organization.
func testConsoleSSOSession(t *testing.T, s store.Store) {
	ctx := context.Background()
	a := mustOrg(t, s)
	now := a.CreatedAt
	ann := store.Actor{Kind: "user", ID: "u-ann", Name: "ann@example.com"}
	sess := store.ConsoleSession{IDHash: hash("sso-session"), OrgID: a.ID, Actor: ann,
		IdleExpiresAt: now.Add(30 * time.Minute), ExpiresAt: now.Add(12 * time.Hour)}
	if err := s.StartConsoleSession(ctx, sess, "saml"); err != nil {
		t.Fatalf("StartConsoleSession: %v", err)
	}
	got, err := s.GetConsoleSession(ctx, hash("sso-session"))
	if err != nil || got.OrgID != a.ID || got.Actor != ann {
		t.Errorf("GetConsoleSession = %+v, %v; want Ann's session of %s", got, err, a.ID)
	}
	evs := events(t, s, a.ID)
	last := evs[len(evs)-1]
	if last.Type != "console.signed_in" || last.Actor != ann {
		t.Errorf("last event = %+v, want console.signed_in by Ann", last)
	}
	missing := sess
	missing.IDHash, missing.OrgID = hash("other"), "no-such-org"
	if err := s.StartConsoleSession(ctx, missing, "saml"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a session of a missing organization: err = %v, want ErrNotFound", err)
	}
	if err := s.StartConsoleSession(ctx, store.ConsoleSession{OrgID: a.ID}, "saml"); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("a session without hash or actor: err = %v, want ErrInvalid", err)
	}
}
