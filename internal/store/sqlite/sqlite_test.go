package sqlite_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/store/sqlite"
	"github.com/rosterhq/roster/internal/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T, now func() time.Time) store.Store {
		s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "roster.db"), sqlite.Options{Now: now})
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

// TestWALStaysBounded writes without pause while readers keep snapshots
// open, the load under which SQLite never restarts the WAL by itself: the
// WAL file must stay near its restart size instead of growing with every
// commit (it reached 3.4 GB after 60,000 user creates before the
// checkpointer restarted it).
func TestWALStaysBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("writes ~100 MB")
	}
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "roster.db")
	s, err := sqlite.Open(ctx, path, sqlite.Options{CheckpointInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	org, err := s.CreateOrg(ctx, store.Actor{Kind: "cli"}, store.Org{ID: "org-wal", Name: "wal", Plan: store.PlanEnterprise, Settings: store.DefaultSettings()})
	if err != nil {
		t.Fatal(err)
	}
	const users, values = 600, 40 // ~40 random index pages per user
	var next atomic.Int64
	var stop atomic.Bool
	var maxWAL atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := next.Add(1); i <= users; i = next.Add(1) {
				u := store.User{OrgID: org.ID, ID: fmt.Sprintf("u%06d", i), UserName: fmt.Sprintf("user%d", i), Attributes: json.RawMessage(`{}`)}
				for v := 0; v < values; v++ {
					u.Values = append(u.Values, store.Value{Attr: fmt.Sprintf("a%d", v), Str: fmt.Sprintf("%x", (int(i)*7919+v*104729)%1000003)})
				}
				if _, err := s.CreateUser(ctx, store.Actor{Kind: "cli"}, u); err != nil {
					t.Error(err)
					return
				}
				if fi, err := os.Stat(path + "-wal"); err == nil && fi.Size() > maxWAL.Load() {
					maxWAL.Store(fi.Size())
				}
			}
		}()
	}
	var readers sync.WaitGroup
	for r := 0; r < 2; r++ {
		readers.Add(1)
		go func() {
			defer readers.Done()
			for !stop.Load() {
				s.QueryUsers(ctx, org.ID, store.Query{Limit: 5})
			}
		}()
	}
	wg.Wait()
	stop.Store(true)
	readers.Wait()
	t.Logf("largest WAL: %d MiB", maxWAL.Load()>>20)
	// Restarts begin at 16 MiB of WAL; without them this load leaves ~55 MiB.
	if got := maxWAL.Load(); got > 32<<20 {
		t.Errorf("WAL grew to %d MiB writing %d users; want it bounded near the 16 MiB restart size", got>>20, users)
	}
}

// TestOddPaths opens databases whose paths hold the characters a SQLite
// URI ends or decodes at, and checks each file is where it was asked for.
func TestOddPaths(t *testing.T) {
	for _, name := range []string{"team#1", "what?now", "100%", "a b"} {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), name)
			path := filepath.Join(dir, "roster.db")
			s, err := sqlite.Open(context.Background(), path, sqlite.Options{})
			if err != nil {
				t.Fatalf("Open(%q): %v", path, err)
			}
			if _, err := s.CreateOrg(context.Background(), store.Actor{Kind: "cli"}, store.Org{ID: "o1", Name: "Acme", Plan: store.PlanFree, Settings: store.DefaultSettings()}); err != nil {
				t.Fatal(err)
			}
			s.Close()
			if fi, err := os.Stat(path); err != nil || fi.Size() == 0 {
				t.Fatalf("the database is not at %q: %v", path, err)
			}
			again, err := sqlite.Open(context.Background(), path, sqlite.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer again.Close()
			if _, err := again.GetOrg(context.Background(), "o1"); err != nil {
				t.Errorf("reopened %q: %v", path, err)
			}
		})
	}
}
