package console_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/rosterhq/roster/internal/console"
	"github.com/rosterhq/roster/internal/store"
)

// TestSetupLinkAndTokens walks what an owner does first: open a setup
// link, see the overview, create a SCIM token, see its first use, revoke it.
func TestSetupLinkAndTokens(t *testing.T) {
	for _, eng := range engines {
		t.Run(eng.name, func(t *testing.T) {
			e := newEnv(t, eng.open(t))
			acme := e.org("Acme")
			b := newBrowser(t)
			link := e.link(acme.ID)

			// The link's page does not spend it: a preview may open it.
			for range 2 {
				if p := b.get(link); p.code != 200 || !strings.Contains(p.body, "Sign in to the Acme console") {
					t.Fatalf("setup link page = %d %s", p.code, p.body)
				}
			}
			home := b.enter(link)
			for _, want := range []string{"Acme", e.srv.URL + "/scim/v2", "Configure SAML single sign-on", "Create a SCIM token", "To do"} {
				if !strings.Contains(home.body, want) {
					t.Errorf("overview lacks %q", want)
				}
			}
			for name, want := range map[string]string{
				"Content-Security-Policy": "default-src 'self'", "Referrer-Policy": "no-referrer", "Cache-Control": "no-store",
			} {
				if got := home.hdr.Get(name); !strings.Contains(got, want) {
					t.Errorf("%s = %q, want %q in it", name, got, want)
				}
			}

			// A used link is refused with a page that says so.
			if p := b.get(link); p.code != http.StatusGone || !strings.Contains(p.body, "already used") || !strings.Contains(p.body, "roster console link --org ID") {
				t.Errorf("used link = %d %s; want 410 saying it was used and how to get another", p.code, p.body)
			}

			tokens := b.get(e.srv.URL + console.Prefix + "/tokens")
			// An empty name gets the form back with the message next to it.
			if p := b.post(e.srv.URL+console.Prefix+"/tokens", url.Values{"csrf": {csrf(t, tokens)}, "name": {"  "}}); p.code != 400 || !strings.Contains(p.body, `id="name-error"`) {
				t.Errorf("empty name = %d; want the form back with an error", p.code)
			}
			created := b.post(e.srv.URL+console.Prefix+"/tokens", url.Values{"csrf": {csrf(t, tokens)}, "name": {"okta"}})
			m := regexp.MustCompile(`id="new-token">(roster_scim_[a-z0-9_]+)<`).FindStringSubmatch(created.body)
			if created.code != http.StatusCreated || m == nil {
				t.Fatalf("create token = %d %s", created.code, created.body)
			}
			scimToken := m[1]
			if again := b.get(e.srv.URL + console.Prefix + "/tokens"); strings.Contains(again.body, scimToken) {
				t.Error("the token is shown a second time")
			}

			// Okta's first request with it shows on the overview.
			if code := scimGet(t, e, scimToken); code != 200 {
				t.Fatalf("SCIM with the console's token = %d", code)
			}
			if p := b.get(e.srv.URL + console.Prefix + "/"); strings.Count(p.body, `class="done"`) != 2 {
				t.Errorf("after the first SCIM request the checklist has %d steps done, want 2 (token, first request)", strings.Count(p.body, `class="done"`))
			}

			// Revoking it takes effect on the next request, and the event
			// names the setup link as actor.
			list, _ := e.tokens.List(context.Background(), acme.ID, store.TokenSCIM)
			page := b.get(e.srv.URL + console.Prefix + "/tokens")
			if p := b.post(e.srv.URL+console.Prefix+"/tokens/"+list[0].ID+"/revoke", url.Values{"csrf": {csrf(t, page)}}); p.code != 200 || !strings.Contains(p.body, "is revoked") {
				t.Fatalf("revoke = %d %s", p.code, p.body)
			}
			if code := scimGet(t, e, scimToken); code != 401 {
				t.Errorf("SCIM with the revoked token = %d, want 401", code)
			}
			evs, _ := e.store.ListEvents(context.Background(), acme.ID, 0, 100)
			var actors []string
			for _, ev := range evs {
				if ev.Type == "token.created" || ev.Type == "token.revoked" {
					actors = append(actors, ev.Actor.Kind+":"+ev.Actor.Name)
				}
			}
			if len(actors) != 2 || !strings.HasPrefix(actors[0], "console_link:setup link …") || actors[0] != actors[1] {
				t.Errorf("token events' actors = %v; want the setup link, twice", actors)
			}

			// Signing out ends the session.
			page = b.get(e.srv.URL + console.Prefix + "/")
			if p := b.post(e.srv.URL+console.Prefix+"/logout", url.Values{"csrf": {csrf(t, page)}}); p.code != 200 {
				t.Fatalf("logout = %d", p.code)
			}
			if p := b.get(e.srv.URL + console.Prefix + "/"); p.code != http.StatusUnauthorized || !strings.Contains(p.body, "Open a setup link") {
				t.Errorf("after logout the overview = %d; want 401 saying how to sign in", p.code)
			}
		})
	}
}

