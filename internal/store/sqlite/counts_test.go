package sqlite_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/store/sqlite"
	"github.com/rosterhq/roster/internal/store/sqlstore"
)

// createUsers creates n users in org through the store, concurrently as
// an IdP's sync does.
func createUsers(t *testing.T, s *sqlstore.DB, orgID string, n int) {
	t.Helper()
	ctx := context.Background()
	next := make(chan int)
	go func() {
		for i := 0; i < n; i++ {
			next <- i
		}
		close(next)
	}()
	var wg sync.WaitGroup
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				u := store.User{OrgID: orgID, ID: fmt.Sprintf("u%07d", i), UserName: fmt.Sprintf("user%d", i), Active: i%10 != 0,
					Attributes: json.RawMessage(`{}`)}
				if _, err := s.CreateUser(ctx, store.Actor{Kind: "cli"}, u); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// TestUnfilteredPagesCostTheSameAtAnySize compares count=0, a first page
// and a cursor page in a large organization with the same queries in a
// small one. Every page used to count its organization's users (61 ms at a
// million users); the count each organization keeps costs one row.
func TestUnfilteredPagesCostTheSameAtAnySize(t *testing.T) {
	if testing.Short() {
		t.Skip("creates 50,000 users")
	}
	ctx := context.Background()
	s, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "roster.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	sizes := map[string]int{"org-small": 500, "org-large": 50000}
	for id, n := range sizes {
		if _, err := s.CreateOrg(ctx, store.Actor{Kind: "cli"}, store.Org{ID: id, Name: id, Plan: store.PlanEnterprise, Settings: store.DefaultSettings()}); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		createUsers(t, s, id, n)
		t.Logf("%s: %d users in %v", id, n, time.Since(start))
	}
	queries := map[string]store.Query{
		"count=0":     {},
		"first page":  {Limit: 100},
		"cursor page": {Limit: 100, After: "u0000250"},
	}
	for name, q := range queries {
		// Interleaved runs, so a burst of load on the machine falls on both.
		var took = map[string][]time.Duration{}
		for i := 0; i < 31; i++ {
			for id, n := range sizes {
				start := time.Now()
				p, err := s.QueryUsers(ctx, id, q)
				took[id] = append(took[id], time.Since(start))
				if err != nil {
					t.Fatal(err)
				}
				if p.Total != n {
					t.Fatalf("%s in %s: total %d, want %d", name, id, p.Total, n)
				}
			}
		}
		small, large := median(took["org-small"]), median(took["org-large"])
		t.Logf("%s: %v at %d users, %v at %d", name, small, sizes["org-small"], large, sizes["org-large"])
		// Counting 50,000 index entries takes milliseconds; the kept count
		// takes what a 500-user page takes.
		if limit := max(3*small, small+time.Millisecond/2); large > limit {
			t.Errorf("%s: median %v at %d users against %v at %d: the cost grows with the directory", name, large, sizes["org-large"], small, sizes["org-small"])
		}
	}
}

func median(d []time.Duration) time.Duration {
	d = slices.Clone(d)
	slices.Sort(d)
	return d[len(d)/2]
}

// TestCountsMigrationCountsExistingDirectories opens a database whose
// directory was filled before the counts were kept, and expects migration
// 0004 to count it.
func TestCountsMigrationCountsExistingDirectories(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "roster.db")
	s, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	org, err := s.CreateOrg(ctx, store.Actor{Kind: "cli"}, store.Org{ID: "org-old", Name: "old", Plan: store.PlanEnterprise, Settings: store.DefaultSettings()})
	if err != nil {
		t.Fatal(err)
	}
	createUsers(t, s, org.ID, 7)
	for i := 0; i < 3; i++ {
		if _, err := s.CreateGroup(ctx, store.Actor{Kind: "cli"}, store.Group{OrgID: org.ID, ID: fmt.Sprintf("g%d", i), DisplayName: fmt.Sprintf("G%d", i)}, nil); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	// Back to the schema before migration 0004.
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`DROP INDEX users_active`,
		`ALTER TABLE orgs DROP COLUMN user_count`,
		`ALTER TABLE orgs DROP COLUMN group_count`,
		`DELETE FROM schema_migrations WHERE version = 4`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()
	s, err = sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	users, err := s.QueryUsers(ctx, org.ID, store.Query{})
	if err != nil {
		t.Fatal(err)
	}
	groups, err := s.QueryGroups(ctx, org.ID, store.Query{})
	if err != nil {
		t.Fatal(err)
	}
	if users.Total != 7 || groups.Total != 3 {
		t.Errorf("after the migration: %d users and %d groups, want 7 and 3", users.Total, groups.Total)
	}
}
