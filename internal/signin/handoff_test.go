package signin_test

import (
	"bytes"
	"compress/flate"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/rosterhq/roster/internal/access"
	"github.com/rosterhq/roster/internal/api"
	"github.com/rosterhq/roster/internal/scim"
	"github.com/rosterhq/roster/internal/signin"
	"github.com/rosterhq/roster/internal/sso"
	"github.com/rosterhq/roster/internal/sso/saml/samltest"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/token"
)

// appURL is the host app's sign-in callback, the organization's
// sign_in_redirect_url.
const appURL = "https://app.example.test/sso/callback"

// hostEnv is a roster instance serving sign-in, SCIM and the host API
// together, a second organization with an API key of its own, and a host
// app.
type hostEnv struct {
	*env
	reg *prometheus.Registry
	// roster serves the instance over HTTP, for the host app's
	// server-to-server calls.
	roster      *httptest.Server
	scimToken   string
	key, keyB   string
	other       store.Org
	app         http.Handler
	appRedeemed []identity
}

// identity is the redeem answer, as a host app reads it.
type identity struct {
	UserID      string `json:"user_id"`
	UserName    string `json:"userName"`
	DisplayName string `json:"displayName"`
	Emails      []struct {
		Value   string `json:"value"`
		Type    string `json:"type"`
		Primary bool   `json:"primary"`
	} `json:"emails"`
	Active       bool `json:"active"`
	Organization struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"organization"`
	Groups []struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"groups"`
	Joined []struct {
		ResourceType string `json:"resource_type"`
		ResourceID   string `json:"resource_id"`
		Name         string `json:"name"`
		Role         string `json:"role"`
		Origin       string `json:"origin"`
	} `json:"joined"`
	State  string `json:"state"`
	Method string `json:"method"`
}

func newHostEnv(t *testing.T, eng engine) *hostEnv {
	t.Helper()
	ctx := context.Background()
	e := &hostEnv{env: newEnv(t, eng), reg: prometheus.NewRegistry()}
	m, err := sso.NewMetrics(e.reg)
	if err != nil {
		t.Fatal(err)
	}
	e.svc.Metrics = m
	keys := &token.Service{Store: e.s}
	quiet := slog.New(slog.DiscardHandler)
	// The host API and SCIM beside the sign-in surface, as roster serve
	// mounts them.
	all := http.NewServeMux()
	(&api.Handler{Access: e.acc, Directory: e.dir, Keys: keys, SSO: e.svc, Logger: quiet}).Mount(all)
	(&scim.Handler{Directory: e.dir, Orgs: e.acc, Tokens: keys, BaseURL: baseURL, Logger: quiet, Me: e.h.MeHandler()}).Mount(all)
	all.Handle("/auth/", e.mux)
	e.roster = httptest.NewServer(all)
	t.Cleanup(e.roster.Close)
	if e.key, _, err = keys.Create(ctx, cli, e.org.ID, store.TokenAPI, "app"); err != nil {
		t.Fatal(err)
	}
	if e.scimToken, _, err = keys.Create(ctx, cli, e.org.ID, store.TokenSCIM, "okta"); err != nil {
		t.Fatal(err)
	}
	if e.other, err = e.acc.CreateOrg(ctx, cli, "Globex", store.PlanEnterprise); err != nil {
		t.Fatal(err)
	}
	if e.keyB, _, err = keys.Create(ctx, cli, e.other.ID, store.TokenAPI, "globex app"); err != nil {
		t.Fatal(err)
	}
	e.app = http.HandlerFunc(e.callback)
	return e
}

// callback is the host app's side of the hand-off, the reference docs/saml.md
// describes: redeem the code server to server with the API key, and accept
// the sign-in only when the state the redirect carried is the one this
// browser started with (its cookie) and the one the code was issued for.
func (e *hostEnv) callback(w http.ResponseWriter, r *http.Request) {
	code, state := r.URL.Query().Get("code"), r.URL.Query().Get("state")
	status, id := e.redeem(e.key, code)
	if status != http.StatusOK {
		http.Error(w, "sign-in failed", http.StatusUnauthorized)
		return
	}
	ck, err := r.Cookie("app_state")
	started := err == nil && ck.Value == state
	if id.State != state || (!started && id.Method != "idp_initiated") {
		http.Error(w, "state mismatch", http.StatusForbidden)
		return
	}
	e.appRedeemed = append(e.appRedeemed, id)
	fmt.Fprintf(w, "welcome %s", id.UserName)
}

