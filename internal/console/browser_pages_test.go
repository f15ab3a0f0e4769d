package console_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/rosterhq/roster/internal/store"
)

// TestBrowserGroupsUsersSettingsEvents drives the help page's group step
// in chromium — Groups → Sales → Manage: Editor on workspace Sales — then
// reads a user's access and why, switches a setting, adds an owner and
// reads the event feed, at desktop width and at 375 px, saving each page.
func TestBrowserGroupsUsersSettingsEvents(t *testing.T) {
	atEveryWidth(t, func(t *testing.T, ctx context.Context, size viewport) {
		e := newEnv(t, engines[0].open(t))
		acme := e.org("Acme")
		bg := context.Background()
		cli := store.Actor{Kind: "cli"}
		_, people := e.provision(acme.ID, "Sales", "ann@acme.example", "bob@acme.example", "dana@acme.example")
		// Ann as Okta sends her: a name and a work email.
		ann := people[0]
		ann.DisplayName = "Ann Archer"
		ann.Attributes = json.RawMessage(`{"userName":"ann@acme.example","displayName":"Ann Archer","emails":[{"value":"ann.archer@acme.example","type":"work","primary":true}]}`)
		if _, err := e.store.ReplaceUser(bg, store.Actor{Kind: "scim_token", Name: "okta"}, ann, 0); err != nil {
			t.Fatal(err)
		}
		support, _ := e.provision(acme.ID, "Support", "carol@acme.example", "erin@acme.example")
		e.provision(acme.ID, "Engineering", "frank@acme.example")
		sales, _, err := e.acc.CreateWorkspace(bg, cli, acme.ID, "Sales", "")
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := e.acc.CreateWorkspace(bg, cli, acme.ID, "Operations", ""); err != nil {
			t.Fatal(err)
		}
		plans, err := e.acc.CreateFolder(bg, cli, acme.ID, sales.ID, "Plans", store.TeamAccessInviteOnly)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := e.acc.PutGrant(bg, cli, acme.ID, store.ResourceFolder, plans.ID, support.ID, store.RoleChecker); err != nil {
			t.Fatal(err)
		}

		enterConsole(t, ctx, e.link(acme.ID), size)
		do(t, ctx,
			chromedp.Click(chromedp.CSS(`nav a[href="/console/groups"]`)), chromedp.WaitVisible(chromedp.CSS(`#groups-q`)))
		if got := text(t, ctx, "main table"); !strings.Contains(got, "Sales") || !strings.Contains(got, "3") {
			t.Errorf("the group list reads %q", got)
		}
		screenshot(t, ctx, "console-groups"+size.suffix)

		do(t, ctx, chromedp.Click(chromedp.CSS(`main table a[href^="/console/groups/g-Sales"]`)), chromedp.WaitVisible(chromedp.CSS(`#members`)))
		if got := text(t, ctx, "section[aria-labelledby=members] table"); !strings.Contains(got, "dana@acme.example") {
			t.Errorf("the group's members read %q", got)
		}

		// Manage: Sales gets Editor on workspace Sales.
		do(t, ctx, chromedp.Click(chromedp.CSS(`a[href$="/manage"]`)), chromedp.WaitVisible(chromedp.CSS(`ul.manage`)),
			chromedp.Click(chromedp.CSS(`input[name="role.`+sales.ID+`"][value=editor]`)),
			chromedp.Click(chromedp.CSS(`ul.manage + button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS(`div.notice`)))
		if g, _ := e.acc.ListGrants(bg, acme.ID, store.GrantFilter{GroupID: "g-Sales"}, "", 10); len(g) != 1 || g[0].Role != store.RoleEditor || g[0].ResourceID != sales.ID {
			t.Errorf("after Manage the grants of Sales are %+v", g)
		}
		screenshot(t, ctx, "console-group-manage"+size.suffix)
		// Back to the group: it lists the grant.
		do(t, ctx, chromedp.Click(chromedp.CSS(`p.crumbs a:nth-of-type(2)`)), chromedp.WaitVisible(chromedp.CSS(`section[aria-labelledby=granted] table`)))
		if got := text(t, ctx, "section[aria-labelledby=granted] table"); !strings.Contains(got, "Sales") || !strings.Contains(got, "Editor") {
			t.Errorf("the group's grants read %q", got)
		}
		screenshot(t, ctx, "console-group"+size.suffix)

		do(t, ctx, chromedp.Click(chromedp.CSS(`nav a[href="/console/users"]`)), chromedp.WaitVisible(chromedp.CSS(`#users-q`)))
		screenshot(t, ctx, "console-users"+size.suffix)
		// The answer page's field carries the query as its value attribute.
		do(t, ctx, chromedp.SendKeys(chromedp.CSS(`#users-q`), "ann"), chromedp.Submit(chromedp.CSS(`#users-q`)),
			chromedp.WaitVisible(chromedp.CSS(`#users-q[value="ann"]`)))
		if got := text(t, ctx, "main table"); !strings.Contains(got, "ann@acme.example") || strings.Contains(got, "bob@") {
			t.Errorf("searching ann lists %q", got)
		}
		do(t, ctx, chromedp.Click(chromedp.CSS(`main table a`)), chromedp.WaitVisible(chromedp.CSS(`#access`)))
		if got := text(t, ctx, "section[aria-labelledby=access]"); !strings.Contains(got, "Editor through group Sales") {
			t.Errorf("ann's access reads %q", got)
		}
		screenshot(t, ctx, "console-user"+size.suffix)

		// Settings: only owners create workspaces; Ann becomes an owner.
		do(t, ctx, chromedp.Click(chromedp.CSS(`nav a[href="/console/settings"]`)), chromedp.WaitVisible(chromedp.CSS(`#role-user`)),
			chromedp.Click(chromedp.CSS(`input[name=allow_members_create_workspaces]`)),
			chromedp.Click(chromedp.CSS(`section[aria-labelledby=org-settings] button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS(`div.notice`)),
			chromedp.SendKeys(chromedp.CSS(`#role-user`), "ann@acme.example"),
			chromedp.Click(chromedp.CSS(`input[name=role][value=owner]`)),
			chromedp.Submit(chromedp.CSS(`#role-user`)), chromedp.WaitVisible(chromedp.CSS(`section[aria-labelledby=owners] table`)))
		if o, _ := e.acc.Org(bg, acme.ID); o.Settings.AllowMembersCreateWorkspaces {
			t.Error("the settings page did not turn Allow members to create workspaces off")
		}
		screenshot(t, ctx, "console-settings"+size.suffix)

		do(t, ctx, chromedp.Click(chromedp.CSS(`nav a[href="/console/events"]`)), chromedp.WaitVisible(chromedp.CSS(`main table`)))
		got := text(t, ctx, "main table")
		for _, want := range []string{"Ann@acme.example made Owner", "Group “Sales” given Editor on workspace “Sales”", "only owners and admins may create workspaces"} {
			if !strings.Contains(strings.ToLower(got), strings.ToLower(want)) {
				t.Errorf("the feed lacks %q:\n%s", want, got)
			}
		}
		screenshot(t, ctx, "console-events"+size.suffix)
	})
}
