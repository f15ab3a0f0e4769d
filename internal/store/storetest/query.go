package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/store"
)

func f(attr, sub string) store.Field { return store.Field{Attr: attr, Sub: sub} }

func eq(attr, sub string, v any) store.Cmp {
	return store.Cmp{Field: f(attr, sub), Op: store.OpEq, Value: v}
}

func cmp(attr, sub string, op store.Op, v any) store.Cmp {
	return store.Cmp{Field: f(attr, sub), Op: op, Value: v}
}

func testQueryFilters(t *testing.T, s store.Store) {
	ctx := context.Background()
	o := mustOrg(t, s)
	mk := func(name, display, ext string, active bool, vals ...store.Value) store.User {
		u, err := s.CreateUser(ctx, cli, store.User{OrgID: o.ID, ID: id("u"), UserName: name, DisplayName: display, ExternalID: ext,
			Active: active, Attributes: json.RawMessage(`{}`), Values: vals})
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	work := func(i int, addr string) []store.Value {
		return []store.Value{{Attr: "emails", Elem: i, Sub: "type", Str: "work"}, {Attr: "emails", Elem: i, Sub: "value", Str: addr}}
	}
	home := func(i int, addr string) []store.Value {
		return []store.Value{{Attr: "emails", Elem: i, Sub: "type", Str: "home"}, {Attr: "emails", Elem: i, Sub: "value", Str: addr}}
	}
	ann := mk("Ann", "Ann Smith", "E1", true, append(append(work(0, "ann@Example.com"), home(1, "ann@home.org")...),
		store.Value{Attr: "title", Str: "Tour Guide"}, store.Value{Attr: "name", Sub: "givenname", Str: "Ann"},
		store.Value{Attr: "urn:ietf:params:scim:schemas:extension:enterprise:2.0:user:employeenumber", Str: "701984"})...)
	bob := mk("bob", "", "e1", false, append(home(0, "bob@example.com"), work(1, "bob@corp.org")...)...)
	cyd := mk("Cyd", "Cyd", "", true, store.Value{Attr: "title", Str: "tour operator"})
	ann2 := mk("Änne", "Änne", "E2", true)
	g := mustGroup(t, s, o.ID, "Sales", ann.ID, bob.ID)
	mustGroup(t, s, o.ID, "Ops", cyd.ID)

	names := func(us []store.User) []string {
		var out []string
		for _, u := range us {
			out = append(out, u.UserName)
		}
		sort.Strings(out)
		return out
	}
	created := cyd.CreatedAt
	tests := []struct {
		name string
		cond store.Cond
		want []string
	}{
		{"userName eq folds", eq("username", "", "ANN"), []string{"Ann"}},
		{"userName eq non-ASCII folds", eq("username", "", "änne"), []string{"Änne"}},
		{"userName eq case exact", store.Cmp{Field: f("username", ""), Op: store.OpEq, Value: "ann", CaseExact: true}, nil},
		{"externalId case exact", store.Cmp{Field: f("externalid", ""), Op: store.OpEq, Value: "E1", CaseExact: true}, []string{"Ann"}},
		{"externalId ne includes absent", store.Cmp{Field: f("externalid", ""), Op: store.OpNe, Value: "E1", CaseExact: true}, []string{"Cyd", "bob", "Änne"}},
		{"userName sw", cmp("username", "", store.OpSw, "an"), []string{"Ann"}},
		{"userName co", cmp("username", "", store.OpCo, "N"), []string{"Ann", "Änne"}},
		{"userName ew", cmp("username", "", store.OpEw, "OB"), []string{"bob"}},
		{"userName gt", cmp("username", "", store.OpGt, "bob"), []string{"Cyd", "Änne"}},
		{"userName le", cmp("username", "", store.OpLe, "bob"), []string{"Ann", "bob"}},
		{"displayName pr", store.Present{Field: f("displayname", "")}, []string{"Ann", "Cyd", "Änne"}},
		{"active eq false", eq("active", "", false), []string{"bob"}},
		{"not active", store.Not{C: eq("active", "", true)}, []string{"bob"}},
		{"meta.created ge", cmp("meta", "created", store.OpGe, created), []string{"Cyd", "Änne"}},
		{"meta.created as text", cmp("meta", "created", store.OpLt, created.Format(time.RFC3339Nano)), []string{"Ann", "bob"}},
		{"title co folds", cmp("title", "", store.OpCo, "TOUR"), []string{"Ann", "Cyd"}},
		{"title pr", store.Present{Field: f("title", "")}, []string{"Ann", "Cyd"}},
		{"title ne", cmp("title", "", store.OpNe, "tour guide"), []string{"Cyd", "bob", "Änne"}},
		{"name.givenName", eq("name", "givenname", "ann"), []string{"Ann"}},
		{"extension attribute", eq("urn:ietf:params:scim:schemas:extension:enterprise:2.0:user:employeenumber", "", "701984"), []string{"Ann"}},
		{"emails.value any element", cmp("emails", "value", store.OpEw, ".org"), []string{"Ann", "bob"}},
		{"emails pr", store.Present{Field: f("emails", "")}, []string{"Ann", "bob"}},
		// The two predicates must hold for the same element: bob's work
		// address is not at example.com.
		{"value path same element", store.Elem{Attr: "emails", C: store.And{L: eq("emails", "type", "work"), R: cmp("emails", "value", store.OpCo, "example.com")}}, []string{"Ann"}},
		{"flattened is not correlated", store.And{L: eq("emails", "type", "work"), R: cmp("emails", "value", store.OpCo, "example.com")}, []string{"Ann", "bob"}},
		{"value path with not", store.Elem{Attr: "emails", C: store.Not{C: eq("emails", "type", "work")}}, []string{"Ann", "bob"}},
		{"value path or", store.Elem{Attr: "emails", C: store.Or{L: eq("emails", "value", "bob@corp.org"), R: eq("emails", "value", "ann@home.org")}}, []string{"Ann", "bob"}},
		{"groups.value", eq("groups", "value", g.ID), []string{"Ann", "bob"}},
		{"groups display", store.Elem{Attr: "groups", C: eq("groups", "display", "ops")}, []string{"Cyd"}},
		{"and or precedence", store.Or{L: eq("username", "", "cyd"), R: store.And{L: eq("active", "", true), R: eq("externalid", "", "e2")}}, []string{"Cyd", "Änne"}},
		{"injection is a value", eq("username", "", `x' OR '1'='1`), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			page, err := s.QueryUsers(ctx, o.ID, store.Query{Filter: tc.cond, Limit: 100})
			if err != nil {
				t.Fatalf("QueryUsers: %v", err)
			}
			want := slices.Clone(tc.want)
			sort.Strings(want)
			if got := names(page.Items); !slices.Equal(got, want) || page.Total != len(want) {
				t.Errorf("got %v (total %d), want %v", got, page.Total, want)
			}
		})
	}
	_ = ann2

	groupTests := []struct {
		name string
		cond store.Cond
		want []string
	}{
		{"displayName eq folds", eq("displayname", "", "SALES"), []string{"Sales"}},
		{"members.value", eq("members", "value", cyd.ID), []string{"Ops"}},
		{"members value path", store.Elem{Attr: "members", C: eq("members", "value", ann.ID)}, []string{"Sales"}},
		{"no members", store.Not{C: store.Present{Field: f("members", "")}}, nil},
	}
	for _, tc := range groupTests {
		t.Run("groups/"+tc.name, func(t *testing.T) {
			page, err := s.QueryGroups(ctx, o.ID, store.Query{Filter: tc.cond, Limit: 100})
			if err != nil {
				t.Fatalf("QueryGroups: %v", err)
			}
			var got []string
			for _, g := range page.Items {
				got = append(got, g.DisplayName)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
	bad := []store.Cond{
		eq("active", "", "yes"),
		cmp("active", "", store.OpGt, true),
		store.Elem{Attr: "emails", C: store.Elem{Attr: "emails", C: eq("emails", "type", "x")}},
		store.Cmp{Field: f("username", ""), Op: "like", Value: "x"},
	}
	for _, c := range bad {
		if _, err := s.QueryUsers(ctx, o.ID, store.Query{Filter: c, Limit: 10}); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("QueryUsers(%#v) err = %v, want ErrInvalid", c, err)
		}
	}
	if _, err := s.QueryGroups(ctx, o.ID, store.Query{Filter: eq("title", "", "x"), Limit: 10}); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("unknown group attribute err = %v, want ErrInvalid", err)
	}
}

func testQueryPaging(t *testing.T, s store.Store) {
	ctx := context.Background()
	o := mustOrg(t, s)
	var all []store.User
	for i := 0; i < 25; i++ {
		all = append(all, mustUser(t, s, o.ID, fmt.Sprintf("user%02d", 24-i), store.Value{Attr: "title", Str: fmt.Sprintf("t%02d", i%5)}))
	}
	ids := func(us []store.User) []string {
		var out []string
		for _, u := range us {
			out = append(out, u.ID)
		}
		return out
	}
	byID := ids(all)
	sort.Strings(byID)

	page, err := s.QueryUsers(ctx, o.ID, store.Query{Offset: 20, Limit: 10})
	if err != nil || page.Total != 25 || len(page.Items) != 5 || page.More {
		t.Fatalf("last page = %d items, total %d, more %v, err %v", len(page.Items), page.Total, page.More, err)
	}
	if !slices.Equal(ids(page.Items), byID[20:]) {
		t.Errorf("default order is not by id")
	}
	page, _ = s.QueryUsers(ctx, o.ID, store.Query{Offset: 0, Limit: 10})
	if page.Total != 25 || !page.More {
		t.Errorf("first page total %d more %v", page.Total, page.More)
	}
	page, _ = s.QueryUsers(ctx, o.ID, store.Query{Offset: 30, Limit: 10})
	if page.Total != 25 || len(page.Items) != 0 {
		t.Errorf("past the end: total %d, %d items", page.Total, len(page.Items))
	}
	page, _ = s.QueryUsers(ctx, o.ID, store.Query{Limit: 0})
	if page.Total != 25 || len(page.Items) != 0 {
		t.Errorf("limit 0: total %d, %d items", page.Total, len(page.Items))
	}
	page, _ = s.QueryUsers(ctx, o.ID, store.Query{SortBy: f("username", ""), Limit: 3})
	if got := []string{page.Items[0].UserName, page.Items[1].UserName, page.Items[2].UserName}; !slices.Equal(got, []string{"user00", "user01", "user02"}) {
		t.Errorf("sorted by userName = %v", got)
	}
	page, _ = s.QueryUsers(ctx, o.ID, store.Query{SortBy: f("username", ""), Descending: true, Limit: 1})
	if page.Items[0].UserName != "user24" {
		t.Errorf("sorted by userName descending starts with %s", page.Items[0].UserName)
	}
	page, err = s.QueryUsers(ctx, o.ID, store.Query{SortBy: f("title", ""), Limit: 25})
	if err != nil {
		t.Fatal(err)
	}
	titleOf := map[string]string{}
	for i, u := range all {
		titleOf[u.ID] = fmt.Sprintf("t%02d", i%5)
	}
	for i := 1; i < len(page.Items); i++ {
		a, b := page.Items[i-1], page.Items[i]
		if titleOf[a.ID] > titleOf[b.ID] || (titleOf[a.ID] == titleOf[b.ID] && a.ID > b.ID) {
			t.Fatalf("sorted by title, then id: %s (%s) before %s (%s)", a.ID, titleOf[a.ID], b.ID, titleOf[b.ID])
		}
	}

	// Cursor paging neither skips nor repeats while users come and go.
	var seen []string
	after := ""
	deleted := map[string]bool{}
	for round := 0; ; round++ {
		page, err := s.QueryUsers(ctx, o.ID, store.Query{After: after, Limit: 4})
		if err != nil {
			t.Fatal(err)
		}
		seen = append(seen, ids(page.Items)...)
		if !page.More {
			break
		}
		after = page.Items[len(page.Items)-1].ID
		// Between pages: delete a user not yet seen and add a new one.
		for _, id := range byID {
			if id > after && !deleted[id] {
				if err := s.DeleteUser(ctx, cli, o.ID, id); err != nil {
					t.Fatal(err)
				}
				deleted[id] = true
				break
			}
		}
		mustUser(t, s, o.ID, fmt.Sprintf("late%d", round))
	}
	// Every user present throughout is seen exactly once, in id order; no
	// deleted user is seen. (Users created meanwhile may or may not be: the
	// service's ids are time-ordered, so they come after the cursor.)
	if !slices.IsSorted(seen) || len(slices.Compact(slices.Clone(seen))) != len(seen) {
		t.Errorf("cursor walk repeated or reordered users")
	}
	for _, id := range byID {
		if slices.Contains(seen, id) == deleted[id] {
			t.Errorf("user %s: seen %v, deleted %v", id, slices.Contains(seen, id), deleted[id])
		}
	}
	final, _ := s.QueryUsers(ctx, o.ID, store.Query{Limit: 1000})
	want := ids(final.Items)
	if len(want) < 2 {
		t.Fatal("too few users left")
	}
	back, err := s.QueryUsers(ctx, o.ID, store.Query{Before: want[len(want)-1], Limit: 2})
	if err != nil || !slices.Equal(ids(back.Items), want[len(want)-3:len(want)-1]) || !back.More {
		t.Errorf("Before page = %v, more %v, err %v; want %v", ids(back.Items), back.More, err, want[len(want)-3:len(want)-1])
	}
	if _, err := s.QueryUsers(ctx, o.ID, store.Query{After: "x", SortBy: f("username", ""), Limit: 2}); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("cursor with sortBy err = %v, want ErrInvalid", err)
	}
}

func testConcurrentMemberAdds(t *testing.T, s store.Store) {
	ctx := context.Background()
	o := mustOrg(t, s)
	const writers, each = 16, 8
	var ids []string
	for i := 0; i < writers*each; i++ {
		ids = append(ids, mustUser(t, s, o.ID, fmt.Sprintf("c%03d", i)).ID)
	}
	g := mustGroup(t, s, o.ID, "Crowd")
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				if _, err := s.UpdateGroup(ctx, cli, store.GroupUpdate{OrgID: o.ID, ID: g.ID, Add: []string{ids[w*each+i]}}); err != nil {
					t.Errorf("writer %d: %v", w, err)
				}
			}
		}(w)
	}
	wg.Wait()
	got, _ := s.GetGroup(ctx, o.ID, g.ID)
	if m := members(t, s, o.ID, g.ID); len(m) != writers*each || got.MemberCount != writers*each || got.Version != 1+writers*each {
		t.Errorf("after %d concurrent adds: %d members, count %d, version %d", writers*each, len(m), got.MemberCount, got.Version)
	}
}

