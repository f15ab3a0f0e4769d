package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/access"
	"github.com/rosterhq/roster/internal/store"
)

type groupOut struct {
	ID          string
	DisplayName string `json:"display_name"`
	MemberCount int64  `json:"member_count"`
}

type userOut struct {
	ID          string
	UserName    string `json:"user_name"`
	DisplayName string `json:"display_name"`
	Active      bool
	Groups      []struct {
		ID          string
		DisplayName string `json:"display_name"`
	}
}

// walk follows a list endpoint page by page and returns every item and
// the number of pages.
func walk[T any](f *fixture, path, key string) (items []T, pages int) {
	f.t.Helper()
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	next := ""
	for {
		var page struct {
			Items []T
			Next  string
		}
		p := path
		if next != "" {
			p += sep + "after=" + next
		}
		f.do("GET", p, key, "", 200, &page)
		items, pages = append(items, page.Items...), pages+1
		if page.Next == "" {
			return items, pages
		}
		if pages > 100 {
			f.t.Fatalf("%s does not end", path)
		}
		next = page.Next
	}
}

// directory provisions, as SCIM would, more users and groups in
// organization A and one of each in B; it returns ids by name.
func (f *fixture) directory() map[string]string {
	f.t.Helper()
	ctx := context.Background()
	ids := map[string]string{"ann": f.ann, "bob": f.bob, "Sales": f.sales}
	user := func(org, key, userName, display string, active bool) {
		id, _ := access.NewID()
		if _, err := f.s.CreateUser(ctx, scim, store.User{OrgID: org, ID: id, UserName: userName, DisplayName: display, Active: active, Attributes: json.RawMessage(`{}`)}); err != nil {
			f.t.Fatal(err)
		}
		ids[key] = id
	}
	group := func(org, name string, members ...string) {
		id, _ := access.NewID()
		if _, err := f.s.CreateGroup(ctx, scim, store.Group{OrgID: org, ID: id, DisplayName: name}, members); err != nil {
			f.t.Fatal(err)
		}
		ids[name] = id
	}
	user(f.orgA, "carl", "carl@acme.test", "Carla Day", false)
	user(f.orgA, "dave", "dave@acme.test", "", true)
	user(f.orgB, "other user", "ann@globex.test", "", true)
	group(f.orgA, "Sales EMEA", f.ann)
	group(f.orgA, "Support", ids["carl"], ids["dave"])
	group(f.orgA, "sales ops")
	group(f.orgB, "other group", ids["other user"])
	return ids
}

func TestGroupsAndUsers(t *testing.T) {
	engines(t, func(t *testing.T, f *fixture) {
		ids := f.directory()

		// Groups, page by page, with member counts; a name prefix.
		groups, pages := walk[groupOut](f, "/api/v1/groups?limit=3", f.keyA)
		counts := map[string]int64{}
		for _, g := range groups {
			counts[g.DisplayName] = g.MemberCount
		}
		want := map[string]int64{"Sales": 2, "Sales EMEA": 1, "Support": 2, "sales ops": 0}
		if pages < 2 || len(groups) != 4 || !mapsEqual(counts, want) {
			t.Errorf("groups in %d pages = %v, want %v in more than one page", pages, counts, want)
		}
		named, _ := walk[groupOut](f, "/api/v1/groups?q=SAL", f.keyA)
		if len(named) != 3 {
			t.Errorf("groups starting with SAL = %+v, want Sales, Sales EMEA, sales ops", named)
		}
		var g groupOut
		f.do("GET", "/api/v1/groups/"+ids["Support"], f.keyA, "", 200, &g)
		if g.DisplayName != "Support" || g.MemberCount != 2 {
			t.Errorf("group = %+v", g)
		}
		members, pages := walk[userOut](f, "/api/v1/groups/"+ids["Support"]+"/members?limit=1", f.keyA)
		if pages < 2 || len(members) != 2 {
			t.Fatalf("members of Support in %d pages = %+v", pages, members)
		}
		for _, m := range members {
			if m.ID == ids["carl"] && (m.UserName != "carl@acme.test" || m.DisplayName != "Carla Day" || m.Active) {
				t.Errorf("carl as a member = %+v", m)
			}
		}

		// Users, page by page; prefix of userName or displayName; active.
		users, pages := walk[userOut](f, "/api/v1/users?limit=3", f.keyA)
		if pages < 2 || len(users) != 4 {
			t.Errorf("users in %d pages = %+v, want 4 in more than one page", pages, users)
		}
		for _, tc := range []struct {
			query string
			want  []string
		}{
			{"q=carla", []string{"carl"}},
			{"q=ANN@", []string{"ann"}},
			{"active=false", []string{"carl"}},
			{"active=true&q=d", []string{"dave"}},
		} {
			got, _ := walk[userOut](f, "/api/v1/users?"+tc.query, f.keyA)
			var gotIDs, wantIDs []string
			for _, u := range got {
				gotIDs = append(gotIDs, u.ID)
			}
			for _, n := range tc.want {
				wantIDs = append(wantIDs, ids[n])
			}
			if strings.Join(gotIDs, ",") != strings.Join(wantIDs, ",") {
				t.Errorf("users?%s = %v, want %v", tc.query, got, tc.want)
			}
		}
		var u userOut
		f.do("GET", "/api/v1/users/"+f.ann, f.keyA, "", 200, &u)
		var gnames []string
		for _, g := range u.Groups {
			gnames = append(gnames, g.DisplayName)
		}
		if u.UserName != "ann@acme.test" || !u.Active || len(gnames) != 2 || !strings.Contains(strings.Join(gnames, ","), "Sales EMEA") {
			t.Errorf("user = %+v; want ann in Sales and Sales EMEA", u)
		}

		// Another organization's ids answer 404, and its records are not
		// listed.
		for _, path := range []string{
			"/api/v1/groups/" + ids["other group"],
			"/api/v1/groups/" + ids["other group"] + "/members",
			"/api/v1/users/" + ids["other user"],
			"/api/v1/groups/nope",
			"/api/v1/users/nope",
		} {
			var e apiErr
			f.do("GET", path, f.keyA, "", 404, &e)
			if e.Error.Code != "not_found" || !strings.Contains(e.Error.Message, "does not exist in this organization") {
				t.Errorf("GET %s = %+v", path, e)
			}
		}
		other, _ := walk[groupOut](f, "/api/v1/groups", f.keyB)
		if len(other) != 1 || other[0].DisplayName != "other group" {
			t.Errorf("organization B's groups = %+v", other)
		}
	})
}

