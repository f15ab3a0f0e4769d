package signin_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/fault"
	"github.com/rosterhq/roster/internal/signin"
	"github.com/rosterhq/roster/internal/sso"
	"github.com/rosterhq/roster/internal/sso/saml/samltest"
	"github.com/rosterhq/roster/internal/store"
)

func TestValidSignIns(t *testing.T) {
	forEngines(t, func(t *testing.T, eng engine) {
		e := newEnv(t, eng)
		tests := []struct {
			name     string
			settings sso.Settings
			idpInit  bool
			relay    string // IdP-initiated RelayState
			opts     samltest.ResponseOptions
			wantLoc  string
		}{
			{name: "sp-initiated, assertion signed (Entra)", wantLoc: "/docs/1?tab=a"},
			{name: "sp-initiated, response signed (Okta)", settings: sso.Settings{WantAssertionsSigned: ptr(false)},
				opts: samltest.ResponseOptions{Sign: samltest.SignResponse}, wantLoc: "/docs/1?tab=a"},
			{name: "sp-initiated, both signed", opts: samltest.ResponseOptions{Sign: samltest.SignBoth}, wantLoc: "/docs/1?tab=a"},
			{name: "sp-initiated, Entra default namespaces", opts: samltest.ResponseOptions{DefaultNamespaces: true}, wantLoc: "/docs/1?tab=a"},
			{name: "sp-initiated, rolled-over key", opts: samltest.ResponseOptions{SignWith: e.idp.Keys[1]}, wantLoc: "/docs/1?tab=a"},
			{name: "sp-initiated, SHA-1 explicitly allowed", settings: sso.Settings{AllowSHA1: ptr(true)},
				opts: samltest.ResponseOptions{SHA1: true}, wantLoc: "/docs/1?tab=a"},
			{name: "idp-initiated, assertion signed", settings: sso.Settings{IdPInitiated: ptr(true)}, idpInit: true, wantLoc: signin.MemberPath},
			{name: "idp-initiated, response signed", settings: sso.Settings{IdPInitiated: ptr(true), WantAssertionsSigned: ptr(false)},
				idpInit: true, opts: samltest.ResponseOptions{Sign: samltest.SignResponse}, wantLoc: signin.MemberPath},
			{name: "idp-initiated, local RelayState", settings: sso.Settings{IdPInitiated: ptr(true)}, idpInit: true,
				relay: "/from/okta", wantLoc: "/from/okta"},
			{name: "idp-initiated, foreign RelayState ignored", settings: sso.Settings{IdPInitiated: ptr(true)}, idpInit: true,
				relay: "https://evil.example/phish", wantLoc: signin.MemberPath},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				// Reset to defaults, then apply the case's settings.
				e.settings(sso.Settings{SPInitiated: ptr(true), IdPInitiated: ptr(false), AllowSHA1: ptr(false), WantAssertionsSigned: ptr(true)})
				e.settings(tc.settings)
				before := len(e.events("sso.signed_in"))
				b := newBrowser(t)
				var resp *http.Response
				if tc.idpInit {
					resp = e.acs(b, e.mux, e.response("", tc.opts), tc.relay)
				} else {
					id, relay := e.login(b, e.mux, "/docs/1?tab=a")
					resp = e.acs(b, e.mux, e.response(id, tc.opts), relay)
				}
				if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != tc.wantLoc {
					t.Fatalf("ACS = %d Location %q, want 303 to %q\n%s", resp.StatusCode, resp.Header.Get("Location"), tc.wantLoc, body(t, resp))
				}
				code, who := e.whoami(b, e.mux)
				if code != http.StatusOK || who.UserName != "Alice@Example.com" || who.Organization.ID != e.org.ID || who.Organization.Name != "Acme" {
					t.Errorf("whoami = %d %+v", code, who)
				}
				ev := e.events("sso.signed_in")
				if len(ev) != before+1 {
					t.Fatalf("%d sso.signed_in events, want %d", len(ev), before+1)
				}
				method := "sp_initiated"
				if tc.idpInit {
					method = "idp_initiated"
				}
				if last := ev[len(ev)-1]; last.SubjectID != e.alice.ID || !strings.Contains(string(last.Data), `"method":"`+method+`"`) {
					t.Errorf("sign-in event = %+v %s", last, last.Data)
				}
			})
		}
	})
}