func testConcurrentUserNames(t *testing.T, s store.Store) {
	ctx := context.Background()
	o := mustOrg(t, s)
	var wg sync.WaitGroup
	var mu sync.Mutex
	created, conflicts := 0, 0
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.CreateUser(ctx, cli, store.User{OrgID: o.ID, ID: id("u"), UserName: "RACE", Attributes: json.RawMessage(`{}`)})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				created++
			case errors.Is(err, store.ErrConflict):
				conflicts++
			default:
				t.Errorf("CreateUser: %v", err)
			}
		}()
	}
	wg.Wait()
	if created != 1 || conflicts != 7 {
		t.Errorf("8 racing creates of one userName: %d created, %d conflicts; want 1 and 7", created, conflicts)
	}
}

// testConcurrentCreatesKeepValues races creates that all succeed, so the
// committer runs them in shared batches (where their rows are sent
// together): each user must be found by its own indexed values, and only
// by them, and counted once.
func testConcurrentCreatesKeepValues(t *testing.T, s store.Store) {
	ctx := context.Background()
	o := mustOrg(t, s)
	const writers = 48
	var wg sync.WaitGroup
	ids := make([]string, writers)
	for i := 0; i < writers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			u := store.User{OrgID: o.ID, ID: id("u"), UserName: fmt.Sprintf("batch%d", i), Active: true, Attributes: json.RawMessage(`{}`),
				Values: []store.Value{
					{Attr: "emails", Elem: 0, Sub: "value", Str: fmt.Sprintf("b%d@example.com", i)},
					{Attr: "emails", Elem: 1, Sub: "value", Str: fmt.Sprintf("b%d@work.example.com", i)},
					{Attr: "title", Str: fmt.Sprintf("Title %d", i)},
				}}
			if _, err := s.CreateUser(ctx, cli, u); err != nil {
				t.Errorf("CreateUser %s: %v", u.UserName, err)
				return
			}
			ids[i] = u.ID
		}()
	}
	wg.Wait()
	for i, uid := range ids {
		for _, c := range []store.Cmp{
			eq("emails", "value", fmt.Sprintf("B%d@WORK.example.com", i)),
			eq("title", "", fmt.Sprintf("title %d", i)),
		} {
			p, err := s.QueryUsers(ctx, o.ID, store.Query{Filter: c, Limit: 10})
			if err != nil || len(p.Items) != 1 || p.Items[0].ID != uid {
				t.Errorf("%s %s %v found %d users (err %v); want batch%d alone", c.Field.Attr, c.Op, c.Value, len(p.Items), err, i)
			}
		}
	}
	p, err := s.QueryUsers(ctx, o.ID, store.Query{})
	if err != nil || p.Total != writers {
		t.Errorf("total after %d concurrent creates: %d (err %v)", writers, p.Total, err)
	}
	ev := events(t, s, o.ID)
	if n := len(slices.DeleteFunc(eventTypes(ev), func(t string) bool { return t != "user.created" })); n != writers {
		t.Errorf("%d user.created events for %d creates", n, writers)
	}
}

