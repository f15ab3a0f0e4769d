package retention_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/retention"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/store/sqlite"
)

// TestRunOnce runs rounds over a real store: a zero policy keeps
// everything, a round deletes past several full batches until nothing is
// old enough, and what is newer than the period stays.
func TestRunOnce(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { now = now.Add(time.Millisecond); return now }
	s, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "r.db"), sqlite.Options{Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	org, err := s.CreateOrg(ctx, store.Actor{Kind: "cli"}, store.Org{ID: "org-1", Name: "Acme", Plan: store.PlanEnterprise, Settings: store.DefaultSettings()})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 25; i++ {
		name := fmt.Sprintf("user%d@example.com", i)
		if _, err := s.CreateUser(ctx, store.Actor{Kind: "cli"}, store.User{OrgID: org.ID, ID: fmt.Sprintf("u-%d", i), UserName: name, Active: true,
			Attributes: json.RawMessage(`{"userName":"` + name + `"}`)}); err != nil {
			t.Fatal(err)
		}
	}
	total, _ := s.EventSeq(ctx, org.ID)
	// Made 1 s after the last event: everything above is older than 1 s.
	later := now.Add(time.Second + time.Millisecond)
	svc := &retention.Service{Store: s, Batch: 4, Now: func() time.Time { return later }}
	if p, err := svc.RunOnce(ctx); err != nil || p != (retention.Purged{}) {
		t.Fatalf("RunOnce with no policy = %+v, %v; want nothing deleted", p, err)
	}
	svc.Policy = retention.Policy{Events: time.Hour}
	if p, err := svc.RunOnce(ctx); err != nil || p.Events != 0 {
		t.Fatalf("RunOnce keeping an hour = %+v, %v; want nothing deleted", p, err)
	}
	svc.Policy = retention.Policy{Events: time.Second, Deliveries: time.Second}
	p, err := svc.RunOnce(ctx)
	if err != nil || p.Events != total {
		t.Fatalf("RunOnce keeping a second = %+v, %v; want all %d events deleted in batches of 4", p, err, total)
	}
	if h, _ := s.EventHorizon(ctx, org.ID); h != total {
		t.Errorf("horizon = %d, want %d", h, total)
	}
}