// redeem calls POST /api/v1/sso/redeem over HTTP.
func (e *hostEnv) redeem(key, code string) (int, identity) {
	e.t.Helper()
	status, b := e.call(key, "POST", "/api/v1/sso/redeem", fmt.Sprintf(`{"code":%q}`, code))
	var id identity
	if status == http.StatusOK {
		if err := json.Unmarshal(b, &id); err != nil {
			e.t.Fatalf("redeem answer %s: %v", b, err)
		}
	}
	return status, id
}

// call makes a host API (or SCIM) request with a bearer credential.
func (e *hostEnv) call(key, method, path, reqBody string) (int, []byte) {
	e.t.Helper()
	req, _ := http.NewRequest(method, e.roster.URL+path, strings.NewReader(reqBody))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	if strings.HasPrefix(path, "/scim/") {
		req.Header.Set("Content-Type", "application/scim+json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// provision creates a user and a group with them in it over SCIM, as Okta
// does, and returns their ids.
func (e *hostEnv) provision(userName, display, group string) (userID, groupID string) {
	e.t.Helper()
	status, b := e.call(e.scimToken, "POST", "/scim/v2/Users", fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],
		"userName":%q,"displayName":%q,"active":true,"emails":[{"value":%q,"type":"work","primary":true}]}`, userName, display, strings.ToLower(userName)))
	if status != http.StatusCreated {
		e.t.Fatalf("SCIM create user = %d %s", status, b)
	}
	var u struct{ ID string }
	json.Unmarshal(b, &u)
	status, b = e.call(e.scimToken, "POST", "/scim/v2/Groups", fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],
		"displayName":%q,"members":[{"value":%q}]}`, group, u.ID))
	if status != http.StatusCreated {
		e.t.Fatalf("SCIM create group = %d %s", status, b)
	}
	var g struct{ ID string }
	json.Unmarshal(b, &g)
	return u.ID, g.ID
}

// startAtApp is the host app sending the browser to roster's login URL
// with a state it keeps in its own cookie; it returns what the IdP got.
func (e *hostEnv) startAtApp(b *browser, state, extra string) (reqID, relay string) {
	e.t.Helper()
	appURL, _ := url.Parse(appURL)
	b.jar.SetCookies(appURL, []*http.Cookie{{Name: "app_state", Value: state, Path: "/"}})
	u := e.urls.LoginURL + "?state=" + url.QueryEscape(state) + extra
	resp := b.get(e.mux, u)
	if resp.StatusCode != http.StatusFound {
		e.t.Fatalf("login: %d %s", resp.StatusCode, body(e.t, resp))
	}
	loc, _ := url.Parse(resp.Header.Get("Location"))
	reqID = requestID(e.t, loc)
	return reqID, loc.Query().Get("RelayState")
}

// handedOff checks that the ACS answered with the hand-off redirect and
// returns its code and state.
func handedOff(t *testing.T, resp *http.Response) (code, state string, loc *url.URL) {
	t.Helper()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("ACS = %d, want 303 to the app\n%s", resp.StatusCode, body(t, resp))
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || loc.Scheme+"://"+loc.Host+loc.Path != appURL {
		t.Fatalf("hand-off to %q, want %s", resp.Header.Get("Location"), appURL)
	}
	q := loc.Query()
	if len(q) != 2 || q.Get("code") == "" {
		t.Fatalf("hand-off query %q, want code and state only", loc.RawQuery)
	}
	return q.Get("code"), q.Get("state"), loc
}

func (e *hostEnv) setRedirect(u string) {
	e.t.Helper()
	if _, err := e.acc.UpdateSettings(context.Background(), cli, e.org.ID, access.SettingsPatch{SignInRedirectURL: &u}); err != nil {
		e.t.Fatal(err)
	}
}

