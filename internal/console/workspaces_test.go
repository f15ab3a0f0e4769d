package console_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/rosterhq/roster/internal/console"
	"github.com/rosterhq/roster/internal/store"
)

// provision stores users and a group with them as SCIM would.
func (e *env) provision(orgID, group string, userNames ...string) (store.Group, []store.User) {
	e.t.Helper()
	ctx := context.Background()
	var users []store.User
	var ids []string
	for _, n := range userNames {
		u, err := e.store.CreateUser(ctx, store.Actor{Kind: "scim_token", Name: "okta"}, store.User{OrgID: orgID, ID: "u-" + strings.NewReplacer("@", "-", ".", "-").Replace(n),
			UserName: n, Active: true, Attributes: json.RawMessage(`{"userName":"` + n + `"}`)})
		if err != nil {
			e.t.Fatal(err)
		}
		users, ids = append(users, u), append(ids, u.ID)
	}
	g, err := e.store.CreateGroup(ctx, store.Actor{Kind: "scim_token", Name: "okta"}, store.Group{OrgID: orgID, ID: "g-" + strings.ReplaceAll(group, " ", "-"), DisplayName: group}, ids)
	if err != nil {
		e.t.Fatal(err)
	}
	return g, users
}

var wsPath = regexp.MustCompile(`/console/workspaces/([0-9a-f-]{36})(?:/folders/([0-9a-f-]{36}))?`)

