package console_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/console"
	"github.com/rosterhq/roster/internal/store"
)

// pagesEnv is an organization as an owner finds it after the help pages'
// first steps: Sales and Support provisioned, workspaces Sales and Ops,
// an Invite only folder Plans in Sales, and an owner's session.
type pagesEnv struct {
	*env
	org, other     store.Org
	sales, support store.Group
	people         []store.User
	salesWS, opsWS store.Workspace
	plans          store.Folder
	b              *browser
	base, tok      string
}

func newPagesEnv(t *testing.T, s store.Store) *pagesEnv {
	t.Helper()
	ctx := context.Background()
	e := newEnv(t, s)
	p := &pagesEnv{env: e, org: e.org("Acme"), other: e.org("Globex")}
	p.sales, p.people = e.provision(p.org.ID, "Sales", "ann@acme.example", "bob@acme.example")
	p.support, _ = e.provision(p.org.ID, "Support", "carol@acme.example")
	// Ann's SCIM representation carries her name and emails, as Okta's does.
	ann := p.people[0]
	ann.DisplayName = "Ann Archer"
	ann.Attributes = json.RawMessage(`{"userName":"ann@acme.example","name":{"givenName":"Ann","familyName":"Archer"},"emails":[{"value":"ann.archer@mail.acme.example","type":"work","primary":true}]}`)
	ann.Values = []store.Value{{Attr: "emails", Sub: "value", Str: "ann.archer@mail.acme.example"}}
	var err error
	if p.people[0], err = e.store.ReplaceUser(ctx, store.Actor{Kind: "scim_token", Name: "okta"}, ann, 0); err != nil {
		t.Fatal(err)
	}
	owner := store.Actor{Kind: "cli"}
	if p.salesWS, _, err = e.acc.CreateWorkspace(ctx, owner, p.org.ID, "Sales", ""); err != nil {
		t.Fatal(err)
	}
	if p.opsWS, _, err = e.acc.CreateWorkspace(ctx, owner, p.org.ID, "Ops", ""); err != nil {
		t.Fatal(err)
	}
	if p.plans, err = e.acc.CreateFolder(ctx, owner, p.org.ID, p.salesWS.ID, "Plans", store.TeamAccessInviteOnly); err != nil {
		t.Fatal(err)
	}
	if _, _, err = e.acc.PutGrant(ctx, owner, p.org.ID, store.ResourceFolder, p.plans.ID, p.support.ID, store.RoleChecker); err != nil {
		t.Fatal(err)
	}
	p.b = newBrowser(t)
	p.tok = csrf(t, p.b.enter(e.link(p.org.ID)))
	p.base = e.srv.URL + console.Prefix
	return p
}

func (p *pagesEnv) grants(groupID string) map[string]store.Role {
	p.t.Helper()
	gs, err := p.acc.ListGrants(context.Background(), p.org.ID, store.GrantFilter{GroupID: groupID}, "", 100)
	if err != nil {
		p.t.Fatal(err)
	}
	out := map[string]store.Role{}
	for _, g := range gs {
		out[g.ResourceID] = g.Role
	}
	return out
}

func wantIn(t *testing.T, what string, pg page, code int, wants ...string) {
	t.Helper()
	if pg.code != code {
		t.Errorf("%s = %d; want %d\n%s", what, pg.code, code, pg.body)
		return
	}
	for _, w := range wants {
		if !strings.Contains(pg.body, w) {
			t.Errorf("%s lacks %q", what, w)
		}
	}
}