// TestHandoffToTheHostApp: SP- and IdP-initiated sign-ins end in the host
// app with a code that redeems to the person SCIM provisioned, once, within
// 60 seconds, and only with the organization's own key.
func TestHandoffToTheHostApp(t *testing.T) {
	forEngines(t, func(t *testing.T, eng engine) {
		e := newHostEnv(t, eng)
		ctx := context.Background()
		e.setRedirect(appURL)
		userID, groupID := e.provision("Carol@Example.com", "Carol Danvers", "Sales")
		w, _, err := e.acc.CreateWorkspace(ctx, cli, e.org.ID, "Sales", "")
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := e.acc.PutGrant(ctx, cli, e.org.ID, store.ResourceWorkspace, w.ID, groupID, store.RoleEditor); err != nil {
			t.Fatal(err)
		}
		carol := samltest.ResponseOptions{NameID: "carol@example.com"}
		signIn := func(b *browser, state string) *http.Response {
			id, relay := e.startAtApp(b, state, "")
			return e.acs(b, e.mux, e.response(id, carol), relay)
		}

		t.Run("SP-initiated: identity and groups match SCIM, first sign-in joins", func(t *testing.T) {
			b := newBrowser(t)
			code, state, loc := handedOff(t, signIn(b, "st-Abc_123.~"))
			if state != "st-Abc_123.~" {
				t.Errorf("state came back as %q", state)
			}
			resp := b.get(e.app, loc.String())
			if got := body(t, resp); resp.StatusCode != http.StatusOK || got != "welcome Carol@Example.com" {
				t.Fatalf("host app = %d %s", resp.StatusCode, got)
			}
			id := e.appRedeemed[len(e.appRedeemed)-1]
			status, doc := e.call(e.scimToken, "GET", "/scim/v2/Users/"+userID, "")
			if status != http.StatusOK {
				t.Fatalf("SCIM GET = %d", status)
			}
			var su struct {
				ID, UserName, DisplayName string
				Active                    bool
				Emails                    []struct{ Value string }
				Groups                    []struct{ Value, Display string }
			}
			json.Unmarshal(doc, &su)
			if id.UserID != su.ID || id.UserName != su.UserName || id.DisplayName != su.DisplayName || id.Active != su.Active ||
				len(id.Emails) != 1 || id.Emails[0].Value != su.Emails[0].Value || !id.Emails[0].Primary {
				t.Errorf("identity %+v does not match SCIM %s", id, doc)
			}
			if len(id.Groups) != 1 || len(su.Groups) != 1 || id.Groups[0].ID != su.Groups[0].Value || id.Groups[0].Name != su.Groups[0].Display {
				t.Errorf("groups %+v, SCIM says %+v", id.Groups, su.Groups)
			}
			if id.Organization.ID != e.org.ID || id.Organization.Name != "Acme" || id.Method != "sp_initiated" {
				t.Errorf("organization/method = %+v %s", id.Organization, id.Method)
			}
			if len(id.Joined) != 1 || id.Joined[0].ResourceID != w.ID || id.Joined[0].Name != "Sales" ||
				id.Joined[0].Role != "editor" || id.Joined[0].Origin != "group:"+groupID {
				t.Errorf("joined = %+v", id.Joined)
			}
			// Single use.
			if status, _ := e.redeem(e.key, code); status != http.StatusNotFound {
				t.Errorf("replayed code = %d, want 404", status)
			}
			// The next sign-in joins nothing new.
			code, _, _ = handedOff(t, signIn(newBrowser(t), "second"))
			if status, id := e.redeem(e.key, code); status != http.StatusOK || len(id.Joined) != 0 || id.State != "second" {
				t.Errorf("second sign-in redeem = %d %+v", status, id)
			}
		})

		t.Run("another organization's key gets 404 and does not burn the code", func(t *testing.T) {
			code, _, _ := handedOff(t, signIn(newBrowser(t), "x"))
			status, b := e.call(e.keyB, "POST", "/api/v1/sso/redeem", fmt.Sprintf(`{"code":%q}`, code))
			if status != http.StatusNotFound || !strings.Contains(string(b), `"not_found"`) {
				t.Errorf("other org redeem = %d %s", status, b)
			}
			if status, _ := e.redeem(e.key, code); status != http.StatusOK {
				t.Errorf("own redeem after the other org's attempt = %d", status)
			}
		})

		t.Run("expired after 60 seconds", func(t *testing.T) {
			code, _, _ := handedOff(t, signIn(newBrowser(t), "x"))
			e.clock.Advance(sso.HandoffTTL + time.Second)
			if status, _ := e.redeem(e.key, code); status != http.StatusNotFound {
				t.Errorf("expired code = %d, want 404", status)
			}
		})

		t.Run("bad redeem requests", func(t *testing.T) {
			for _, tc := range []struct {
				key, body string
				want      int
			}{
				{e.key, `{"code":"` + strings.Repeat("A", 43) + `"}`, 404},
				{e.key, `{"code":"short"}`, 404},
				{e.key, `{}`, 400},
				{e.key, `{"code":"x","user":"y"}`, 400},
				{"", `{"code":"x"}`, 401},
				{e.scimToken, `{"code":"x"}`, 403},
			} {
				if status, b := e.call(tc.key, "POST", "/api/v1/sso/redeem", tc.body); status != tc.want {
					t.Errorf("redeem %s = %d %s, want %d", tc.body, status, b, tc.want)
				}
			}
		})

		t.Run("tampered state is refused by the app; bad state by roster", func(t *testing.T) {
			b := newBrowser(t)
			_, _, loc := handedOff(t, signIn(b, "good-state"))
			q := loc.Query()
			q.Set("state", "evil-state")
			loc.RawQuery = q.Encode()
			if resp := b.get(e.app, loc.String()); resp.StatusCode != http.StatusForbidden {
				t.Errorf("app accepted a tampered state: %d", resp.StatusCode)
			}
			for _, bad := range []string{"<script>", "a b", "x&code=stolen", strings.Repeat("s", sso.MaxStateLen+1), "ü"} {
				resp := newBrowser(t).get(e.mux, e.urls.LoginURL+"?state="+url.QueryEscape(bad))
				if page := body(t, resp); resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, "bad_state") {
					t.Errorf("login with state %q = %d", bad, resp.StatusCode)
				}
			}
		})

		t.Run("no open redirect through return_to or RelayState", func(t *testing.T) {
			for _, rt := range []string{"https://evil.example/", "//evil.example", "/local/path"} {
				b := newBrowser(t)
				id, relay := e.startAtApp(b, "s", "&return_to="+url.QueryEscape(rt))
				handedOff(t, e.acs(b, e.mux, e.response(id, carol), relay))
			}
			// A RelayState swapped for a URL answers no request: refused
			// while IdP-initiated sign-in is off, and refused when on, as the
			// response answers a request.
			for _, idpInit := range []bool{false, true} {
				e.settings(sso.Settings{IdPInitiated: ptr(idpInit)})
				b := newBrowser(t)
				id, _ := e.startAtApp(b, "s", "")
				resp := e.acs(b, e.mux, e.response(id, carol), "https://evil.example/")
				if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusForbidden || loc != "" {
					t.Errorf("tampered RelayState (idp-initiated %t) = %d to %q", idpInit, resp.StatusCode, loc)
				}
			}
			e.settings(sso.Settings{IdPInitiated: ptr(false)})
		})

		t.Run("IdP-initiated hands off the same way", func(t *testing.T) {
			e.settings(sso.Settings{IdPInitiated: ptr(true)})
			defer e.settings(sso.Settings{IdPInitiated: ptr(false)})
			b := newBrowser(t)
			code, state, loc := handedOff(t, e.acs(b, e.mux, e.response("", carol), "https://evil.example/phish"))
			if state != "" {
				t.Errorf("IdP-initiated state = %q, want empty (RelayState is not the app's state)", state)
			}
			if resp := b.get(e.app, loc.String()); resp.StatusCode != http.StatusOK {
				t.Fatalf("host app = %d %s", resp.StatusCode, body(t, resp))
			}
			id := e.appRedeemed[len(e.appRedeemed)-1]
			if id.UserID != userID || id.Method != "idp_initiated" || len(id.Groups) != 1 {
				t.Errorf("IdP-initiated identity = %+v", id)
			}
			if status, _ := e.redeem(e.key, code); status != http.StatusNotFound {
				t.Errorf("replayed IdP-initiated code = %d", status)
			}
		})

		t.Run("the instance default applies when the organization sets none", func(t *testing.T) {
			e.setRedirect("")
			e.svc.DefaultRedirectURL = appURL
			defer func() { e.svc.DefaultRedirectURL = ""; e.setRedirect(appURL) }()
			handedOff(t, signIn(newBrowser(t), "d"))
		})

		t.Run("codes are stored hashed", func(t *testing.T) {
			code, _, _ := handedOff(t, signIn(newBrowser(t), "h"))
			// The code itself never reaches the store: a lookup by it
			// finds nothing, a lookup by its hash finds the hand-off.
			if _, err := e.s.TakeHandoff(ctx, e.org.ID, []byte(code), e.clock.Now()); err == nil {
				t.Error("the store holds the code in the clear")
			}
			if status, _ := e.redeem(e.key, code); status != http.StatusOK {
				t.Errorf("redeem = %d", status)
			}
		})

		t.Run("sign-in counters", func(t *testing.T) {
			if n := counter(t, e.reg, "roster_sso_sign_ins_total", map[string]string{"outcome": "success"}); n < 5 {
				t.Errorf("%v successful sign-ins counted", n)
			}
			if n := counter(t, e.reg, "roster_sso_code_redemptions_total", map[string]string{"outcome": "invalid"}); n < 3 {
				t.Errorf("%v refused redemptions counted", n)
			}
		})
	})
}

