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

	"github.com/rosterhq/roster/internal/store"
)

// testGroupNameUnique pins that a group's displayName is unique per
// organization, folded, on create and rename, and that racing creates
// cannot both succeed.
func testGroupNameUnique(t *testing.T, s store.Store) {
	ctx := context.Background()
	o, other := mustOrg(t, s), mustOrg(t, s)
	eng := mustGroup(t, s, o.ID, "Engineering")
	sales := mustGroup(t, s, o.ID, "Sales")
	mustGroup(t, s, other.ID, "ENGINEERING") // another organization may

	isNameConflict := func(err error, name string) bool {
		var ce *store.ConflictError
		return errors.As(err, &ce) && errors.Is(err, store.ErrConflict) && ce.Field == "displayName" && ce.Value == name
	}
	before := len(events(t, s, o.ID))
	rename := func(g store.Group, name string) error {
		_, err := s.UpdateGroup(ctx, cli, store.GroupUpdate{OrgID: o.ID, ID: g.ID, DisplayName: &name})
		return err
	}
	tests := []struct {
		name string
		do   func() error
		want string // the name a conflict reports; "" for success
	}{
		{"create, other case", func() error {
			_, err := s.CreateGroup(ctx, cli, store.Group{OrgID: o.ID, ID: id("g"), DisplayName: "engineering"}, nil)
			return err
		}, "engineering"},
		{"create, same case", func() error {
			_, err := s.CreateGroup(ctx, cli, store.Group{OrgID: o.ID, ID: id("g"), DisplayName: "Engineering"}, nil)
			return err
		}, "Engineering"},
		{"rename onto another group", func() error { return rename(sales, "ENGINEERING") }, "ENGINEERING"},
		{"rename, own name in another case", func() error { return rename(eng, "engineering") }, ""},
		{"rename to a free name", func() error { return rename(sales, "Sales EMEA") }, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.do()
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("err = %v, want success", err)
			case tc.want != "" && !isNameConflict(err, tc.want):
				t.Errorf("err = %v, want a ConflictError on displayName %q", err, tc.want)
			}
		})
	}
	if got, want := len(events(t, s, o.ID))-before, 2; got != want {
		t.Errorf("%d events for two renames and three refusals, want %d", got, want)
	}
	if g, err := s.GetGroup(ctx, o.ID, sales.ID); err != nil || g.DisplayName != "Sales EMEA" {
		t.Errorf("after the refused rename: %+v, %v", g, err)
	}

	// The old name of a renamed group is free again.
	if _, err := s.CreateGroup(ctx, cli, store.Group{OrgID: o.ID, ID: id("g"), DisplayName: "sales"}, nil); err != nil {
		t.Errorf("create with a name given up by a rename: %v", err)
	}

	// Racing creates, released together: exactly one wins, whatever the
	// engine. On PostgreSQL they pass the name check side by side, and only
	// the unique index stops the others.
	for round := 0; round < 10; round++ {
		var wg sync.WaitGroup
		var mu sync.Mutex
		created, conflicts := 0, 0
		name := fmt.Sprintf("Race %d", round)
		start := make(chan struct{})
		for i := 0; i < 8; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				_, err := s.CreateGroup(ctx, cli, store.Group{OrgID: o.ID, ID: id("g"), DisplayName: name}, nil)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					created++
				case isNameConflict(err, name):
					conflicts++
				default:
					t.Errorf("CreateGroup: %v", err)
				}
			}()
		}
		close(start)
		wg.Wait()
		if created != 1 || conflicts != 7 {
			t.Errorf("8 racing creates of group %q: %d created, %d conflicts; want 1 and 7", name, created, conflicts)
		}
	}
}