// TestAttacksRefusedAtACS posts every attack class to the ACS endpoint. The
// attacker's forged identity is the organization's owner, so a forgery
// that got through would sign in as an administrator.
func TestAttacksRefusedAtACS(t *testing.T) {
	forEngines(t, func(t *testing.T, eng engine) {
		e := newEnv(t, eng)
		const evil = "admin@example.com"
		alice := samltest.ResponseOptions{}
		signed := func(id string, sign samltest.SignMode) []byte {
			o := alice
			o.Sign = sign
			return e.response(id, o)
		}
		type build func(t *testing.T, id string) []byte
		with := func(o samltest.ResponseOptions) build {
			return func(t *testing.T, id string) []byte { return e.response(id, o) }
		}
		tests := []struct {
			name   string
			doc    build
			reason string // "" accepts any refusal reason
		}{
			{"unsigned", with(samltest.ResponseOptions{Sign: samltest.SignNone}), "unsigned"},
			{"foreign key", with(samltest.ResponseOptions{SignWith: e.foreign}), "untrusted_key"},
			{"foreign key without KeyInfo", with(samltest.ResponseOptions{SignWith: e.foreign, OmitKeyInfo: true}), "bad_signature"},
			{"KeyInfo names a foreign certificate", with(samltest.ResponseOptions{KeyInfoCert: e.foreign.Cert}), "untrusted_key"},
			{"tampered NameID", func(t *testing.T, id string) []byte {
				return samltest.TamperNameID(t, signed(id, samltest.SignAssertion), evil)
			}, "bad_signature"},
			{"wrong audience", with(samltest.ResponseOptions{Audiences: []string{"https://other.example/sp"}}), "wrong_audience"},
			{"no audience", with(samltest.ResponseOptions{OmitAudienceRestriction: true}), "wrong_audience"},
			{"wrong recipient", with(samltest.ResponseOptions{Recipient: "https://other.example/acs"}), "wrong_recipient"},
			{"wrong destination", with(samltest.ResponseOptions{Destination: "https://other.example/acs"}), "wrong_destination"},
			{"wrong issuer", with(samltest.ResponseOptions{Issuer: "https://evil.example/idp"}), "wrong_issuer"},
			{"expired", with(samltest.ResponseOptions{IssueInstant: e.clock.Now().Add(-time.Hour)}), "expired"},
			{"not yet valid", with(samltest.ResponseOptions{IssueInstant: e.clock.Now().Add(time.Hour)}), "not_yet_valid"},
			{"wrong InResponseTo", with(samltest.ResponseOptions{InResponseTo: "_someone-elses-request"}), "in_response_to_mismatch"},
			{"multiple assertions", with(samltest.ResponseOptions{Assertions: 2}), "multiple_assertions"},
			{"extra unsigned assertion", with(samltest.ResponseOptions{ExtraUnsignedAssertion: true, ExtraNameID: evil}), "multiple_assertions"},
			{"SHA-1 not allowed", with(samltest.ResponseOptions{SHA1: true}), "sha1_forbidden"},
			{"only the response signed", with(samltest.ResponseOptions{Sign: samltest.SignResponse}), "assertion_not_signed"},
			{"encrypted assertion", func(t *testing.T, id string) []byte {
				return samltest.ReplaceAssertionWithEncrypted(t, signed(id, samltest.SignAssertion))
			}, "encrypted_assertion"},
			{"IdP failure status", with(samltest.ResponseOptions{StatusCode: samltest.StatusRequester}), "status_not_success"},
			{"billion laughs", func(*testing.T, string) []byte { return samltest.BillionLaughs() }, "dtd_forbidden"},
			{"external entity", func(*testing.T, string) []byte { return samltest.ExternalEntity() }, "dtd_forbidden"},
			{"NameID comment injection", func(t *testing.T, id string) []byte {
				o := alice
				o.NameID = "alice@example.com.evil.example"
				return samltest.CommentInNameID(t, e.response(id, o), "alice@example.com")
			}, "unknown_user"},
		}
		for _, v := range samltest.XSWVariants() {
			sign := samltest.SignAssertion
			if v <= 2 {
				sign = samltest.SignBoth
			}
			tests = append(tests, struct {
				name   string
				doc    build
				reason string
			}{"XSW" + string(rune('0'+v)), func(t *testing.T, id string) []byte { return samltest.XSW(t, signed(id, sign), v, evil) }, ""})
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				b := newBrowser(t)
				// Each case in a refusal window of its own: only a window's
				// first refusal of a reason is an event.
				e.clock.Advance(sso.RefusalWindow)
				refusedBefore := len(e.events("sso.sign_in_refused"))
				signedBefore := len(e.events("sso.signed_in"))
				id, relay := e.login(b, e.mux, "/after")
				resp := e.acs(b, e.mux, tc.doc(t, id), relay)
				page := body(t, resp)
				if resp.StatusCode != http.StatusForbidden {
					t.Fatalf("ACS status %d, want 403\n%s", resp.StatusCode, page)
				}
				if !strings.Contains(page, "Sign-in refused") || !strings.Contains(page, "Ada Admin") {
					t.Errorf("refusal page does not say why and whom to ask:\n%s", page)
				}
				if tc.reason != "" && !strings.Contains(page, "<code>"+tc.reason+"</code>") {
					t.Errorf("page does not give reason %q:\n%s", tc.reason, page)
				}
				if code, _ := e.whoami(b, e.mux); code != http.StatusUnauthorized {
					t.Errorf("whoami after an attack = %d, want 401", code)
				}
				if n := len(e.events("sso.signed_in")); n != signedBefore {
					t.Errorf("an attack signed someone in")
				}
				ev := e.events("sso.sign_in_refused")
				if len(ev) != refusedBefore+1 {
					t.Fatalf("%d refusal events, want %d", len(ev), refusedBefore+1)
				}
				var data store.SignIn
				json.Unmarshal(ev[len(ev)-1].Data, &data)
				if data.Reason == "" || (tc.reason != "" && data.Reason != tc.reason) {
					t.Errorf("refusal event reason %q, want %q", data.Reason, tc.reason)
				}
			})
		}

		t.Run("InResponseTo from another browser", func(t *testing.T) {
			victim, attacker := newBrowser(t), newBrowser(t)
			attacker.get(e.mux, e.urls.LoginURL) // the attacker has a binding cookie of their own
			id, relay := e.login(victim, e.mux, "")
			resp := e.acs(attacker, e.mux, e.response(id, alice), relay)
			if page := body(t, resp); resp.StatusCode != http.StatusForbidden || !strings.Contains(page, "<code>other_browser</code>") {
				t.Fatalf("ACS = %d\n%s", resp.StatusCode, page)
			}
			if code, _ := e.whoami(attacker, e.mux); code != http.StatusUnauthorized {
				t.Errorf("attacker signed in")
			}
			// The request was used up: the victim cannot complete it either.
			resp = e.acs(victim, e.mux, e.response(id, alice), relay)
			if resp.StatusCode != http.StatusForbidden {
				t.Errorf("a used request completed: %d", resp.StatusCode)
			}
		})

		t.Run("SP-initiated response replayed", func(t *testing.T) {
			b := newBrowser(t)
			id, relay := e.login(b, e.mux, "")
			doc := e.response(id, alice)
			if resp := e.acs(b, e.mux, doc, relay); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("first use: %d %s", resp.StatusCode, body(t, resp))
			}
			other := newBrowser(t)
			if resp := e.acs(other, e.mux, doc, relay); resp.StatusCode != http.StatusForbidden {
				t.Errorf("replay: %d, want 403", resp.StatusCode)
			}
		})

		t.Run("IdP-initiated while disabled", func(t *testing.T) {
			b := newBrowser(t)
			resp := e.acs(b, e.mux, e.response("", alice), "")
			if page := body(t, resp); resp.StatusCode != http.StatusForbidden || !strings.Contains(page, "<code>idp_initiated_disabled</code>") {
				t.Errorf("ACS = %d\n%s", resp.StatusCode, page)
			}
		})

		t.Run("body too large", func(t *testing.T) {
			b := newBrowser(t)
			form := url.Values{"SAMLResponse": {strings.Repeat("A", 1<<20)}}
			resp := b.postForm(e.mux, e.urls.ACSURL, form)
			if resp.StatusCode != http.StatusRequestEntityTooLarge {
				t.Errorf("status %d, want 413", resp.StatusCode)
			}
		})

		t.Run("no SAMLResponse", func(t *testing.T) {
			resp := newBrowser(t).postForm(e.mux, e.urls.ACSURL, url.Values{"RelayState": {"x"}})
			if resp.StatusCode != http.StatusBadRequest {
				t.Errorf("status %d, want 400", resp.StatusCode)
			}
		})
	})
}

