package scim

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/rosterhq/roster/internal/store"
)

func TestLookupCacheBounds(t *testing.T) {
	c := newLookupCache(10_000)
	body := make([]byte, 100)
	for i := 0; i < 1000; i++ {
		c.put(fmt.Sprintf("org%d", i%3), 1, fmt.Sprintf("user%d", i), fmt.Sprintf("id%d", i), body)
		if c.size > c.limit {
			t.Fatalf("after %d entries the cache holds %d bytes, over its %d-byte limit", i+1, c.size, c.limit)
		}
	}
	total, entries := 0, 0
	for _, o := range c.orgs {
		sum := 0
		for key, e := range o.users {
			sum += entrySize(key, e.id, e.body)
		}
		if o.size != sum || len(o.names) != len(o.users) {
			t.Errorf("organization size %d for entries of %d bytes, %d entries and %d ids", o.size, sum, len(o.users), len(o.names))
		}
		total += o.size
		entries += len(o.users)
	}
	if total != c.size {
		t.Errorf("organizations hold %d bytes, the cache counts %d", total, c.size)
	}
	// Eviction drops a quarter, not everything.
	if capacity := c.limit / entrySize("user999", "id999", body); entries < capacity*3/4-1 {
		t.Errorf("%d entries kept of the %d that fit; eviction drops too much", entries, capacity)
	}
	if _, ok := c.get("org0", 1, "user999"); !ok {
		t.Error("the last entry put is not kept")
	}
	c.put("org0", 1, "big", "idbig", make([]byte, c.limit/2))
	if _, ok := c.get("org0", 1, "big"); ok || c.size > c.limit {
		t.Error("an entry of half the cache was kept")
	}
}

func TestLookupCacheCatchUp(t *testing.T) {
	body := []byte(`{}`)
	ev := func(typ, subject string, data any) store.Event {
		b, _ := json.Marshal(data)
		return store.Event{Type: typ, SubjectID: subject, Data: b}
	}
	tests := []struct {
		name string
		evs  []store.Event
		kept []string // of ann, bob, cy
	}{
		{"nothing about them", []store.Event{ev("workspace.created", "w1", nil), ev("token.revoked", "t1", nil), ev("user.created", "dee", nil)}, []string{"ann", "bob", "cy"}},
		{"one user changed", []store.Event{ev("user.updated", "id-bob", nil)}, []string{"ann", "cy"}},
		{"one user deleted", []store.Event{ev("user.deleted", "id-ann", nil)}, []string{"bob", "cy"}},
		{"members added", []store.Event{ev("group.created", "g1", nil), ev("group.members_added", "g1", map[string]any{"users": []string{"id-ann", "id-cy"}})}, []string{"bob"}},
		{"members removed", []store.Event{ev("group.members_removed", "g1", map[string]any{"users": []string{"id-cy"}})}, []string{"ann", "bob"}},
		{"group renamed", []store.Event{ev("group.updated", "g1", nil)}, nil},
		{"group deleted", []store.Event{ev("group.deleted", "g1", nil)}, nil},
		{"unknown event", []store.Event{ev("user.merged", "id-ann", nil)}, nil},
		{"events missing", nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := newLookupCache(1 << 20)
			for _, u := range []string{"ann", "bob", "cy"} {
				c.put("o", 10, u, "id-"+u, body)
			}
			to := int64(10 + len(tc.evs))
			if tc.evs == nil {
				to = 12
			}
			c.advance("o", 10, to, tc.evs)
			if at, _ := c.at("o"); at != to {
				t.Fatalf("entries at %d after catching up to %d", at, to)
			}
			var kept []string
			for _, u := range []string{"ann", "bob", "cy"} {
				if _, ok := c.get("o", to, u); ok {
					kept = append(kept, u)
				}
			}
			if fmt.Sprint(kept) != fmt.Sprint(tc.kept) {
				t.Errorf("kept %v, want %v", kept, tc.kept)
			}
			want := 0
			for _, u := range tc.kept {
				want += entrySize(u, "id-"+u, body)
			}
			if c.size != want {
				t.Errorf("size %d, want %d", c.size, want)
			}
		})
	}

	c := newLookupCache(1 << 20)
	c.put("o", 5, "ann", "id-ann", body)
	c.advance("o", 4, 6, []store.Event{ev("user.updated", "id-ann", nil)}) // from a stale position
	if _, ok := c.get("o", 5, "ann"); !ok {
		t.Error("a catch-up from another position changed the entries")
	}
	c.put("o", 4, "bob", "id-bob", body) // read before the entries' position
	if _, ok := c.get("o", 5, "bob"); ok {
		t.Error("an entry read at an older seq was kept")
	}
}

// TestLookupCacheDropsReports checks that a change to a manager drops the
// kept answers that show the manager's name, and only those.
func TestLookupCacheDropsReports(t *testing.T) {
	report := func(manager string) []byte {
		return []byte(`{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"manager":{"value":"` + manager + `","displayName":"Boss"}}}`)
	}
	for _, typ := range []string{"user.updated", "user.deactivated", "user.deleted"} {
		t.Run(typ, func(t *testing.T) {
			c := newLookupCache(1 << 20)
			c.put("o", 1, "boss", "id-boss", []byte(`{}`))
			c.put("o", 1, "ann", "id-ann", report("id-boss"))
			c.put("o", 1, "bob", "id-bob", report("id-other"))
			c.put("o", 1, "cy", "id-cy", []byte(`{"manager":"id-boss"}`)) // not the extension's manager
			c.advance("o", 1, 2, []store.Event{{Type: typ, SubjectID: "id-boss"}})
			var kept []string
			for _, u := range []string{"boss", "ann", "bob", "cy"} {
				if _, ok := c.get("o", 2, u); ok {
					kept = append(kept, u)
				}
			}
			if fmt.Sprint(kept) != "[bob cy]" {
				t.Errorf("kept %v after %s of the manager, want [bob cy]", kept, typ)
			}
			if len(c.orgs["o"].reports["id-boss"]) != 0 {
				t.Errorf("reports of the manager still listed: %v", c.orgs["o"].reports)
			}
			// Dropping a report for its own change forgets it as a report.
			c.advance("o", 2, 3, []store.Event{{Type: "user.updated", SubjectID: "id-bob"}})
			if _, ok := c.orgs["o"].reports["id-other"]; ok {
				t.Errorf("a dropped report is still listed: %v", c.orgs["o"].reports)
			}
		})
	}
}
