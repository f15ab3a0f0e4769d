package access_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/access"
	"github.com/rosterhq/roster/internal/store"
)

// TestSignInEventsKeepTheIndex: sign-in bookkeeping events (sign-ins,
// refusals anyone can cause, domains) are applied as no-ops, not answered
// by rebuilding the organization's index from a snapshot; a change the
// index reads still is applied.
func TestSignInEventsKeepTheIndex(t *testing.T) {
	ctx := context.Background()
	s := engines[0].open(t, time.Now)
	w := newWorld(t, s, store.PlanEnterprise, store.GroupRemovalRevoke)
	var log bytes.Buffer
	w.res.Logger = slog.New(slog.NewTextHandler(&log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ada := w.user("ada@example.com")
	ws, _, err := w.svc.CreateWorkspace(ctx, ownerActor, w.org.ID, "Docs", "")
	if err != nil {
		t.Fatal(err)
	}
	if err := w.res.Refresh(ctx, w.org.ID); err != nil {
		t.Fatal(err)
	}
	log.Reset()
	actor := store.Actor{Kind: "system", Name: "test"}
	if _, err := s.CreateSession(ctx, actor, store.Session{IDHash: []byte("h"), OrgID: w.org.ID, UserID: ada.ID,
		IdleExpiresAt: time.Now().Add(time.Hour), ExpiresAt: time.Now().Add(time.Hour)}, store.SignIn{Method: "sp_initiated"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RecordSignInRefused(ctx, actor, w.org.ID, store.SignIn{Reason: "malformed"},
		store.RefusalWindow{Start: time.Now().Truncate(time.Minute), KeepDetail: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddOrgDomain(ctx, actor, w.org.ID, "example.com"); err != nil {
		t.Fatal(err)
	}
	bob := w.user("bob@example.com")
	if err := w.res.Refresh(ctx, w.org.ID); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(log.String(), "access index rebuilt") {
		t.Errorf("sign-in events rebuilt the index:\n%s", log.String())
	}
	// The user created after the sign-in events is known: the events
	// before it were stepped over, not a stop.
	if d, err := w.res.Check(ctx, w.org.ID, bob.ID, store.ResourceWorkspace, ws.ID, store.RoleViewer); err != nil || d.Denial != access.DenyNoGrant {
		t.Errorf("check after catching up = %+v, %v; want denial %q", d, err, access.DenyNoGrant)
	}
}
