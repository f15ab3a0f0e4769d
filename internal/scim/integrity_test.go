package scim_test

import (
	"context"
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/rosterhq/roster/internal/access"
	"github.com/rosterhq/roster/internal/store"
)

func patchOp(op, path string, value any) map[string]any {
	o := map[string]any{"op": op, "path": path}
	if value != nil {
		o["value"] = value
	}
	return map[string]any{"schemas": []string{patchURN}, "Operations": []map[string]any{o}}
}

// TestGroupNamesUnique checks over HTTP that a group's displayName is
// unique per organization, ignoring case, on POST, PUT and PATCH, and that
// two racing creates yield one 201 and one 409.
func TestGroupNamesUnique(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		eng := e.createGroup("Engineering")
		sales := e.createGroup("Sales")
		group := func(name string) map[string]any {
			return map[string]any{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:Group"}, "displayName": name}
		}
		tests := []struct {
			name          string
			method, path  string
			body          any
			status        int
			wantDisplayed string // the name the group has afterwards, for 200s
		}{
			{"POST, other case", "POST", "/scim/v2/Groups", group("ENGINEERING"), 409, ""},
			{"POST, same name", "POST", "/scim/v2/Groups", group("Engineering"), 409, ""},
			{"PUT onto another group's name", "PUT", "/scim/v2/Groups/" + sales, group("engineering"), 409, ""},
			{"PATCH replace displayName onto another's", "PATCH", "/scim/v2/Groups/" + sales, patchOp("replace", "displayName", "Engineering"), 409, ""},
			{"PATCH without path onto another's", "PATCH", "/scim/v2/Groups/" + sales, patchOp("replace", "", map[string]any{"displayName": "eNgInEeRiNg"}), 409, ""},
			{"PUT, own name in another case", "PUT", "/scim/v2/Groups/" + eng, group("ENGINEERING"), 200, "ENGINEERING"},
			{"PATCH to a free name", "PATCH", "/scim/v2/Groups/" + sales, patchOp("replace", "displayName", "Sales EMEA"), 200, "Sales EMEA"},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				r := e.do(tc.method, tc.path, tc.body)
				if tc.status == 409 {
					r.isError(t, 409, "uniqueness")
					if d, _ := r.body["detail"].(string); !strings.Contains(d, "displayName") {
						t.Errorf("detail %q does not name displayName", d)
					}
					return
				}
				if r.code == 204 { // a PATCH may answer without a body
					r = e.do("GET", tc.path, nil)
				}
				r.must(t, tc.status)
				if got := r.str("displayName"); got != tc.wantDisplayed {
					t.Errorf("displayName = %q, want %q", got, tc.wantDisplayed)
				}
			})
		}
		// Nothing refused was stored.
		list := e.do("GET", "/scim/v2/Groups?filter="+url.QueryEscape(`displayName eq "engineering"`), nil).must(t, 200)
		if n := resources(list); n != 1 {
			t.Errorf("%d groups named engineering, want 1: %s", n, list.raw)
		}

		// Racing creates of one name.
		for round := 0; round < 5; round++ {
			var wg sync.WaitGroup
			codes := make([]int, 2)
			start := make(chan struct{})
			for i := range codes {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					codes[i] = e.do("POST", "/scim/v2/Groups", group("Race "+itoa(round))).code
				}()
			}
			close(start)
			wg.Wait()
			slices.Sort(codes)
			if !slices.Equal(codes, []int{201, 409}) {
				t.Errorf("round %d: two racing creates answered %v, want one 201 and one 409", round, codes)
			}
		}
	})
}

