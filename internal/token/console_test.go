package token_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/fault"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/store/sqlite"
	"github.com/rosterhq/roster/internal/token"
)

func TestSetupLinks(t *testing.T) {
	ctx := context.Background()
	s, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "roster.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	cli := store.Actor{Kind: "cli"}
	org, err := s.CreateOrg(ctx, cli, store.Org{ID: "org-a", Name: "Acme", Plan: store.PlanEnterprise, Settings: store.DefaultSettings()})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	svc := &token.Service{Store: s, Now: func() time.Time { return now }}

	for _, ttl := range []time.Duration{30 * time.Second, 8 * 24 * time.Hour} {
		if _, _, err := svc.CreateLink(ctx, cli, org.ID, ttl); !errors.Is(err, fault.Invalid) {
			t.Errorf("CreateLink ttl %v: err = %v, want Invalid", ttl, err)
		}
	}
	if _, _, err := svc.CreateLink(ctx, cli, "nope", 0); !errors.Is(err, fault.NotFound) {
		t.Errorf("CreateLink for a missing organization: err = %v, want NotFound", err)
	}

	text, link, err := svc.CreateLink(ctx, cli, org.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(text, "roster_link_") || !link.ExpiresAt.Equal(now.Add(24*time.Hour)) {
		t.Fatalf("link %q expires %v; want roster_link_… valid 24h", text, link.ExpiresAt)
	}
	sessText, sess, err := svc.EnterLink(ctx, text)
	if err != nil {
		t.Fatal(err)
	}
	if sess.OrgID != org.ID || sess.Actor.Kind != "console_link" || sess.Actor.ID != link.ID {
		t.Errorf("session = %+v; want organization %s acting as the link", sess, org.ID)
	}
	if got, err := svc.ConsoleSession(ctx, sessText); err != nil || got.OrgID != org.ID {
		t.Fatalf("ConsoleSession = %+v, %v", got, err)
	}

	expired, _, _ := svc.CreateLink(ctx, cli, org.ID, time.Hour)
	revoked, rl, _ := svc.CreateLink(ctx, cli, org.ID, time.Hour)
	if _, err := svc.RevokeLink(ctx, cli, org.ID, rl.ID); err != nil {
		t.Fatal(err)
	}
	tampered := []byte(text)
	tampered[len("roster_link_")+20] ^= 1
	later := &token.Service{Store: s, Now: func() time.Time { return now.Add(2 * time.Hour) }}
	for _, tc := range []struct {
		name, text string
		svc        *token.Service
		want       string
	}{
		{"used", text, svc, "already used"},
		{"revoked", revoked, svc, "was revoked"},
		{"expired", expired, later, "expired on"},
		{"tampered", string(tampered), svc, "incomplete or mistyped"},
		{"cut short", text[:len(text)-5], svc, "incomplete or mistyped"},
		{"unknown", strings.Replace(text, link.ID, strings.Repeat("a", len(link.ID)), 1), svc, "incomplete or mistyped"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := tc.svc.EnterLink(ctx, tc.text)
			_, msg, ok := fault.As(err)
			if !ok || !strings.Contains(msg, tc.want) || !strings.Contains(msg, "roster console link --org ID") {
				t.Errorf("EnterLink = %v; want a fault saying %q and how to get a new link", err, tc.want)
			}
		})
	}

	// Idle and absolute expiry, and logout.
	idle := &token.Service{Store: s, Now: func() time.Time { return now.Add(token.ConsoleIdle + time.Second) }}
	if _, err := idle.ConsoleSession(ctx, sessText); !errors.Is(err, token.ErrUnauthorized) {
		t.Errorf("session idle past %v: err = %v, want ErrUnauthorized", token.ConsoleIdle, err)
	}
	if err := svc.EndConsoleSession(ctx, sessText); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.ConsoleSession(ctx, sessText); !errors.Is(err, token.ErrUnauthorized) {
		t.Errorf("session after logout: err = %v, want ErrUnauthorized", err)
	}
	if _, err := svc.ConsoleSession(ctx, "roster_console_forged"); !errors.Is(err, token.ErrUnauthorized) {
		t.Errorf("forged session: err = %v, want ErrUnauthorized", err)
	}
}