// testManagerReference pins that a user's manager is a user of the same
// organization, read with its current name, and cleared with a new
// version and an event when the manager is deleted.
func testManagerReference(t *testing.T, s store.Store) {
	ctx := context.Background()
	o, other := mustOrg(t, s), mustOrg(t, s)
	boss := mustUser(t, s, o.ID, "boss")
	stranger := mustUser(t, s, other.ID, "stranger")

	newUser := func(name, manager string) store.User {
		return store.User{OrgID: o.ID, ID: id("u"), UserName: name, Active: true, ManagerID: manager,
			Attributes: json.RawMessage(`{}`), Values: []store.Value{{Attr: store.ManagerAttr, Sub: "value", Str: manager}}}
	}
	var ie *store.InvalidError
	for _, tc := range []struct{ name, manager string }{
		{"another organization's user", stranger.ID},
		{"no such user", "nobody"},
	} {
		t.Run("create refused: "+tc.name, func(t *testing.T) {
			before := len(events(t, s, o.ID))
			if _, err := s.CreateUser(ctx, cli, newUser("emp-"+tc.manager, tc.manager)); !errors.As(err, &ie) || !errors.Is(err, store.ErrInvalid) {
				t.Errorf("err = %v, want an Invalid fault", err)
			}
			if n := len(events(t, s, o.ID)); n != before {
				t.Errorf("a refused create wrote %d events", n-before)
			}
		})
	}

	emp, err := s.CreateUser(ctx, cli, newUser("emp", boss.ID))
	if err != nil || emp.ManagerID != boss.ID || emp.ManagerDisplay != "boss" {
		t.Fatalf("CreateUser with a manager = %+v, %v", emp, err)
	}
	// The name shown is the manager's current one.
	renamed := boss
	renamed.DisplayName = "The Boss"
	if _, err := s.ReplaceUser(ctx, cli, renamed, 0); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetUser(ctx, o.ID, emp.ID)
	if err != nil || got.ManagerID != boss.ID || got.ManagerDisplay != "The Boss" {
		t.Errorf("GetUser after the manager's rename = %q, %q, %v", got.ManagerID, got.ManagerDisplay, err)
	}
	byManager := store.Query{Filter: store.Cmp{Field: store.Field{Attr: store.ManagerAttr, Sub: "value"}, Op: store.OpEq, Value: boss.ID}, Limit: 10}
	page, err := s.QueryUsers(ctx, o.ID, byManager)
	if err != nil || len(page.Items) != 1 || page.Items[0].ID != emp.ID || page.Items[0].ManagerDisplay != "The Boss" {
		t.Errorf("QueryUsers by manager = %+v, %v", page, err)
	}

	// A replace naming a foreign manager changes nothing.
	bad := got
	bad.ManagerID = stranger.ID
	if _, err := s.ReplaceUser(ctx, cli, bad, 0); !errors.As(err, &ie) {
		t.Errorf("ReplaceUser with another organization's manager: err = %v, want an Invalid fault", err)
	}
	if again, _ := s.GetUser(ctx, o.ID, emp.ID); again.ManagerID != boss.ID || again.Version != got.Version {
		t.Errorf("a refused replace changed the user: %+v", again)
	}

	// Deleting the manager clears the reference.
	before := len(events(t, s, o.ID))
	if err := s.DeleteUser(ctx, cli, o.ID, boss.ID); err != nil {
		t.Fatal(err)
	}
	after, err := s.GetUser(ctx, o.ID, emp.ID)
	if err != nil || after.ManagerID != "" || after.ManagerDisplay != "" || after.Version != got.Version+1 {
		t.Errorf("report after the manager's deletion = %+v, %v; want no manager, version %d", after, err, got.Version+1)
	}
	evs := events(t, s, o.ID)[before:]
	if types := eventTypes(evs); !slices.Equal(types, []string{"user.updated", "user.deleted"}) {
		t.Fatalf("events of the deletion = %v", types)
	}
	var d map[string]any
	if err := json.Unmarshal(evs[0].Data, &d); err != nil || evs[0].SubjectID != emp.ID || d["manager"] != nil || len(d) == 0 {
		t.Errorf("report's event = %s %s, want user.updated of %s with manager null", evs[0].SubjectID, evs[0].Data, emp.ID)
	}
	if _, ok := d["manager"]; !ok {
		t.Errorf("report's event %s does not say the manager went", evs[0].Data)
	}
	if page, err := s.QueryUsers(ctx, o.ID, byManager); err != nil || len(page.Items) != 0 {
		t.Errorf("QueryUsers by the deleted manager = %+v, %v", page.Items, err)
	}
}