// TestReplayAcrossInstances presents one IdP-initiated response to two
// roster instances sharing a database: the second refuses it.
func TestReplayAcrossInstances(t *testing.T) {
	forEngines(t, func(t *testing.T, eng engine) {
		e := newEnv(t, eng)
		e.settings(sso.Settings{IdPInitiated: ptr(true)})
		second := e.instance(eng.open(t, e.target, e.clock.Now))
		doc := e.response("", samltest.ResponseOptions{})
		if resp := e.acs(newBrowser(t), e.mux, doc, ""); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("instance 1: %d %s", resp.StatusCode, body(t, resp))
		}
		b := newBrowser(t)
		resp := e.acs(b, second, doc, "")
		if page := body(t, resp); resp.StatusCode != http.StatusForbidden || !strings.Contains(page, "<code>replayed</code>") {
			t.Fatalf("instance 2: %d\n%s", resp.StatusCode, page)
		}
		if code, _ := e.whoami(b, second); code != http.StatusUnauthorized {
			t.Errorf("replayed response signed in on instance 2")
		}
		// Sessions are shared too: a browser signed in on one instance is
		// signed in on the other.
		b = newBrowser(t)
		e.signIn(b)
		if code, who := e.whoami(b, second); code != http.StatusOK || who.UserID != e.alice.ID {
			t.Errorf("session on instance 2 = %d %+v", code, who)
		}
	})
}

