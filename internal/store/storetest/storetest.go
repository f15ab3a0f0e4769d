// Package storetest is the conformance suite every store.Store
// implementation must pass. Each engine's tests call Run with a function
// that returns a new, empty store; the same cases then pin identical
// behaviour on SQLite and PostgreSQL.
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/store"
)

// Clock is a settable clock for stores under test.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock set to a fixed time.
func NewClock() *Clock {
	return &Clock{t: time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)}
}

// Now returns the clock's time and moves it one millisecond on, so every
// write gets a distinct, increasing time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Millisecond)
	return c.t
}

// NewStore returns an empty store using the given clock.
type NewStore func(t *testing.T, now func() time.Time) store.Store

// Run runs the whole suite.
func Run(t *testing.T, newStore NewStore) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"Orgs", testOrgs},
		{"Tokens", testTokens},
		{"EventsOrderAndGaps", testEvents},
		{"Users", testUsers},
		{"UserNameUniqueFolded", testUserNameUnique},
		{"UserVersions", testUserVersions},
		{"Groups", testGroups},
		{"GroupMembersSet", testGroupMembersSet},
		{"GroupMembersLargeList", testListMembersPaging},
		{"DeleteUserLeavesGroups", testDeleteUserLeavesGroups},
		{"FailedWriteLeavesNothing", testFailedWriteLeavesNothing},
		{"TenantIsolation", testTenantIsolation},
		{"QueryFilters", testQueryFilters},
		{"QueryPaging", testQueryPaging},
		{"KeptCounts", testKeptCounts},
		{"ConcurrentMemberAdds", testConcurrentMemberAdds},
		{"ConcurrentUserNames", testConcurrentUserNames},
		{"ConcurrentMixedWrites", testConcurrentMixedWrites},
		{"ConcurrentCreatesKeepValues", testConcurrentCreatesKeepValues},
		{"AccessStore", testAccessStore},
		{"GroupNameUniqueFolded", testGroupNameUnique},
		{"ManagerReference", testManagerReference},
		{"GroupDeleteSideEffects", testGroupDeleteSideEffects},
		{"AdminTokens", testAdminTokens},
		{"SSO", testSSO},
		{"Listing", testListing},
		{"ListUsersByEmail", testListUsersByEmail},
		{"Console", testConsole},
		{"ConsoleSSOSession", testConsoleSSOSession},
		{"Webhooks", testWebhooks},
		{"WebhookLeases", testWebhookLeases},
		{"Retention", testRetention},
		{"RequestLog", testRequestLog},
		{"AccessDerivation", testAccessDerivation},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clock := NewClock()
			s := newStore(t, clock.Now)
			t.Cleanup(func() { s.Close() })
			tc.fn(t, s)
		})
	}
}

var cli = store.Actor{Kind: "cli", Name: "test"}

func id(prefix string) string {
	b := make([]byte, 8)
	rand.Read(b)
	return prefix + "-" + hex.EncodeToString(b)
}

func mustOrg(t *testing.T, s store.Store) store.Org {
	t.Helper()
	o, err := s.CreateOrg(context.Background(), cli, store.Org{ID: id("org"), Name: "Acme", Plan: store.PlanEnterprise, Settings: store.DefaultSettings()})
	if err != nil {
		t.Fatalf("CreateOrg: %v", err)
	}
	return o
}

func mustUser(t *testing.T, s store.Store, org, userName string, vals ...store.Value) store.User {
	t.Helper()
	u, err := s.CreateUser(context.Background(), cli, store.User{
		OrgID: org, ID: id("u"), UserName: userName, Active: true,
		Attributes: json.RawMessage(`{"userName":` + quote(userName) + `}`), Values: vals,
	})
	if err != nil {
		t.Fatalf("CreateUser %q: %v", userName, err)
	}
	return u
}