// counter sums the values of a counter whose labels include those given.
func counter(t *testing.T, reg *prometheus.Registry, name string, labels map[string]string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	metrics:
		for _, m := range mf.GetMetric() {
			for k, v := range labels {
				found := false
				for _, lp := range m.GetLabel() {
					if lp.GetName() == k && lp.GetValue() == v {
						found = true
					}
				}
				if !found {
					continue metrics
				}
			}
			sum += m.GetCounter().GetValue()
		}
	}
	return sum
}

// TestDiscoveryByDomain: verified domains send people to their
// organization's sign-in; a domain belongs to one organization.
func TestDiscoveryByDomain(t *testing.T) {
	forEngines(t, func(t *testing.T, eng engine) {
		e := newHostEnv(t, eng)
		if status, b := e.call(e.key, "POST", "/api/v1/org/domains", `{"domain":"Example.COM."}`); status != http.StatusCreated ||
			!strings.Contains(string(b), `"domain":"example.com"`) {
			t.Fatalf("add domain = %d %s", status, b)
		}
		if status, b := e.call(e.keyB, "POST", "/api/v1/org/domains", `{"domain":"example.com"}`); status != http.StatusConflict ||
			!strings.Contains(string(b), "another organization") {
			t.Errorf("second organization claiming the domain = %d %s", status, b)
		}
		for _, bad := range []string{`{"domain":"localhost"}`, `{"domain":"10.0.0.1"}`, `{"domain":"exa mple.com"}`, `{"domain":"-x.com"}`, `{"domain":""}`} {
			if status, _ := e.call(e.key, "POST", "/api/v1/org/domains", bad); status != http.StatusBadRequest {
				t.Errorf("add %s = %d, want 400", bad, status)
			}
		}
		if status, b := e.call(e.key, "GET", "/api/v1/org/domains", ""); status != http.StatusOK || !strings.Contains(string(b), "example.com") {
			t.Errorf("list = %d %s", status, b)
		}
		if status, b := e.call(e.keyB, "GET", "/api/v1/org/domains", ""); status != http.StatusOK || strings.Contains(string(b), "example.com") {
			t.Errorf("other org's list = %d %s", status, b)
		}

		for _, q := range []string{"email=alice%40Example.com", "domain=example.com", "email=bob%40EXAMPLE.com&state=abc"} {
			resp := newBrowser(t).get(e.mux, baseURL+signin.DiscoverPath+"?"+q)
			want := e.urls.LoginURL
			if strings.Contains(q, "state") {
				want += "?state=abc"
			}
			if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != want {
				t.Errorf("discover %s = %d to %q, want %s", q, resp.StatusCode, resp.Header.Get("Location"), want)
			}
		}
		resp := newBrowser(t).get(e.mux, baseURL+signin.DiscoverPath+"?email=eve%40unknown.test")
		page := body(t, resp)
		if resp.StatusCode != http.StatusNotFound || !strings.Contains(page, "No organization found") || !strings.Contains(page, `<form method="get"`) ||
			!strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
			t.Errorf("unknown domain = %d %s\n%s", resp.StatusCode, resp.Header.Get("Content-Type"), page)
		}
		resp = newBrowser(t).get(e.mux, baseURL+signin.DiscoverPath)
		page = body(t, resp)
		if resp.StatusCode != http.StatusOK || !strings.Contains(page, `name="email"`) ||
			!strings.Contains(resp.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'") || resp.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("discovery form = %d %v\n%s", resp.StatusCode, resp.Header, page)
		}
		if resp := newBrowser(t).get(e.mux, baseURL+signin.DiscoverPath+"?email=%40nothing"); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("not an address = %d", resp.StatusCode)
		}
		if resp := newBrowser(t).get(e.mux, baseURL+signin.DiscoverPath+"?domain=example.com&state=%3Cx%3E"); resp.StatusCode != http.StatusBadRequest ||
			!strings.Contains(body(t, resp), "bad_state") {
			t.Errorf("discover with a bad state = %d", resp.StatusCode)
		}

		if status, _ := e.call(e.keyB, "DELETE", "/api/v1/org/domains/example.com", ""); status != http.StatusNotFound {
			t.Errorf("other org removing the domain = %d", status)
		}
		if status, _ := e.call(e.key, "DELETE", "/api/v1/org/domains/example.com", ""); status != http.StatusNoContent {
			t.Errorf("remove = %d", status)
		}
		if resp := newBrowser(t).get(e.mux, baseURL+signin.DiscoverPath+"?domain=example.com"); resp.StatusCode != http.StatusNotFound {
			t.Errorf("removed domain still discovered: %d", resp.StatusCode)
		}
		if status, _ := e.call(e.keyB, "POST", "/api/v1/org/domains", `{"domain":"example.com"}`); status != http.StatusCreated {
			t.Errorf("claiming a released domain = %d", status)
		}
	})
}