func TestSessions(t *testing.T) {
	forEngines(t, func(t *testing.T, eng engine) {
		e := newEnv(t, eng)

		t.Run("cookies", func(t *testing.T) {
			b := newBrowser(t)
			resp := b.get(e.mux, e.urls.LoginURL)
			bind := findCookie(resp, "roster_saml_browser")
			if bind == nil || !bind.Secure || !bind.HttpOnly || bind.SameSite != http.SameSiteNoneMode {
				t.Errorf("binding cookie = %+v, want Secure HttpOnly SameSite=None", bind)
			}
			b = newBrowser(t)
			id, relay := e.login(b, e.mux, "")
			resp = e.acs(b, e.mux, e.response(id, samltest.ResponseOptions{}), relay)
			c := findCookie(resp, "__Host-roster_session")
			if c == nil || !c.Secure || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || len(c.Value) != 43 {
				t.Fatalf("session cookie = %+v", c)
			}
			var n int
			e.s.Reader().QueryRow(`SELECT COUNT(*) FROM sso_sessions WHERE id_hash = $1`, []byte(c.Value)).Scan(&n)
			if n != 0 {
				t.Error("the session id is stored in clear")
			}
		})

		t.Run("whoami without session", func(t *testing.T) {
			if code, _ := e.whoami(newBrowser(t), e.mux); code != http.StatusUnauthorized {
				t.Errorf("whoami = %d, want 401", code)
			}
		})

		t.Run("idle timeout", func(t *testing.T) {
			b := newBrowser(t)
			e.signIn(b)
			for range 3 { // used every 20 minutes: stays signed in past 30
				e.clock.Advance(20 * time.Minute)
				if code, _ := e.whoami(b, e.mux); code != http.StatusOK {
					t.Fatalf("whoami after 20 idle minutes = %d", code)
				}
			}
			e.clock.Advance(31 * time.Minute)
			if code, _ := e.whoami(b, e.mux); code != http.StatusUnauthorized {
				t.Errorf("whoami after 31 idle minutes = %d, want 401", code)
			}
		})

		t.Run("absolute timeout", func(t *testing.T) {
			b := newBrowser(t)
			e.signIn(b)
			for i := 0; i < 5; i++ {
				e.clock.Advance(20 * time.Minute)
				e.whoami(b, e.mux)
			}
			e.clock.Advance(21 * time.Minute) // 2h01 after sign-in, used 21 minutes ago
			if code, _ := e.whoami(b, e.mux); code != http.StatusUnauthorized {
				t.Errorf("whoami past the absolute timeout = %d, want 401", code)
			}
		})

		t.Run("logout", func(t *testing.T) {
			b := newBrowser(t)
			e.signIn(b)
			req := httptest.NewRequest(http.MethodPost, baseURL+"/auth/logout", nil)
			req.Header.Set("Sec-Fetch-Site", "cross-site")
			req.Header.Set("Origin", "https://evil.example")
			if resp := b.do(e.mux, req); resp.StatusCode != http.StatusForbidden {
				t.Errorf("cross-site logout = %d, want 403", resp.StatusCode)
			}
			if code, _ := e.whoami(b, e.mux); code != http.StatusOK {
				t.Fatalf("a cross-site logout signed the user out")
			}
			before := len(e.events("sso.signed_out"))
			req = httptest.NewRequest(http.MethodPost, baseURL+"/auth/logout", nil)
			req.Header.Set("Sec-Fetch-Site", "same-origin")
			if resp := b.do(e.mux, req); resp.StatusCode != http.StatusOK {
				t.Errorf("logout = %d", resp.StatusCode)
			}
			if code, _ := e.whoami(b, e.mux); code != http.StatusUnauthorized {
				t.Errorf("whoami after logout = %d", code)
			}
			if n := len(e.events("sso.signed_out")); n != before+1 {
				t.Errorf("%d sso.signed_out events, want %d", n, before+1)
			}
		})

		t.Run("revoked at once on SCIM deactivation and deletion", func(t *testing.T) {
			ctx := context.Background()
			bob := e.user("bob@example.com", "Bob", "")
			b := newBrowser(t)
			id, relay := e.login(b, e.mux, "")
			if resp := e.acs(b, e.mux, e.response(id, samltest.ResponseOptions{NameID: "bob@example.com"}), relay); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("bob's sign-in: %d", resp.StatusCode)
			}
			bob, _ = e.dir.GetUser(ctx, e.org.ID, bob.ID)
			bob.Active = false
			if _, err := e.dir.ReplaceUser(ctx, store.Actor{Kind: "scim_token", ID: "t"}, bob, 0); err != nil {
				t.Fatal(err)
			}
			if code, _ := e.whoami(b, e.mux); code != http.StatusUnauthorized {
				t.Errorf("whoami right after deactivation = %d, want 401", code)
			}
			bob.Active = true
			if _, err := e.dir.ReplaceUser(ctx, cli, bob, 0); err != nil {
				t.Fatal(err)
			}
			if code, _ := e.whoami(b, e.mux); code != http.StatusUnauthorized {
				t.Errorf("reactivation revived the old session")
			}
			id, relay = e.login(b, e.mux, "")
			e.acs(b, e.mux, e.response(id, samltest.ResponseOptions{NameID: "bob@example.com"}), relay)
			if code, _ := e.whoami(b, e.mux); code != http.StatusOK {
				t.Fatalf("bob could not sign in again after reactivation")
			}
			if err := e.dir.DeleteUser(ctx, cli, e.org.ID, bob.ID); err != nil {
				t.Fatal(err)
			}
			if code, _ := e.whoami(b, e.mux); code != http.StatusUnauthorized {
				t.Errorf("whoami right after deletion = %d, want 401", code)
			}
		})

		t.Run("SCIM Me", func(t *testing.T) {
			b := newBrowser(t)
			if resp := b.get(e.mux, baseURL+"/scim/v2/Me"); resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("/Me without a session = %d, want 401", resp.StatusCode)
			}
			e.signIn(b)
			resp := b.get(e.mux, baseURL+"/scim/v2/Me")
			var me map[string]any
			json.NewDecoder(resp.Body).Decode(&me)
			if resp.StatusCode != http.StatusOK || me["userName"] != "Alice@Example.com" || me["id"] != e.alice.ID ||
				resp.Header.Get("Content-Type") != "application/scim+json" {
				t.Errorf("/Me = %d %v", resp.StatusCode, me)
			}
			req := httptest.NewRequest(http.MethodPut, baseURL+"/scim/v2/Me", strings.NewReader("{}"))
			if resp := b.do(e.mux, req); resp.StatusCode != http.StatusMethodNotAllowed {
				t.Errorf("PUT /Me = %d, want 405", resp.StatusCode)
			}
		})
	})
}