// TestForgedAndForeignRequests: a POST without the form's CSRF token and a
// session of another organization change nothing.
func TestForgedAndForeignRequests(t *testing.T) {
	for _, eng := range engines {
		t.Run(eng.name, func(t *testing.T) {
			e := newEnv(t, eng.open(t))
			acme, globex := e.org("Acme"), e.org("Globex")
			_, gtok, err := e.tokens.Create(context.Background(), store.Actor{Kind: "cli"}, globex.ID, store.TokenSCIM, "globex-okta")
			if err != nil {
				t.Fatal(err)
			}
			b := newBrowser(t)
			home := b.enter(e.link(acme.ID))
			for _, tc := range []struct {
				name string
				form url.Values
			}{
				{"no token", url.Values{"name": {"evil"}}},
				{"wrong token", url.Values{"name": {"evil"}, "csrf": {"forged"}}},
				{"another session's token", url.Values{"name": {"evil"}, "csrf": {csrf(t, newBrowser(t).enter(e.link(acme.ID)))}}},
			} {
				if p := b.post(e.srv.URL+console.Prefix+"/tokens", tc.form); p.code != http.StatusForbidden || !strings.Contains(p.body, "Nothing was changed") {
					t.Errorf("%s: forged POST = %d; want 403 saying nothing changed", tc.name, p.code)
				}
			}
			if list, _ := e.tokens.List(context.Background(), acme.ID, store.TokenSCIM); len(list) != 0 {
				t.Errorf("forged POSTs created %d tokens", len(list))
			}
			// Acme's session cannot revoke Globex's token: 404, and it works.
			if p := b.post(e.srv.URL+console.Prefix+"/tokens/"+gtok.ID+"/revoke", url.Values{"csrf": {csrf(t, home)}}); p.code != http.StatusNotFound {
				t.Errorf("revoking another organization's token = %d, want 404", p.code)
			}
			if got, _ := e.tokens.List(context.Background(), globex.ID, store.TokenSCIM); len(got) != 1 || got[0].Revoked() {
				t.Errorf("Globex's token after Acme's attempt: %+v", got)
			}
			// The SCIM tokens page cannot revoke the host app's API key.
			_, key, err := e.tokens.Create(context.Background(), store.Actor{Kind: "cli"}, acme.ID, store.TokenAPI, "host")
			if err != nil {
				t.Fatal(err)
			}
			if p := b.post(e.srv.URL+console.Prefix+"/tokens/"+key.ID+"/revoke", url.Values{"csrf": {csrf(t, home)}}); p.code != http.StatusNotFound {
				t.Errorf("revoking an API key on the SCIM tokens page = %d, want 404", p.code)
			}
			if got, _ := e.tokens.List(context.Background(), acme.ID, store.TokenAPI); len(got) != 1 || got[0].Revoked() {
				t.Errorf("the API key after the attempt: %+v", got)
			}
		})
	}
}

func TestRefusedLinks(t *testing.T) {
	e := newEnv(t, engines[0].open(t))
	acme := e.org("Acme")
	link := e.link(acme.ID)
	revokedLink := e.link(acme.ID)
	list, _ := e.tokens.ListLinks(context.Background(), acme.ID, 10)
	if _, err := e.tokens.RevokeLink(context.Background(), store.Actor{Kind: "cli"}, acme.ID, list[0].ID); err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t)
	for _, tc := range []struct {
		name, url string
		code      int
		want      string
	}{
		{"mistyped", link[:len(link)-3], 400, "incomplete or mistyped"},
		{"revoked", revokedLink, 410, "was revoked"},
		{"no such page", e.srv.URL + console.Prefix + "/nope", 404, "no console page"},
		{"not signed in", e.srv.URL + console.Prefix + "/tokens", 401, "Open a setup link"},
	} {
		if p := b.get(tc.url); p.code != tc.code || !strings.Contains(p.body, tc.want) {
			t.Errorf("%s: %d; want %d saying %q\n%s", tc.name, p.code, tc.code, tc.want, p.body)
		}
	}
}

func scimGet(t *testing.T, e *env, tok string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", e.srv.URL+"/scim/v2/Users", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