// TestGroupsPages walks Groups → a group → Manage as an owner would: the
// list with member counts and search, the group's members and grants,
// and Manage's radios saving through the grant service.
func TestGroupsPages(t *testing.T) {
	for _, eng := range engines {
		t.Run(eng.name, func(t *testing.T) {
			p := newPagesEnv(t, eng.open(t))
			for _, c := range []struct {
				name, path string
				wants      []string
				not        string
			}{
				{"list", "/groups", []string{"Sales", "Support", `<td data-label="Members">2</td>`, `/groups/` + p.sales.ID + `/manage`}, ""},
				{"search", "/groups?q=sup", []string{"Support", "starts with “sup”"}, ">Sales</a>"},
				{"search without match", "/groups?q=zzz", []string{"No group's name starts with “zzz”"}, ""},
				{"group", "/groups/" + p.support.ID, []string{"carol@acme.example", "Plans · Sales", "Checker", "Invite only"}, "ann@acme.example"},
				{"manage", "/groups/" + p.sales.ID + "/manage", []string{"Ops", `name="role.` + p.salesWS.ID + `" value="none" checked`, "No folder is shared"}, ""},
				{"manage lists invite-only folders", "/groups/" + p.support.ID + "/manage", []string{"Plans · Sales", "/folders/" + p.plans.ID}, ""},
			} {
				pg := p.b.get(p.base + c.path)
				wantIn(t, c.name, pg, http.StatusOK, c.wants...)
				if c.not != "" && strings.Contains(pg.body, c.not) {
					t.Errorf("%s shows %q", c.name, c.not)
				}
			}

			// Manage: Sales gets Editor on workspace Sales, Viewer on Ops.
			form := url.Values{"csrf": {p.tok}, "ws": {p.salesWS.ID, p.opsWS.ID},
				"role." + p.salesWS.ID: {"editor"}, "role." + p.opsWS.ID: {"viewer"}}
			manage := p.base + "/groups/" + p.sales.ID + "/manage"
			pg := p.b.post(manage, form)
			if pg.code != http.StatusSeeOther {
				t.Fatalf("save Manage = %d %s", pg.code, pg.body)
			}
			if g := p.grants(p.sales.ID); g[p.salesWS.ID] != store.RoleEditor || g[p.opsWS.ID] != store.RoleViewer {
				t.Fatalf("grants after Manage = %v", g)
			}
			wantIn(t, "manage after save", p.b.get(p.env.srv.URL+pg.hdr.Get("Location")), 200, "Saved.",
				`name="role.`+p.salesWS.ID+`" value="editor" checked`, `name="role.`+p.opsWS.ID+`" value="viewer" checked`)
			wantIn(t, "group after save", p.b.get(p.base+"/groups/"+p.sales.ID), 200, "Editor", "Viewer", "/workspaces/"+p.opsWS.ID)
			// No access removes the grant; the other stays.
			form.Set("role."+p.opsWS.ID, "none")
			if pg := p.b.post(manage, form); pg.code != http.StatusSeeOther {
				t.Fatalf("save No access = %d", pg.code)
			}
			if g := p.grants(p.sales.ID); len(g) != 1 || g[p.salesWS.ID] != store.RoleEditor {
				t.Fatalf("grants after No access = %v", g)
			}

			// Bad input: the form again with the message at the workspace, nothing changed.
			bad := url.Values{"csrf": {p.tok}, "ws": {p.salesWS.ID, p.opsWS.ID}, "role." + p.salesWS.ID: {"viewer"}, "role." + p.opsWS.ID: {"owner"}}
			wantIn(t, "bad Manage", p.b.post(manage, bad), http.StatusBadRequest, `id="err-`+p.opsWS.ID+`"`, "Nothing was saved",
				`name="role.`+p.salesWS.ID+`" value="viewer" checked`)
			if g := p.grants(p.sales.ID); len(g) != 1 || g[p.salesWS.ID] != store.RoleEditor {
				t.Errorf("a refused Manage changed the grants: %v", g)
			}
			// A forged POST: 403, nothing changed.
			forged := url.Values{"ws": {p.salesWS.ID}, "role." + p.salesWS.ID: {"none"}}
			if pg := p.b.post(manage, forged); pg.code != http.StatusForbidden {
				t.Errorf("Manage without CSRF token = %d; want 403", pg.code)
			}
			if g := p.grants(p.sales.ID); g[p.salesWS.ID] != store.RoleEditor {
				t.Errorf("a forged Manage changed the grants: %v", g)
			}

			// Globex's session finds none of Acme's groups, and cannot
			// grant an Acme group, nor a Globex group on an Acme workspace.
			other := newBrowser(t)
			otherTok := csrf(t, other.enter(p.link(p.other.ID)))
			for _, path := range []string{"/groups/" + p.sales.ID, "/groups/" + p.sales.ID + "/manage"} {
				if pg := other.get(p.base + path); pg.code != http.StatusNotFound {
					t.Errorf("Globex GET %s = %d; want 404", path, pg.code)
				}
			}
			if pg := other.post(manage, url.Values{"csrf": {otherTok}, "ws": {p.salesWS.ID}, "role." + p.salesWS.ID: {"none"}}); pg.code != http.StatusNotFound {
				t.Errorf("Globex Manage of an Acme group = %d; want 404", pg.code)
			}
			globexGroup, _ := p.provision(p.other.ID, "Intruders", "eve@globex.example")
			if pg := other.post(p.base+"/groups/"+globexGroup.ID+"/manage", url.Values{"csrf": {otherTok}, "ws": {p.salesWS.ID}, "role." + p.salesWS.ID: {"editor"}}); pg.code != http.StatusNotFound {
				t.Errorf("Globex Manage on an Acme workspace = %d; want 404", pg.code)
			}
			if g := p.grants(p.sales.ID); g[p.salesWS.ID] != store.RoleEditor {
				t.Errorf("Globex changed Acme's grants: %v", g)
			}
			if wl := other.get(p.base + "/groups"); strings.Contains(wl.body, "Sales") {
				t.Error("Globex's group list shows Acme's groups")
			}
		})
	}
}