func findCookie(resp *http.Response, name string) *http.Cookie {
	for _, c := range resp.Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

func TestLinking(t *testing.T) {
	forEngines(t, func(t *testing.T, eng engine) {
		e := newEnv(t, eng)
		ctx := context.Background()
		carol := e.user("carol@example.com", "Carol", "")
		carol.Active = false
		if _, err := e.dir.ReplaceUser(ctx, cli, carol, 0); err != nil {
			t.Fatal(err)
		}
		const objectID = "http://schemas.microsoft.com/identity/claims/objectidentifier"
		tests := []struct {
			name       string
			settings   sso.Settings
			opts       samltest.ResponseOptions
			wantUser   string // userName signed in; "" means refused
			wantReason string
			wantPage   string
		}{
			{name: "userName ignoring case", opts: samltest.ResponseOptions{NameID: "ALICE@example.COM"}, wantUser: "Alice@Example.com"},
			{name: "Entra objectId against externalId",
				settings: sso.Settings{LinkBy: ptr(store.LinkByExternalID), LinkAttribute: ptr(objectID)},
				opts: samltest.ResponseOptions{NameID: "renamed@example.com", NameIDFormat: samltest.FormatPersist,
					Attributes: map[string][]string{objectID: {"7f3c1b2a-0000-4000-8000-00000000a11c"}}},
				wantUser: "Alice@Example.com"},
			{name: "externalId is case-exact",
				settings:   sso.Settings{LinkBy: ptr(store.LinkByExternalID), LinkAttribute: ptr(objectID)},
				opts:       samltest.ResponseOptions{Attributes: map[string][]string{objectID: {"7F3C1B2A-0000-4000-8000-00000000A11C"}}},
				wantReason: "unknown_user"},
			{name: "missing link attribute",
				settings:   sso.Settings{LinkBy: ptr(store.LinkByExternalID), LinkAttribute: ptr(objectID)},
				wantReason: "no_subject_value"},
			{name: "unknown user", opts: samltest.ResponseOptions{NameID: "mallory@example.com"}, wantReason: "unknown_user",
				wantPage: "has not been provisioned"},
			{name: "deactivated user", opts: samltest.ResponseOptions{NameID: "carol@example.com"}, wantReason: "user_deactivated",
				wantPage: "deactivated"},
			{name: "just-in-time creation", settings: sso.Settings{JITProvisioning: ptr(true)},
				opts: samltest.ResponseOptions{NameID: "newbie@example.com", Attributes: map[string][]string{
					"http://schemas.microsoft.com/identity/claims/displayname": {"New Bie"}}},
				wantUser: "newbie@example.com"},
			{name: "just-in-time does not revive the deactivated", settings: sso.Settings{JITProvisioning: ptr(true)},
				opts: samltest.ResponseOptions{NameID: "carol@example.com"}, wantReason: "user_deactivated"},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				e.settings(sso.Settings{LinkBy: ptr(store.LinkByUserName), LinkAttribute: ptr(""), JITProvisioning: ptr(false)})
				e.settings(tc.settings)
				b := newBrowser(t)
				id, relay := e.login(b, e.mux, "")
				resp := e.acs(b, e.mux, e.response(id, tc.opts), relay)
				page := body(t, resp)
				code, who := e.whoami(b, e.mux)
				if tc.wantUser != "" {
					if resp.StatusCode != http.StatusSeeOther || code != http.StatusOK || who.UserName != tc.wantUser {
						t.Fatalf("ACS %d, whoami %d %+v; want signed in as %s\n%s", resp.StatusCode, code, who, tc.wantUser, page)
					}
					return
				}
				if resp.StatusCode != http.StatusForbidden || code != http.StatusUnauthorized {
					t.Fatalf("ACS %d, whoami %d; want refused\n%s", resp.StatusCode, code, page)
				}
				for _, want := range []string{"<code>" + tc.wantReason + "</code>", tc.wantPage, "Ada Admin", "mailto:admin@example.com"} {
					if !strings.Contains(page, want) {
						t.Errorf("page lacks %q:\n%s", want, page)
					}
				}
			})
		}
		// The just-in-time user exists, is active, and its sign-in says so.
		page, err := e.dir.QueryUsers(ctx, e.org.ID, store.Query{Filter: store.Cmp{Field: store.Field{Attr: "username"}, Op: store.OpEq, Value: "newbie@example.com"}, Limit: 1})
		if err != nil || len(page.Items) != 1 || !page.Items[0].Active || page.Items[0].DisplayName != "New Bie" {
			t.Errorf("just-in-time user = %+v, %v", page.Items, err)
		}
		ev := e.events("sso.signed_in")
		if !strings.Contains(string(ev[len(ev)-1].Data), `"jit":true`) && !strings.Contains(string(ev[len(ev)-2].Data), `"jit":true`) {
			t.Errorf("no sign-in event records the just-in-time creation")
		}
	})
}