func mustGroup(t *testing.T, s store.Store, org, name string, members ...string) store.Group {
	t.Helper()
	g, err := s.CreateGroup(context.Background(), cli, store.Group{OrgID: org, ID: id("g"), DisplayName: name}, members)
	if err != nil {
		t.Fatalf("CreateGroup %q: %v", name, err)
	}
	return g
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func events(t *testing.T, s store.Store, org string) []store.Event {
	t.Helper()
	ev, err := s.ListEvents(context.Background(), org, 0, 100000)
	if err != nil {
		t.Fatalf("ListEvents: %v", err)
	}
	return ev
}

func eventTypes(ev []store.Event) []string {
	out := make([]string, len(ev))
	for i, e := range ev {
		out[i] = e.Type
	}
	return out
}

func members(t *testing.T, s store.Store, org, group string) []string {
	t.Helper()
	var out []string
	after := ""
	for {
		page, err := s.ListMembers(context.Background(), org, group, after, 7)
		if err != nil {
			t.Fatalf("ListMembers: %v", err)
		}
		for _, m := range page {
			out = append(out, m.UserID)
		}
		if len(page) < 7 {
			return out
		}
		after = page[len(page)-1].UserID
	}
}

func testOrgs(t *testing.T, s store.Store) {
	ctx := context.Background()
	o := mustOrg(t, s)
	if o.CreatedAt.IsZero() || !o.Settings.AllowMembersCreateWorkspaces || o.Settings.GroupRemoval != store.GroupRemovalRevoke {
		t.Fatalf("new org = %+v, want times and default settings", o)
	}
	got, err := s.GetOrg(ctx, o.ID)
	if err != nil || got != o {
		t.Fatalf("GetOrg = %+v, %v; want %+v", got, err, o)
	}
	if _, err := s.CreateOrg(ctx, cli, store.Org{ID: o.ID, Name: "x", Plan: store.PlanFree, Settings: store.DefaultSettings()}); !errors.Is(err, store.ErrConflict) {
		t.Errorf("duplicate CreateOrg err = %v, want ErrConflict", err)
	}
	if _, err := s.CreateOrg(ctx, cli, store.Org{ID: id("org"), Name: "x", Plan: "gold", Settings: store.DefaultSettings()}); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("CreateOrg with plan gold err = %v, want ErrInvalid", err)
	}
	if _, err := s.GetOrg(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetOrg(nope) err = %v, want ErrNotFound", err)
	}
	o2, err := s.SetOrgPlan(ctx, cli, o.ID, store.PlanFree)
	if err != nil || o2.Plan != store.PlanFree || !o2.UpdatedAt.After(o.UpdatedAt) {
		t.Fatalf("SetOrgPlan = %+v, %v", o2, err)
	}
	if _, err := s.SetOrgPlan(ctx, cli, "nope", store.PlanFree); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("SetOrgPlan(nope) err = %v, want ErrNotFound", err)
	}
	set := store.Settings{AllowMembersCreateWorkspaces: false, GroupRemoval: store.GroupRemovalKeep,
		SignInRedirectURL: "https://app.example.com/sso/callback?tenant=acme", SCIMRateLimit: 40}
	o3, err := s.SetOrgSettings(ctx, cli, o.ID, set)
	if err != nil || o3.Settings != set {
		t.Fatalf("SetOrgSettings = %+v, %v", o3, err)
	}
	if got, err := s.GetOrg(ctx, o.ID); err != nil || got.Settings != set {
		t.Fatalf("GetOrg after SetOrgSettings = %+v, %v; want settings %+v", got, err, set)
	}
	if _, err := s.SetOrgSettings(ctx, cli, o.ID, store.Settings{GroupRemoval: store.GroupRemovalKeep, SCIMRateLimit: -1}); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("SetOrgSettings(rate -1) err = %v, want ErrInvalid", err)
	}
	if _, err := s.SetOrgSettings(ctx, cli, o.ID, store.Settings{GroupRemoval: "maybe"}); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("SetOrgSettings(maybe) err = %v, want ErrInvalid", err)
	}
	// Setting the same value again is not a change: no event.
	if _, err := s.SetOrgSettings(ctx, cli, o.ID, set); err != nil {
		t.Fatal(err)
	}
	if got, want := eventTypes(events(t, s, o.ID)), []string{"org.created", "org.plan_changed", "org.settings_changed"}; !slices.Equal(got, want) {
		t.Errorf("events = %v, want %v", got, want)
	}
	var ids []string
	for i := 0; i < 5; i++ {
		ids = append(ids, mustOrg(t, s).ID)
	}
	ids = append(ids, o.ID)
	sort.Strings(ids)
	var listed []string
	after := ""
	for {
		page, err := s.ListOrgs(ctx, after, 2)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range page {
			listed = append(listed, o.ID)
		}
		if len(page) < 2 {
			break
		}
		after = page[len(page)-1].ID
	}
	if !slices.Equal(listed, ids) {
		t.Errorf("ListOrgs pages = %v, want %v", listed, ids)
	}
}