// TestUsersPages: search by name and email, and a user's page with their
// groups and their access everywhere with the resolver's reasons.
func TestUsersPages(t *testing.T) {
	for _, eng := range engines {
		t.Run(eng.name, func(t *testing.T) {
			p := newPagesEnv(t, eng.open(t))
			ctx := context.Background()
			if _, _, err := p.acc.PutGrant(ctx, store.Actor{Kind: "cli"}, p.org.ID, store.ResourceWorkspace, p.salesWS.ID, p.sales.ID, store.RoleEditor); err != nil {
				t.Fatal(err)
			}
			ann, bob := p.people[0], p.people[1]
			for _, c := range []struct {
				name, path string
				code       int
				wants      []string
				not        string
			}{
				{"list", "/users", 200, []string{"ann@acme.example", "bob@acme.example", "carol@acme.example"}, ""},
				{"by userName", "/users?q=BOB", 200, []string{"bob@acme.example"}, "ann@acme.example"},
				{"by name", "/users?q=ann+arch", 200, []string{"ann@acme.example"}, "bob@acme.example"},
				{"by email", "/users?by=email&q=ann.archer@", 200, []string{"ann@acme.example"}, "bob@acme.example"},
				{"no match", "/users?q=zed", 200, []string{"Nobody matches “zed”"}, ""},
				{"too long", "/users?q=" + strings.Repeat("x", 201), 400, []string{`id="users-q-error"`}, ""},
				{"user", "/users/" + ann.ID, 200, []string{"Ann Archer", "ann.archer@mail.acme.example", ">Sales</a>", "active",
					"Editor through group Sales", "/workspaces/" + p.salesWS.ID}, "Plans"},
				{"user of an invite-only folder", "/users/" + p.people[0].ID, 200, []string{"Home · Sales"}, ""},
			} {
				pg := p.b.get(p.base + c.path)
				wantIn(t, c.name, pg, c.code, c.wants...)
				if c.not != "" && strings.Contains(pg.body, c.not) {
					t.Errorf("%s shows %q", c.name, c.not)
				}
			}
			// An email search pages in address order with its own cursor.
			for i := 0; i < 52; i++ {
				mail := fmt.Sprintf("crew%02d@ship.example", i)
				if _, err := p.store.CreateUser(ctx, store.Actor{Kind: "scim_token"}, store.User{OrgID: p.org.ID, ID: fmt.Sprintf("u-crew-%02d", 51-i),
					UserName: fmt.Sprintf("sailor%02d", i), Active: true, Attributes: json.RawMessage(`{}`),
					Values: []store.Value{{Attr: "emails", Sub: "value", Str: mail}}}); err != nil {
					t.Fatal(err)
				}
			}
			byMail := p.b.get(p.base + "/users?by=email&q=CREW")
			wantIn(t, "email search", byMail, 200, "crew00@ship.example", "crew49@ship.example")
			if strings.Contains(byMail.body, "crew50@") {
				t.Error("the first page of an email search has more than 50 users")
			}
			i := strings.Index(byMail.body, `href="/console/users?after=`)
			if i < 0 {
				t.Fatal("no next page for the email search")
			}
			next := strings.ReplaceAll(byMail.body[i+6:i+strings.Index(byMail.body[i+6:], `"`)+6], "&amp;", "&")
			wantIn(t, "email search, page 2", p.b.get(p.srv.URL+next), 200, "crew50@ship.example", "crew51@ship.example")
			if pg := p.b.get(p.base + "/users?by=email&q=crew&after=garbage"); pg.code != http.StatusBadRequest || !strings.Contains(pg.body, `id="users-q-error"`) {
				t.Errorf("a malformed cursor = %d; want the form back", pg.code)
			}
			carol := "u-carol-acme-example"
			wantIn(t, "carol", p.b.get(p.base+"/users/"+carol), 200, "Plans · Sales", "Checker through group Support")

			// Deactivated: the page says so, and lists no access.
			bob.Active = false
			if _, err := p.dir.ReplaceUser(ctx, store.Actor{Kind: "scim_token"}, bob, 0); err != nil {
				t.Fatal(err)
			}
			pg := p.b.get(p.base + "/users/" + bob.ID)
			wantIn(t, "deactivated user", pg, 200, "deactivated", "a deactivated user has no access anywhere")
			if strings.Contains(pg.body, "Editor through group") {
				t.Error("a deactivated user's page lists access")
			}

			other := newBrowser(t)
			other.enter(p.link(p.other.ID))
			if pg := other.get(p.base + "/users/" + ann.ID); pg.code != http.StatusNotFound {
				t.Errorf("Globex GET Acme's user = %d; want 404", pg.code)
			}
			if pg := other.get(p.base + "/users?q=ann"); strings.Contains(pg.body, "ann@acme.example") {
				t.Error("Globex's user search finds Acme's users")
			}
		})
	}
}

