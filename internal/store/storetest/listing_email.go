package storetest

import (
	"context"
	"testing"

	"github.com/rosterhq/roster/internal/store"
)

// testListUsersByEmail pins ListUsersByEmail: the prefix ignores case,
// matches every address of a user (not other attributes' values), pages
// in address order with its cursor, and stays in the organization.
func testListUsersByEmail(t *testing.T, s store.Store) {
	ctx := context.Background()
	o, other := mustOrg(t, s), mustOrg(t, s)
	email := func(elem int, v string) store.Value {
		return store.Value{Attr: "emails", Elem: elem, Sub: "value", Str: v}
	}
	mustUser(t, s, o.ID, "ann", email(0, "Ann@Work.test"), email(1, "ann@home.test"))
	bob := mustUser(t, s, o.ID, "bob", email(0, "bob@work.test"))
	mustUser(t, s, o.ID, "cat", store.Value{Attr: "title", Str: "work@title"}, email(0, "cat@elsewhere.test"))
	mustUser(t, s, other.ID, "ann", email(0, "ann@work.test"))

	for _, tc := range []struct {
		prefix string
		want   []string // userName:email, in order
	}{
		{"ANN@", []string{"ann:ann@home.test", "ann:Ann@Work.test"}},
		{"ann@w", []string{"ann:Ann@Work.test"}},
		{"", []string{"ann:ann@home.test", "ann:Ann@Work.test", "bob:bob@work.test", "cat:cat@elsewhere.test"}},
		{"work@", nil},
		{"zed", nil},
	} {
		got, err := s.ListUsersByEmail(ctx, o.ID, tc.prefix, "", 10)
		if err != nil {
			t.Fatalf("%q: %v", tc.prefix, err)
		}
		var names []string
		for _, m := range got {
			names = append(names, m.UserName+":"+m.Email)
		}
		if len(names) != len(tc.want) {
			t.Errorf("ListUsersByEmail(%q) = %v, want %v", tc.prefix, names, tc.want)
			continue
		}
		for i := range names {
			if names[i] != tc.want[i] {
				t.Errorf("ListUsersByEmail(%q) = %v, want %v", tc.prefix, names, tc.want)
				break
			}
		}
	}
	// Paging one at a time visits each address once, in order.
	var seen []string
	after := ""
	for i := 0; i < 10; i++ {
		page, err := s.ListUsersByEmail(ctx, o.ID, "", after, 1)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		seen = append(seen, page[0].Email)
		after = store.EmailCursor(page[0])
	}
	if len(seen) != 4 || seen[0] != "ann@home.test" || seen[3] != "cat@elsewhere.test" {
		t.Errorf("paged addresses = %v", seen)
	}
	if got, _ := s.ListUsersByEmail(ctx, o.ID, "bob", "", 10); len(got) != 1 || got[0].ID != bob.ID || !got[0].Active {
		t.Errorf("bob by email = %+v", got)
	}
	if _, err := s.ListUsersByEmail(ctx, o.ID, "", "no-separator", 10); err == nil {
		t.Error("a malformed cursor was accepted")
	}
}