// TestManagerIsAReference checks the enterprise manager over HTTP: it must
// name a user of the same organization (else 400 invalidValue), in every
// shape Entra ID sends it; responses show the current manager's $ref and
// displayName; deleting the manager clears it.
func TestManagerIsAReference(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		boss := e.createUser("boss@example.com", map[string]any{"displayName": "Barbara Boss"})
		deputy := e.createUser("deputy@example.com", nil)
		emp := e.createUser("emp@example.com", nil)
		orgB, tokB := e.newOrg(store.PlanEnterprise)
		b := *e
		b.org, b.token = orgB, tokB
		stranger := b.createUser("stranger@example.com", nil)
		mgrPath := entURN + ":manager"
		manager := func(r resp) map[string]any {
			m, _ := r.body[entURN].(map[string]any)
			mm, _ := m["manager"].(map[string]any)
			return mm
		}

		refused := []struct {
			name   string
			method string
			path   string
			body   any
		}{
			{"PATCH bare id of another organization's user", "PATCH", "/scim/v2/Users/" + emp, patchOp("add", mgrPath, stranger)},
			{"PATCH {value} of an unknown id", "PATCH", "/scim/v2/Users/" + emp, patchOp("replace", mgrPath, map[string]any{"value": "no-such-user"})},
			{"POST with another organization's user", "POST", "/scim/v2/Users", map[string]any{"schemas": []string{userURN, entURN}, "userName": "new@example.com",
				entURN: map[string]any{"manager": map[string]any{"value": stranger}}}},
			{"PUT with another organization's user", "PUT", "/scim/v2/Users/" + emp, map[string]any{"schemas": []string{userURN, entURN}, "userName": "emp@example.com",
				entURN: map[string]any{"manager": map[string]any{"value": stranger}}}},
		}
		for _, tc := range refused {
			t.Run(tc.name, func(t *testing.T) {
				r := e.do(tc.method, tc.path, tc.body)
				r.isError(t, 400, "invalidValue")
				if d, _ := r.body["detail"].(string); !strings.Contains(d, "manager") || !strings.Contains(d, "not a user of this organization") {
					t.Errorf("detail %q does not say what is wrong with the manager", d)
				}
			})
		}
		if got := e.do("GET", "/scim/v2/Users/"+emp, nil).must(t, 200); manager(got) != nil {
			t.Errorf("a refused write left a manager: %s", got.raw)
		}
		if n := resources(e.do("GET", "/scim/v2/Users?filter="+url.QueryEscape(`userName eq "new@example.com"`), nil).must(t, 200)); n != 0 {
			t.Error("a refused POST created the user")
		}

		set := []struct {
			name string
			body any
			want string
		}{
			{"bare id (Entra)", patchOp("add", mgrPath, boss), boss},
			{"{value} object", patchOp("replace", mgrPath, map[string]any{"value": deputy}), deputy},
			{"tutorial form: path manager, a list of one", patchOp("replace", "manager", []map[string]any{{"value": boss, "$ref": "../Users/" + boss}}), boss},
		}
		for _, tc := range set {
			t.Run(tc.name, func(t *testing.T) {
				r := e.do("PATCH", "/scim/v2/Users/"+emp, tc.body).must(t, 200)
				m := manager(r)
				if m["value"] != tc.want || m["$ref"] != e.srv.URL+"/scim/v2/Users/"+tc.want {
					t.Errorf("manager = %v, want value %s with its absolute $ref", m, tc.want)
				}
			})
		}
		if m := manager(e.do("GET", "/scim/v2/Users/"+emp, nil).must(t, 200)); m["displayName"] != "Barbara Boss" {
			t.Errorf("manager = %v, want the manager's displayName", m)
		}
		// A manager's rename shows on the report at once, lookups included.
		look := "/scim/v2/Users?filter=" + url.QueryEscape(`userName eq "emp@example.com"`)
		e.do("GET", look, nil).must(t, 200)
		e.do("PATCH", "/scim/v2/Users/"+boss, patchOp("replace", "displayName", "Barbara B. Boss")).must(t, 200)
		for _, path := range []string{"/scim/v2/Users/" + emp, look} {
			r := e.do("GET", path, nil).must(t, 200)
			m := manager(r)
			if strings.Contains(path, "filter") {
				list, _ := r.body["Resources"].([]any)
				if len(list) != 1 {
					t.Fatalf("lookup = %s", r.raw)
				}
				m, _ = list[0].(map[string]any)[entURN].(map[string]any)["manager"].(map[string]any)
			}
			if m["displayName"] != "Barbara B. Boss" {
				t.Errorf("GET %s: manager = %v after the manager's rename", path, m)
			}
		}
		// Filters see the reference.
		byManager := "/scim/v2/Users?filter=" + url.QueryEscape(mgrPath+`.value eq "`+boss+`"`)
		if r := e.do("GET", byManager, nil).must(t, 200); r.str("Resources.0.id") != emp || resources(r) != 1 {
			t.Errorf("filter by manager = %s", r.raw)
		}
		// Deleting the manager clears the reference, with a new version.
		before := e.do("GET", "/scim/v2/Users/"+emp, nil).must(t, 200)
		e.do("DELETE", "/scim/v2/Users/"+boss, nil).must(t, 204)
		after := e.do("GET", "/scim/v2/Users/"+emp, nil).must(t, 200)
		if manager(after) != nil || after.str("meta.version") == before.str("meta.version") {
			t.Errorf("after the manager's deletion: %s", after.raw)
		}
		if r := e.do("GET", byManager, nil).must(t, 200); resources(r) != 0 {
			t.Errorf("filter by a deleted manager = %s", r.raw)
		}
		if r := e.do("GET", look, nil).must(t, 200); strings.Contains(string(r.raw), `"manager"`) {
			t.Errorf("lookup after the manager's deletion = %s", r.raw)
		}
	})
}