func testTokens(t *testing.T, s store.Store) {
	ctx := context.Background()
	o := mustOrg(t, s)
	hash := []byte(strings.Repeat("h", 32))
	tk, err := s.CreateToken(ctx, cli, store.Token{ID: id("tk"), OrgID: o.ID, Kind: store.TokenSCIM, Name: "okta", SecretHash: hash, Hint: "abcd"})
	if err != nil {
		t.Fatalf("CreateToken: %v", err)
	}
	if _, err := s.CreateToken(ctx, cli, store.Token{ID: id("tk"), OrgID: "nope", Kind: store.TokenSCIM, SecretHash: hash}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("CreateToken for a missing org err = %v, want ErrNotFound", err)
	}
	if _, err := s.CreateToken(ctx, cli, store.Token{ID: tk.ID, OrgID: o.ID, Kind: store.TokenSCIM, SecretHash: hash}); !errors.Is(err, store.ErrConflict) {
		t.Errorf("CreateToken with a taken id err = %v, want ErrConflict", err)
	}
	got, err := s.GetToken(ctx, tk.ID)
	if err != nil || got.OrgID != o.ID || string(got.SecretHash) != string(hash) || got.Revoked() || !got.LastUsedAt.IsZero() {
		t.Fatalf("GetToken = %+v, %v", got, err)
	}
	used := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	if err := s.TouchToken(ctx, tk.ID, used); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.GetToken(ctx, tk.ID); !got.LastUsedAt.Equal(used) {
		t.Errorf("LastUsedAt = %v, want %v", got.LastUsedAt, used)
	}
	tk2, _ := s.CreateToken(ctx, cli, store.Token{ID: id("tk"), OrgID: o.ID, Kind: store.TokenSCIM, Name: "entra", SecretHash: hash, Hint: "efgh"})
	s.CreateToken(ctx, cli, store.Token{ID: id("tk"), OrgID: o.ID, Kind: store.TokenAPI, Name: "app", SecretHash: hash, Hint: "ijkl"})
	list, err := s.ListTokens(ctx, o.ID, store.TokenSCIM)
	if err != nil || len(list) != 2 || list[0].ID != tk2.ID || list[1].ID != tk.ID {
		t.Fatalf("ListTokens = %+v, %v; want the two SCIM tokens newest first", list, err)
	}
	r, err := s.RevokeToken(ctx, cli, o.ID, tk.ID)
	if err != nil || !r.Revoked() {
		t.Fatalf("RevokeToken = %+v, %v", r, err)
	}
	if again, err := s.RevokeToken(ctx, cli, o.ID, tk.ID); err != nil || !again.RevokedAt.Equal(r.RevokedAt) {
		t.Errorf("second RevokeToken = %+v, %v; want unchanged", again, err)
	}
	if got, _ := s.GetToken(ctx, tk.ID); !got.Revoked() {
		t.Error("revoked token reads as active")
	}
	other := mustOrg(t, s)
	if _, err := s.RevokeToken(ctx, cli, other.ID, tk2.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("revoking another org's token err = %v, want ErrNotFound", err)
	}
	evs := events(t, s, o.ID)
	if got, want := eventTypes(evs), []string{"org.created", "token.created", "token.created", "token.created", "token.revoked"}; !slices.Equal(got, want) {
		t.Errorf("events = %v, want %v", got, want)
	}
	for _, e := range evs {
		if strings.Contains(string(e.Data), string(hash)) {
			t.Errorf("event %s holds the secret hash: %s", e.Type, e.Data)
		}
	}
}

