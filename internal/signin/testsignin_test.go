package signin_test

import (
	"bytes"
	"compress/flate"
	"context"
	"encoding/base64"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/beevik/etree"

	"github.com/rosterhq/roster/internal/access"
	"github.com/rosterhq/roster/internal/sso"
	"github.com/rosterhq/roster/internal/sso/saml/samltest"
	"github.com/rosterhq/roster/internal/store"
)

const testResults = "/console/saml/test/"

// startTest runs Handler.StartTest in browser b, as the console's Test
// sign-in button does, and returns the request id and RelayState.
func (e *env) startTest(b *browser) (reqID, relay string) {
	e.t.Helper()
	start := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, err := e.h.StartTest(w, r, e.org.ID)
		if err != nil {
			http.Error(w, err.Error(), http.StatusConflict)
			return
		}
		http.Redirect(w, r, u, http.StatusSeeOther)
	})
	resp := b.get(start, baseURL+"/console/saml/test")
	if resp.StatusCode != http.StatusSeeOther {
		e.t.Fatalf("StartTest: %d %s", resp.StatusCode, body(e.t, resp))
	}
	loc, _ := url.Parse(resp.Header.Get("Location"))
	raw, err := base64.StdEncoding.DecodeString(loc.Query().Get("SAMLRequest"))
	if err != nil {
		e.t.Fatal(err)
	}
	xml, err := io.ReadAll(flate.NewReader(bytes.NewReader(raw)))
	if err != nil {
		e.t.Fatal(err)
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(xml); err != nil {
		e.t.Fatal(err)
	}
	return doc.Root().SelectAttrValue("ID", ""), loc.Query().Get("RelayState")
}

// TestTestSignIn: a Test sign-in's response is validated and matched like
// a member's, but starts no session, hands nothing to the host app (one is
// configured), creates nobody just in time and writes no sign-in log; the
// browser goes to the result, which says what happened.
func TestTestSignIn(t *testing.T) {
	forEngines(t, func(t *testing.T, eng engine) {
		e := newEnv(t, eng)
		ctx := context.Background()
		e.h.TestResultPath = testResults
		app := "https://app.example.test/sso"
		if _, err := e.acc.UpdateSettings(ctx, cli, e.org.ID, access.SettingsPatch{SignInRedirectURL: &app}); err != nil {
			t.Fatal(err)
		}
		e.settings(sso.Settings{JITProvisioning: ptr(true), SPInitiated: ptr(false)})
		bob := e.user("bob@example.com", "Bob", "")
		bob.Active = false
		if _, err := e.dir.ReplaceUser(ctx, cli, bob, 0); err != nil {
			t.Fatal(err)
		}
		users := func() int {
			p, err := e.dir.QueryUsers(ctx, e.org.ID, store.Query{Limit: 100})
			if err != nil {
				t.Fatal(err)
			}
			return len(p.Items)
		}
		before := users()

		for _, c := range []struct {
			name     string
			nameID   string
			other    bool // the response arrives in another browser
			outcome  string
			reason   string
			userID   string
			wouldJIT bool
		}{
			{name: "matched", nameID: "alice@example.com", outcome: store.SignInSuccess, userID: e.alice.ID},
			{name: "just in time", nameID: "new@example.com", outcome: store.SignInSuccess, wouldJIT: true},
			{name: "deactivated", nameID: "bob@example.com", outcome: store.SignInRefused, reason: sso.ReasonDeactivated, userID: bob.ID},
			{name: "other browser", nameID: "alice@example.com", other: true, outcome: store.SignInRefused, reason: sso.ReasonOtherBrowser},
		} {
			b := newBrowser(t)
			id, relay := e.startTest(b)
			poster := b
			if c.other {
				poster = newBrowser(t)
			}
			resp := e.acs(poster, e.mux, e.response(id, samltest.ResponseOptions{NameID: c.nameID}), relay)
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != testResults+id {
				t.Fatalf("%s: ACS = %d to %q; want 303 to the result, never the host app", c.name, resp.StatusCode, resp.Header.Get("Location"))
			}
			for _, ck := range resp.Cookies() {
				if strings.Contains(ck.Name, "roster_session") {
					t.Errorf("%s: a test set the session cookie", c.name)
				}
			}
			if code, _ := e.whoami(poster, e.mux); code != http.StatusUnauthorized {
				t.Errorf("%s: whoami after a test = %d; want 401", c.name, code)
			}
			r, err := e.svc.TestResult(ctx, e.org.ID, id)
			if err != nil || r.Outcome != c.outcome || r.Reason != c.reason || r.UserID != c.userID || r.WouldCreate != c.wouldJIT {
				t.Errorf("%s: result %+v, %v; want outcome %s reason %q user %q jit %v", c.name, r, err, c.outcome, c.reason, c.userID, c.wouldJIT)
			}
			if !c.other && r.NameID != c.nameID {
				t.Errorf("%s: result NameID %q", c.name, r.NameID)
			}
		}
		if n := users(); n != before {
			t.Errorf("test sign-ins created %d users", n-before)
		}
		if ins, err := e.svc.SignIns(ctx, e.org.ID, store.SignInFilter{}, 0, 10); err != nil || len(ins) != 0 {
			t.Errorf("test sign-ins wrote the sign-in log: %+v %v", ins, err)
		}
		if evs := e.events("sso.signed_in"); len(evs) != 0 {
			t.Errorf("test sign-ins made %d sso.signed_in events", len(evs))
		}
		// A member's sign-in still refuses SP-initiated sign-in here: the
		// test does not open the login URL.
		if resp := newBrowser(t).get(e.mux, e.urls.LoginURL); resp.StatusCode != http.StatusForbidden {
			t.Errorf("member login with SP-initiated sign-in off = %d", resp.StatusCode)
		}
	})
}
