package access_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/access"
	"github.com/rosterhq/roster/internal/fault"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/store/storetest"
)

// TestSeedScenario plays the help pages' example end to end on each engine
// and under each group-removal policy: group "Sales" with two users gets
// Editor on workspace "Sales"; both reach the workspace and its home folder
// but not an invite-only folder until it is granted; a user removed from the
// group loses access under revoke and keeps what they joined under keep; a
// deactivated user loses everything at once and regains it on reactivation.
func TestSeedScenario(t *testing.T) {
	for _, eng := range engines {
		for _, policy := range []store.GroupRemoval{store.GroupRemovalRevoke, store.GroupRemovalKeep} {
			t.Run(eng.name+"/"+string(policy), func(t *testing.T) {
				seedScenario(t, eng.open(t, storetest.NewClock().Now), policy)
			})
		}
	}
}

func seedScenario(t *testing.T, s store.Store, policy store.GroupRemoval) {
	ctx := context.Background()
	w := newWorld(t, s, store.PlanEnterprise, policy)
	ann, bob, carl := w.user("ann@acme.test"), w.user("bob@acme.test"), w.user("carl@acme.test")
	sales := w.group("Sales", ann.ID, bob.ID)

	ws, home, err := w.svc.CreateWorkspace(ctx, ownerActor, w.org.ID, "Sales", "")
	if err != nil {
		t.Fatal(err)
	}
	deals, err := w.svc.CreateFolder(ctx, ownerActor, w.org.ID, ws.ID, "Deals", store.TeamAccessInviteOnly)
	if err != nil {
		t.Fatal(err)
	}
	plans, err := w.svc.CreateFolder(ctx, ownerActor, w.org.ID, ws.ID, "Plans", "")
	if err != nil {
		t.Fatal(err)
	}
	W, F := store.ResourceWorkspace, store.ResourceFolder

	// Before any grant nobody reaches anything.
	if got := w.role(ann, W, ws.ID); got != "" {
		t.Fatalf("before the grant ann has %q on the workspace", got)
	}
	if _, _, err := w.svc.PutGrant(ctx, ownerActor, w.org.ID, W, ws.ID, sales.ID, store.RoleEditor); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		who  store.User
		rt   store.ResourceType
		id   string
		want string
	}{
		{ann, W, ws.ID, "editor"}, {bob, W, ws.ID, "editor"}, {carl, W, ws.ID, ""},
		{ann, F, home.ID, "editor"}, {bob, F, home.ID, "editor"}, {ann, F, plans.ID, "editor"},
		{ann, F, deals.ID, ""}, {bob, F, deals.ID, ""},
	} {
		if got := w.role(c.who, c.rt, c.id); got != c.want {
			t.Errorf("after the workspace grant, %s on %s %s = %q, want %q", c.who.UserName, c.rt, c.id, got, c.want)
		}
	}
	// A grant on a folder that follows its workspace is refused, saying why.
	_, _, err = w.svc.PutGrant(ctx, ownerActor, w.org.ID, F, plans.ID, sales.ID, store.RoleViewer)
	if _, msg, _ := fault.As(err); !errors.Is(err, store.ErrInvalid) || !strings.Contains(msg, "invite_only") {
		t.Errorf("grant on a workspace-access folder: err = %v, want an invalid error naming invite_only", err)
	}
	if _, _, err := w.svc.PutGrant(ctx, ownerActor, w.org.ID, F, deals.ID, sales.ID, store.RoleViewer); err != nil {
		t.Fatal(err)
	}
	if got := w.role(ann, F, deals.ID); got != "viewer" {
		t.Errorf("after the folder grant ann has %q on Deals, want viewer", got)
	}
	// The decision explains itself.
	d, err := w.res.Check(ctx, w.org.ID, ann.ID, F, home.ID, store.RoleEditor)
	if err != nil || !d.Allowed || len(d.Reasons) != 1 || d.Reasons[0].Kind != "grant" || d.Reasons[0].GroupID != sales.ID ||
		!d.Reasons[0].Inherited || d.Reasons[0].ResourceID != ws.ID {
		t.Errorf("check on the home folder = %+v, %v; want allowed through Sales's workspace grant, inherited", d, err)
	}

	// ann joins the workspace (via its home folder) and Deals; bob never joins.
	_, joined, err := w.svc.Check(ctx, ownerActor, w.org.ID, ann.ID, F, home.ID, store.RoleViewer, true)
	if err != nil || len(joined) != 1 || joined[0].ResourceType != W || joined[0].Origin != "group:"+sales.ID || joined[0].Role != store.RoleEditor {
		t.Fatalf("join via the home folder = %+v, %v; want one workspace membership from group:Sales", joined, err)
	}
	if _, joined, err := w.svc.Join(ctx, ownerActor, w.org.ID, ann.ID, F, deals.ID); err != nil || len(joined) != 1 {
		t.Fatalf("join Deals = %+v, %v", joined, err)
	}
	if _, joined, err := w.svc.Join(ctx, ownerActor, w.org.ID, ann.ID, F, deals.ID); err != nil || len(joined) != 0 {
		t.Errorf("joining twice recorded %+v, %v; want nothing new", joined, err)
	}
	if _, _, err := w.svc.Join(ctx, ownerActor, w.org.ID, carl.ID, W, ws.ID); !errors.Is(err, access.ErrForbidden) {
		t.Errorf("carl joining err = %v, want ErrForbidden", err)
	}
	evs, _ := s.ListEvents(ctx, w.org.ID, 0, 1000)
	var joins []store.Event
	for _, e := range evs {
		if e.Type == "member.joined" {
			joins = append(joins, e)
		}
	}
	if len(joins) != 2 || joins[0].Actor != ownerActor {
		t.Errorf("event log has joins %+v; want 2 member.joined by the host app", joins)
	}

	// ann and bob leave Sales in the IdP.
	w.removeFromGroup(sales, ann.ID, bob.ID)
	annWant := map[string]string{ws.ID: "", home.ID: "", deals.ID: ""}
	if policy == store.GroupRemovalKeep {
		annWant = map[string]string{ws.ID: "editor", home.ID: "editor", deals.ID: "viewer"}
	}
	for id, want := range annWant {
		rt := F
		if id == ws.ID {
			rt = W
		}
		if got := w.role(ann, rt, id); got != want {
			t.Errorf("%s: after leaving Sales ann has %q on %s %s, want %q", policy, got, rt, id, want)
		}
	}
	if got := w.role(bob, W, ws.ID); got != "" {
		t.Errorf("%s: bob never joined but keeps %q after leaving Sales", policy, got)
	}
	// Back in the group, both regain access under either policy.
	w.addToGroup(sales, ann.ID, bob.ID)
	if got := w.role(bob, F, deals.ID); got != "viewer" {
		t.Errorf("back in Sales bob has %q on Deals, want viewer", got)
	}

	// An invited membership on top; then deactivation ends everything at once.
	if _, err := w.svc.PutMember(ctx, ownerActor, store.ResourceMember{OrgID: w.org.ID, ResourceType: F, ResourceID: deals.ID,
		UserID: bob.ID, Role: store.RoleEditor}); err != nil {
		t.Fatal(err)
	}
	if got := w.role(bob, F, deals.ID); got != "editor" {
		t.Errorf("invited as editor bob has %q on Deals", got)
	}
	w.setActive(bob, false)
	for _, id := range []string{home.ID, deals.ID, plans.ID} {
		d, err := w.res.Check(ctx, w.org.ID, bob.ID, F, id, store.RoleViewer)
		if err != nil || d.Allowed || d.Denial != access.DenyInactive {
			t.Errorf("deactivated bob on folder %s = %+v, %v; want denied as deactivated", id, d, err)
		}
	}
	reach, _, err := w.res.UserAccess(ctx, w.org.ID, bob.ID, "", 100)
	if err != nil || len(reach) != 0 {
		t.Errorf("deactivated bob reaches %+v, %v", reach, err)
	}
	w.setActive(bob, true)
	if got := w.role(bob, F, deals.ID); got != "editor" {
		t.Errorf("reactivated bob has %q on Deals, want editor back", got)
	}
	if got := w.role(bob, W, ws.ID); got != "editor" {
		t.Errorf("reactivated bob has %q on the workspace, want editor from Sales", got)
	}
	// Deletion: the user is gone, and with them every access.
	w.scim(s.DeleteUser(ctx, scimActor, w.org.ID, bob.ID))
	if _, err := w.res.Check(ctx, w.org.ID, bob.ID, W, ws.ID, store.RoleViewer); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("check of a deleted user err = %v, want not found", err)
	}
	// Who reaches Deals, and why.
	who, _, err := w.res.ResourceAccess(ctx, w.org.ID, F, deals.ID, "", 100)
	if err != nil || len(who) != 1 || who[0].UserID != ann.ID || who[0].Role != "viewer" {
		t.Errorf("ResourceAccess(Deals) = %+v, %v; want ann as viewer", who, err)
	}
}

