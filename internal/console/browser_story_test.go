package console_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/rosterhq/roster/internal/store"
)

// The URNs Okta puts in its bodies.
const (
	oktaUserURN  = "urn:ietf:params:scim:schemas:core:2.0:User"
	oktaGroupURN = "urn:ietf:params:scim:schemas:core:2.0:Group"
	oktaPatchURN = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
)

// okta sends one request as Okta's provisioning client does (its
// User-Agent, application/json bodies, the token as a bearer) and returns
// the status and the answer's JSON object, if any.
func okta(t *testing.T, e *env, tok, method, path, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("User-Agent", "Okta SCIM Client 1.0.0")
	req.Header.Set("Accept", "application/scim+json")
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var obj map[string]any
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &obj); err != nil {
			t.Fatalf("%s %s answered %d with no JSON object: %s", method, path, resp.StatusCode, raw)
		}
	}
	return resp.StatusCode, obj
}

// oktaPerson is a user assigned to the app in Okta.
type oktaPerson struct{ login, given, family, oktaID string }

// oktaAssign is what Okta sends when a user is assigned to the app (Push
// New Users): a search by userName, then, finding nobody, the create with
// the body of its SCIM 2.0 guide — names, one primary work email, locale,
// its own user id as externalId, empty groups, a random password. It
// returns roster's id.
func oktaAssign(t *testing.T, e *env, tok string, p oktaPerson) string {
	t.Helper()
	code, list := okta(t, e, tok, "GET", `/scim/v2/Users?filter=userName%20eq%20%22`+strings.ReplaceAll(p.login, "@", "%40")+`%22&startIndex=1&count=100`, "")
	if code != 200 || list["totalResults"] != float64(0) {
		t.Fatalf("Okta's search for %s = %d %v, want 200 with no result", p.login, code, list)
	}
	body := fmt.Sprintf(`{"schemas":[%q],"userName":%q,"name":{"givenName":%q,"familyName":%q},`+
		`"emails":[{"primary":true,"value":%q,"type":"work"}],"displayName":"%s %s","locale":"en-US",`+
		`"externalId":%q,"groups":[],"password":"1mz050nq","active":true}`,
		oktaUserURN, p.login, p.given, p.family, p.login, p.given, p.family, p.oktaID)
	code, u := okta(t, e, tok, "POST", "/scim/v2/Users", body)
	id, _ := u["id"].(string)
	if code != 201 || id == "" {
		t.Fatalf("Okta's create of %s = %d %v", p.login, code, u)
	}
	return id
}

// oktaPushGroup is Push Groups with "Push group memberships immediately":
// the group is created empty, then its members are added in one PATCH.
// It returns roster's id of the group.
func oktaPushGroup(t *testing.T, e *env, tok, name string, members map[string]string) string {
	t.Helper()
	code, g := okta(t, e, tok, "POST", "/scim/v2/Groups", fmt.Sprintf(`{"schemas":[%q],"displayName":%q,"members":[]}`, oktaGroupURN, name))
	id, _ := g["id"].(string)
	if code != 201 || id == "" {
		t.Fatalf("Okta's push of group %s = %d %v", name, code, g)
	}
	var value []string
	for uid, login := range members {
		value = append(value, fmt.Sprintf(`{"value":%q,"display":%q}`, uid, login))
	}
	slices.Sort(value)
	body := fmt.Sprintf(`{"schemas":[%q],"Operations":[{"op":"add","path":"members","value":[%s]}]}`, oktaPatchURN, strings.Join(value, ","))
	if code, _ := okta(t, e, tok, "PATCH", "/scim/v2/Groups/"+id, body); code != 204 && code != 200 {
		t.Fatalf("Okta's membership PATCH of %s = %d", name, code)
	}
	return id
}

// accessRows reads the "who has access" table as person, role and why.
func accessRows(t *testing.T, ctx context.Context) map[string][2]string {
	t.Helper()
	rows, err := chromedp.Run(ctx, chromedp.Evaluate[[][]string](`Array.from(document.querySelectorAll("main table tbody tr")).map(
		tr => Array.from(tr.cells).slice(0, 3).map(td => td.innerText.trim()))`))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][2]string{}
	for _, r := range rows {
		out[r[0]] = [2]string{r[1], r[2]}
	}
	return out
}