func testEvents(t *testing.T, s store.Store) {
	ctx := context.Background()
	o := mustOrg(t, s)
	actor := store.Actor{Kind: "scim_token", ID: "tk1", Name: "okta"}
	u, err := s.CreateUser(ctx, actor, store.User{OrgID: o.ID, ID: id("u"), UserName: "ann", Active: true, Attributes: json.RawMessage(`{}`)})
	if err != nil {
		t.Fatal(err)
	}
	mustGroup(t, s, o.ID, "Sales", u.ID)
	evs := events(t, s, o.ID)
	for i, e := range evs {
		if e.Seq != int64(i+1) {
			t.Errorf("event %d has seq %d, want %d", i, e.Seq, i+1)
		}
		if e.At.IsZero() || e.OrgID != o.ID {
			t.Errorf("event %+v lacks time or org", e)
		}
	}
	if got, want := eventTypes(evs), []string{"org.created", "user.created", "group.created", "group.members_added"}; !slices.Equal(got, want) {
		t.Fatalf("events = %v, want %v", got, want)
	}
	if evs[1].Actor != actor || evs[1].SubjectType != "user" || evs[1].SubjectID != u.ID {
		t.Errorf("user.created = %+v, want actor %+v and subject user %s", evs[1], actor, u.ID)
	}
	var data struct{ Users []string }
	json.Unmarshal(evs[3].Data, &data)
	if !slices.Equal(data.Users, []string{u.ID}) {
		t.Errorf("members_added data = %s", evs[3].Data)
	}
	tail, err := s.ListEvents(ctx, o.ID, 2, 1)
	if err != nil || len(tail) != 1 || tail[0].Seq != 3 {
		t.Errorf("ListEvents(after 2, limit 1) = %+v, %v", tail, err)
	}
	// Concurrent writers still number events without gaps.
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 5; j++ {
				if _, err := s.CreateUser(ctx, actor, store.User{OrgID: o.ID, ID: id("u"), UserName: id("n"), Active: true, Attributes: json.RawMessage(`{}`)}); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	evs = events(t, s, o.ID)
	if len(evs) != 44 {
		t.Fatalf("%d events, want 44", len(evs))
	}
	for i, e := range evs {
		if e.Seq != int64(i+1) {
			t.Fatalf("event %d has seq %d: gap or disorder", i, e.Seq)
		}
	}
}

func testUsers(t *testing.T, s store.Store) {
	ctx := context.Background()
	o := mustOrg(t, s)
	in := store.User{
		OrgID: o.ID, ID: id("u"), UserName: "Barbara.Jensen@example.com", ExternalID: "00u1", DisplayName: "Babs Jensen",
		Active: true, Attributes: json.RawMessage(`{"userName":"Barbara.Jensen@example.com","title":"Tour Guide"}`),
		Values: []store.Value{{Attr: "title", Str: "Tour Guide"}, {Attr: "emails", Elem: 0, Sub: "value", Str: "bjensen@example.com"}},
	}
	u, err := s.CreateUser(ctx, cli, in)
	if err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	if u.Version != 1 || u.CreatedAt.IsZero() || !u.UpdatedAt.Equal(u.CreatedAt) {
		t.Errorf("created = %+v, want version 1 and times", u)
	}
	got, err := s.GetUser(ctx, o.ID, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.UserName != in.UserName || got.ExternalID != "00u1" || got.DisplayName != "Babs Jensen" || !got.Active ||
		string(got.Attributes) != string(in.Attributes) || !got.CreatedAt.Equal(u.CreatedAt) || got.Version != 1 {
		t.Errorf("GetUser = %+v, want what was created", got)
	}
	if _, err := s.GetUser(ctx, o.ID, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetUser(nope) err = %v", err)
	}
	if _, err := s.CreateUser(ctx, cli, store.User{OrgID: "nope", ID: id("u"), UserName: "x", Attributes: json.RawMessage(`{}`)}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("CreateUser in a missing org err = %v, want ErrNotFound", err)
	}
	upd := got
	upd.Active, upd.DisplayName, upd.ExternalID = false, "", ""
	upd.Values = []store.Value{{Attr: "title", Str: "Chief"}}
	r, err := s.ReplaceUser(ctx, cli, upd, 0)
	if err != nil || r.Version != 2 || !r.UpdatedAt.After(u.UpdatedAt) || !r.CreatedAt.Equal(u.CreatedAt) {
		t.Fatalf("ReplaceUser = %+v, %v", r, err)
	}
	if got, _ := s.GetUser(ctx, o.ID, u.ID); got.Active || got.DisplayName != "" || got.ExternalID != "" {
		t.Errorf("after replace = %+v", got)
	}
	// The old indexed values are gone, the new ones are there.
	page, err := s.QueryUsers(ctx, o.ID, store.Query{Filter: store.Cmp{Field: store.Field{Attr: "title"}, Op: store.OpEq, Value: "tour guide"}, Limit: 10})
	if err != nil || page.Total != 0 {
		t.Errorf("old title still matches: %+v, %v", page, err)
	}
	page, _ = s.QueryUsers(ctx, o.ID, store.Query{Filter: store.Cmp{Field: store.Field{Attr: "title"}, Op: store.OpEq, Value: "chief"}, Limit: 10})
	if page.Total != 1 {
		t.Errorf("new title matches %d users, want 1", page.Total)
	}
	upd.Active = true
	if _, err := s.ReplaceUser(ctx, cli, upd, 0); err != nil {
		t.Fatal(err)
	}
	missing := upd
	missing.ID = "nope"
	if _, err := s.ReplaceUser(ctx, cli, missing, 0); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("ReplaceUser(nope) err = %v", err)
	}
	if err := s.DeleteUser(ctx, cli, o.ID, u.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetUser(ctx, o.ID, u.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("deleted user still there: %v", err)
	}
	if err := s.DeleteUser(ctx, cli, o.ID, u.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("second DeleteUser err = %v", err)
	}
	want := []string{"org.created", "user.created", "user.updated", "user.deactivated", "user.updated", "user.reactivated", "user.deleted"}
	if got := eventTypes(events(t, s, o.ID)); !slices.Equal(got, want) {
		t.Errorf("events = %v, want %v", got, want)
	}
}

func testUserNameUnique(t *testing.T, s store.Store) {
	ctx := context.Background()
	o := mustOrg(t, s)
	a := mustUser(t, s, o.ID, "Ärger@Example.com")
	for _, name := range []string{"ärger@example.com", "ÄRGER@EXAMPLE.COM"} {
		_, err := s.CreateUser(ctx, cli, store.User{OrgID: o.ID, ID: id("u"), UserName: name, Attributes: json.RawMessage(`{}`)})
		var ce *store.ConflictError
		if !errors.As(err, &ce) || ce.Field != "userName" {
			t.Errorf("CreateUser(%q) err = %v, want a userName conflict", name, err)
		}
	}
	b := mustUser(t, s, o.ID, "other@example.com")
	b.UserName = "ärger@EXAMPLE.com"
	if _, err := s.ReplaceUser(ctx, cli, b, 0); !errors.Is(err, store.ErrConflict) {
		t.Errorf("renaming onto a taken userName err = %v, want ErrConflict", err)
	}
	// Renaming a user to another case of its own name is fine.
	a.UserName = "ärger@example.com"
	if _, err := s.ReplaceUser(ctx, cli, a, 0); err != nil {
		t.Errorf("re-casing own userName: %v", err)
	}
	// Another organization may use the same name.
	mustUser(t, s, mustOrg(t, s).ID, "Ärger@Example.com")
}

func testUserVersions(t *testing.T, s store.Store) {
	ctx := context.Background()
	o := mustOrg(t, s)
	u := mustUser(t, s, o.ID, "v@example.com")
	u.DisplayName = "one"
	u2, err := s.ReplaceUser(ctx, cli, u, 1)
	if err != nil || u2.Version != 2 {
		t.Fatalf("ReplaceUser(if 1) = %+v, %v", u2, err)
	}
	u.DisplayName = "stale"
	if _, err := s.ReplaceUser(ctx, cli, u, 1); !errors.Is(err, store.ErrVersionMismatch) {
		t.Errorf("stale ReplaceUser err = %v, want ErrVersionMismatch", err)
	}
	if got, _ := s.GetUser(ctx, o.ID, u.ID); got.DisplayName != "one" {
		t.Errorf("stale write applied: %+v", got)
	}
}

func testGroups(t *testing.T, s store.Store) {
	ctx := context.Background()
	o := mustOrg(t, s)
	a, b, c := mustUser(t, s, o.ID, "a"), mustUser(t, s, o.ID, "b"), mustUser(t, s, o.ID, "c")
	g := mustGroup(t, s, o.ID, "Sales", a.ID, b.ID, a.ID)
	if g.MemberCount != 2 || g.Version != 1 {
		t.Errorf("created group = %+v, want 2 members, version 1", g)
	}
	if _, err := s.CreateGroup(ctx, cli, store.Group{OrgID: o.ID, ID: id("g"), DisplayName: "X"}, []string{a.ID, "ghost"}); !errors.Is(err, store.ErrInvalid) || !strings.Contains(err.Error(), "ghost") {
		t.Errorf("CreateGroup with a missing member err = %v, want ErrInvalid naming it", err)
	}
	got, err := s.GetGroup(ctx, o.ID, g.ID)
	if err != nil || got.DisplayName != "Sales" || got.MemberCount != 2 {
		t.Fatalf("GetGroup = %+v, %v", got, err)
	}
	name, ext := "Sales EMEA", "okta-1"
	g2, err := s.UpdateGroup(ctx, cli, store.GroupUpdate{OrgID: o.ID, ID: g.ID, DisplayName: &name, ExternalID: &ext, Add: []string{c.ID, a.ID}, Remove: []string{b.ID, "never-there"}})
	if err != nil || g2.DisplayName != name || g2.ExternalID != ext || g2.MemberCount != 2 || g2.Version != 2 {
		t.Fatalf("UpdateGroup = %+v, %v", g2, err)
	}
	if got := members(t, s, o.ID, g.ID); !slices.Equal(got, sorted(a.ID, c.ID)) {
		t.Errorf("members = %v, want a and c", got)
	}
	// A change that changes nothing keeps the version and writes no event.
	before := len(events(t, s, o.ID))
	g3, err := s.UpdateGroup(ctx, cli, store.GroupUpdate{OrgID: o.ID, ID: g.ID, DisplayName: &name, Add: []string{a.ID}, Remove: []string{b.ID}})
	if err != nil || g3.Version != 2 || len(events(t, s, o.ID)) != before {
		t.Errorf("no-op UpdateGroup = %+v, %v; events %d→%d", g3, err, before, len(events(t, s, o.ID)))
	}
	if _, err := s.UpdateGroup(ctx, cli, store.GroupUpdate{OrgID: o.ID, ID: g.ID, IfVersion: 1, Add: []string{b.ID}}); !errors.Is(err, store.ErrVersionMismatch) {
		t.Errorf("stale UpdateGroup err = %v", err)
	}
	if _, err := s.UpdateGroup(ctx, cli, store.GroupUpdate{OrgID: o.ID, ID: "nope", Add: []string{b.ID}}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("UpdateGroup(nope) err = %v", err)
	}
	empty := ""
	if _, err := s.UpdateGroup(ctx, cli, store.GroupUpdate{OrgID: o.ID, ID: g.ID, DisplayName: &empty}); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("empty displayName err = %v", err)
	}
	refs, err := s.UserGroups(ctx, o.ID, []string{a.ID, b.ID})
	if err != nil || len(refs[a.ID]) != 1 || refs[a.ID][0] != (store.GroupRef{GroupID: g.ID, DisplayName: name}) || len(refs[b.ID]) != 0 {
		t.Errorf("UserGroups = %+v, %v", refs, err)
	}
	ms, _ := s.ListMembers(ctx, o.ID, g.ID, "", 10)
	if len(ms) != 2 || ms[0].Display == "" {
		t.Errorf("ListMembers = %+v, want displays", ms)
	}
	if _, err := s.ListMembers(ctx, o.ID, "nope", "", 10); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("ListMembers(nope) err = %v", err)
	}
	if err := s.DeleteGroup(ctx, cli, o.ID, g.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetGroup(ctx, o.ID, g.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("deleted group still there: %v", err)
	}
	if refs, _ := s.UserGroups(ctx, o.ID, []string{a.ID}); len(refs[a.ID]) != 0 {
		t.Errorf("deleted group still listed on its member: %+v", refs)
	}
	if _, err := s.GetUser(ctx, o.ID, a.ID); err != nil {
		t.Errorf("deleting a group deleted its member: %v", err)
	}
	want := []string{"org.created", "user.created", "user.created", "user.created", "group.created", "group.members_added",
		"group.updated", "group.members_added", "group.members_removed", "group.deleted"}
	if got := eventTypes(events(t, s, o.ID)); !slices.Equal(got, want) {
		t.Errorf("events = %v, want %v", got, want)
	}
}

func sorted(ids ...string) []string {
	out := slices.Clone(ids)
	sort.Strings(out)
	return out
}

func testGroupMembersSet(t *testing.T, s store.Store) {
	ctx := context.Background()
	o := mustOrg(t, s)
	var us []string
	for i := 0; i < 6; i++ {
		us = append(us, mustUser(t, s, o.ID, fmt.Sprintf("user%d", i)).ID)
	}
	g := mustGroup(t, s, o.ID, "Team", us[0], us[1], us[2])
	before := len(events(t, s, o.ID))
	g2, err := s.UpdateGroup(ctx, cli, store.GroupUpdate{OrgID: o.ID, ID: g.ID, SetMembers: true, Members: []string{us[1], us[2], us[3], us[4]}})
	if err != nil || g2.MemberCount != 4 {
		t.Fatalf("set members = %+v, %v", g2, err)
	}
	if got := members(t, s, o.ID, g.ID); !slices.Equal(got, sorted(us[1], us[2], us[3], us[4])) {
		t.Errorf("members = %v", got)
	}
	evs := events(t, s, o.ID)[before:]
	var added, removed struct{ Users []string }
	json.Unmarshal(evs[0].Data, &added)
	json.Unmarshal(evs[1].Data, &removed)
	// Only the difference is applied: unchanged members appear in no event.
	if !slices.Equal(added.Users, sorted(us[3], us[4])) || !slices.Equal(removed.Users, []string{us[0]}) {
		t.Errorf("set members events = %s / %s", evs[0].Data, evs[1].Data)
	}
	g3, err := s.UpdateGroup(ctx, cli, store.GroupUpdate{OrgID: o.ID, ID: g.ID, SetMembers: true})
	if err != nil || g3.MemberCount != 0 || len(members(t, s, o.ID, g.ID)) != 0 {
		t.Errorf("set empty members = %+v, %v", g3, err)
	}
}

func testListMembersPaging(t *testing.T, s store.Store) {
	o := mustOrg(t, s)
	var ids []string
	for i := 0; i < 30; i++ {
		ids = append(ids, mustUser(t, s, o.ID, fmt.Sprintf("m%02d", i)).ID)
	}
	g := mustGroup(t, s, o.ID, "Big", ids...)
	if got := members(t, s, o.ID, g.ID); !slices.Equal(got, sorted(ids...)) {
		t.Errorf("paged members = %d, want all 30 in id order", len(got))
	}
}

func testDeleteUserLeavesGroups(t *testing.T, s store.Store) {
	ctx := context.Background()
	o := mustOrg(t, s)
	a, b := mustUser(t, s, o.ID, "a"), mustUser(t, s, o.ID, "b")
	g1 := mustGroup(t, s, o.ID, "One", a.ID, b.ID)
	g2 := mustGroup(t, s, o.ID, "Two", a.ID)
	if err := s.DeleteUser(ctx, cli, o.ID, a.ID); err != nil {
		t.Fatal(err)
	}
	for _, g := range []store.Group{g1, g2} {
		got, _ := s.GetGroup(ctx, o.ID, g.ID)
		if slices.Contains(members(t, s, o.ID, g.ID), a.ID) || got.MemberCount != g.MemberCount-1 || got.Version != g.Version+1 {
			t.Errorf("group %s after deleting its member: %+v", g.DisplayName, got)
		}
	}
	evs := events(t, s, o.ID)
	last := evs[len(evs)-1]
	var data struct{ Groups []string }
	json.Unmarshal(last.Data, &data)
	if last.Type != "user.deleted" || !slices.Equal(data.Groups, sorted(g1.ID, g2.ID)) {
		t.Errorf("last event = %s %s, want user.deleted naming both groups", last.Type, last.Data)
	}
}

func testFailedWriteLeavesNothing(t *testing.T, s store.Store) {
	ctx := context.Background()
	o := mustOrg(t, s)
	a, b := mustUser(t, s, o.ID, "a"), mustUser(t, s, o.ID, "b")
	g := mustGroup(t, s, o.ID, "G", a.ID)
	before := events(t, s, o.ID)
	name := "Renamed"
	// The rename and the valid add come before the invalid member: all of it
	// must be rolled back.
	_, err := s.UpdateGroup(ctx, cli, store.GroupUpdate{OrgID: o.ID, ID: g.ID, DisplayName: &name, Add: []string{b.ID, "ghost"}, Remove: []string{a.ID}})
	if !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("UpdateGroup with a missing member err = %v, want ErrInvalid", err)
	}
	got, _ := s.GetGroup(ctx, o.ID, g.ID)
	if got != g {
		t.Errorf("group changed by a failed write: %+v, was %+v", got, g)
	}
	if m := members(t, s, o.ID, g.ID); !slices.Equal(m, []string{a.ID}) {
		t.Errorf("members changed by a failed write: %v", m)
	}
	if _, err := s.CreateUser(ctx, cli, store.User{OrgID: o.ID, ID: id("u"), UserName: "A", Attributes: json.RawMessage(`{}`),
		Values: []store.Value{{Attr: "title", Str: "x"}}}); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("duplicate user err = %v", err)
	}
	if after := events(t, s, o.ID); len(after) != len(before) {
		t.Errorf("failed writes left events: %v", eventTypes(after[len(before):]))
	}
	page, _ := s.QueryUsers(ctx, o.ID, store.Query{Filter: store.Present{Field: store.Field{Attr: "title"}}, Limit: 10})
	if page.Total != 0 {
		t.Errorf("failed create left indexed values")
	}
	// The event numbering continues without a gap after the failures.
	mustUser(t, s, o.ID, "c")
	evs := events(t, s, o.ID)
	if evs[len(evs)-1].Seq != int64(len(evs)) {
		t.Errorf("seq after failures = %d, want %d", evs[len(evs)-1].Seq, len(evs))
	}
}