// TestWorkspacesAndFolders walks the help page's folder steps: create a
// workspace, add an Invite only folder, Share it with a group as Checker,
// read who has access and why, remove a direct member, and delete.
func TestWorkspacesAndFolders(t *testing.T) {
	for _, eng := range engines {
		t.Run(eng.name, func(t *testing.T) {
			e := newEnv(t, eng.open(t))
			acme := e.org("Acme")
			sales, people := e.provision(acme.ID, "Sales team", "ann@acme.example", "bob@acme.example")
			b := newBrowser(t)
			home := b.enter(e.link(acme.ID))
			base := e.srv.URL + console.Prefix
			tok := csrf(t, home)

			// Bad input: the form again, the message by the field, nothing made.
			if p := b.post(base+"/workspaces", url.Values{"csrf": {tok}, "name": {"  "}}); p.code != 400 || !strings.Contains(p.body, `id="ws-name-error"`) {
				t.Fatalf("empty workspace name = %d; want the form back with the error", p.code)
			}
			if ws, _ := e.acc.ListWorkspaces(context.Background(), acme.ID, "", 10); len(ws) != 0 {
				t.Fatalf("a refused create made %d workspaces", len(ws))
			}
			p := b.post(base+"/workspaces", url.Values{"csrf": {tok}, "name": {"Sales"}})
			if p.code != http.StatusSeeOther {
				t.Fatalf("create workspace = %d %s", p.code, p.body)
			}
			wsURL := e.srv.URL + p.hdr.Get("Location")
			wsID := wsPath.FindStringSubmatch(wsURL)[1]
			page := b.get(wsURL)
			for _, want := range []string{"Workspace created", "Home", "home", "A grant on the workspace covers its home folder"} {
				if !strings.Contains(page.body, want) {
					t.Errorf("workspace page lacks %q", want)
				}
			}

			// An Invite only folder.
			p = b.post(base+"/workspaces/"+wsID+"/folders", url.Values{"csrf": {tok}, "name": {"Plans"}, "team_access": {"invite_only"}})
			if p.code != http.StatusSeeOther {
				t.Fatalf("create folder = %d %s", p.code, p.body)
			}
			folderURL := e.srv.URL + strings.SplitN(p.hdr.Get("Location"), "?", 2)[0]
			folderID := wsPath.FindStringSubmatch(folderURL)[2]
			if f, err := e.acc.GetFolder(context.Background(), acme.ID, folderID); err != nil || f.TeamAccess != store.TeamAccessInviteOnly {
				t.Fatalf("folder = %+v, %v; want Invite only", f, err)
			}
			// Edit with an empty name: the form back, nothing changed.
			if p := b.post(folderURL+"/edit", url.Values{"csrf": {tok}, "name": {""}, "team_access": {"workspace"}}); p.code != 400 || !strings.Contains(p.body, `id="folder-edit-error"`) {
				t.Errorf("empty folder name = %d; want the form back with the error", p.code)
			}
			if f, _ := e.acc.GetFolder(context.Background(), acme.ID, folderID); f.Name != "Plans" || f.TeamAccess != store.TeamAccessInviteOnly {
				t.Errorf("a refused edit changed the folder: %+v", f)
			}

			// Share: find the group by name, give it Check.
			found := b.get(folderURL + "?group=sal")
			if !strings.Contains(found.body, "Sales team") || !strings.Contains(found.body, `value="`+sales.ID+`"`) {
				t.Fatalf("group search did not find Sales team:\n%s", found.body)
			}
			if p := b.post(folderURL+"/grants", url.Values{"csrf": {tok}, "group_id": {sales.ID}, "role": {"checker"}}); p.code != http.StatusSeeOther {
				t.Fatalf("share = %d %s", p.code, p.body)
			}
			// A direct member, invited by hand.
			carol, _ := e.provision(acme.ID, "Others", "carol@acme.example")
			_ = carol
			carolID := "u-carol-acme-example"
			if _, err := e.acc.PutMember(context.Background(), store.Actor{Kind: "cli"}, store.ResourceMember{OrgID: acme.ID, ResourceType: store.ResourceFolder,
				ResourceID: folderID, UserID: carolID, Origin: store.OriginInvited, Role: store.RoleViewer}); err != nil {
				t.Fatal(err)
			}

			who := b.get(folderURL + "/access")
			for _, want := range []string{"ann@acme.example", "bob@acme.example", "Checker through group Sales team", "carol@acme.example", "Viewer as a member, invited"} {
				if !strings.Contains(who.body, want) {
					t.Errorf("who has access lacks %q:\n%s", want, who.body)
				}
			}
			if strings.Count(who.body, ">Remove</button>") != 1 {
				t.Errorf("who has access shows %d Remove buttons; want one, for carol's direct membership", strings.Count(who.body, ">Remove</button>"))
			}
			p = b.post(folderURL+"/members/"+carolID+"/remove", url.Values{"csrf": {tok}, "from": {"access"}})
			if p.code != http.StatusSeeOther || !strings.HasSuffix(strings.SplitN(p.hdr.Get("Location"), "?", 2)[0], "/access") {
				t.Fatalf("remove = %d %s", p.code, p.hdr.Get("Location"))
			}
			if who = b.get(e.srv.URL + p.hdr.Get("Location")); strings.Contains(who.body, "carol@acme.example") || !strings.Contains(who.body, "Member removed") {
				t.Errorf("after Remove, who has access still lists carol or says nothing:\n%s", who.body)
			}

			// Deactivating a user takes their access away on the page.
			ann := people[0]
			ann.Active = false
			if _, err := e.dir.ReplaceUser(context.Background(), store.Actor{Kind: "scim_token"}, ann, 0); err != nil {
				t.Fatal(err)
			}
			if who = b.get(folderURL + "/access"); strings.Contains(who.body, "ann@acme.example") {
				t.Errorf("a deactivated user still has access on the page")
			}

			// Workspace grants from the workspace page, and removal.
			if p := b.post(base+"/workspaces/"+wsID+"/grants", url.Values{"csrf": {tok}, "group_id": {sales.ID}, "role": {"editor"}}); p.code != http.StatusSeeOther {
				t.Fatalf("workspace grant = %d %s", p.code, p.body)
			}
			if g, _ := e.acc.ListGrants(context.Background(), acme.ID, store.GrantFilter{ResourceType: store.ResourceWorkspace, ResourceID: wsID}, "", 10); len(g) != 1 || g[0].Role != store.RoleEditor {
				t.Errorf("workspace grants = %+v; want Sales team as editor", g)
			}
			if p := b.post(base+"/workspaces/"+wsID+"/grants", url.Values{"csrf": {tok}, "group_id": {sales.ID}, "role": {"none"}}); p.code != http.StatusSeeOther {
				t.Fatalf("remove workspace grant = %d %s", p.code, p.body)
			}
			if g, _ := e.acc.ListGrants(context.Background(), acme.ID, store.GrantFilter{ResourceType: store.ResourceWorkspace, ResourceID: wsID}, "", 10); len(g) != 0 {
				t.Errorf("grants after No access = %+v", g)
			}

			// A forged POST changes nothing.
			if p := b.post(base+"/workspaces/"+wsID+"/rename", url.Values{"csrf": {"forged"}, "name": {"Evil"}}); p.code != http.StatusForbidden {
				t.Errorf("forged rename = %d; want 403", p.code)
			}
			if ws, _ := e.acc.GetWorkspace(context.Background(), acme.ID, wsID); ws.Name != "Sales" {
				t.Errorf("a forged POST renamed the workspace to %q", ws.Name)
			}

			// Another organization's session sees none of it.
			globex := e.org("Globex")
			other := newBrowser(t)
			otherHome := other.enter(e.link(globex.ID))
			for _, path := range []string{"/workspaces/" + wsID, "/workspaces/" + wsID + "/access", "/workspaces/" + wsID + "/folders/" + folderID, "/workspaces/" + wsID + "/delete"} {
				if p := other.get(base + path); p.code != http.StatusNotFound {
					t.Errorf("Globex GET %s = %d; want 404", path, p.code)
				}
			}
			if p := other.post(base+"/workspaces/"+wsID+"/delete", url.Values{"csrf": {csrf(t, otherHome)}}); p.code != http.StatusNotFound {
				t.Errorf("Globex delete of Acme's workspace = %d; want 404", p.code)
			}
			// A folder of one workspace is not found under another.
			other2 := b.post(base+"/workspaces", url.Values{"csrf": {tok}, "name": {"Ops"}})
			opsID := wsPath.FindStringSubmatch(other2.hdr.Get("Location"))[1]
			if p := b.get(base + "/workspaces/" + opsID + "/folders/" + folderID); p.code != http.StatusNotFound {
				t.Errorf("folder under the wrong workspace = %d; want 404", p.code)
			}

			// Delete: a confirmation that counts, then the workspace goes.
			confirm := b.get(base + "/workspaces/" + wsID + "/delete")
			if !strings.Contains(confirm.body, "Delete workspace “Sales”?") || !strings.Contains(confirm.body, "2 folders") {
				t.Errorf("delete confirmation = %s", confirm.body)
			}
			if p := b.post(base+"/workspaces/"+wsID+"/delete", url.Values{"csrf": {tok}}); p.code != 200 || !strings.Contains(p.body, "Workspace “Sales” deleted") {
				t.Errorf("delete = %d", p.code)
			}
			if _, err := e.acc.GetWorkspace(context.Background(), acme.ID, wsID); err == nil {
				t.Error("the workspace is still there")
			}
		})
	}
}
