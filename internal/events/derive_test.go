package events_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/events"
	"github.com/rosterhq/roster/internal/store"
)

// changes reads the access.changed events after seq: user ids by cause
// type, and every (user, cause seq) pair, to find duplicates.
type changes struct {
	byCause map[string][]string
	pairs   []string
	last    int64
}

func readChanges(t *testing.T, s store.Store, org string, after int64) changes {
	t.Helper()
	c := changes{byCause: map[string][]string{}, last: after}
	for {
		evs, err := s.ListEvents(context.Background(), org, c.last, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) == 0 {
			break
		}
		for _, ev := range evs {
			c.last = ev.Seq
			if ev.Type != events.TypeAccessChanged {
				continue
			}
			var d struct {
				UserID    string `json:"user_id"`
				CauseSeq  int64  `json:"cause_seq"`
				CauseType string `json:"cause_type"`
			}
			if err := json.Unmarshal(ev.Data, &d); err != nil || d.UserID != ev.SubjectID || d.CauseSeq < 1 || d.CauseSeq >= ev.Seq {
				t.Fatalf("access.changed %d: %s", ev.Seq, ev.Data)
			}
			c.byCause[d.CauseType] = append(c.byCause[d.CauseType], d.UserID)
			c.pairs = append(c.pairs, fmt.Sprintf("%s@%d", d.UserID, d.CauseSeq))
		}
	}
	for k := range c.byCause {
		slices.Sort(c.byCause[k])
	}
	return c
}