// TestNamesNextToIds: grants carry their group's name, who-can-reach
// answers their users' names, and a rename shows at once.
func TestNamesNextToIds(t *testing.T) {
	engines(t, func(t *testing.T, f *fixture) {
		var ws struct{ ID string }
		f.do("POST", "/api/v1/workspaces", f.keyA, `{"name":"Pipeline"}`, 201, &ws)
		var g struct {
			GroupName string `json:"group_name"`
		}
		f.do("PUT", "/api/v1/workspaces/"+ws.ID+"/grants/"+f.sales, f.keyA, `{"role":"viewer"}`, 201, &g)
		if g.GroupName != "Sales" {
			t.Errorf("PUT grant answer group_name = %q", g.GroupName)
		}
		name := "Sales & Marketing"
		if _, err := f.h.Directory.UpdateGroup(context.Background(), scim, store.GroupUpdate{OrgID: f.orgA, ID: f.sales, DisplayName: &name}); err != nil {
			t.Fatal(err)
		}
		var grants struct {
			Items []struct {
				GroupName string `json:"group_name"`
			}
		}
		f.do("GET", "/api/v1/workspaces/"+ws.ID+"/grants", f.keyA, "", 200, &grants)
		if len(grants.Items) != 1 || grants.Items[0].GroupName != name {
			t.Errorf("grants = %+v, want the group's new name", grants)
		}
		var who struct{ Items []access.Reacher }
		f.do("GET", "/api/v1/workspaces/"+ws.ID+"/access", f.keyA, "", 200, &who)
		names := map[string]bool{}
		for _, r := range who.Items {
			names[r.UserName] = len(r.Reasons) == 1 && r.Reasons[0].GroupName == name
		}
		if len(names) != 2 || !names["ann@acme.test"] || !names["bob@acme.test"] {
			t.Errorf("who reaches the workspace = %+v; want ann and bob through %q", who.Items, name)
		}
		var reach struct{ Items []access.Reach }
		f.do("GET", "/api/v1/users/"+f.ann+"/access", f.keyA, "", 200, &reach)
		if len(reach.Items) == 0 || reach.Items[0].Reasons[0].GroupName != name {
			t.Errorf("ann's access = %+v", reach.Items)
		}
	})
}