var tokenField = regexp.MustCompile(`name="token" value="([^"]+)"`)

// TestMemberPageJoin: without a redirect URL the member lands on the
// member page; its Join button records the membership with its origin,
// and the host API's /check then shows it.
func TestMemberPageJoin(t *testing.T) {
	forEngines(t, func(t *testing.T, eng engine) {
		e := newHostEnv(t, eng)
		ctx := context.Background()
		g, err := e.dir.CreateGroup(ctx, cli, store.Group{OrgID: e.org.ID, DisplayName: "Sales"}, []string{e.alice.ID})
		if err != nil {
			t.Fatal(err)
		}
		first, _, err := e.acc.CreateWorkspace(ctx, cli, e.org.ID, "Pipeline", "")
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := e.acc.PutGrant(ctx, cli, e.org.ID, store.ResourceWorkspace, first.ID, g.ID, store.RoleViewer); err != nil {
			t.Fatal(err)
		}
		b := newBrowser(t)
		id, relay := e.login(b, e.mux, "")
		resp := e.acs(b, e.mux, e.response(id, samltest.ResponseOptions{}), relay)
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != signin.MemberPath {
			t.Fatalf("after sign-in: %d to %q, want the member page", resp.StatusCode, resp.Header.Get("Location"))
		}
		// A grant made after the sign-in: reachable, not joined yet.
		sales, _, err := e.acc.CreateWorkspace(ctx, cli, e.org.ID, "Sales", "")
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := e.acc.PutGrant(ctx, cli, e.org.ID, store.ResourceWorkspace, sales.ID, g.ID, store.RoleChecker); err != nil {
			t.Fatal(err)
		}
		resp = b.get(e.mux, baseURL+signin.MemberPath)
		page := body(t, resp)
		if resp.StatusCode != http.StatusOK || !strings.Contains(page, "Pipeline") || !strings.Contains(page, "Sales") ||
			!strings.Contains(page, "checker") || strings.Count(page, ">Join</button>") != 1 || !strings.Contains(page, "Joined") {
			t.Fatalf("member page = %d\n%s", resp.StatusCode, page)
		}
		for _, h := range []string{"Content-Security-Policy", "X-Content-Type-Options", "Cache-Control"} {
			if resp.Header.Get(h) == "" {
				t.Errorf("member page lacks %s", h)
			}
		}
		if !strings.Contains(resp.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
			t.Errorf("member page may be framed: %s", resp.Header.Get("Content-Security-Policy"))
		}
		m := tokenField.FindStringSubmatch(page)
		if m == nil {
			t.Fatal("no form token on the member page")
		}
		check := func() bool {
			t.Helper()
			status, out := e.call(e.key, "POST", "/api/v1/check", fmt.Sprintf(`{"user_id":%q,"resource_type":"workspace","resource_id":%q,"role":"viewer"}`, e.alice.ID, sales.ID))
			if status != http.StatusOK {
				t.Fatalf("check = %d %s", status, out)
			}
			return strings.Contains(string(out), `"kind":"membership"`) && strings.Contains(string(out), `"origin":"group:`+g.ID+`"`)
		}
		if check() {
			t.Fatal("a membership exists before Join")
		}
		join := func(b *browser, token, site string) *http.Response {
			form := url.Values{"token": {token}, "resource_type": {"workspace"}, "resource_id": {sales.ID}}
			req := httptest.NewRequest(http.MethodPost, baseURL+signin.MemberPath+"/join", strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Sec-Fetch-Site", site)
			return b.do(e.mux, req)
		}
		if resp := join(b, "forged", "same-origin"); resp.StatusCode != http.StatusForbidden {
			t.Errorf("join with a forged token = %d", resp.StatusCode)
		}
		if resp := join(b, m[1], "cross-site"); resp.StatusCode != http.StatusForbidden {
			t.Errorf("cross-site join = %d", resp.StatusCode)
		}
		if resp := join(newBrowser(t), m[1], "same-origin"); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("join without a session = %d", resp.StatusCode)
		}
		if check() {
			t.Fatal("a refused join recorded a membership")
		}
		resp = join(b, m[1], "same-origin")
		if page := body(t, resp); resp.StatusCode != http.StatusOK || !strings.Contains(page, "Joined Sales as checker") || strings.Contains(page, ">Join</button>") {
			t.Fatalf("join = %d\n%s", resp.StatusCode, page)
		}
		if !check() {
			t.Error("/check does not show the membership Join recorded")
		}
		ev := e.events("member.joined")
		if last := ev[len(ev)-1]; last.Actor.ID != e.alice.ID || !strings.Contains(string(last.Data), sales.ID) {
			t.Errorf("member.joined = %+v %s", last, last.Data)
		}
		// A resource no group of hers reaches cannot be joined.
		hidden, _, err := e.acc.CreateWorkspace(ctx, cli, e.org.ID, "Board", "")
		if err != nil {
			t.Fatal(err)
		}
		form := url.Values{"token": {m[1]}, "resource_type": {"workspace"}, "resource_id": {hidden.ID}}
		req := httptest.NewRequest(http.MethodPost, baseURL+signin.MemberPath+"/join", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if resp := b.do(e.mux, req); resp.StatusCode != http.StatusForbidden {
			t.Errorf("join of an ungranted workspace = %d", resp.StatusCode)
		}
		if resp := newBrowser(t).get(e.mux, baseURL+signin.MemberPath); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("member page without a session = %d", resp.StatusCode)
		}
	})
}