func TestLoginSettingsAndReturnPaths(t *testing.T) {
	e := newEnv(t, engines[0])
	for _, tc := range []struct{ returnTo, want string }{
		{"/w/42?folder=7#top", "/w/42?folder=7#top"},
		{"//evil.example/x", signin.MemberPath},
		{"https://evil.example/", signin.MemberPath},
		{"/\\evil.example", signin.MemberPath},
		{"javascript:alert(1)", signin.MemberPath},
		{"/ok\r\nSet-Cookie: x=1", signin.MemberPath},
		{"", signin.MemberPath},
	} {
		t.Run(tc.returnTo, func(t *testing.T) {
			b := newBrowser(t)
			id, relay := e.login(b, e.mux, tc.returnTo)
			resp := e.acs(b, e.mux, e.response(id, samltest.ResponseOptions{}), relay)
			if got := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || got != tc.want {
				t.Errorf("after sign-in: %d to %q, want %q", resp.StatusCode, got, tc.want)
			}
		})
	}

	t.Run("SP-initiated disabled", func(t *testing.T) {
		e.settings(sso.Settings{SPInitiated: ptr(false)})
		defer e.settings(sso.Settings{SPInitiated: ptr(true)})
		resp := newBrowser(t).get(e.mux, e.urls.LoginURL)
		if page := body(t, resp); resp.StatusCode != http.StatusForbidden || !strings.Contains(page, "sp_initiated_disabled") {
			t.Errorf("login = %d\n%s", resp.StatusCode, page)
		}
	})

	t.Run("unknown organization and free plan", func(t *testing.T) {
		resp := newBrowser(t).get(e.mux, baseURL+sso.PathPrefix+"no-such-org/login")
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("unknown org login = %d, want 404", resp.StatusCode)
		}
		if _, err := e.s.SetOrgPlan(context.Background(), cli, e.org.ID, store.PlanFree); err != nil {
			t.Fatal(err)
		}
		defer e.s.SetOrgPlan(context.Background(), cli, e.org.ID, store.PlanEnterprise)
		resp = newBrowser(t).get(e.mux, e.urls.LoginURL)
		if page := body(t, resp); resp.StatusCode != http.StatusForbidden || !strings.Contains(page, "enterprise plan") {
			t.Errorf("free-plan login = %d\n%s", resp.StatusCode, page)
		}
	})

	t.Run("SP metadata", func(t *testing.T) {
		resp := newBrowser(t).get(e.mux, e.urls.MetadataURL)
		doc := body(t, resp)
		for _, want := range []string{`entityID="` + e.urls.EntityID + `"`, `Location="` + e.urls.ACSURL + `"`,
			"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST", "<md:NameIDFormat>", `WantAssertionsSigned="true"`} {
			if !strings.Contains(doc, want) {
				t.Errorf("SP metadata lacks %s:\n%s", want, doc)
			}
		}
		if ct := resp.Header.Get("Content-Type"); ct != "application/samlmetadata+xml" {
			t.Errorf("Content-Type %q", ct)
		}
	})
}