// TestSCIMTokens: create (shown once), list without secrets, two active at
// once for rotation, and revocation refused by SCIM on the next request
// though the token service caches records.
func TestSCIMTokens(t *testing.T) {
	engines(t, func(t *testing.T, f *fixture) {
		f.tokens.CacheTTL = time.Minute
		type created struct {
			ID, Name, Hint, Token string
		}
		var first, second created
		f.do("POST", "/api/v1/scim-tokens", f.keyA, `{"name":"okta"}`, 201, &first)
		f.do("POST", "/api/v1/scim-tokens", f.keyA, `{"name":"okta, rotated"}`, 201, &second)
		if !strings.HasPrefix(first.Token, "roster_scim_") || first.Hint != first.Token[len(first.Token)-4:] || first.Name != "okta" {
			t.Fatalf("created = %+v", first)
		}
		scimGet := func(tok string, want int) {
			t.Helper()
			req, _ := http.NewRequest("GET", f.srv.URL+"/scim/v2/Users?count=1", nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != want {
				t.Errorf("SCIM with %s = %d, want %d", tok[:20], resp.StatusCode, want)
			}
		}
		// Both work at once: the identity provider moves to the second
		// before the first is revoked.
		scimGet(first.Token, 200)
		scimGet(second.Token, 200)
		raw := f.do("GET", "/api/v1/scim-tokens", f.keyA, "", 200, nil)
		if strings.Contains(raw, first.Token) || strings.Contains(raw, `"token"`) || strings.Contains(raw, "secret") {
			t.Errorf("the list shows secrets: %s", raw)
		}
		var listed struct {
			Items []struct {
				ID, Name, Hint string
				LastUsedAt     *time.Time `json:"last_used_at"`
				RevokedAt      *time.Time `json:"revoked_at"`
			}
		}
		json.Unmarshal([]byte(raw), &listed)
		if len(listed.Items) != 2 || listed.Items[0].LastUsedAt == nil || listed.Items[0].RevokedAt != nil {
			t.Errorf("listed = %+v; want two active, used tokens", listed.Items)
		}

		f.do("DELETE", "/api/v1/scim-tokens/"+first.ID, f.keyA, "", 204, nil)
		scimGet(first.Token, 401)
		scimGet(second.Token, 200)
		f.do("GET", "/api/v1/scim-tokens", f.keyA, "", 200, &listed)
		for _, tk := range listed.Items {
			if (tk.ID == first.ID) != (tk.RevokedAt != nil) {
				t.Errorf("after revoking %s: %+v", first.ID, tk)
			}
		}

		// Not a SCIM token of this organization: an API key, another
		// organization's token, nothing.
		apiKeyID := strings.Split(f.keyA, "_")[2]
		for _, tc := range []struct{ id, key string }{{apiKeyID, f.keyA}, {second.ID, f.keyB}, {"nope", f.keyA}} {
			var e apiErr
			f.do("DELETE", "/api/v1/scim-tokens/"+tc.id, tc.key, "", 404, &e)
			if e.Error.Code != "not_found" {
				t.Errorf("DELETE %s: %+v", tc.id, e)
			}
		}
		f.do("GET", "/api/v1/org", f.keyA, "", 200, nil) // the API key still works
		scimGet(second.Token, 200)
	})
}

func mapsEqual[K comparable, V comparable](a, b map[K]V) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// TestAdminKeys: admin keys are listed without secrets and revoked, the
// revocation holding on the next request though records are cached.
func TestAdminKeys(t *testing.T) {
	f := setup(t)
	f.tokens.CacheTTL = time.Minute
	second, sk, err := f.tokens.CreateAdmin(context.Background(), store.Actor{Kind: "cli"}, "rotated")
	if err != nil {
		t.Fatal(err)
	}
	f.do("GET", "/api/v1/orgs", second, "", 200, nil)
	raw := f.do("GET", "/api/v1/admin-keys", f.admin, "", 200, nil)
	var listed struct {
		Items []struct{ ID, Name, Hint string }
	}
	json.Unmarshal([]byte(raw), &listed)
	if len(listed.Items) != 2 || listed.Items[0].Name != "rotated" || listed.Items[0].Hint != second[len(second)-4:] || strings.Contains(raw, second) {
		t.Errorf("admin keys = %s", raw)
	}
	f.do("DELETE", "/api/v1/admin-keys/"+sk.ID, f.admin, "", 204, nil)
	var e apiErr
	f.do("GET", "/api/v1/orgs", second, "", 401, &e)
	if e.Error.Code != "unauthorized" {
		t.Errorf("revoked admin key: %+v", e)
	}
	f.do("GET", "/api/v1/orgs", f.admin, "", 200, nil)
	f.do("DELETE", "/api/v1/admin-keys/nope", f.admin, "", 404, &e)
	f.do("GET", "/api/v1/admin-keys", f.keyA, "", 403, &e)
	if e.Error.Code != "forbidden" {
		t.Errorf("an API key on admin keys: %+v", e)
	}
}