// drain derives until nothing is left.
func drain(t *testing.T, d *events.Deriver) {
	t.Helper()
	for i := 0; ; i++ {
		if i > 10000 {
			t.Fatal("the deriver does not finish")
		}
		busy, err := d.Derive(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if !busy {
			return
		}
	}
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// TestAccessChangedCauses makes each change of the list and checks
// the users its access.changed name: group membership, grants, folder team
// access, direct membership, deactivation, deletion, the group-removal
// setting and group deletion — and none for changes of no one's access.
func TestAccessChangedCauses(t *testing.T) {
	engines(t, func(t *testing.T, s store.Store) {
		ctx := context.Background()
		o := mustOrg(t, s)
		d := &events.Deriver{Store: s, Owner: "test", Logger: quiet()}
		drain(t, d)
		at := readChanges(t, s, o.ID, 0).last
		// step makes a change, derives, and checks the users named.
		step := func(what string, change func(), want map[string][]string) {
			t.Helper()
			change()
			drain(t, d)
			got := readChanges(t, s, o.ID, at)
			at = got.last
			for k := range want {
				slices.Sort(want[k])
			}
			if fmt.Sprint(got.byCause) != fmt.Sprint(want) {
				t.Errorf("%s: access.changed %v, want %v", what, got.byCause, want)
			}
		}
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		user := func(name string) string {
			u, err := s.CreateUser(ctx, cli, store.User{OrgID: o.ID, ID: "u-" + name, UserName: name + "@example.com", Active: true, Attributes: json.RawMessage(`{}`)})
			must(err)
			return u.ID
		}
		var ann, bob, cat, dan, eve string
		step("users created", func() { ann, bob, cat, dan, eve = user("ann"), user("bob"), user("cat"), user("dan"), user("eve") }, map[string][]string{})
		var sales store.Group
		step("group created with members", func() {
			var err error
			sales, err = s.CreateGroup(ctx, cli, store.Group{OrgID: o.ID, ID: "g-sales", DisplayName: "Sales"}, []string{ann, bob})
			must(err)
		}, map[string][]string{"group.members_added": {ann, bob}})
		var ws store.Workspace
		var plans store.Folder
		step("workspace and folder created", func() {
			var err error
			ws, _, err = s.CreateWorkspace(ctx, cli, store.Workspace{OrgID: o.ID, ID: "w-1", Name: "Sales"}, store.Folder{ID: "f-home", Name: "Home"}, "")
			must(err)
			plans, err = s.CreateFolder(ctx, cli, store.Folder{OrgID: o.ID, ID: "f-plans", WorkspaceID: ws.ID, Name: "Plans", TeamAccess: store.TeamAccessWorkspace})
			must(err)
		}, map[string][]string{})
		grant := func(rt store.ResourceType, id string, role store.Role) {
			_, _, err := s.PutGrant(ctx, cli, store.Grant{OrgID: o.ID, ResourceType: rt, ResourceID: id, GroupID: sales.ID, Role: role})
			must(err)
		}
		step("grant created", func() { grant(store.ResourceWorkspace, ws.ID, store.RoleViewer) }, map[string][]string{"grant.created": {ann, bob}})
		step("member added to the group", func() {
			_, err := s.UpdateGroup(ctx, cli, store.GroupUpdate{OrgID: o.ID, ID: sales.ID, Add: []string{cat}})
			must(err)
		}, map[string][]string{"group.members_added": {cat}})
		step("member removed from the group", func() {
			_, err := s.UpdateGroup(ctx, cli, store.GroupUpdate{OrgID: o.ID, ID: sales.ID, Remove: []string{ann}})
			must(err)
		}, map[string][]string{"group.members_removed": {ann}})
		step("grant changed", func() { grant(store.ResourceWorkspace, ws.ID, store.RoleEditor) }, map[string][]string{"grant.updated": {bob, cat}})
		step("direct member added", func() {
			_, err := s.PutMember(ctx, cli, store.ResourceMember{OrgID: o.ID, ResourceType: store.ResourceFolder, ResourceID: plans.ID, UserID: dan, Origin: store.OriginInvited, Role: store.RoleViewer})
			must(err)
		}, map[string][]string{"member.added": {dan}})
		step("folder renamed", func() {
			name := "Plans 2027"
			_, err := s.UpdateFolder(ctx, cli, store.FolderUpdate{OrgID: o.ID, ID: plans.ID, Name: &name})
			must(err)
		}, map[string][]string{})
		step("folder made invite only", func() {
			ta := store.TeamAccessInviteOnly
			_, err := s.UpdateFolder(ctx, cli, store.FolderUpdate{OrgID: o.ID, ID: plans.ID, TeamAccess: &ta})
			must(err)
		}, map[string][]string{"folder.updated": {bob, cat, dan}})
		step("folder grant", func() { grant(store.ResourceFolder, plans.ID, store.RoleChecker) }, map[string][]string{"grant.created": {bob, cat}})
		step("user joins through the group", func() {
			_, err := s.JoinMembers(ctx, cli, []store.ResourceMember{{OrgID: o.ID, ResourceType: store.ResourceFolder, ResourceID: plans.ID, UserID: bob, Origin: store.OriginGroupPrefix + sales.ID, Role: store.RoleChecker}})
			must(err)
		}, map[string][]string{})
		step("group-removal setting changed", func() {
			set := store.DefaultSettings()
			set.GroupRemoval = store.GroupRemovalKeep
			_, err := s.SetOrgSettings(ctx, cli, o.ID, set)
			must(err)
		}, map[string][]string{"org.settings_changed": {bob}})
		step("other settings changed", func() {
			set := store.DefaultSettings()
			set.GroupRemoval = store.GroupRemovalKeep
			set.AllowMembersCreateWorkspaces = !set.AllowMembersCreateWorkspaces
			_, err := s.SetOrgSettings(ctx, cli, o.ID, set)
			must(err)
		}, map[string][]string{})
		step("user deactivated", func() {
			u, err := s.GetUser(ctx, o.ID, cat)
			must(err)
			u.Active = false
			_, err = s.ReplaceUser(ctx, cli, u, 0)
			must(err)
		}, map[string][]string{"user.deactivated": {cat}})
		step("user reactivated", func() {
			u, err := s.GetUser(ctx, o.ID, cat)
			must(err)
			u.Active = true
			_, err = s.ReplaceUser(ctx, cli, u, 0)
			must(err)
		}, map[string][]string{"user.reactivated": {cat}})
		step("user deleted", func() { must(s.DeleteUser(ctx, cli, o.ID, dan)) }, map[string][]string{"user.deleted": {dan}})
		step("folder grant deleted", func() { must(s.DeleteGrant(ctx, cli, o.ID, store.ResourceFolder, plans.ID, sales.ID)) }, map[string][]string{"grant.deleted": {bob, cat}})
		step("org role set", func() {
			_, err := s.SetOrgRole(ctx, cli, o.ID, eve, "admin")
			must(err)
		}, map[string][]string{"org.role_set": {eve}})
		step("group with a grant deleted", func() { must(s.DeleteGroup(ctx, cli, o.ID, sales.ID)) }, map[string][]string{"group.deleted": {bob, cat}})
		step("group without grants deleted", func() {
			g, err := s.CreateGroup(ctx, cli, store.Group{OrgID: o.ID, ID: "g-idle", DisplayName: "Idle"}, nil)
			must(err)
			_, err = s.UpdateGroup(ctx, cli, store.GroupUpdate{OrgID: o.ID, ID: g.ID, Add: []string{eve}})
			must(err)
			drain(t, d)
			at = readChanges(t, s, o.ID, at).last
			must(s.DeleteGroup(ctx, cli, o.ID, g.ID))
		}, map[string][]string{})
	})
}

// TestAccessChangedAfterGroupDeletion derives a grant only after its
// group was deleted: the members the store kept are named, once each.
func TestAccessChangedAfterGroupDeletion(t *testing.T) {
	engines(t, func(t *testing.T, s store.Store) {
		ctx := context.Background()
		o := mustOrg(t, s)
		addUsers(t, s, o.ID, 3)
		page, err := s.QueryUsers(ctx, o.ID, store.Query{Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, u := range page.Items {
			ids = append(ids, u.ID)
		}
		slices.Sort(ids)
		g, err := s.CreateGroup(ctx, cli, store.Group{OrgID: o.ID, ID: "g-1", DisplayName: "G"}, ids)
		if err != nil {
			t.Fatal(err)
		}
		ws, _, err := s.CreateWorkspace(ctx, cli, store.Workspace{OrgID: o.ID, ID: "w-1", Name: "W"}, store.Folder{ID: "f-1", Name: "Home"}, "")
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.PutGrant(ctx, cli, store.Grant{OrgID: o.ID, ResourceType: store.ResourceWorkspace, ResourceID: ws.ID, GroupID: g.ID, Role: store.RoleViewer}); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteGroup(ctx, cli, o.ID, g.ID); err != nil {
			t.Fatal(err)
		}
		drain(t, &events.Deriver{Store: s, Owner: "late", Logger: quiet()})
		got := readChanges(t, s, o.ID, 0)
		want := map[string][]string{"group.members_added": ids, "grant.created": ids, "group.deleted": ids}
		if fmt.Sprint(got.byCause) != fmt.Sprint(want) {
			t.Errorf("access.changed %v, want %v", got.byCause, want)
		}
		// The kept members are gone once the deletion is derived.
		if left, err := s.AccessAudienceUsers(ctx, o.ID, store.AccessAudience{Groups: []string{g.ID}}, "", 10); err != nil || len(left) != 0 {
			t.Errorf("kept members after the deletion was derived: %v %v", left, err)
		}
	})
}

// TestAccessChangedBigGroup grants a group of 3,000 to show the request
// does not wait (no access.changed exists when PutGrant returns), and
// derives it in batches of 100, one batch per turn, across deriver
// restarts and with two derivers at once: every member is named exactly
// once.
func TestAccessChangedBigGroup(t *testing.T) {
	engines(t, func(t *testing.T, s store.Store) {
		ctx := context.Background()
		o := mustOrg(t, s)
		const n = 3000
		ids := make([]string, n)
		for i := range ids {
			ids[i] = fmt.Sprintf("u-%05d", i)
			if _, err := s.CreateUser(ctx, cli, store.User{OrgID: o.ID, ID: ids[i], UserName: ids[i] + "@example.com", Active: true, Attributes: json.RawMessage(`{}`)}); err != nil {
				t.Fatal(err)
			}
		}
		g, err := s.CreateGroup(ctx, cli, store.Group{OrgID: o.ID, ID: "g-big", DisplayName: "Everyone"}, ids)
		if err != nil {
			t.Fatal(err)
		}
		drain(t, &events.Deriver{Store: s, Owner: "a", Batch: 1000, Logger: quiet()})
		from := readChanges(t, s, o.ID, 0).last
		ws, _, err := s.CreateWorkspace(ctx, cli, store.Workspace{OrgID: o.ID, ID: "w-1", Name: "All"}, store.Folder{ID: "f-1", Name: "Home"}, "")
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		if _, _, err := s.PutGrant(ctx, cli, store.Grant{OrgID: o.ID, ResourceType: store.ResourceWorkspace, ResourceID: ws.ID, GroupID: g.ID, Role: store.RoleViewer}); err != nil {
			t.Fatal(err)
		}
		took := time.Since(start)
		if c := readChanges(t, s, o.ID, from); len(c.pairs) != 0 {
			t.Fatalf("PutGrant returned with %d access.changed already written: it waited for them", len(c.pairs))
		}
		t.Logf("PutGrant to %d members took %s", n, took)
		// Restarts: a new deriver each turn, one batch a turn.
		for i := 0; i < 5; i++ {
			d := &events.Deriver{Store: s, Owner: "a", Batch: 100, Slice: time.Nanosecond, Logger: quiet()}
			if _, err := d.Derive(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if c := readChanges(t, s, o.ID, from); len(c.pairs) != 500 {
			t.Fatalf("after five one-batch turns %d access.changed, want 500", len(c.pairs))
		}
		// Two derivers at once, under different owners, finish it.
		var wg sync.WaitGroup
		errs := make(chan error, 2)
		for _, owner := range []string{"a", "b"} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				d := &events.Deriver{Store: s, Owner: owner, Batch: 100, Slice: time.Millisecond, Lease: time.Nanosecond, Logger: quiet()}
				for i := 0; i < 10000; i++ {
					busy, err := d.Derive(ctx)
					if err != nil {
						errs <- err
						return
					}
					if !busy {
						return
					}
				}
				errs <- fmt.Errorf("deriver %s does not finish", owner)
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		c := readChanges(t, s, o.ID, from)
		if got := c.byCause["grant.created"]; !slices.Equal(got, ids) {
			t.Fatalf("grant.created named %d users, want each of the %d once", len(got), n)
		}
		seen := map[string]bool{}
		for _, p := range c.pairs {
			if seen[p] {
				t.Fatalf("%s named twice", strings.Split(p, "@")[0])
			}
			seen[p] = true
		}
	})
}