// TestGroupDeleteLeavesNothing deletes, over SCIM, a group with grants and
// joined memberships and reads the event log and the access state after.
func TestGroupDeleteLeavesNothing(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		actor := store.Actor{Kind: "cli"}
		ann := e.createUser("ann@example.com", nil)
		g := e.createGroup("Sales", ann)
		ws, _, err := e.store.CreateWorkspace(ctx, actor, store.Workspace{OrgID: e.org, ID: "w-" + g, Name: "Sales"}, store.Folder{ID: "f-" + g, Name: "Home"}, "")
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := e.store.PutGrant(ctx, actor, store.Grant{OrgID: e.org, ResourceType: store.ResourceWorkspace, ResourceID: ws.ID, GroupID: g, Role: store.RoleEditor}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.store.JoinMembers(ctx, actor, []store.ResourceMember{{OrgID: e.org, ResourceType: store.ResourceWorkspace, ResourceID: ws.ID,
			UserID: ann, Origin: store.OriginGroupPrefix + g, Role: store.RoleEditor}}); err != nil {
			t.Fatal(err)
		}
		seq, err := e.store.EventSeq(ctx, e.org)
		if err != nil {
			t.Fatal(err)
		}
		e.do("DELETE", "/scim/v2/Groups/"+g, nil).must(t, 204)
		evs, err := e.store.ListEvents(ctx, e.org, seq, 100)
		if err != nil {
			t.Fatal(err)
		}
		var types []string
		for _, ev := range evs {
			types = append(types, ev.Type)
			if ev.Actor.Kind != "scim_token" {
				t.Errorf("%s by %+v, want the SCIM token", ev.Type, ev.Actor)
			}
		}
		if want := []string{"group.deleted", "grant.deleted", "member.removed"}; !slices.Equal(types, want) {
			t.Fatalf("events = %v, want %v", types, want)
		}
		var d map[string]any
		if err := json.Unmarshal(evs[1].Data, &d); err != nil || d["group_id"] != g || d["role"] != "editor" {
			t.Errorf("grant.deleted data = %s", evs[1].Data)
		}
		snap, err := e.store.AccessSnapshot(ctx, e.org)
		if err != nil {
			t.Fatal(err)
		}
		if len(snap.Grants) != 0 || len(snap.Members) != 0 {
			t.Errorf("left behind: grants %+v, memberships %+v", snap.Grants, snap.Members)
		}
	})
}