// status navigates to u and returns the HTTP status of the page.
func status(t *testing.T, ctx context.Context, u string) int {
	t.Helper()
	resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(u))
	if err != nil {
		t.Fatalf("open %s: %v", u, err)
	}
	return int(resp.Status)
}

// TestBrowserStory walks the seed help pages end to end in chromium, as an
// owner and Okta would: the setup link, the overview, a SCIM token created
// and read from the page, Okta provisioning people and pushing "Sales"
// with its members, the group under Groups, Manage: Sales gets Editor on
// workspace Sales, a folder set to Invite only shared with Sales as
// Checker, who has access to it and why, Okta deactivating a user and
// their access gone from the folder's page and their own. Then what must
// not work: a forged POST (cross-site, and same-site without the CSRF
// token) changes nothing, the spent setup link is refused with a page
// that says so, and the session cannot open another organization's pages.
// It saves each step as console-story-*.png (in docs/screenshots with
// ROSTER_SCREENSHOTS=docs), at desktop width and at 375 px.
func TestBrowserStory(t *testing.T) {
	atEveryWidth(t, func(t *testing.T, ctx context.Context, size viewport) {
		e := newEnv(t, engines[0].open(t))
		acme := e.org("Acme")
		bg := context.Background()
		shot := func(name string) { t.Helper(); screenshot(t, ctx, "console-story-"+name+size.suffix) }
		base := e.srv.URL + "/console"

		// 1. The setup link, then the overview.
		link := e.link(acme.ID)
		do(t, ctx, chromedp.EmulateViewport(int64(size.width), int64(size.height)),
			chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS(`main button[type=submit]`)))
		if h := text(t, ctx, "main h1"); h != "Sign in to the Acme console" {
			t.Fatalf("the setup link's page reads %q", h)
		}
		shot("01-setup-link")
		do(t, ctx, chromedp.Click(chromedp.CSS(`main button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS(`ol.checklist`)))
		if got := text(t, ctx, "#scim-url"); got != e.srv.URL+"/scim/v2" {
			t.Errorf("the overview's SCIM base URL is %q", got)
		}
		if got := text(t, ctx, "ol.checklist"); strings.Contains(got, "Done") {
			t.Errorf("a new organization's checklist has a step done:\n%s", got)
		}
		shot("02-overview")

		// 2. A SCIM token, created in the browser and read off the page.
		do(t, ctx, chromedp.Click(chromedp.CSS(`nav a[href="/console/tokens"]`)), chromedp.WaitVisible(chromedp.CSS(`#name`)),
			chromedp.SendKeys(chromedp.CSS(`#name`), "Okta"), chromedp.Submit(chromedp.CSS(`#name`)),
			chromedp.WaitVisible(chromedp.CSS(`#new-token`)))
		tok := text(t, ctx, "#new-token")
		if !strings.HasPrefix(tok, "roster_scim_") {
			t.Fatalf("the page shows %q as the new token", tok)
		}
		shot("03-token")

		// 3. Okta with that token: Test Connector Configuration, Save,
		// four assignments, then Push Groups for Sales and Support.
		for _, path := range []string{"/scim/v2/Users?startIndex=1&count=2", "/scim/v2/Groups?startIndex=1&count=100"} {
			if code, _ := okta(t, e, tok, "GET", path, ""); code != 200 {
				t.Fatalf("Okta's GET %s with the token the page showed = %d", path, code)
			}
		}
		people := []oktaPerson{
			{"ann@acme.example", "Ann", "Archer", "00u1ann"}, {"bob@acme.example", "Bob", "Baker", "00u2bob"},
			{"carol@acme.example", "Carol", "Chen", "00u3carol"}, {"dana@acme.example", "Dana", "Diaz", "00u4dana"},
		}
		ids := map[string]string{}
		for _, p := range people {
			ids[p.login] = oktaAssign(t, e, tok, p)
		}
		salesID := oktaPushGroup(t, e, tok, "Sales", map[string]string{
			ids["ann@acme.example"]: "ann@acme.example", ids["bob@acme.example"]: "bob@acme.example", ids["carol@acme.example"]: "carol@acme.example"})
		oktaPushGroup(t, e, tok, "Support", map[string]string{ids["dana@acme.example"]: "dana@acme.example"})

		// 4. The groups "at the bottom of the organization screen".
		do(t, ctx, chromedp.Click(chromedp.CSS(`nav a[href="/console/groups"]`)), chromedp.WaitVisible(chromedp.CSS(`#groups-q`)))
		groups, err := chromedp.Run(ctx, chromedp.Evaluate[[][]string](`Array.from(document.querySelectorAll("main table tbody tr")).map(
				tr => Array.from(tr.cells).slice(0, 2).map(td => td.innerText.trim()))`))
		if err != nil {
			t.Fatal(err)
		}
		if want := [][]string{{"Sales", "3"}, {"Support", "1"}}; !slices.EqualFunc(groups, want, slices.Equal) {
			t.Errorf("Groups lists (name, members) %v, want %v", groups, want)
		}
		shot("04-groups")

		// 5. Workspace Sales, created in the browser.
		do(t, ctx, chromedp.Click(chromedp.CSS(`nav a[href="/console/workspaces"]`)), chromedp.WaitVisible(chromedp.CSS(`#ws-name`)),
			chromedp.SendKeys(chromedp.CSS(`#ws-name`), "Sales"), chromedp.Submit(chromedp.CSS(`#ws-name`)),
			chromedp.WaitVisible(chromedp.CSS(`#folders`)))
		loc, err := chromedp.Run(ctx, chromedp.Location())
		if err != nil {
			t.Fatal(err)
		}
		m := wsPath.FindStringSubmatch(loc)
		if m == nil {
			t.Fatalf("after creating the workspace the browser is at %s", loc)
		}
		wsID := m[1]

		// 6. Manage: Sales gets Editor on workspace Sales.
		do(t, ctx, chromedp.Click(chromedp.CSS(`nav a[href="/console/groups"]`)), chromedp.WaitVisible(chromedp.CSS(`#groups-q`)),
			chromedp.Click(chromedp.CSS(`a[href="/console/groups/`+salesID+`/manage"]`)), chromedp.WaitVisible(chromedp.CSS(`ul.manage`)),
			chromedp.Click(chromedp.CSS(`input[name="role.`+wsID+`"][value=editor]`)),
			chromedp.Click(chromedp.CSS(`ul.manage + button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS(`div.notice`)))
		if checked := text(t, ctx, `label.choice:has(input[name="role.`+wsID+`"]:checked)`); !strings.Contains(checked, "Editor") {
			t.Errorf("after Save the Manage page has %q checked for Sales", checked)
		}
		shot("05-manage")

		// 7. A folder, then Edit: team access Invite only, then Share
		// with Sales as Checker.
		do(t, ctx, chromedp.Navigate(base+"/workspaces/"+wsID), chromedp.WaitVisible(chromedp.CSS(`#folder-name`)),
			chromedp.SendKeys(chromedp.CSS(`#folder-name`), "Plans"), chromedp.Submit(chromedp.CSS(`#folder-name`)),
			chromedp.WaitVisible(chromedp.CSS(`#edit`)))
		if got := text(t, ctx, "section[aria-labelledby=share]"); !strings.Contains(got, "team access is Workspace") {
			t.Errorf("a new folder's Share reads %q, want it to follow the workspace", got)
		}
		do(t, ctx, chromedp.Click(chromedp.CSS(`input[name=team_access][value=invite_only]`)),
			chromedp.Submit(chromedp.CSS(`#folder-name`)), chromedp.WaitVisible(chromedp.CSS(`#group-q`)),
			chromedp.SendKeys(chromedp.CSS(`#group-q`), "Sa"), chromedp.Submit(chromedp.CSS(`#group-q`)),
			chromedp.WaitVisible(chromedp.CSS(`ul.results select`)),
			chromedp.SetValue(chromedp.CSS(`ul.results select`), "checker"),
			chromedp.Click(chromedp.CSS(`ul.results button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS(`div.notice`)))
		if got := text(t, ctx, "section[aria-labelledby=share] table"); !strings.Contains(got, "Sales") || !strings.Contains(got, "Check") {
			t.Errorf("after Share the folder's groups read %q", got)
		}
		shot("06-folder-share")
		folderURL, err := chromedp.Run(ctx, chromedp.Location())
		if err != nil {
			t.Fatal(err)
		}
		folderURL = folderURL[:strings.IndexAny(folderURL+"?", "?")]

		// 8. Who has access to the folder, and why: Sales' three
		// members as Checker — the workspace's Editor does not reach an
		// Invite only folder — and not Dana of Support.
		do(t, ctx, chromedp.Click(chromedp.CSS(`a[href$="/access"]`)), chromedp.WaitVisible(chromedp.CSS(`ul.reasons`)))
		rows := accessRows(t, ctx)
		for _, who := range []string{"ann@acme.example", "bob@acme.example", "carol@acme.example"} {
			if r, ok := rows[who]; !ok || r[0] != "Checker" || !strings.Contains(r[1], "Checker through group Sales") {
				t.Errorf("who has access to Plans: %s reads %q, want Checker through group Sales", who, r)
			}
		}
		if len(rows) != 3 {
			t.Errorf("who has access to Plans lists %v, want Sales' three members", rows)
		}
		shot("07-folder-access")

		// Bob's page: Editor on the workspace, Checker on the folder.
		do(t, ctx, chromedp.Navigate(base+"/users/"+ids["bob@acme.example"]), chromedp.WaitVisible(chromedp.CSS(`#access`)))
		got := text(t, ctx, "section[aria-labelledby=access]")
		for _, want := range []string{"Sales", "Editor through group Sales", "Plans", "Checker through group Sales"} {
			if !strings.Contains(got, want) {
				t.Errorf("Bob's access lacks %q:\n%s", want, got)
			}
		}
		shot("08-user")

		// 9. Okta deactivates Bob (unassigned from the app).
		if code, u := okta(t, e, tok, "PATCH", "/scim/v2/Users/"+ids["bob@acme.example"],
			fmt.Sprintf(`{"schemas":[%q],"Operations":[{"op":"replace","value":{"active":false}}]}`, oktaPatchURN)); code != 200 || u["active"] != false {
			t.Fatalf("Okta's deactivation of Bob = %d %v", code, u)
		}
		do(t, ctx, chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(`#access`)))
		if h := text(t, ctx, "main h1"); !strings.Contains(h, "deactivated") {
			t.Errorf("Bob's page after the deactivation is headed %q", h)
		}
		got = text(t, ctx, "section[aria-labelledby=access]")
		if strings.Contains(got, "through group") || !strings.Contains(got, "no access anywhere") {
			t.Errorf("Bob's access after the deactivation:\n%s", got)
		}
		shot("09-user-deactivated")
		do(t, ctx, chromedp.Navigate(folderURL+"/access"), chromedp.WaitVisible(chromedp.CSS(`ul.reasons`)))
		rows = accessRows(t, ctx)
		if _, ok := rows["bob@acme.example"]; ok || len(rows) != 2 {
			t.Errorf("who has access to Plans after Bob's deactivation: %v, want Ann and Carol only", rows)
		}
		shot("10-folder-access-after")

		// What must not work. A page of another site that posts the
		// Manage form (No access for Sales) with the owner's cookie:
		// SameSite=Lax keeps the cookie home, and nothing changes.
		evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/go.js" {
				w.Header().Set("Content-Type", "text/javascript")
				_, _ = io.WriteString(w, `document.forms[0].submit();`)
				return
			}
			_, _ = fmt.Fprintf(w, `<!doctype html><form method="post" action="%s/groups/%s/manage">`+
				`<input name="ws" value="%s"><input name="role.%s" value="none"></form><script src="/go.js"></script>`, base, salesID, wsID, wsID)
		}))
		defer evil.Close()
		// localhost is another site than the console's 127.0.0.1.
		evilURL := strings.Replace(evil.URL, "127.0.0.1", "localhost", 1)
		do(t, ctx, chromedp.Navigate(evilURL), chromedp.WaitVisible(chromedp.CSS(`div.center h1`)))
		if h := text(t, ctx, "div.center h1"); h != "Sign in to the console" {
			t.Errorf("the cross-site POST reached the console signed in: its answer is headed %q", h)
		}
		grants := func() []store.Grant {
			t.Helper()
			g, err := e.acc.ListGrants(bg, acme.ID, store.GrantFilter{GroupID: salesID}, "", 10)
			if err != nil {
				t.Fatal(err)
			}
			return g
		}
		if g := grants(); len(g) != 2 {
			t.Errorf("after a cross-site POST Sales has grants %+v, want its two", g)
		}

		// The same form, same-site, without the CSRF token: 403,
		// the page says nothing changed, and the group still has
		// Editor.
		do(t, ctx, chromedp.Navigate(base+"/groups/"+salesID+"/manage"), chromedp.WaitVisible(chromedp.CSS(`ul.manage`)))
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector("ul.manage").closest("form").querySelector("input[name=csrf]").remove(), true`)); err != nil {
			t.Fatal(err)
		}
		resp, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(`input[name="role.`+wsID+`"][value=none]`)),
			chromedp.Click(chromedp.CSS(`ul.manage + button[type=submit]`)))
		if err != nil {
			t.Fatal(err)
		}
		if resp.Status != http.StatusForbidden || !strings.Contains(text(t, ctx, "main"), "Nothing was changed") {
			t.Errorf("a POST without the CSRF token = %d %q; want 403 saying nothing changed", resp.Status, text(t, ctx, "main"))
		}
		shot("11-forged-post")
		do(t, ctx, chromedp.Navigate(base+"/groups/"+salesID), chromedp.WaitVisible(chromedp.CSS(`section[aria-labelledby=granted] table`)))
		if got := text(t, ctx, "section[aria-labelledby=granted] table"); !strings.Contains(got, "Sales") || !strings.Contains(got, "Editor") {
			t.Errorf("after the forged POSTs the group's grants read %q, want Editor on Sales", got)
		}
		if g := grants(); len(g) != 2 {
			t.Errorf("after a POST without the CSRF token Sales has grants %+v, want its two", g)
		}

		// The spent setup link: refused, saying what happened and how
		// to get a new one.
		if code := status(t, ctx, link); code != http.StatusGone {
			t.Errorf("the used setup link = %d, want 410", code)
		}
		if got := text(t, ctx, "main"); !strings.Contains(got, "already used") || !strings.Contains(got, "roster console link") {
			t.Errorf("the used setup link's page reads %q", got)
		}
		shot("12-link-used")

		// Another organization's pages: 404, with nothing of theirs.
		globex := e.org("Globex")
		gGroup, gPeople := e.provision(globex.ID, "Globex Finance", "gina@globex.example")
		gWS, _, err := e.acc.CreateWorkspace(bg, store.Actor{Kind: "cli"}, globex.ID, "Globex Plans", "")
		if err != nil {
			t.Fatal(err)
		}
		gFolder, err := e.acc.CreateFolder(bg, store.Actor{Kind: "cli"}, globex.ID, gWS.ID, "Globex Secrets", store.TeamAccessInviteOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, path := range []string{
			"/groups/" + gGroup.ID, "/groups/" + gGroup.ID + "/manage", "/users/" + gPeople[0].ID,
			"/workspaces/" + gWS.ID, "/workspaces/" + gWS.ID + "/access",
			"/workspaces/" + gWS.ID + "/folders/" + gFolder.ID, "/workspaces/" + gWS.ID + "/folders/" + gFolder.ID + "/access",
		} {
			if code := status(t, ctx, base+path); code != http.StatusNotFound {
				t.Errorf("Acme's session opening Globex's %s = %d, want 404", path, code)
			}
			// (The message names the id asked for, not what it is.)
			if got := text(t, ctx, "body"); strings.Contains(got, "Globex Finance") || strings.Contains(got, "Globex Plans") ||
				strings.Contains(got, "Globex Secrets") || strings.Contains(got, "gina@") {
				t.Errorf("Acme's session opening Globex's %s shows:\n%s", path, got)
			}
		}
		shot("13-other-organization")
	})
}