func testTenantIsolation(t *testing.T, s store.Store) {
	ctx := context.Background()
	a, b := mustOrg(t, s), mustOrg(t, s)
	ua := mustUser(t, s, a.ID, "shared@example.com")
	ub := mustUser(t, s, b.ID, "b@example.com")
	ga := mustGroup(t, s, a.ID, "A", ua.ID)
	notFound := func(what string, err error) {
		t.Helper()
		if !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s across organizations err = %v, want ErrNotFound", what, err)
		}
	}
	_, err := s.GetUser(ctx, b.ID, ua.ID)
	notFound("GetUser", err)
	cross := ua
	cross.OrgID = b.ID
	_, err = s.ReplaceUser(ctx, cli, cross, 0)
	notFound("ReplaceUser", err)
	notFound("DeleteUser", s.DeleteUser(ctx, cli, b.ID, ua.ID))
	_, err = s.GetGroup(ctx, b.ID, ga.ID)
	notFound("GetGroup", err)
	_, err = s.UpdateGroup(ctx, cli, store.GroupUpdate{OrgID: b.ID, ID: ga.ID, Add: []string{ub.ID}})
	notFound("UpdateGroup", err)
	notFound("DeleteGroup", s.DeleteGroup(ctx, cli, b.ID, ga.ID))
	_, err = s.ListMembers(ctx, b.ID, ga.ID, "", 10)
	notFound("ListMembers", err)
	// A group of B cannot take a user of A as member.
	gb := mustGroup(t, s, b.ID, "B")
	if _, err := s.UpdateGroup(ctx, cli, store.GroupUpdate{OrgID: b.ID, ID: gb.ID, Add: []string{ua.ID}}); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("adding another org's user err = %v, want ErrInvalid", err)
	}
	refs, _ := s.UserGroups(ctx, b.ID, []string{ua.ID})
	if len(refs[ua.ID]) != 0 {
		t.Errorf("UserGroups across organizations = %+v", refs)
	}
	page, err := s.QueryUsers(ctx, b.ID, store.Query{Limit: 100})
	if err != nil || page.Total != 1 || page.Items[0].ID != ub.ID {
		t.Errorf("QueryUsers in B = %+v, %v; want only B's user", page, err)
	}
	page, err = s.QueryUsers(ctx, b.ID, store.Query{Filter: store.Cmp{Field: store.Field{Attr: "username"}, Op: store.OpEq, Value: "shared@example.com"}, Limit: 10})
	if err != nil || page.Total != 0 {
		t.Errorf("filtering B for A's userName = %+v, %v; want nothing", page, err)
	}
	gp, _ := s.QueryGroups(ctx, b.ID, store.Query{Limit: 100})
	if gp.Total != 1 || gp.Items[0].ID != gb.ID {
		t.Errorf("QueryGroups in B = %+v", gp)
	}
	for _, e := range events(t, s, b.ID) {
		if e.SubjectID == ua.ID || e.SubjectID == ga.ID {
			t.Errorf("B's event log holds A's %s", e.Type)
		}
	}
}