// TestGroupDeleteKeepsAccessExact deletes a group over SCIM under each
// group_removal policy and checks that the access resolver, brought
// forward through the event log, answers as one built fresh from the
// database, and as the membership rules say: under revoke a member invited
// besides keeps the invitation's role, under keep joined members stay.
func TestGroupDeleteKeepsAccessExact(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		actor := store.Actor{Kind: "cli"}
		for _, policy := range []store.GroupRemoval{store.GroupRemovalRevoke, store.GroupRemovalKeep} {
			t.Run(string(policy), func(t *testing.T) {
				o := *e
				o.org, o.token = e.newOrg(store.PlanEnterprise)
				set := store.DefaultSettings()
				set.GroupRemoval = policy
				if _, err := e.store.SetOrgSettings(ctx, actor, o.org, set); err != nil {
					t.Fatal(err)
				}
				ann, bob := o.createUser("ann@example.com", nil), o.createUser("bob@example.com", nil)
				g := o.createGroup("Sales", ann, bob)
				ws, _, err := e.store.CreateWorkspace(ctx, actor, store.Workspace{OrgID: o.org, ID: "w-" + g, Name: "Sales"}, store.Folder{ID: "h-" + g, Name: "Home"}, "")
				if err != nil {
					t.Fatal(err)
				}
				f, err := e.store.CreateFolder(ctx, actor, store.Folder{OrgID: o.org, ID: "f-" + g, WorkspaceID: ws.ID, Name: "Deals", TeamAccess: store.TeamAccessInviteOnly})
				if err != nil {
					t.Fatal(err)
				}
				for _, gr := range []store.Grant{
					{OrgID: o.org, ResourceType: store.ResourceWorkspace, ResourceID: ws.ID, GroupID: g, Role: store.RoleEditor},
					{OrgID: o.org, ResourceType: store.ResourceFolder, ResourceID: f.ID, GroupID: g, Role: store.RoleViewer},
				} {
					if _, _, err := e.store.PutGrant(ctx, actor, gr); err != nil {
						t.Fatal(err)
					}
				}
				origin := store.OriginGroupPrefix + g
				if _, err := e.store.JoinMembers(ctx, actor, []store.ResourceMember{
					{OrgID: o.org, ResourceType: store.ResourceWorkspace, ResourceID: ws.ID, UserID: ann, Origin: origin, Role: store.RoleEditor},
					{OrgID: o.org, ResourceType: store.ResourceWorkspace, ResourceID: ws.ID, UserID: bob, Origin: origin, Role: store.RoleEditor},
					{OrgID: o.org, ResourceType: store.ResourceFolder, ResourceID: f.ID, UserID: ann, Origin: origin, Role: store.RoleViewer},
				}); err != nil {
					t.Fatal(err)
				}
				if _, err := e.store.PutMember(ctx, actor, store.ResourceMember{OrgID: o.org, ResourceType: store.ResourceWorkspace, ResourceID: ws.ID,
					UserID: bob, Origin: store.OriginInvited, Role: store.RoleViewer}); err != nil {
					t.Fatal(err)
				}
				followed := &access.Resolver{Store: e.store, PollInterval: -1}
				if l, err := followed.Level(ctx, o.org, bob, store.ResourceWorkspace, ws.ID); err != nil || l != access.LevelEditor {
					t.Fatalf("bob before the deletion: %v, %v", l, err)
				}

				o.do("DELETE", "/scim/v2/Groups/"+g, nil).must(t, 204)
				followed.Invalidate(o.org)
				fresh := &access.Resolver{Store: e.store, PollInterval: -1}
				want := map[string]access.Level{ // user on resource
					"ann workspace": access.LevelNone, "bob workspace": access.LevelViewer, "ann folder": access.LevelNone, "bob folder": access.LevelNone,
				}
				if policy == store.GroupRemovalKeep {
					want["ann workspace"], want["bob workspace"], want["ann folder"] = access.LevelEditor, access.LevelEditor, access.LevelViewer
				}
				for key, wantLevel := range want {
					user, res, _ := strings.Cut(key, " ")
					uid := map[string]string{"ann": ann, "bob": bob}[user]
					rt, id := store.ResourceWorkspace, ws.ID
					if res == "folder" {
						rt, id = store.ResourceFolder, f.ID
					}
					for name, r := range map[string]*access.Resolver{"followed through the log": followed, "built fresh": fresh} {
						if got, err := r.Level(ctx, o.org, uid, rt, id); err != nil || got != wantLevel {
							t.Errorf("%s, resolver %s: %v, %v; want %v", key, name, got, err, wantLevel)
						}
					}
				}
			})
		}
	})
}
