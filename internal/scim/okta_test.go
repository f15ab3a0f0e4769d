package scim_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"testing"

	"github.com/rosterhq/roster/internal/access"
	"github.com/rosterhq/roster/internal/store"
)

// Sources cited by the tests below and by docs/compatibility.md: Okta's
// SCIM 2.0 guide, https://developer.okta.com/docs/api/openapi/okta-scim/guides/scim-20,
// and its CRUD test suite,
// https://developer.okta.com/standards/SCIM/SCIMFiles/Okta-SCIM-20-CRUD-Test.json.

// oktaHeaders are the headers of every request the Okta provisioning
// client sends (oktaSCIM20).
var oktaHeaders = hdr{"User-Agent": "Okta SCIM Client 1.0.0", "Content-Type": "application/json"}

// TestOktaFlows replays Okta's documented request sequences
// (testdata/okta; the source of each step is in its file).
func TestOktaFlows(t *testing.T) { replayAll(t, "okta") }

// oktaCreate sends Okta's create request (oktaSCIM20, "Create the User").
func (e *env) oktaCreate(t *testing.T, userName, given, family string) string {
	t.Helper()
	body := fmt.Sprintf(`{"schemas":[%q],"userName":%q,"name":{"givenName":%q,"familyName":%q},`+
		`"emails":[{"primary":true,"value":%q,"type":"work"}],"displayName":"%s %s","locale":"en-US",`+
		`"externalId":"00u%s","groups":[],"password":"1mz050nq","active":true}`,
		userURN, userName, given, family, userName, given, family, family)
	return e.do("POST", "/scim/v2/Users", body, oktaHeaders).must(t, 201).str("id")
}

// TestOktaPutCopiesGetBody: for a profile update Okta GETs the user,
// changes the attributes that changed and PUTs the whole object back, with
// everything the server returned: id, meta, schemas and the read-only
// groups (oktaSCIM20, "Update a specific User (PUT)"). The copy must be
// accepted as it is and must not touch memberships.
func TestOktaPutCopiesGetBody(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		id := e.oktaCreate(t, "ann@okta.local", "Ann", "Lee")
		gid := e.createGroup("Sales", id)

		got := e.do("GET", "/scim/v2/Users/"+id, nil, oktaHeaders).must(t, 200)
		if gs, _ := got.body["groups"].([]any); len(gs) != 1 {
			t.Fatalf("GET shows groups %v, want the one group (so the copy carries it)", got.body["groups"])
		}
		copied := got.body
		copied["name"].(map[string]any)["givenName"] = "Annie"
		copied["title"] = "Engineer"
		before := e.lastEventSeq()

		r := e.do("PUT", "/scim/v2/Users/"+id, copied, oktaHeaders).must(t, 200)
		if g := r.str("name.givenName"); g != "Annie" || r.str("title") != "Engineer" || r.str("id") != id {
			t.Errorf("PUT answered givenName %q title %q id %q", g, r.str("title"), r.str("id"))
		}
		if _, ok := r.body["password"]; ok {
			t.Error("the response carries a password")
		}
		g := e.do("GET", "/scim/v2/Groups/"+gid, nil, oktaHeaders).must(t, 200)
		if m := memberValues(g); !slices.Equal(m, []string{id}) {
			t.Errorf("members after the PUT = %v, want [%s]: groups in a PUT are read-only", m, id)
		}
		var types []string
		for _, ev := range e.eventsAfter(before) {
			types = append(types, ev.Type)
		}
		if !slices.Equal(types, []string{"user.updated"}) {
			t.Errorf("events = %v, want [user.updated]", types)
		}
	})
}