// testGroupDeleteSideEffects pins what deleting a group does to access:
// each grant goes with a grant.deleted event like DeleteGrant's, and the
// memberships joined through the group follow the organization's
// group_removal policy, none left naming the group.
func testGroupDeleteSideEffects(t *testing.T, s store.Store) {
	ctx := context.Background()
	for _, policy := range []store.GroupRemoval{store.GroupRemovalRevoke, store.GroupRemovalKeep} {
		t.Run(string(policy), func(t *testing.T) {
			o := mustOrg(t, s)
			set := store.DefaultSettings()
			set.GroupRemoval = policy
			if _, err := s.SetOrgSettings(ctx, cli, o.ID, set); err != nil {
				t.Fatal(err)
			}
			ann, bob := mustUser(t, s, o.ID, "ann"), mustUser(t, s, o.ID, "bob")
			g := mustGroup(t, s, o.ID, "Sales", ann.ID, bob.ID)
			old := mustGroup(t, s, o.ID, "Old sales", ann.ID)
			ws, _, err := s.CreateWorkspace(ctx, cli, store.Workspace{OrgID: o.ID, ID: id("w"), Name: "Sales"}, store.Folder{ID: id("f"), Name: "Home"}, "")
			if err != nil {
				t.Fatal(err)
			}
			deals, err := s.CreateFolder(ctx, cli, store.Folder{OrgID: o.ID, ID: id("f"), WorkspaceID: ws.ID, Name: "Deals", TeamAccess: store.TeamAccessInviteOnly})
			if err != nil {
				t.Fatal(err)
			}
			put := func(g store.Grant) {
				if _, _, err := s.PutGrant(ctx, cli, g); err != nil {
					t.Fatal(err)
				}
			}
			put(store.Grant{OrgID: o.ID, ResourceType: store.ResourceWorkspace, ResourceID: ws.ID, GroupID: g.ID, Role: store.RoleEditor})
			put(store.Grant{OrgID: o.ID, ResourceType: store.ResourceFolder, ResourceID: deals.ID, GroupID: g.ID, Role: store.RoleViewer})
			put(store.Grant{OrgID: o.ID, ResourceType: store.ResourceFolder, ResourceID: deals.ID, GroupID: old.ID, Role: store.RoleChecker})
			joined := func(rt store.ResourceType, res, user string, g store.Group, role store.Role) store.ResourceMember {
				return store.ResourceMember{OrgID: o.ID, ResourceType: rt, ResourceID: res, UserID: user, Origin: store.OriginGroupPrefix + g.ID, Role: role}
			}
			if _, err := s.JoinMembers(ctx, cli, []store.ResourceMember{
				joined(store.ResourceWorkspace, ws.ID, ann.ID, g, store.RoleEditor),
				joined(store.ResourceWorkspace, ws.ID, bob.ID, g, store.RoleEditor),
				joined(store.ResourceFolder, deals.ID, ann.ID, g, store.RoleViewer),
				joined(store.ResourceFolder, deals.ID, ann.ID, old, store.RoleChecker),
			}); err != nil {
				t.Fatal(err)
			}
			// bob was also invited to the workspace: that stays, whatever happens.
			if _, err := s.PutMember(ctx, cli, store.ResourceMember{OrgID: o.ID, ResourceType: store.ResourceWorkspace, ResourceID: ws.ID,
				UserID: bob.ID, Origin: store.OriginInvited, Role: store.RoleViewer}); err != nil {
				t.Fatal(err)
			}
			// Under keep, the first deletion turns ann's deals membership
			// through "Old sales" into a kept one; the second merges into it.
			if policy == store.GroupRemovalKeep {
				if err := s.DeleteGroup(ctx, cli, o.ID, old.ID); err != nil {
					t.Fatal(err)
				}
			}

			// What an explicit grant deletion writes, to compare shapes.
			probe := mustGroup(t, s, o.ID, "Probe")
			put(store.Grant{OrgID: o.ID, ResourceType: store.ResourceWorkspace, ResourceID: ws.ID, GroupID: probe.ID, Role: store.RoleEditor})
			if err := s.DeleteGrant(ctx, cli, o.ID, store.ResourceWorkspace, ws.ID, probe.ID); err != nil {
				t.Fatal(err)
			}
			explicit := events(t, s, o.ID)
			explicitGrant := explicit[len(explicit)-1]

			if err := s.DeleteGroup(ctx, cli, o.ID, g.ID); err != nil {
				t.Fatal(err)
			}
			evs := events(t, s, o.ID)[len(explicit):]
			type ev struct{ typ, subject, data string }
			var got []ev
			for _, e := range evs {
				got = append(got, ev{e.Type, e.SubjectType + " " + e.SubjectID, string(e.Data)})
			}
			grantJSON := func(rt store.ResourceType, res string, role store.Role) string {
				b, _ := json.Marshal(map[string]any{"resource_type": rt, "resource_id": res, "group_id": g.ID, "role": role})
				return string(b)
			}
			origin := store.OriginGroupPrefix + g.ID
			memberJSON := func(rt store.ResourceType, res, user string) string {
				b, _ := json.Marshal(map[string]any{"resource_type": rt, "resource_id": res, "user_id": user, "origins": []string{origin}})
				return string(b)
			}
			keptJSON := func(rt store.ResourceType, res, user string, role store.Role) string {
				b, _ := json.Marshal(map[string]any{"resource_type": rt, "resource_id": res, "user_id": user,
					"origin": store.OriginKept, "from_origin": origin, "role": role})
				return string(b)
			}
			want := []ev{
				{"group.deleted", "group " + g.ID, `{"displayName":"Sales"}`},
				{"grant.deleted", "folder " + deals.ID, grantJSON(store.ResourceFolder, deals.ID, store.RoleViewer)},
				{"grant.deleted", "workspace " + ws.ID, grantJSON(store.ResourceWorkspace, ws.ID, store.RoleEditor)},
			}
			// Memberships in the order folder, then workspace; users by id.
			type mem struct {
				rt   store.ResourceType
				res  string
				user string
				role store.Role
			}
			ms := []mem{{store.ResourceFolder, deals.ID, ann.ID, store.RoleViewer},
				{store.ResourceWorkspace, ws.ID, ann.ID, store.RoleEditor}, {store.ResourceWorkspace, ws.ID, bob.ID, store.RoleEditor}}
			sort.SliceStable(ms, func(i, j int) bool {
				if ms[i].rt != ms[j].rt {
					return ms[i].rt < ms[j].rt
				}
				return ms[i].user < ms[j].user
			})
			for _, m := range ms {
				switch {
				case policy == store.GroupRemovalKeep:
					role := m.role
					if m.rt == store.ResourceFolder {
						role = store.RoleChecker // merged with the kept checker membership
					}
					want = append(want, ev{"member.origin_changed", string(m.rt) + " " + m.res, keptJSON(m.rt, m.res, m.user, role)})
				case m.user == bob.ID: // bob stays invited
					want = append(want, ev{"member.origin_removed", string(m.rt) + " " + m.res, memberJSON(m.rt, m.res, m.user)})
				case m.rt == store.ResourceFolder: // ann stays a member through Old sales
					want = append(want, ev{"member.origin_removed", string(m.rt) + " " + m.res, memberJSON(m.rt, m.res, m.user)})
				default:
					want = append(want, ev{"member.removed", string(m.rt) + " " + m.res, memberJSON(m.rt, m.res, m.user)})
				}
			}
			if !slices.Equal(got, want) {
				t.Errorf("events of the group's deletion:\n got %v\nwant %v", got, want)
			}
			// A grant.deleted of a group deletion reads like an explicit one.
			var a, b map[string]any
			json.Unmarshal(explicitGrant.Data, &a)
			json.Unmarshal(evs[2].Data, &b)
			if explicitGrant.Type != evs[2].Type || len(a) != len(b) {
				t.Errorf("grant.deleted shapes differ: explicit %s, group deletion %s", explicitGrant.Data, evs[2].Data)
			}
			for k := range a {
				if _, ok := b[k]; !ok {
					t.Errorf("grant.deleted of a group deletion lacks %q: %s", k, evs[2].Data)
				}
			}

			// A join decided before the deletion, recorded after it, adds
			// nothing: there is no group left to have joined through.
			late, err := s.JoinMembers(ctx, cli, []store.ResourceMember{joined(store.ResourceFolder, deals.ID, bob.ID, g, store.RoleViewer)})
			if err != nil || len(late) != 0 {
				t.Errorf("join through the deleted group = %+v, %v; want nothing added", late, err)
			}

			// The state: no grant, no membership names the deleted group.
			snap, err := s.AccessSnapshot(ctx, o.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, gr := range snap.Grants {
				if gr.GroupID == g.ID {
					t.Errorf("grant left behind: %+v", gr)
				}
			}
			var left []string
			for _, m := range snap.Members {
				if m.Origin == origin || m.Origin == store.OriginGroupPrefix+old.ID && policy == store.GroupRemovalKeep {
					t.Errorf("membership left naming a deleted group: %+v", m)
				}
				who := map[string]string{ann.ID: "ann", bob.ID: "bob"}[m.UserID]
				left = append(left, fmt.Sprintf("%s %s %s %s", m.ResourceType, who, m.Origin, m.Role))
			}
			sort.Strings(left)
			var wantLeft []string
			if policy == store.GroupRemovalKeep {
				wantLeft = []string{"folder ann kept checker", "workspace ann kept editor", "workspace bob invited viewer", "workspace bob kept editor"}
			} else {
				wantLeft = []string{"folder ann group:" + old.ID + " checker", "workspace bob invited viewer"}
			}
			sort.Strings(wantLeft)
			if !slices.Equal(left, wantLeft) {
				t.Errorf("memberships after the deletion:\n got %v\nwant %v", left, wantLeft)
			}
		})
	}
}