// TestRules covers each membership rule on its own, table-driven.
func TestRules(t *testing.T) {
	ctx := context.Background()
	W, F := store.ResourceWorkspace, store.ResourceFolder
	type fixture struct {
		w                *world
		ann              store.User
		g1, g2           store.Group
		ws               store.Workspace
		home, open, priv store.Folder
	}
	setup := func(t *testing.T, s store.Store) fixture {
		w := newWorld(t, s, store.PlanEnterprise, store.GroupRemovalRevoke)
		f := fixture{w: w, ann: w.user("ann")}
		f.g1, f.g2 = w.group("G1", f.ann.ID), w.group("G2", f.ann.ID)
		var err error
		f.ws, f.home, err = w.svc.CreateWorkspace(ctx, ownerActor, w.org.ID, "WS", "")
		if err != nil {
			t.Fatal(err)
		}
		f.open, _ = w.svc.CreateFolder(ctx, ownerActor, w.org.ID, f.ws.ID, "Open", store.TeamAccessWorkspace)
		f.priv, _ = w.svc.CreateFolder(ctx, ownerActor, w.org.ID, f.ws.ID, "Private", store.TeamAccessInviteOnly)
		return f
	}
	must := func(t *testing.T, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	grant := func(f fixture, rt store.ResourceType, id string, g store.Group, r store.Role) {
		_, _, err := f.w.svc.PutGrant(ctx, ownerActor, f.w.org.ID, rt, id, g.ID, r)
		must(f.w.t, err)
	}
	tests := []struct {
		name string
		do   func(f fixture)
		rt   func(f fixture) (store.ResourceType, string)
		want string
	}{
		{"highest of several group grants", func(f fixture) {
			grant(f, W, f.ws.ID, f.g1, store.RoleViewer)
			grant(f, W, f.ws.ID, f.g2, store.RoleChecker)
		}, func(f fixture) (store.ResourceType, string) { return W, f.ws.ID }, "checker"},
		{"direct membership above grants", func(f fixture) {
			grant(f, W, f.ws.ID, f.g1, store.RoleViewer)
			_, err := f.w.svc.PutMember(ctx, ownerActor, store.ResourceMember{OrgID: f.w.org.ID, ResourceType: W, ResourceID: f.ws.ID, UserID: f.ann.ID, Role: store.RoleEditor})
			must(f.w.t, err)
		}, func(f fixture) (store.ResourceType, string) { return W, f.ws.ID }, "editor"},
		{"workspace grant covers home folder", func(f fixture) { grant(f, W, f.ws.ID, f.g1, store.RoleChecker) },
			func(f fixture) (store.ResourceType, string) { return F, f.home.ID }, "checker"},
		{"workspace grant covers workspace-access folder", func(f fixture) { grant(f, W, f.ws.ID, f.g1, store.RoleViewer) },
			func(f fixture) (store.ResourceType, string) { return F, f.open.ID }, "viewer"},
		{"workspace grant does not cover invite-only folder", func(f fixture) { grant(f, W, f.ws.ID, f.g1, store.RoleEditor) },
			func(f fixture) (store.ResourceType, string) { return F, f.priv.ID }, ""},
		{"workspace membership does not cover invite-only folder", func(f fixture) {
			_, err := f.w.svc.PutMember(ctx, ownerActor, store.ResourceMember{OrgID: f.w.org.ID, ResourceType: W, ResourceID: f.ws.ID, UserID: f.ann.ID, Role: store.RoleEditor})
			must(f.w.t, err)
		}, func(f fixture) (store.ResourceType, string) { return F, f.priv.ID }, ""},
		{"invite-only folder grant", func(f fixture) { grant(f, F, f.priv.ID, f.g2, store.RoleChecker) },
			func(f fixture) (store.ResourceType, string) { return F, f.priv.ID }, "checker"},
		{"organization owner above all", func(f fixture) {
			_, err := f.w.svc.SetOrgRole(ctx, ownerActor, f.w.org.ID, f.ann.ID, store.OrgOwner)
			must(f.w.t, err)
		}, func(f fixture) (store.ResourceType, string) { return F, f.priv.ID }, "owner"},
		{"organization admin above all", func(f fixture) {
			_, err := f.w.svc.SetOrgRole(ctx, ownerActor, f.w.org.ID, f.ann.ID, store.OrgAdmin)
			must(f.w.t, err)
		}, func(f fixture) (store.ResourceType, string) { return W, f.ws.ID }, "admin"},
		{"deactivated owner has nothing", func(f fixture) {
			_, err := f.w.svc.SetOrgRole(ctx, ownerActor, f.w.org.ID, f.ann.ID, store.OrgOwner)
			must(f.w.t, err)
			f.w.setActive(f.ann, false)
		}, func(f fixture) (store.ResourceType, string) { return W, f.ws.ID }, ""},
		{"grant removed under revoke ends joined access", func(f fixture) {
			grant(f, W, f.ws.ID, f.g1, store.RoleEditor)
			_, _, err := f.w.svc.Join(ctx, ownerActor, f.w.org.ID, f.ann.ID, W, f.ws.ID)
			must(f.w.t, err)
			must(f.w.t, f.w.svc.DeleteGrant(ctx, ownerActor, f.w.org.ID, W, f.ws.ID, f.g1.ID))
		}, func(f fixture) (store.ResourceType, string) { return W, f.ws.ID }, ""},
		{"grant removed under keep keeps joined access", func(f fixture) {
			grant(f, W, f.ws.ID, f.g1, store.RoleEditor)
			_, _, err := f.w.svc.Join(ctx, ownerActor, f.w.org.ID, f.ann.ID, W, f.ws.ID)
			must(f.w.t, err)
			keep := store.GroupRemovalKeep
			_, err = f.w.svc.UpdateSettings(ctx, ownerActor, f.w.org.ID, access.SettingsPatch{GroupRemoval: &keep})
			must(f.w.t, err)
			must(f.w.t, f.w.svc.DeleteGrant(ctx, ownerActor, f.w.org.ID, W, f.ws.ID, f.g1.ID))
		}, func(f fixture) (store.ResourceType, string) { return W, f.ws.ID }, "editor"},
		{"revoke keeps access another origin gives", func(f fixture) {
			grant(f, W, f.ws.ID, f.g1, store.RoleEditor)
			_, _, err := f.w.svc.Join(ctx, ownerActor, f.w.org.ID, f.ann.ID, W, f.ws.ID)
			must(f.w.t, err)
			_, err = f.w.svc.PutMember(ctx, ownerActor, store.ResourceMember{OrgID: f.w.org.ID, ResourceType: W, ResourceID: f.ws.ID, UserID: f.ann.ID, Role: store.RoleViewer})
			must(f.w.t, err)
			f.w.removeFromGroup(f.g1, f.ann.ID)
		}, func(f fixture) (store.ResourceType, string) { return W, f.ws.ID }, "viewer"},
		{"deleted group ends its grants", func(f fixture) {
			grant(f, W, f.ws.ID, f.g1, store.RoleEditor)
			f.w.scim(f.w.s.DeleteGroup(ctx, scimActor, f.w.org.ID, f.g1.ID))
		}, func(f fixture) (store.ResourceType, string) { return W, f.ws.ID }, ""},
		{"folder made invite-only stops following the workspace", func(f fixture) {
			grant(f, W, f.ws.ID, f.g1, store.RoleEditor)
			ta := store.TeamAccessInviteOnly
			_, err := f.w.svc.UpdateFolder(ctx, ownerActor, store.FolderUpdate{OrgID: f.w.org.ID, ID: f.open.ID, TeamAccess: &ta})
			must(f.w.t, err)
		}, func(f fixture) (store.ResourceType, string) { return F, f.open.ID }, ""},
	}
	for _, eng := range engines {
		for _, tc := range tests {
			t.Run(eng.name+"/"+tc.name, func(t *testing.T) {
				f := setup(t, eng.open(t, storetest.NewClock().Now))
				tc.do(f)
				rt, id := tc.rt(f)
				if got := f.w.role(f.ann, rt, id); got != tc.want {
					t.Errorf("role = %q, want %q", got, tc.want)
				}
				// A resolver built from scratch agrees with the one kept current by events.
				fresh := &access.Resolver{Store: f.w.s, PollInterval: -1}
				d, err := fresh.Check(ctx, f.w.org.ID, f.ann.ID, rt, id, store.RoleViewer)
				if err != nil || d.Role != tc.want {
					t.Errorf("fresh resolver role = %q, %v; want %q", d.Role, err, tc.want)
				}
			})
		}
	}
}

// TestPlansAndSettings covers the enterprise-only rules and the
// allow_members_create_workspaces setting.
func TestPlansAndSettings(t *testing.T) {
	ctx := context.Background()
	s := engines[0].open(t, storetest.NewClock().Now)
	w := newWorld(t, s, store.PlanFree, store.GroupRemovalRevoke)
	ann, olga := w.user("ann"), w.user("olga")
	g := w.group("G", ann.ID)
	if _, err := w.svc.SetOrgRole(ctx, ownerActor, w.org.ID, olga.ID, store.OrgOwner); err != nil {
		t.Fatal(err)
	}
	err := w.svc.RequireEnterprise(ctx, w.org.ID)
	var pe *access.PlanError
	if !errors.As(err, &pe) || !errors.Is(err, access.ErrPlanRequired) || !strings.Contains(err.Error(), "SCIM") {
		t.Errorf("RequireEnterprise on free = %v; want a PlanError naming SCIM", err)
	}
	ws, _, err := w.svc.CreateWorkspace(ctx, ownerActor, w.org.ID, "W", ann.ID)
	if err != nil {
		t.Fatalf("member creating a workspace while allowed: %v", err)
	}
	if got := w.role(ann, store.ResourceWorkspace, ws.ID); got != "editor" {
		t.Errorf("creator has %q, want editor (origin owner)", got)
	}
	if _, _, err := w.svc.PutGrant(ctx, ownerActor, w.org.ID, store.ResourceWorkspace, ws.ID, g.ID, store.RoleViewer); !errors.Is(err, access.ErrPlanRequired) {
		t.Errorf("grant on the free plan err = %v, want ErrPlanRequired", err)
	}
	off := false
	if _, err := w.svc.UpdateSettings(ctx, ownerActor, w.org.ID, access.SettingsPatch{AllowMembersCreateWorkspaces: &off}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := w.svc.CreateWorkspace(ctx, ownerActor, w.org.ID, "W2", ann.ID); !errors.Is(err, access.ErrForbidden) {
		t.Errorf("member creating a workspace while not allowed err = %v, want ErrForbidden", err)
	}
	if _, _, err := w.svc.CreateWorkspace(ctx, ownerActor, w.org.ID, "W3", olga.ID); err != nil {
		t.Errorf("owner creating a workspace: %v", err)
	}
	if _, err := w.svc.SetPlan(ctx, ownerActor, w.org.ID, store.PlanEnterprise); err != nil {
		t.Fatal(err)
	}
	if err := w.svc.RequireEnterprise(ctx, w.org.ID); err != nil {
		t.Errorf("RequireEnterprise on enterprise = %v", err)
	}
	if _, _, err := w.svc.PutGrant(ctx, ownerActor, w.org.ID, store.ResourceWorkspace, ws.ID, g.ID, store.RoleViewer); err != nil {
		t.Errorf("grant on enterprise: %v", err)
	}
	evs, _ := s.ListEvents(ctx, w.org.ID, 0, 1000)
	var types []string
	for _, e := range evs {
		if strings.HasPrefix(e.Type, "org.") || strings.HasPrefix(e.Type, "grant.") {
			types = append(types, e.Type)
			if e.Actor != ownerActor && e.Type != "org.created" {
				t.Errorf("%s recorded actor %+v", e.Type, e.Actor)
			}
		}
	}
	if want := []string{"org.created", "org.role_set", "org.settings_changed", "org.plan_changed", "grant.created"}; !slices.Equal(types, want) {
		t.Errorf("events = %v, want %v", types, want)
	}
	var data struct{ To store.Plan }
	json.Unmarshal(evs[len(evs)-2].Data, &data)
}

// TestPollSeesOtherProcesses checks the bound across instances: a write by
// another process (here: straight to the store, without Invalidate) is
// seen once PollInterval has passed, not before.
func TestPollSeesOtherProcesses(t *testing.T) {
	for _, eng := range engines {
		t.Run(eng.name, func(t *testing.T) {
			ctx := context.Background()
			s := eng.open(t, storetest.NewClock().Now)
			w := newWorld(t, s, store.PlanEnterprise, store.GroupRemovalRevoke)
			clock := storetest.NewClock()
			var now = clock.Now()
			res := &access.Resolver{Store: s, PollInterval: 100 * 1e6, Now: func() time.Time { return now }}
			ann := w.user("ann")
			g := w.group("G", ann.ID)
			ws, _, _ := w.svc.CreateWorkspace(ctx, ownerActor, w.org.ID, "W", "")
			w.svc.PutGrant(ctx, ownerActor, w.org.ID, store.ResourceWorkspace, ws.ID, g.ID, store.RoleEditor)
			if lv, _ := res.Level(ctx, w.org.ID, ann.ID, store.ResourceWorkspace, ws.ID); lv != access.LevelEditor {
				t.Fatalf("level = %v", lv)
			}
			cur, _ := s.GetUser(ctx, w.org.ID, ann.ID)
			cur.Active = false
			s.ReplaceUser(ctx, scimActor, cur, 0) // another process: no Invalidate here
			if lv, _ := res.Level(ctx, w.org.ID, ann.ID, store.ResourceWorkspace, ws.ID); lv != access.LevelEditor {
				t.Errorf("within the poll interval level = %v; the index should not have polled yet", lv)
			}
			now = now.Add(150 * 1e6)
			if lv, _ := res.Level(ctx, w.org.ID, ann.ID, store.ResourceWorkspace, ws.ID); lv != access.LevelNone {
				t.Errorf("after the poll interval a deactivated user has level %v", lv)
			}
		})
	}
}
