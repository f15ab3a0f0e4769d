package console_test

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/rosterhq/roster/internal/access"
	"github.com/rosterhq/roster/internal/console"
	"github.com/rosterhq/roster/internal/sso/saml/samltest"
	"github.com/rosterhq/roster/internal/store"
)

// testSignInEnv is Acme with SAML configured against the in-repo test IdP,
// a host app redirect URL set, and an owner's console session.
type testSignInEnv struct {
	*pagesEnv
	idp *samltest.IdP
	sp  samltest.SP
}

func newTestSignInEnv(t *testing.T, s store.Store) *testSignInEnv {
	t.Helper()
	ctx := context.Background()
	p := newPagesEnv(t, s)
	idp := samltest.NewIdP(t, samltest.Options{})
	if _, _, err := p.sso.SetIdPMetadata(ctx, store.Actor{Kind: "cli"}, p.org.ID, idp.Metadata(), ""); err != nil {
		t.Fatal(err)
	}
	// A host app that would receive members: a test must never reach it.
	app := "https://app.example.com/sso/callback"
	if _, err := p.acc.UpdateSettings(ctx, store.Actor{Kind: "cli"}, p.org.ID, access.SettingsPatch{SignInRedirectURL: &app}); err != nil {
		t.Fatal(err)
	}
	c, err := p.sso.Config(ctx, p.org.ID)
	if err != nil {
		t.Fatal(err)
	}
	u := p.sso.URLs(c)
	return &testSignInEnv{pagesEnv: p, idp: idp, sp: samltest.SP{EntityID: u.EntityID, ACSURL: u.ACSURL}}
}

// start presses Test sign-in and returns the AuthnRequest id and the
// RelayState the browser carries to the IdP.
func (e *testSignInEnv) start(b *browser, tok string) (reqID, relay string) {
	e.t.Helper()
	pg := b.post(e.base+"/saml/test", url.Values{"csrf": {tok}})
	if pg.code != http.StatusSeeOther {
		e.t.Fatalf("Test sign-in = %d %s", pg.code, pg.body)
	}
	req := e.idp.ReadRedirect(e.t, pg.hdr.Get("Location"))
	return req.ID, req.RelayState
}

// answer posts the IdP's response to the ACS, as the IdP's form does, and
// returns roster's answer.
func (e *testSignInEnv) answer(b *browser, doc []byte, relay string) page {
	e.t.Helper()
	return b.post(e.sp.ACSURL, url.Values{"SAMLResponse": {samltest.Encode(doc)}, "RelayState": {relay}})
}