func TestFirstSignInJoinsGrantedWorkspaces(t *testing.T) {
	forEngines(t, func(t *testing.T, eng engine) {
		e := newEnv(t, eng)
		ctx := context.Background()
		g, err := e.dir.CreateGroup(ctx, cli, store.Group{OrgID: e.org.ID, DisplayName: "Engineering"}, []string{e.alice.ID})
		if err != nil {
			t.Fatal(err)
		}
		w, _, err := e.acc.CreateWorkspace(ctx, cli, e.org.ID, "Docs", "")
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := e.acc.PutGrant(ctx, cli, e.org.ID, store.ResourceWorkspace, w.ID, g.ID, store.RoleEditor); err != nil {
			t.Fatal(err)
		}
		e.signIn(newBrowser(t))
		joined := e.events("member.joined")
		if len(joined) != 1 || joined[0].Actor.ID != e.alice.ID || !strings.Contains(string(joined[0].Data), w.ID) {
			t.Fatalf("member.joined events = %+v", joined)
		}
		e.signIn(newBrowser(t))
		if n := len(e.events("member.joined")); n != 1 {
			t.Errorf("a second sign-in joined again: %d events", n)
		}
	})
}

func TestConfigurationEvents(t *testing.T) {
	e := newEnv(t, engines[0])
	ctx := context.Background()
	if n := len(e.events("sso.idp_metadata_set")); n != 1 {
		t.Errorf("%d sso.idp_metadata_set events after the upload, want 1", n)
	}
	e.settings(sso.Settings{IdPInitiated: ptr(true)})
	ev := e.events("sso.settings_changed")
	if len(ev) != 1 || ev[0].Actor != cli || !strings.Contains(string(ev[0].Data), `"idp_initiated":{"new":true,"old":false}`) {
		t.Errorf("settings events = %+v", ev)
	}
	if _, _, err := e.svc.SetIdPMetadata(ctx, cli, e.org.ID, []byte("<nope/>"), ""); err == nil {
		t.Error("garbage metadata accepted")
	}
	own, _ := e.svc.SPMetadata(e.org.ID, store.DefaultSAMLConfig(e.org.ID))
	if _, _, err := e.svc.SetIdPMetadata(ctx, cli, e.org.ID, own, ""); err == nil {
		t.Error("roster's own SP metadata accepted as IdP metadata")
	}
	if _, err := e.svc.UpdateSettings(ctx, cli, e.org.ID, sso.Settings{NameIDFormat: ptr("bogus")}); err == nil {
		t.Error("unknown NameID format accepted")
	}
}