// TestSettingsPage: the two settings saved through UpdateSettings, bad
// and forged forms changing nothing, and owners and admins added and
// removed.
func TestSettingsPage(t *testing.T) {
	for _, eng := range engines {
		t.Run(eng.name, func(t *testing.T) {
			p := newPagesEnv(t, eng.open(t))
			ctx := context.Background()
			settings := func() store.Settings {
				o, err := p.acc.Org(ctx, p.org.ID)
				if err != nil {
					t.Fatal(err)
				}
				return o.Settings
			}
			wantIn(t, "settings", p.b.get(p.base+"/settings"), 200, `value="on" checked`, `value="revoke" checked`, "No owner or admin yet")
			for _, c := range []struct {
				name string
				form url.Values
				code int
				want store.Settings
				page string
			}{
				{"switch both", url.Values{"csrf": {p.tok}, "group_removal": {"keep"}}, http.StatusSeeOther,
					store.Settings{AllowMembersCreateWorkspaces: false, GroupRemoval: store.GroupRemovalKeep}, ""},
				{"bad removal", url.Values{"csrf": {p.tok}, "allow_members_create_workspaces": {"on"}, "group_removal": {"forget"}}, http.StatusBadRequest,
					store.Settings{AllowMembersCreateWorkspaces: false, GroupRemoval: store.GroupRemovalKeep}, `id="removal-error"`},
				{"forged", url.Values{"allow_members_create_workspaces": {"on"}, "group_removal": {"revoke"}}, http.StatusForbidden,
					store.Settings{AllowMembersCreateWorkspaces: false, GroupRemoval: store.GroupRemovalKeep}, "Nothing was changed"},
				{"back", url.Values{"csrf": {p.tok}, "allow_members_create_workspaces": {"on"}, "group_removal": {"revoke"}}, http.StatusSeeOther,
					store.DefaultSettings(), ""},
			} {
				pg := p.b.post(p.base+"/settings", c.form)
				if pg.code != c.code || !strings.Contains(pg.body, c.page) {
					t.Errorf("%s = %d; want %d with %q\n%s", c.name, pg.code, c.code, c.page, pg.body)
				}
				// Only the two settings the page shows are compared: the
				// others are the service's to keep.
				if got := settings(); got.AllowMembersCreateWorkspaces != c.want.AllowMembersCreateWorkspaces || got.GroupRemoval != c.want.GroupRemoval {
					t.Errorf("%s: settings %+v; want %+v", c.name, got, c.want)
				}
			}

			roles := func() []store.OrgMember {
				ms, err := p.acc.ListOrgRoles(ctx, p.org.ID, "", 10)
				if err != nil {
					t.Fatal(err)
				}
				return ms
			}
			wantIn(t, "unknown userName", p.b.post(p.base+"/settings/roles", url.Values{"csrf": {p.tok}, "user_name": {"zed@acme.example"}, "role": {"owner"}}),
				http.StatusBadRequest, `id="role-user-error"`, "zed@acme.example")
			wantIn(t, "bad role", p.b.post(p.base+"/settings/roles", url.Values{"csrf": {p.tok}, "user_name": {"ann@acme.example"}, "role": {"god"}}),
				http.StatusBadRequest, `id="role-error"`)
			if pg := p.b.post(p.base+"/settings/roles", url.Values{"user_name": {"ann@acme.example"}, "role": {"owner"}}); pg.code != http.StatusForbidden {
				t.Errorf("forged add = %d", pg.code)
			}
			if n := len(roles()); n != 0 {
				t.Fatalf("refused adds made %d owners", n)
			}
			if pg := p.b.post(p.base+"/settings/roles", url.Values{"csrf": {p.tok}, "user_name": {"ANN@acme.example"}, "role": {"owner"}}); pg.code != http.StatusSeeOther {
				t.Fatalf("add owner = %d %s", pg.code, pg.body)
			}
			if rs := roles(); len(rs) != 1 || rs[0].UserID != p.people[0].ID || rs[0].Role != store.OrgOwner {
				t.Fatalf("roles = %+v", rs)
			}
			wantIn(t, "settings with an owner", p.b.get(p.base+"/settings?done=role-added"), 200, "ann@acme.example", "Owner", "Organization role given")
			wantIn(t, "owner's page", p.b.get(p.base+"/users/"+p.people[0].ID), 200, "Owner of the organization")

			if pg := p.b.post(p.base+"/settings/roles/"+p.people[0].ID+"/remove", url.Values{}); pg.code != http.StatusForbidden || len(roles()) != 1 {
				t.Errorf("forged remove = %d, %d owners left; want 403 and the owner kept", pg.code, len(roles()))
			}
			other := newBrowser(t)
			otherTok := csrf(t, other.enter(p.link(p.other.ID)))
			if pg := other.post(p.base+"/settings/roles/"+p.people[0].ID+"/remove", url.Values{"csrf": {otherTok}}); pg.code != http.StatusNotFound {
				t.Errorf("Globex removing Acme's owner = %d; want 404", pg.code)
			}
			if pg := other.post(p.base+"/settings/roles", url.Values{"csrf": {otherTok}, "user_name": {"ann@acme.example"}, "role": {"owner"}}); pg.code != http.StatusBadRequest {
				t.Errorf("Globex making Acme's user its owner = %d; want 400 (no such user)", pg.code)
			}
			if pg := p.b.post(p.base+"/settings/roles/"+p.people[0].ID+"/remove", url.Values{"csrf": {p.tok}}); pg.code != http.StatusSeeOther {
				t.Fatalf("remove owner = %d", pg.code)
			}
			if n := len(roles()); n != 0 {
				t.Errorf("%d owners after Remove", n)
			}
		})
	}
}