// TestTestSignIn runs the SAML page's Test sign-in end to end through the
// test IdP: a success shows the NameID, its format, the attributes and the
// matched user; an unprovisioned person and a forged signature show their
// refusal reason with what to change. No test starts a session, hands off
// to the host app (one is configured) or writes the sign-in log; a forged
// POST starts nothing; another organization's session gets 404.
func TestTestSignIn(t *testing.T) {
	for _, eng := range engines {
		t.Run(eng.name, func(t *testing.T) {
			e := newTestSignInEnv(t, eng.open(t))
			ctx := context.Background()
			wantIn(t, "SAML page", e.b.get(e.base+"/saml"), http.StatusOK, "4. Test sign-in", `action="/console/saml/test"`, ">Test sign-in</button>")

			if pg := e.b.post(e.base+"/saml/test", url.Values{}); pg.code != http.StatusForbidden || pg.hdr.Get("Location") != "" {
				t.Errorf("forged Test sign-in = %d to %q; want 403 and no redirect", pg.code, pg.hdr.Get("Location"))
			}

			cases := []struct {
				name   string
				opts   samltest.ResponseOptions
				tamper func([]byte) []byte
				wants  []string
			}{
				{"success", samltest.ResponseOptions{NameID: "ANN@acme.example", Attributes: map[string][]string{
					"firstName": {"Ann"}, "groups": {"Sales", "Support"}}},
					nil, []string{"Test sign-in succeeded", `<code id="test-nameid">ANN@acme.example</code>`,
						"urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress", "<code>firstName</code>", "Ann",
						"<code>groups</code>", "<li>Sales</li><li>Support</li>",
						`<a href="/console/users/` + e.people[0].ID + `">ann@acme.example</a>`, "started no session and sent nothing to your app"}},
				{"unknown user", samltest.ResponseOptions{NameID: "zed@acme.example"},
					nil, []string{"Test sign-in refused", "<code>unknown_user</code>", "has not been provisioned to roster",
						"What to change:", "Assign the person", "zed@acme.example", "User</dt><dd>none</dd>"}},
				{"bad signature", samltest.ResponseOptions{NameID: "ann@acme.example"},
					func(doc []byte) []byte {
						return bytes.Replace(doc, []byte("ann@acme.example"), []byte("bob@acme.example"), 1)
					},
					[]string{"Test sign-in refused", "<code>bad_signature</code>", "upload fresh metadata", "Nothing roster could read"}},
			}
			var firstID string
			for _, c := range cases {
				id, relay := e.start(e.b, e.tok)
				c.opts.SP, c.opts.InResponseTo = e.sp, id
				doc := e.idp.ResponseXML(t, c.opts)
				if c.tamper != nil {
					doc = c.tamper(doc)
				}
				pg := e.answer(e.b, doc, relay)
				if want := console.Prefix + "/saml/test/" + id; pg.code != http.StatusSeeOther || pg.hdr.Get("Location") != want {
					t.Fatalf("%s: the ACS answered %d to %q; want 303 to %s\n%s", c.name, pg.code, pg.hdr.Get("Location"), want, pg.body)
				}
				for _, ck := range pg.hdr.Values("Set-Cookie") {
					if strings.Contains(ck, "roster_session") {
						t.Errorf("%s: a test sign-in set the session cookie %q", c.name, ck)
					}
				}
				res := e.b.get(e.srv.URL + pg.hdr.Get("Location"))
				wantIn(t, c.name, res, http.StatusOK, c.wants...)
				if c.name == "bad signature" && strings.Contains(res.body, "bob@acme.example") {
					t.Error("the result of a forged response shows what it claims")
				}
				if firstID == "" {
					firstID = id
				}
			}

			// Nothing a member's sign-in leaves behind.
			if resp, err := e.b.c.Get(e.srv.URL + "/auth/whoami"); err != nil || resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("whoami after the tests = %v %v; want 401 (no session)", resp.StatusCode, err)
			}
			if ins, err := e.sso.SignIns(ctx, e.org.ID, store.SignInFilter{}, 0, 10); err != nil || len(ins) != 0 {
				t.Errorf("the tests wrote the sign-in log: %+v %v", ins, err)
			}
			evs, err := e.store.ListEvents(ctx, e.org.ID, 0, 10000)
			if err != nil {
				t.Fatal(err)
			}
			for _, ev := range evs {
				if strings.HasPrefix(ev.Type, "sso.signed_in") || strings.HasPrefix(ev.Type, "sso.sign_in_refused") {
					t.Errorf("a test sign-in made the event %s", ev.Type)
				}
			}

			// A result is one response's: the RelayState is spent.
			id, relay := e.start(e.b, e.tok)
			doc := e.idp.ResponseXML(t, samltest.ResponseOptions{SP: e.sp, InResponseTo: id, NameID: "ann@acme.example"})
			e.answer(e.b, doc, relay)
			if pg := e.answer(e.b, doc, relay); pg.code == http.StatusSeeOther {
				t.Errorf("a test response posted twice was accepted again: %d to %q", pg.code, pg.hdr.Get("Location"))
			}

			other := newBrowser(t)
			other.enter(e.link(e.other.ID))
			wantIn(t, "Globex opening Acme's result", other.get(e.base+"/saml/test/"+firstID), http.StatusNotFound, "No test sign-in")
			wantIn(t, "an unknown result", e.b.get(e.base+"/saml/test/_nope"), http.StatusNotFound, "No test sign-in")
		})
	}
}
