package storetest

import (
	"context"
	"errors"
	"testing"

	"github.com/rosterhq/roster/internal/store"
)

// testListing pins the ListingStore contract: id order and paging, the
// prefix filters ignoring case, member counts, the active filter, names,
// and tenant isolation.
func testListing(t *testing.T, s store.Store) {
	ctx := context.Background()
	o, other := mustOrg(t, s), mustOrg(t, s)
	ann := mustUser(t, s, o.ID, "ann@acme.test")
	bob := mustUser(t, s, o.ID, "Bob@acme.test")
	cat := mustUser(t, s, o.ID, "cat@acme.test")
	bob.DisplayName = "Annie Bobson"
	bob.Active = false
	if _, err := s.ReplaceUser(ctx, cli, bob, 0); err != nil {
		t.Fatal(err)
	}
	mustUser(t, s, other.ID, "ann@globex.test")
	sales := mustGroup(t, s, o.ID, "Sales EMEA", ann.ID, bob.ID)
	support := mustGroup(t, s, o.ID, "support", cat.ID)
	empty := mustGroup(t, s, o.ID, "Sales US")
	foreign := mustGroup(t, s, other.ID, "Sales")

	// Groups: a prefix ignoring case, counts from the store, id order.
	groups, err := s.ListGroups(ctx, o.ID, store.GroupListing{NamePrefix: "sALES"}, "", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(groups) != 2 || groups[0].ID >= groups[1].ID {
		t.Fatalf("groups with prefix sALES = %+v, want Sales EMEA and Sales US in id order", groups)
	}
	counts := map[string]int64{}
	for _, g := range groups {
		counts[g.ID] = g.MemberCount
	}
	if counts[sales.ID] != 2 || counts[empty.ID] != 0 {
		t.Errorf("member counts = %v, want %s:2 %s:0", counts, sales.ID, empty.ID)
	}
	// Paging: one at a time, each page after the previous one's last id.
	var seen []string
	for after := ""; ; {
		page, err := s.ListGroups(ctx, o.ID, store.GroupListing{}, after, 1)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		seen = append(seen, page[0].ID)
		after = page[0].ID
	}
	if len(seen) != 3 {
		t.Errorf("paged through %d groups, want 3 (not the other organization's)", len(seen))
	}

	// Members of a group as users.
	us, err := s.ListGroupUsers(ctx, o.ID, sales.ID, "", 1)
	if err != nil || len(us) != 1 {
		t.Fatalf("first member page = %+v, %v", us, err)
	}
	rest, err := s.ListGroupUsers(ctx, o.ID, sales.ID, us[0].ID, 10)
	if err != nil || len(rest) != 1 || rest[0].ID <= us[0].ID {
		t.Fatalf("second member page = %+v, %v", rest, err)
	}
	for _, u := range append(us, rest...) {
		if u.ID == bob.ID && (u.DisplayName != "Annie Bobson" || u.Active || u.UserName != "Bob@acme.test") {
			t.Errorf("bob as a member = %+v", u)
		}
	}
	if _, err := s.ListGroupUsers(ctx, o.ID, foreign.ID, "", 10); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("members of another organization's group: err = %v, want ErrNotFound", err)
	}
	if us, err := s.ListGroupUsers(ctx, o.ID, empty.ID, "", 10); err != nil || len(us) != 0 {
		t.Errorf("members of an empty group = %+v, %v", us, err)
	}

	// Users: prefix of userName or displayName, ignoring case; active.
	tests := []struct {
		name string
		f    store.UserListing
		want []string
	}{
		{"all", store.UserListing{}, []string{ann.ID, bob.ID, cat.ID}},
		{"userName prefix", store.UserListing{Prefix: "BOB"}, []string{bob.ID}},
		{"userName or displayName", store.UserListing{Prefix: "ann"}, []string{ann.ID, bob.ID}},
		{"active", store.UserListing{Active: ptr(true)}, []string{ann.ID, cat.ID}},
		{"deactivated", store.UserListing{Active: ptr(false)}, []string{bob.ID}},
		{"both", store.UserListing{Prefix: "ann", Active: ptr(true)}, []string{ann.ID}},
		{"none", store.UserListing{Prefix: "zed"}, nil},
	}
	for _, tc := range tests {
		got, err := s.ListUsers(ctx, o.ID, tc.f, "", 10)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		var ids []string
		for _, u := range got {
			ids = append(ids, u.ID)
		}
		if !sameSet(ids, tc.want) {
			t.Errorf("%s: ListUsers = %v, want %v", tc.name, ids, tc.want)
		}
	}
	if page, err := s.ListUsers(ctx, o.ID, store.UserListing{}, "", 2); err != nil || len(page) != 2 || page[0].ID >= page[1].ID {
		t.Errorf("first user page of 2 = %+v, %v", page, err)
	}

	// Names.
	names, err := s.GroupNames(ctx, o.ID, []string{sales.ID, support.ID, foreign.ID, "nope"})
	if err != nil || len(names) != 2 || names[sales.ID] != "Sales EMEA" || names[support.ID] != "support" {
		t.Errorf("GroupNames = %v, %v; want this organization's two", names, err)
	}
	an, err := s.AccessNames(ctx, o.ID)
	if err != nil || len(an.Users) != 3 || an.Users[bob.ID] != "Bob@acme.test" || len(an.Groups) != 3 || an.Groups[empty.ID] != "Sales US" {
		t.Errorf("AccessNames = %+v, %v", an, err)
	}
	if _, err := s.AccessNames(ctx, "no-such-org"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("AccessNames of an unknown organization: err = %v, want ErrNotFound", err)
	}
}

func ptr[T any](v T) *T { return &v }

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	m := map[string]int{}
	for _, x := range a {
		m[x]++
	}
	for _, x := range b {
		m[x]--
	}
	for _, n := range m {
		if n != 0 {
			return false
		}
	}
	return true
}
