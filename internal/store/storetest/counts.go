package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/rosterhq/roster/internal/store"
)

// testKeptCounts checks the totals of queries without a filter, which come
// from the counts each organization keeps, against the resources there
// are, through every write that adds or removes one: concurrent creates
// (which share transactions), creates that fail inside a shared
// transaction, deletes, and another organization's writes.
func testKeptCounts(t *testing.T, s store.Store) {
	ctx := context.Background()
	o, other := mustOrg(t, s), mustOrg(t, s)
	mustUser(t, s, other.ID, "elsewhere")
	mustGroup(t, s, other.ID, "Elsewhere")

	// Concurrent creates, every third one a userName already taken: the
	// failures are rolled back inside batches that commit the others.
	const n = 60
	var wg sync.WaitGroup
	var mu sync.Mutex
	var created []string
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := fmt.Sprintf("user%d", i)
			if i%3 == 2 {
				name = fmt.Sprintf("USER%d", i-1) // folds to an existing userName
			}
			u, err := s.CreateUser(ctx, cli, store.User{OrgID: o.ID, ID: id("u"), UserName: name, Active: true, Attributes: json.RawMessage(`{}`)})
			switch {
			case err == nil:
				mu.Lock()
				created = append(created, u.ID)
				mu.Unlock()
			case !errors.Is(err, store.ErrConflict):
				t.Errorf("CreateUser %s: %v", name, err)
			}
		}()
	}
	for i := 0; i < 10; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := s.CreateGroup(ctx, cli, store.Group{OrgID: o.ID, ID: id("g"), DisplayName: fmt.Sprintf("G%d", i)}, nil); err != nil {
				t.Errorf("CreateGroup: %v", err)
			}
		}()
	}
	wg.Wait()
	if len(created) < 2*n/3-1 {
		t.Fatalf("%d of %d creates succeeded", len(created), n)
	}
	checkTotals(t, s, o.ID, "after concurrent creates")

	// A create that fails alone leaves the counts as they were.
	if _, err := s.CreateUser(ctx, cli, store.User{OrgID: o.ID, ID: created[0], UserName: "fresh", Attributes: json.RawMessage(`{}`)}); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("CreateUser with a taken id: err = %v, want a conflict", err)
	}
	g := mustGroup(t, s, o.ID, "With members", created[:5]...)
	checkTotals(t, s, o.ID, "after failed create")

	for _, uid := range created[:7] {
		if err := s.DeleteUser(ctx, cli, o.ID, uid); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.DeleteUser(ctx, cli, o.ID, created[0]); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("deleting a deleted user: err = %v, want not found", err)
	}
	if err := s.DeleteGroup(ctx, cli, o.ID, g.ID); err != nil {
		t.Fatal(err)
	}
	checkTotals(t, s, o.ID, "after deletes")
	checkTotals(t, s, other.ID, "of the other organization")

	if p, err := s.QueryUsers(ctx, o.ID, store.Query{}); err != nil || p.Total != len(created)-7 {
		t.Errorf("count=0 total = %d (err %v), want %d", p.Total, err, len(created)-7)
	}
	if p, err := s.QueryUsers(ctx, "no-such-org", store.Query{}); err != nil || p.Total != 0 {
		t.Errorf("count=0 total of a missing organization = %d (err %v), want 0", p.Total, err)
	}
}

// checkTotals compares the totals of unfiltered queries (count only, a
// first page and a cursor page) with the count of a filter that every
// resource matches, which counts rows.
func checkTotals(t *testing.T, s store.Store, orgID, when string) {
	t.Helper()
	ctx := context.Background()
	all := store.Present{Field: store.Field{Attr: "id"}}
	want, err := s.QueryUsers(ctx, orgID, store.Query{Filter: all})
	if err != nil {
		t.Fatal(err)
	}
	wantGroups, err := s.QueryGroups(ctx, orgID, store.Query{Filter: all})
	if err != nil {
		t.Fatal(err)
	}
	first, err := s.QueryUsers(ctx, orgID, store.Query{Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []store.Query{{}, {Limit: 2}, {Limit: 2, After: first.Items[0].ID}} {
		p, err := s.QueryUsers(ctx, orgID, q)
		if err != nil {
			t.Fatal(err)
		}
		if p.Total != want.Total {
			t.Errorf("%s: users total of %+v = %d, want %d", when, q, p.Total, want.Total)
		}
		gp, err := s.QueryGroups(ctx, orgID, q)
		if err != nil {
			t.Fatal(err)
		}
		if gp.Total != wantGroups.Total {
			t.Errorf("%s: groups total of %+v = %d, want %d", when, q, gp.Total, wantGroups.Total)
		}
	}
}