// TestOktaImportPaging: Import reads /Users and /Groups page by page with
// count=100, startIndex moving by 100 until totalResults, and needs the same
// order on every request; the three counters are JSON integers
// (oktaSCIM20, "Retrieve Users" and "Retrieve Groups").
func TestOktaImportPaging(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		const users, groups = 105, 3
		want := map[string]bool{}
		for i := range users {
			want[e.createUser(fmt.Sprintf("user%03d@okta.local", i), nil)] = true
		}
		for i := range groups {
			want[e.createGroup(fmt.Sprintf("Group %d", i))] = true
		}
		for _, c := range []struct {
			endpoint string
			total    int
		}{{"Users", users}, {"Groups", groups}} {
			var ids []string
			for start := 1; ; start += 100 {
				path := fmt.Sprintf("/scim/v2/%s?startIndex=%d&count=100", c.endpoint, start)
				r := e.do("GET", path, nil, oktaHeaders).must(t, 200)
				page := pageIDs(t, r)
				for name, want := range map[string]int{"totalResults": c.total, "startIndex": start, "itemsPerPage": len(page)} {
					if n, ok := r.body[name].(json.Number); !ok || n.String() != fmt.Sprint(want) {
						t.Fatalf("%s: %s = %#v, want the integer %d", path, name, r.body[name], want)
					}
				}
				again := pageIDs(t, e.do("GET", path, nil, oktaHeaders).must(t, 200))
				if !slices.Equal(page, again) {
					t.Fatalf("%s: two reads of the same page differ", path)
				}
				ids = append(ids, page...)
				if start+100 > c.total {
					break
				}
			}
			if len(ids) != c.total {
				t.Fatalf("%s: import read %d resources, want %d", c.endpoint, len(ids), c.total)
			}
			for _, id := range ids {
				if !want[id] {
					t.Fatalf("%s: unexpected or repeated id %s", c.endpoint, id)
				}
				delete(want, id)
			}
		}
	})
}

func pageIDs(t *testing.T, r resp) []string {
	t.Helper()
	res, _ := r.body["Resources"].([]any)
	ids := make([]string, len(res))
	for i, x := range res {
		ids[i], _ = x.(map[string]any)["id"].(string)
	}
	return ids
}

// TestOktaDeprovisioningAndGrants follows the seed: a pushed group is
// granted a workspace; renaming the group in Okta keeps the grant (the id
// does not change); deactivation keeps the user, inactive, and revokes the
// access; reactivation restores it (oktaSCIM20; oktaCRUD checks the same
// active false → true → false sequence).
func TestOktaDeprovisioningAndGrants(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		admin := store.Actor{Kind: "cli"}
		svc := &access.Service{Store: e.store, Resolver: &access.Resolver{Store: e.store, PollInterval: -1}}
		check := func(t *testing.T, userID, wsID string, want bool) {
			t.Helper()
			// A fresh resolver reads the store as it is now.
			res := &access.Resolver{Store: e.store, PollInterval: -1}
			d, err := res.Check(ctx, e.org, userID, store.ResourceWorkspace, wsID, store.RoleEditor)
			if err != nil {
				t.Fatal(err)
			}
			if d.Allowed != want {
				t.Errorf("editor access = %v (role %q, denial %q), want %v", d.Allowed, d.Role, d.Denial, want)
			}
		}

		uid := e.oktaCreate(t, "sam@okta.local", "Sam", "Ray")
		g := e.do("POST", "/scim/v2/Groups", fmt.Sprintf(`{"schemas":[%q],"displayName":"Sales","members":[]}`, groupURN), oktaHeaders).must(t, 201)
		gid := g.str("id")
		e.do("PATCH", "/scim/v2/Groups/"+gid, fmt.Sprintf(`{"schemas":[%q],"Operations":[{"op":"add","path":"members","value":[{"value":%q,"display":"sam@okta.local"}]}]}`, patchURN, uid), oktaHeaders).must(t, 204)
		ws, _, err := svc.CreateWorkspace(ctx, admin, e.org, "Sales", "")
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := svc.PutGrant(ctx, admin, e.org, store.ResourceWorkspace, ws.ID, gid, store.RoleEditor); err != nil {
			t.Fatal(err)
		}
		check(t, uid, ws.ID, true)

		// Rename: Okta's pathless replace carrying the id.
		e.do("PATCH", "/scim/v2/Groups/"+gid, fmt.Sprintf(`{"schemas":[%q],"Operations":[{"op":"replace","value":{"id":%q,"displayName":"Sales EMEA"}}]}`, patchURN, gid), oktaHeaders).must(t, 204)
		r := e.do("GET", "/scim/v2/Groups?filter=displayName%20eq%20%22Sales%20EMEA%22", nil, oktaHeaders).must(t, 200)
		if got := r.str("Resources.0.id"); got != gid {
			t.Fatalf("renamed group has id %q, want %q", got, gid)
		}
		grants, err := svc.ListGrants(ctx, e.org, store.GrantFilter{GroupID: gid}, "", 10)
		if err != nil || len(grants) != 1 {
			t.Fatalf("grants of the renamed group = %v, %v; want the one grant", grants, err)
		}
		check(t, uid, ws.ID, true)

		// Deactivate: the user stays, inactive, and loses access.
		before := e.lastEventSeq()
		e.do("PATCH", "/scim/v2/Users/"+uid, fmt.Sprintf(`{"schemas":[%q],"Operations":[{"op":"replace","value":{"active":false}}]}`, patchURN), oktaHeaders).must(t, 200)
		if u := e.do("GET", "/scim/v2/Users/"+uid, nil, oktaHeaders).must(t, 200); u.body["active"] != false {
			t.Errorf("after deactivation active = %v, want false", u.body["active"])
		}
		if !hasEvent(e.eventsAfter(before), "user.deactivated", uid) {
			t.Error("no user.deactivated event for the user")
		}
		check(t, uid, ws.ID, false)

		// Reactivate: access comes back through the group.
		before = e.lastEventSeq()
		e.do("PATCH", "/scim/v2/Users/"+uid, fmt.Sprintf(`{"schemas":[%q],"Operations":[{"op":"replace","value":{"active":true}}]}`, patchURN), oktaHeaders).must(t, 200)
		if !hasEvent(e.eventsAfter(before), "user.reactivated", uid) {
			t.Error("no user.reactivated event for the user")
		}
		check(t, uid, ws.ID, true)
	})
}