// TestEventsPage: the feed newest first, with names, and paging back.
func TestEventsPage(t *testing.T) {
	for _, eng := range engines {
		t.Run(eng.name, func(t *testing.T) {
			p := newPagesEnv(t, eng.open(t))
			ctx := context.Background()
			if _, _, err := p.acc.PutGrant(ctx, store.Actor{Kind: "cli"}, p.org.ID, store.ResourceWorkspace, p.salesWS.ID, p.sales.ID, store.RoleEditor); err != nil {
				t.Fatal(err)
			}
			pg := p.b.get(p.base + "/events")
			wantIn(t, "events", pg, 200, "Group “Sales” given Editor on workspace “Sales”", "Added ann@acme.example and bob@acme.example to group “Sales”",
				"Folder “Plans” created in workspace “Sales”, Invite only", "Home folder created in workspace “Ops”", "User ann@acme.example updated", "SCIM token okta", "roster CLI",
				"An owner signed in to the console with a setup link")
			if i, j := strings.Index(pg.body, "given Editor"), strings.Index(pg.body, "to group “Sales”"); i < 0 || j < 0 || i > j {
				t.Error("the feed is not newest first")
			}
			// Enough events for a second page.
			for i := 0; i < 25; i++ { // a workspace and its home folder are two events
				if _, _, err := p.acc.CreateWorkspace(ctx, store.Actor{Kind: "cli"}, p.org.ID, "W"+strings.Repeat("x", i%5)+string(rune('a'+i%26)), ""); err != nil {
					t.Fatal(err)
				}
			}
			first := p.b.get(p.base + "/events")
			if n := strings.Count(first.body, `<td data-label="When"`); n != 50 {
				t.Errorf("first page has %d events; want 50", n)
			}
			older := strings.Index(first.body, `/console/events?before=`)
			if older < 0 {
				t.Fatal("no link to older events")
			}
			link := first.body[older : strings.Index(first.body[older:], `"`)+older]
			second := p.b.get(p.srv.URL + strings.ReplaceAll(link, "&amp;", "&"))
			wantIn(t, "older events", second, 200, "Group “Sales” given Editor", "Newest events")
			// Retention deletes the oldest events: a page reaching past
			// them shows the kept ones and says the rest are gone.
			last, err := p.dir.Seq(ctx, p.org.ID)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := p.store.PurgeEvents(ctx, time.Now().Add(time.Hour), int(last-10)); err != nil {
				t.Fatal(err)
			}
			edge := p.b.get(p.base + "/events?before=" + strconv.FormatInt(last-5, 10))
			wantIn(t, "events at the horizon", edge, 200, "Older events are no longer kept", "#"+strconv.FormatInt(last-6, 10), "#"+strconv.FormatInt(last-9, 10))
			if n := strings.Count(edge.body, `<td data-label="When"`); n != 4 {
				t.Errorf("the page at the horizon has %d events; want the 4 kept before seq %d", n, last-5)
			}
			if strings.Contains(edge.body, "before=") {
				t.Error("the page at the horizon links to older events")
			}
			if pg := p.b.get(p.base + "/events?before=" + strconv.FormatInt(last-20, 10)); pg.code != 200 || !strings.Contains(pg.body, "Older events are no longer kept") {
				t.Errorf("a page past the horizon = %d", pg.code)
			}
			if pg := p.b.get(p.base + "/events?before=x"); pg.code != http.StatusBadRequest {
				t.Errorf("events?before=x = %d; want 400", pg.code)
			}
			other := newBrowser(t)
			other.enter(p.link(p.other.ID))
			if pg := other.get(p.base + "/events"); strings.Contains(pg.body, "Sales") {
				t.Error("Globex's feed shows Acme's events")
			}
		})
	}
}