// testConcurrentMixedWrites races succeeding and failing writes of two
// organizations, so the committer batches them together: the failures must
// leave nothing, the successes everything, and each organization's events
// must stay numbered without gaps.
func testConcurrentMixedWrites(t *testing.T, s store.Store) {
	ctx := context.Background()
	orgs := []store.Org{mustOrg(t, s), mustOrg(t, s)}
	const writers = 64
	var wg sync.WaitGroup
	var mu sync.Mutex
	created := map[string][]string{} // org → user ids
	for i := 0; i < writers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			org := orgs[i%2].ID
			if i%7 == 0 {
				org = "no-such-org"
			}
			// Eight userNames per organization: most writes conflict.
			u := store.User{OrgID: org, ID: id("u"), UserName: fmt.Sprintf("user%d", i%16), Attributes: json.RawMessage(`{}`),
				Values: []store.Value{{Attr: "title", Str: fmt.Sprintf("t%d", i)}}}
			_, err := s.CreateUser(ctx, cli, u)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				created[org] = append(created[org], u.ID)
			case errors.Is(err, store.ErrConflict) && org != "no-such-org",
				errors.Is(err, store.ErrNotFound) && org == "no-such-org":
			default:
				t.Errorf("CreateUser %s in %s: %v", u.UserName, org, err)
			}
		}()
	}
	wg.Wait()
	for _, o := range orgs {
		ev := events(t, s, o.ID)
		for i, e := range ev {
			if e.Seq != int64(i+1) {
				t.Fatalf("org %s: event %d has seq %d; want gap-free numbering", o.ID, i, e.Seq)
			}
		}
		want := created[o.ID]
		if n := len(slices.DeleteFunc(eventTypes(ev), func(t string) bool { return t != "user.created" })); len(want) != 8 || n != 8 {
			t.Errorf("org %s: %d users created, %d user.created events; want 8 of each (one per userName)", o.ID, len(want), n)
		}
		for _, uid := range want {
			if _, err := s.GetUser(ctx, o.ID, uid); err != nil {
				t.Errorf("created user %s: %v", uid, err)
			}
		}
		p, err := s.QueryUsers(ctx, o.ID, store.Query{Limit: 100})
		if err != nil || len(p.Items) != len(want) {
			t.Errorf("org %s holds %d users (err %v); want only the %d created", o.ID, len(p.Items), err, len(want))
		}
	}
}