func hasEvent(events []store.Event, typ, subject string) bool {
	return slices.ContainsFunc(events, func(ev store.Event) bool { return ev.Type == typ && ev.SubjectID == subject })
}

// TestOktaGroupPatchTolerances: Okta's group PATCHes (oktaSCIM20, "Update a
// specific Group name" and "Update specific Group membership").
func TestOktaGroupPatchTolerances(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		a := e.createUser("a@okta.local", nil)
		b := e.createUser("b@okta.local", nil)
		tests := []struct {
			name    string
			members []string // before
			ops     string   // with %[1]s = group id, %[2]s = a, %[3]s = b
			status  int
			want    []string // members after
			wantNm  string
		}{
			{"pathless replace whose value carries the group's own id", nil,
				`{"op":"replace","value":{"id":"%[1]s","displayName":"Renamed"}}`, 204, nil, "Renamed"},
			{"remove by filter of a non-member, then add", []string{b},
				`{"op":"remove","path":"members[value eq \"%[2]s\"]"},{"op":"add","path":"members","value":[{"value":"%[2]s","display":"a@okta.local"}]}`, 204, []string{a, b}, ""},
			{"replace members with the full list", []string{a},
				`{"op":"replace","path":"members","value":[{"value":"%[3]s","display":"b"}]}`, 204, []string{b}, ""},
			{"add of a member already present changes nothing", []string{a},
				`{"op":"add","path":"members","value":[{"value":"%[2]s"}]}`, 204, []string{a}, ""},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				gid := e.createGroup("G "+tc.name, tc.members...)
				body := fmt.Sprintf(`{"schemas":[%q],"Operations":[%s]}`, patchURN, fmt.Sprintf(tc.ops, gid, a, b))
				e.do("PATCH", "/scim/v2/Groups/"+gid, body, oktaHeaders).must(t, tc.status)
				g := e.do("GET", "/scim/v2/Groups/"+gid, nil).must(t, 200)
				if got := memberValues(g); !slices.Equal(got, sorted(tc.want...)) {
					t.Errorf("members = %v, want %v", got, sorted(tc.want...))
				}
				if tc.wantNm != "" && g.str("displayName") != tc.wantNm {
					t.Errorf("displayName = %q, want %q", g.str("displayName"), tc.wantNm)
				}
			})
		}
	})
}
