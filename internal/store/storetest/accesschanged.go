package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/store"
)

// testAccessDerivation pins the store's side of access.changed: a new
// organization's cursor starts at 0 and is leased to one owner at a time;
// the audience of a change is its users in id order, paged, without
// duplicates, the members of a deleted group kept until purged; and a
// recorded batch appends its events only if the cursor is where the
// deriver read it.
func testAccessDerivation(t *testing.T, s store.Store) {
	ctx := context.Background()
	now := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	o := mustOrg(t, s)
	var users []string
	for _, n := range []string{"a@x.test", "b@x.test", "c@x.test", "d@x.test", "e@x.test"} {
		users = append(users, mustUser(t, s, o.ID, n).ID)
	}
	slices.Sort(users)
	g := mustGroup(t, s, o.ID, "Sales", users[:3]...)
	other := mustGroup(t, s, o.ID, "Ops", users[2:4]...)

	claim := func(owner string, at time.Time) []store.AccessDerivation {
		t.Helper()
		cs, err := s.ClaimAccessDerivations(ctx, owner, at, at.Add(time.Minute), 100)
		if err != nil {
			t.Fatalf("ClaimAccessDerivations: %v", err)
		}
		var mine []store.AccessDerivation
		for _, c := range cs {
			if c.Cursor.OrgID == o.ID {
				mine = append(mine, c)
			}
		}
		return mine
	}
	cs := claim("one", now)
	last, err := s.EventSeq(ctx, o.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 1 || cs[0].Cursor != (store.AccessCursor{OrgID: o.ID}) || cs[0].Last != last {
		t.Fatalf("first claim = %+v, want the cursor at 0 and last %d", cs, last)
	}
	if got := claim("two", now.Add(30*time.Second)); len(got) != 0 {
		t.Fatalf("another owner claimed a leased derivation: %+v", got)
	}
	if got := claim("one", now.Add(30*time.Second)); len(got) != 1 {
		t.Fatalf("the owner could not renew its lease: %+v", got)
	}
	if got := claim("two", now.Add(2*time.Minute)); len(got) != 1 {
		t.Fatalf("an ended lease was not taken over: %+v", got)
	}

	// Audiences: union, id order, paging, no duplicates.
	aud := func(a store.AccessAudience, after string, limit int) []string {
		t.Helper()
		ids, err := s.AccessAudienceUsers(ctx, o.ID, a, after, limit)
		if err != nil {
			t.Fatalf("AccessAudienceUsers(%+v): %v", a, err)
		}
		return ids
	}
	both := store.AccessAudience{Users: []string{users[4], users[0]}, Groups: []string{g.ID, other.ID}}
	if got := aud(both, "", 10); !slices.Equal(got, users) {
		t.Errorf("audience of both groups and two users = %v, want %v", got, users)
	}
	if got := aud(both, "", 2); !slices.Equal(got, users[:2]) {
		t.Errorf("first page = %v, want %v", got, users[:2])
	}
	if got := aud(both, users[1], 2); !slices.Equal(got, users[2:4]) {
		t.Errorf("second page = %v, want %v", got, users[2:4])
	}
	ws, _, err := s.CreateWorkspace(ctx, cli, store.Workspace{OrgID: o.ID, ID: id("w"), Name: "Sales"}, store.Folder{ID: id("f"), Name: "Home"}, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.PutGrant(ctx, cli, store.Grant{OrgID: o.ID, ResourceType: store.ResourceWorkspace, ResourceID: ws.ID, GroupID: other.ID, Role: store.RoleViewer}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PutMember(ctx, cli, store.ResourceMember{OrgID: o.ID, ResourceType: store.ResourceWorkspace, ResourceID: ws.ID, UserID: users[4], Origin: store.OriginInvited, Role: store.RoleEditor}); err != nil {
		t.Fatal(err)
	}
	onWS := store.AccessAudience{Resources: []store.ResourceRef{{Type: store.ResourceWorkspace, ID: ws.ID}}}
	if got, want := aud(onWS, "", 10), []string{users[2], users[3], users[4]}; !slices.Equal(got, want) {
		t.Errorf("audience of the workspace = %v, want its group's members and its member %v", got, want)
	}

	// A deleted group's members stay readable until purged; DeletedGroup
	// names them only if the group had grants.
	if err := s.DeleteGroup(ctx, cli, o.ID, other.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteGroup(ctx, cli, o.ID, g.ID); err != nil {
		t.Fatal(err)
	}
	if got := aud(store.AccessAudience{Groups: []string{other.ID}}, "", 10); !slices.Equal(got, users[2:4]) {
		t.Errorf("members of the deleted group = %v, want %v", got, users[2:4])
	}
	if got := aud(store.AccessAudience{DeletedGroup: other.ID}, "", 10); !slices.Equal(got, users[2:4]) {
		t.Errorf("deleted granted group = %v, want %v", got, users[2:4])
	}
	if got := aud(store.AccessAudience{DeletedGroup: g.ID}, "", 10); len(got) != 0 {
		t.Errorf("a deleted group without grants names %v", got)
	}

	// Recording: conditional on the cursor.
	cur := store.AccessCursor{OrgID: o.ID}
	to := store.AccessCursor{OrgID: o.ID, Seq: 3, After: users[1]}
	changes := []store.AccessChange{{UserID: users[0], CauseSeq: 3, CauseType: "grant.created"}, {UserID: users[1], CauseSeq: 3, CauseType: "grant.created"}}
	before, _ := s.EventSeq(ctx, o.ID)
	if err := s.RecordAccessDerivation(ctx, store.AccessCursor{OrgID: o.ID, Seq: 1}, to, changes, ""); !errors.Is(err, store.ErrVersionMismatch) {
		t.Fatalf("record from the wrong cursor = %v, want ErrVersionMismatch", err)
	}
	if after, _ := s.EventSeq(ctx, o.ID); after != before {
		t.Fatalf("a refused record appended %d events", after-before)
	}
	if err := s.RecordAccessDerivation(ctx, cur, to, changes, other.ID); err != nil {
		t.Fatalf("RecordAccessDerivation: %v", err)
	}
	if err := s.RecordAccessDerivation(ctx, cur, to, changes, ""); !errors.Is(err, store.ErrVersionMismatch) {
		t.Fatalf("recording the same batch twice = %v, want ErrVersionMismatch", err)
	}
	evs, err := s.ListEvents(ctx, o.ID, before, 10)
	if err != nil || len(evs) != 2 {
		t.Fatalf("events after the record = %+v, %v; want 2", evs, err)
	}
	for i, ev := range evs {
		var d struct {
			UserID    string `json:"user_id"`
			CauseSeq  int64  `json:"cause_seq"`
			CauseType string `json:"cause_type"`
		}
		json.Unmarshal(ev.Data, &d)
		if ev.Type != "access.changed" || ev.SubjectType != "user" || ev.SubjectID != users[i] || d.UserID != users[i] || d.CauseSeq != 3 || d.CauseType != "grant.created" || ev.Actor.Kind != "system" {
			t.Errorf("event %d = %+v (%s)", i, ev, ev.Data)
		}
	}
	if got := aud(store.AccessAudience{Groups: []string{other.ID}}, "", 10); len(got) != 0 {
		t.Errorf("purged group still names %v", got)
	}
	if got := claim("two", now.Add(3*time.Minute)); len(got) != 1 || got[0].Cursor != to {
		t.Errorf("claim after the record = %+v, want the cursor at %+v", got, to)
	}
}