// TestGarbageACSFloodIsBounded: 5,000 garbage posts to the ACS grow the
// event log by a few rows, the sign-in log by a bounded sample, and end in
// one summary with their count.
func TestGarbageACSFloodIsBounded(t *testing.T) {
	forEngines(t, func(t *testing.T, eng engine) {
		e := newHostEnv(t, eng)
		ctx := context.Background()
		before, err := e.s.ListEvents(ctx, e.org.ID, 0, 100000)
		if err != nil {
			t.Fatal(err)
		}
		// Start at a window's beginning so that the flood fits one window.
		e.clock.Advance(e.clock.Now().Truncate(sso.RefusalWindow).Add(sso.RefusalWindow).Sub(e.clock.Now()))
		const n = 5000
		for i := 0; i < n; i++ {
			form := url.Values{"SAMLResponse": {fmt.Sprintf("garbage-%d", i)}}
			if i%2 == 1 {
				form.Set("RelayState", fmt.Sprint("r", i))
			}
			resp := newBrowser(t).postForm(e.mux, e.urls.ACSURL, form)
			if resp.StatusCode != http.StatusForbidden && resp.StatusCode != http.StatusBadRequest {
				t.Fatalf("garbage post %d = %d", i, resp.StatusCode)
			}
		}
		after, err := e.s.ListEvents(ctx, e.org.ID, 0, 100000)
		if err != nil {
			t.Fatal(err)
		}
		if grew := len(after) - len(before); grew < 1 || grew > 3 {
			t.Fatalf("the event log grew by %d rows for %d garbage posts, want 1 to 3", grew, n)
		}
		log, err := e.svc.SignIns(ctx, e.org.ID, store.SignInFilter{Outcome: store.SignInRefused}, 0, sso.MaxSignInPage)
		if err != nil || len(log) == 0 || len(log) > 3*sso.RefusalDetailPerWindow {
			t.Fatalf("sign-in log holds %d refusals (%v), want at most %d", len(log), err, 3*sso.RefusalDetailPerWindow)
		}
		if got := counter(t, e.reg, "roster_sso_sign_ins_total", map[string]string{"outcome": "refused"}); got != n {
			t.Errorf("refusal counter = %v, want %d", got, n)
		}
		// The window ends: one summary counts them all.
		e.clock.Advance(sso.RefusalWindow)
		e.svc.FlushRefusals(ctx)
		final, _ := e.s.ListEvents(ctx, e.org.ID, 0, 100000)
		var total int64
		summaries := 0
		for _, ev := range final[len(after):] {
			if ev.Type != "sso.sign_in_refused_summary" {
				t.Errorf("unexpected event %s after the flush", ev.Type)
				continue
			}
			summaries++
			var d struct{ Count int64 }
			json.Unmarshal(ev.Data, &d)
			total += d.Count
		}
		if summaries < 1 || summaries > 3 || total+int64(len(after)-len(before)-summaries) < n-3 {
			t.Errorf("%d summaries counting %d refusals, want about %d", summaries, total, n)
		}

		// The sign-in log is readable by the host API, paged.
		status, b := e.call(e.key, "GET", "/api/v1/sso/sign-ins?limit=5&outcome=refused", "")
		var page struct {
			Items []struct {
				ID      int64
				Outcome string
				Reason  string
			}
			Next string
		}
		json.Unmarshal(b, &page)
		if status != http.StatusOK || len(page.Items) != 5 || page.Next == "" || page.Items[0].Outcome != "refused" || page.Items[0].Reason == "" {
			t.Fatalf("sign-ins page = %d %s", status, b)
		}
		status, b = e.call(e.key, "GET", "/api/v1/sso/sign-ins?limit=5&after="+page.Next, "")
		var next struct{ Items []struct{ ID int64 } }
		json.Unmarshal(b, &next)
		if status != http.StatusOK || len(next.Items) == 0 || next.Items[0].ID >= page.Items[4].ID {
			t.Errorf("second page = %d %s", status, b)
		}
		if status, _ := e.call(e.keyB, "GET", "/api/v1/sso/sign-ins", ""); status != http.StatusOK {
			t.Errorf("other org's log = %d", status)
		} else if _, b := e.call(e.keyB, "GET", "/api/v1/sso/sign-ins", ""); strings.Contains(string(b), `"refused"`) {
			t.Errorf("another organization reads the refusals: %s", b)
		}
		for _, q := range []string{"outcome=maybe", "after=garbage", "limit=0"} {
			if status, _ := e.call(e.key, "GET", "/api/v1/sso/sign-ins?"+q, ""); status != http.StatusBadRequest {
				t.Errorf("sign-ins?%s = %d, want 400", q, status)
			}
		}

		// Retention: a day later the log still holds them, past
		// SignInLogRetention it does not.
		e.clock.Advance(24 * time.Hour)
		e.svc.PurgeSignInLog(ctx)
		if log, _ := e.svc.SignIns(ctx, e.org.ID, store.SignInFilter{}, 0, 10); len(log) == 0 {
			t.Error("the sign-in log was purged after a day")
		}
		e.clock.Advance(sso.SignInLogRetention)
		e.svc.PurgeSignInLog(ctx)
		if log, _ := e.svc.SignIns(ctx, e.org.ID, store.SignInFilter{}, 0, 10); len(log) != 0 {
			t.Errorf("%d sign-in log entries outlived the retention", len(log))
		}
	})
}