func TestMetadataURLRefresh(t *testing.T) {
	e := newEnv(t, engines[0])
	ctx := context.Background()
	idp2 := samltest.NewIdP(t, samltest.Options{Now: e.clock.Now, EntityID: "https://idp2.example.test/metadata"})
	serve := e.idp.Metadata()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(serve) }))
	defer srv.Close()
	doc, err := e.svc.FetchMetadata(ctx, srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.svc.SetIdPMetadata(ctx, cli, e.org.ID, doc, srv.URL); err != nil {
		t.Fatal(err)
	}
	serve = idp2.Metadata() // the IdP rotates everything
	if err := e.svc.RefreshMetadata(ctx); err != nil {
		t.Fatal(err)
	}
	c, _ := e.svc.Config(ctx, e.org.ID)
	if c.IdPEntityID != idp2.EntityID || c.MetadataURL != srv.URL {
		t.Errorf("after refresh: entity %q url %q", c.IdPEntityID, c.MetadataURL)
	}
	ev := e.events("sso.idp_metadata_set")
	if last := ev[len(ev)-1]; last.Actor.Kind != "system" {
		t.Errorf("refresh event actor = %+v", last.Actor)
	}
	serve = []byte("<broken")
	if err := e.svc.RefreshMetadata(ctx); err == nil {
		t.Error("a broken document refreshed without error")
	}
	if c2, _ := e.svc.Config(ctx, e.org.ID); c2.IdPEntityID != idp2.EntityID {
		t.Error("a broken refresh replaced the last good metadata")
	}
	if _, err := e.svc.FetchMetadata(ctx, "http://idp.example.com/metadata"); err == nil {
		t.Error("plain http to a non-loopback host accepted")
	}
}

// TestStoredBaseURL: an organization whose configuration stores a base URL
// is served under it, whatever the server's own: its metadata names the
// stored URLs and responses addressed to them sign in.
func TestStoredBaseURL(t *testing.T) {
	forEngines(t, func(t *testing.T, eng engine) {
		e := newEnv(t, eng)
		ctx := context.Background()
		if _, err := e.svc.UpdateSettings(ctx, cli, e.org.ID, sso.Settings{BaseURL: ptr("https://sso.acme.test/")}); err != nil {
			t.Fatal(err)
		}
		c, err := e.svc.Config(ctx, e.org.ID)
		if err != nil {
			t.Fatal(err)
		}
		e.urls = e.svc.URLs(c)
		if want := "https://sso.acme.test/auth/saml/" + e.org.ID + "/acs"; e.urls.ACSURL != want {
			t.Fatalf("ACS URL = %q, want %q", e.urls.ACSURL, want)
		}
		doc := body(t, newBrowser(t).get(e.mux, baseURL+sso.PathPrefix+e.org.ID+"/metadata"))
		if !strings.Contains(doc, `entityID="`+e.urls.EntityID+`"`) || !strings.Contains(doc, `Location="`+e.urls.ACSURL+`"`) {
			t.Errorf("SP metadata does not name the stored URLs:\n%s", doc)
		}
		e.signIn(newBrowser(t)) // the IdP addresses the stored ACS URL and audience
		if _, err := e.svc.UpdateSettings(ctx, cli, e.org.ID, sso.Settings{BaseURL: ptr("ftp://x")}); !fault.Is(err, fault.Invalid) {
			t.Errorf("an ftp base URL = %v, want an Invalid fault", err)
		}
	})
}

// TestWhoamiErrorShape: /auth/whoami refuses in the host API's documented
// error shape, {"error": {"code", "message"}}, not a bare string.
func TestWhoamiErrorShape(t *testing.T) {
	e := newEnv(t, engines[0])
	resp := newBrowser(t).get(e.mux, baseURL+"/auth/whoami")
	var got struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil || resp.StatusCode != http.StatusUnauthorized ||
		got.Error.Code != "unauthorized" || !strings.Contains(got.Error.Message, "sign in") ||
		resp.Header.Get("Content-Type") != "application/json" {
		t.Errorf("whoami without a session = %d %+v (%v)", resp.StatusCode, got, err)
	}
}
