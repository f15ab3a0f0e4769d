package api_test

import (
	"strings"
	"testing"
)

// TestOrgSettings changes the hand-off URL and the SCIM rate limit through
// PATCH /api/v1/org/settings: good values stick and are echoed, bad ones
// get a 400 that says what to send, and leave the settings as they were.
func TestOrgSettings(t *testing.T) {
	type settings struct {
		AllowMembers  bool   `json:"allow_members_create_workspaces"`
		GroupRemoval  string `json:"group_removal"`
		Redirect      string `json:"sign_in_redirect_url"`
		SCIMRateLimit int    `json:"scim_rate_limit"`
	}
	type org struct{ Settings settings }
	engines(t, func(t *testing.T, f *fixture) {
		var o org
		f.do("PATCH", "/api/v1/org/settings", f.keyA, `{"sign_in_redirect_url":"https://app.example.com/sso/callback?tenant=a","scim_rate_limit":60}`, 200, &o)
		want := settings{AllowMembers: o.Settings.AllowMembers, GroupRemoval: o.Settings.GroupRemoval,
			Redirect: "https://app.example.com/sso/callback?tenant=a", SCIMRateLimit: 60}
		if o.Settings != want {
			t.Fatalf("settings after PATCH = %+v, want %+v", o.Settings, want)
		}
		for _, tc := range []struct{ body, says string }{
			{`{"sign_in_redirect_url":"http://app.example.com/cb"}`, "https"},
			{`{"sign_in_redirect_url":"/sso/callback"}`, "absolute URL"},
			{`{"sign_in_redirect_url":"javascript:alert(1)"}`, "absolute URL"},
			{`{"sign_in_redirect_url":"https://user:pw@app.example.com/cb"}`, "user name"},
			{`{"sign_in_redirect_url":"https://app.example.com/cb#x"}`, "fragment"},
			{`{"sign_in_redirect_url":"https://app.example.com/cb?state=1"}`, "state"},
			{`{"scim_rate_limit":-1}`, "scim_rate_limit"},
			{`{"scim_rate_limit":1000000}`, "scim_rate_limit"},
		} {
			var e apiErr
			f.do("PATCH", "/api/v1/org/settings", f.keyA, tc.body, 400, &e)
			if !strings.Contains(e.Error.Message, tc.says) {
				t.Errorf("PATCH %s: message %q does not mention %q", tc.body, e.Error.Message, tc.says)
			}
		}
		f.do("GET", "/api/v1/org", f.keyA, "", 200, &o)
		if o.Settings != want {
			t.Errorf("settings after refused PATCHes = %+v, want %+v unchanged", o.Settings, want)
		}
		// Loopback http is allowed for development; "" clears.
		f.do("PATCH", "/api/v1/org/settings", f.keyA, `{"sign_in_redirect_url":"http://127.0.0.1:8080/cb"}`, 200, &o)
		if o.Settings.Redirect != "http://127.0.0.1:8080/cb" {
			t.Errorf("loopback redirect = %q", o.Settings.Redirect)
		}
		f.do("PATCH", "/api/v1/org/settings", f.keyA, `{"sign_in_redirect_url":""}`, 200, &o)
		if o.Settings.Redirect != "" || o.Settings.SCIMRateLimit != 60 {
			t.Errorf("after clearing the redirect: %+v", o.Settings)
		}
	})
}