// requestID reads the AuthnRequest ID from the IdP redirect.
func requestID(t testing.TB, loc *url.URL) string {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(loc.Query().Get("SAMLRequest"))
	if err != nil {
		t.Fatal(err)
	}
	xml, err := io.ReadAll(flate.NewReader(bytes.NewReader(raw)))
	if err != nil {
		t.Fatal(err)
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(xml); err != nil {
		t.Fatal(err)
	}
	return doc.Root().SelectAttrValue("ID", "")
}

// TestPendingLoginsAreCapped: anonymous GETs of the login URL store at most
// the cap of requests per organization; beyond it /login answers 503 with
// Retry-After, and the requests expire.
func TestPendingLoginsAreCapped(t *testing.T) {
	e := newEnv(t, engines[0])
	e.svc.MaxPending = 3
	for i := 0; i < 3; i++ {
		if resp := newBrowser(t).get(e.mux, e.urls.LoginURL); resp.StatusCode != http.StatusFound {
			t.Fatalf("login %d = %d", i, resp.StatusCode)
		}
	}
	resp := newBrowser(t).get(e.mux, e.urls.LoginURL)
	if page := body(t, resp); resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" || !strings.Contains(page, "<code>busy</code>") {
		t.Fatalf("login over the cap = %d %v\n%s", resp.StatusCode, resp.Header, page)
	}
	e.clock.Advance(sso.RequestTTL)
	if resp := newBrowser(t).get(e.mux, e.urls.LoginURL); resp.StatusCode != http.StatusFound {
		t.Errorf("login after the requests expired = %d", resp.StatusCode)
	}
}
