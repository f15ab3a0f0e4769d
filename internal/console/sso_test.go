package console_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/rosterhq/roster/internal/access"
	"github.com/rosterhq/roster/internal/console"
	"github.com/rosterhq/roster/internal/sso"
	"github.com/rosterhq/roster/internal/sso/saml/samltest"
	"github.com/rosterhq/roster/internal/store"
)

// ssoOrg is an organization whose SAML is configured with a test IdP, and
// whose users ann (an owner) and bob (a member) were provisioned.
type ssoOrg struct {
	org      store.Org
	idp      *samltest.IdP
	urls     sso.URLs
	ann, bob store.User
}

func (e *env) ssoOrg(name string) ssoOrg {
	e.t.Helper()
	ctx := context.Background()
	cli := store.Actor{Kind: "cli"}
	o := ssoOrg{org: e.org(name), idp: samltest.NewIdP(e.t, samltest.Options{EntityID: "https://idp.example.test/" + name})}
	base := e.srv.URL
	if _, err := e.sso.UpdateSettings(ctx, cli, o.org.ID, sso.Settings{BaseURL: &base}); err != nil {
		e.t.Fatal(err)
	}
	c, _, err := e.sso.SetIdPMetadata(ctx, cli, o.org.ID, o.idp.Metadata(), "")
	if err != nil {
		e.t.Fatal(err)
	}
	o.urls = e.sso.URLs(c)
	for _, u := range []*store.User{&o.ann, &o.bob} {
		name := "bob@" + strings.ToLower(name) + ".example"
		if u == &o.ann {
			name = "ann@" + strings.ToLower(name) + ".example"
		}
		if *u, err = e.dir.CreateUser(ctx, cli, store.User{OrgID: o.org.ID, UserName: name, Active: true}); err != nil {
			e.t.Fatal(err)
		}
	}
	if _, err := e.acc.SetOrgRole(ctx, cli, o.org.ID, o.ann.ID, store.OrgOwner); err != nil {
		e.t.Fatal(err)
	}
	return o
}

// signInThroughIdP follows /console/sso/{org} to the IdP, answers as the
// IdP for nameID, and returns the answer to the browser's return to the
// console.
func (e *env) signInThroughIdP(b *browser, o ssoOrg, nameID string) page {
	e.t.Helper()
	start := b.get(e.srv.URL + console.Prefix + "/sso/" + o.org.ID)
	if start.code != http.StatusSeeOther {
		e.t.Fatalf("/console/sso: %d %s", start.code, start.body)
	}
	login := b.get(e.srv.URL + start.hdr.Get("Location"))
	if login.code != http.StatusFound {
		e.t.Fatalf("login: %d %s", login.code, login.body)
	}
	req := o.idp.ReadRedirect(e.t, login.hdr.Get("Location"))
	resp := o.idp.ResponseXML(e.t, samltest.ResponseOptions{
		SP:           samltest.SP{EntityID: o.urls.EntityID, ACSURL: o.urls.ACSURL},
		InResponseTo: req.ID, NameID: nameID,
	})
	acs := b.post(o.urls.ACSURL, url.Values{"SAMLResponse": {samltest.Encode(resp)}, "RelayState": {req.RelayState}})
	if acs.code != http.StatusSeeOther {
		e.t.Fatalf("ACS: %d %s", acs.code, acs.body)
	}
	if got := acs.hdr.Get("Location"); got != console.Prefix+"/sso/"+o.org.ID {
		e.t.Fatalf("after the ACS the browser goes to %q, want back to the console's SSO", got)
	}
	return b.get(e.srv.URL + acs.hdr.Get("Location"))
}

// TestConsoleSignInThroughSSO: an owner signs in to the console through
// the organization's IdP — even when sign-ins are handed off to the host
// app — and what they do is recorded under their name; a member who is
// no owner is turned away with who can let them in; a signed-in owner of
// one organization is not let into another's console.
func TestConsoleSignInThroughSSO(t *testing.T) {
	for _, eng := range engines {
		t.Run(eng.name, func(t *testing.T) {
			e := newEnv(t, eng.open(t))
			acme, globex := e.ssoOrg("Acme"), e.ssoOrg("Globex")
			redirect := "https://app.example.com/sso/callback"
			if _, err := e.acc.UpdateSettings(context.Background(), store.Actor{Kind: "cli"}, acme.org.ID, access.SettingsPatch{SignInRedirectURL: &redirect}); err != nil {
				t.Fatal(err)
			}
			ann := newBrowser(t)
			entered := e.signInThroughIdP(ann, acme, acme.ann.UserName)
			if entered.code != http.StatusSeeOther || entered.hdr.Get("Location") != console.Prefix+"/" {
				t.Fatalf("the owner's return to the console: %d %q %s", entered.code, entered.hdr.Get("Location"), entered.body)
			}
			tokens := ann.get(e.srv.URL + console.Prefix + "/tokens")
			if tokens.code != 200 {
				t.Fatalf("the owner's console: %d", tokens.code)
			}
			if p := ann.post(e.srv.URL+console.Prefix+"/tokens", url.Values{"csrf": {csrf(t, tokens)}, "name": {"Okta"}}); p.code >= 400 {
				t.Fatalf("creating a token: %d %s", p.code, p.body)
			}
			evs, err := e.store.ListEvents(context.Background(), acme.org.ID, 0, 1000)
			if err != nil {
				t.Fatal(err)
			}
			var signedIn, created bool
			for _, ev := range evs {
				switch ev.Type {
				case "console.signed_in":
					signedIn = ev.Actor.ID == acme.ann.ID && ev.Actor.Name == acme.ann.UserName
				case "token.created":
					created = ev.Actor.ID == acme.ann.ID && ev.Actor.Kind == "user"
				}
			}
			if !signedIn || !created {
				t.Errorf("events do not name the owner (signed in %t, token created %t): %+v", signedIn, created, evs)
			}
			// Ann's SSO session is Acme's: Globex's console starts its own sign-in.
			if p := ann.get(e.srv.URL + console.Prefix + "/sso/" + globex.org.ID); p.code != http.StatusSeeOther || !strings.Contains(p.hdr.Get("Location"), "/auth/saml/"+globex.org.ID+"/login") {
				t.Errorf("Acme's owner opening Globex's console SSO: %d %q", p.code, p.hdr.Get("Location"))
			}

			bob := newBrowser(t)
			refused := e.signInThroughIdP(bob, acme, acme.bob.UserName)
			if refused.code != http.StatusForbidden || !strings.Contains(refused.body, "not an owner or admin") || !strings.Contains(refused.body, acme.bob.UserName) {
				t.Errorf("a member at the console's SSO: %d\n%s", refused.code, refused.body)
			}
			if p := bob.get(e.srv.URL + console.Prefix + "/tokens"); p.code != http.StatusUnauthorized {
				t.Errorf("the member then opens the console: %d, want 401", p.code)
			}
		})
	}
}