// TestWorkspaceListsPage: the workspace page's grants and members page
// on past the first 50 (their links carry the store's cursors), and the
// overview's group steps link to Groups.
func TestWorkspaceListsPage(t *testing.T) {
	p := newPagesEnv(t, engines[0].open(t))
	ctx := context.Background()
	cli := store.Actor{Kind: "cli"}
	for i := 0; i < 51; i++ {
		g, users := p.provision(p.org.ID, fmt.Sprintf("Team %02d", i), fmt.Sprintf("member%02d@acme.example", i))
		if _, _, err := p.acc.PutGrant(ctx, cli, p.org.ID, store.ResourceWorkspace, p.opsWS.ID, g.ID, store.RoleViewer); err != nil {
			t.Fatal(err)
		}
		if _, err := p.acc.PutMember(ctx, cli, store.ResourceMember{OrgID: p.org.ID, ResourceType: store.ResourceWorkspace,
			ResourceID: p.opsWS.ID, UserID: users[0].ID, Origin: store.OriginInvited, Role: store.RoleViewer}); err != nil {
			t.Fatal(err)
		}
	}
	ws := p.b.get(p.base + "/workspaces/" + p.opsWS.ID)
	for key, want := range map[string]string{"grants_after": "Team 50", "members_after": "member50@acme.example"} {
		i := strings.Index(ws.body, "?"+key+"=")
		if i < 0 {
			t.Fatalf("the workspace page has no %s link", key)
		}
		start := strings.LastIndex(ws.body[:i], `"`) + 1
		link := strings.ReplaceAll(ws.body[start:i+strings.Index(ws.body[i:], `"`)], "&amp;", "&")
		wantIn(t, key, p.b.get(p.srv.URL+link), http.StatusOK, want)
	}
	wantIn(t, "overview", p.b.get(p.base+"/"), http.StatusOK, `<a href="/console/groups">See the groups</a>`, `<a href="/console/groups">Open Groups, then Manage</a>`)
}
