package console_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/rosterhq/roster/internal/access"
	"github.com/rosterhq/roster/internal/store"
)

// TestSettingsSignIn: the sign-in redirect URL saved, refused next to its
// field and cleared, without touching the other settings; verified domains
// added, refused (not a domain, another organization's: 409) next to the
// field, and removed; forged forms and another organization's session
// change nothing.
func TestSettingsSignIn(t *testing.T) {
	for _, eng := range engines {
		t.Run(eng.name, func(t *testing.T) {
			p := newPagesEnv(t, eng.open(t))
			ctx := context.Background()
			settings := func() store.Settings {
				o, err := p.acc.Org(ctx, p.org.ID)
				if err != nil {
					t.Fatal(err)
				}
				return o.Settings
			}
			// Settings the page does not show must survive its forms.
			rate, keep := 7, store.GroupRemovalKeep
			if _, err := p.acc.UpdateSettings(ctx, store.Actor{Kind: "cli"}, p.org.ID, access.SettingsPatch{SCIMRateLimit: &rate, GroupRemoval: &keep}); err != nil {
				t.Fatal(err)
			}
			before := settings()
			wantIn(t, "settings", p.b.get(p.base+"/settings"), 200, "Sign-in redirect URL", "one-time <code>code</code>",
				"roster's own page", "Verified domains", "No verified domain yet")

			// The redirect URL.
			wantIn(t, "http redirect", p.b.post(p.base+"/settings/redirect", url.Values{"csrf": {p.tok}, "sign_in_redirect_url": {"http://app.example.com/cb"}}),
				http.StatusBadRequest, `id="redirect-error"`, "must use https", `value="http://app.example.com/cb"`)
			if got := settings(); got != before {
				t.Fatalf("a refused redirect URL changed the settings: %+v, was %+v", got, before)
			}
			if pg := p.b.post(p.base+"/settings/redirect", url.Values{"sign_in_redirect_url": {"https://evil.example/cb"}}); pg.code != http.StatusForbidden {
				t.Errorf("forged redirect URL = %d; want 403", pg.code)
			}
			if got := settings(); got.SignInRedirectURL != "" {
				t.Fatalf("a forged form set the redirect URL to %q", got.SignInRedirectURL)
			}
			pg := p.b.post(p.base+"/settings/redirect", url.Values{"csrf": {p.tok}, "sign_in_redirect_url": {" https://app.example.com/sso/callback "}})
			if pg.code != http.StatusSeeOther {
				t.Fatalf("save redirect URL = %d %s", pg.code, pg.body)
			}
			want := before
			want.SignInRedirectURL = "https://app.example.com/sso/callback"
			if got := settings(); got != want {
				t.Errorf("settings after saving the redirect URL = %+v; want %+v", got, want)
			}
			wantIn(t, "saved", p.b.get(p.base+"/settings?done=redirect"), 200, "Sign-in redirect URL saved", `value="https://app.example.com/sso/callback"`)
			// The organization form keeps the redirect URL and the rate limit.
			if pg := p.b.post(p.base+"/settings", url.Values{"csrf": {p.tok}, "group_removal": {"revoke"}}); pg.code != http.StatusSeeOther {
				t.Fatalf("save organization settings = %d", pg.code)
			}
			if got := settings(); got.SignInRedirectURL != want.SignInRedirectURL || got.SCIMRateLimit != rate {
				t.Errorf("the organization form clobbered other settings: %+v", got)
			}
			if pg := p.b.post(p.base+"/settings/redirect", url.Values{"csrf": {p.tok}, "sign_in_redirect_url": {""}}); pg.code != http.StatusSeeOther {
				t.Fatalf("clear redirect URL = %d", pg.code)
			}
			if got := settings(); got.SignInRedirectURL != "" || got.SCIMRateLimit != rate {
				t.Errorf("after clearing: %+v", got)
			}

			// Verified domains.
			domains := func(orgID string) []string {
				ds, err := p.sso.Domains(ctx, orgID)
				if err != nil {
					t.Fatal(err)
				}
				var out []string
				for _, d := range ds {
					out = append(out, d.Domain)
				}
				return out
			}
			if _, err := p.sso.AddDomain(ctx, store.Actor{Kind: "cli"}, p.other.ID, "globex.example"); err != nil {
				t.Fatal(err)
			}
			wantIn(t, "not a domain", p.b.post(p.base+"/settings/domains", url.Values{"csrf": {p.tok}, "domain": {"acme"}}),
				http.StatusBadRequest, `id="domain-error"`, "has no dot", `value="acme"`)
			wantIn(t, "empty domain", p.b.post(p.base+"/settings/domains", url.Values{"csrf": {p.tok}, "domain": {""}}),
				http.StatusBadRequest, `id="domain-error"`, "such as example.com")
			wantIn(t, "another organization's domain", p.b.post(p.base+"/settings/domains", url.Values{"csrf": {p.tok}, "domain": {"Globex.Example"}}),
				http.StatusConflict, `id="domain-error"`, "belongs to another organization")
			if pg := p.b.post(p.base+"/settings/domains", url.Values{"domain": {"acme.example"}}); pg.code != http.StatusForbidden {
				t.Errorf("forged add = %d", pg.code)
			}
			if got := domains(p.org.ID); len(got) != 0 {
				t.Fatalf("refused adds left domains %v", got)
			}
			if pg := p.b.post(p.base+"/settings/domains", url.Values{"csrf": {p.tok}, "domain": {"ACME.example"}}); pg.code != http.StatusSeeOther {
				t.Fatalf("add domain = %d %s", pg.code, pg.body)
			}
			if got := domains(p.org.ID); len(got) != 1 || got[0] != "acme.example" {
				t.Fatalf("domains = %v", got)
			}
			wantIn(t, "domain listed", p.b.get(p.base+"/settings?done=domain-added"), 200, "<code>acme.example</code>", "Domain added",
				`action="/console/settings/domains/acme.example/remove"`)
			wantIn(t, "twice", p.b.post(p.base+"/settings/domains", url.Values{"csrf": {p.tok}, "domain": {"acme.example"}}),
				http.StatusConflict, `id="domain-error"`, "already one of this organization")

			other := newBrowser(t)
			otherTok := csrf(t, other.enter(p.link(p.other.ID)))
			if pg := other.post(p.base+"/settings/domains/acme.example/remove", url.Values{"csrf": {otherTok}}); pg.code != http.StatusNotFound {
				t.Errorf("Globex removing Acme's domain = %d; want 404", pg.code)
			}
			if pg := other.get(p.base + "/settings"); strings.Contains(pg.body, "acme.example") {
				t.Error("Globex's settings list Acme's domain")
			}
			if pg := p.b.post(p.base+"/settings/domains/acme.example/remove", url.Values{}); pg.code != http.StatusForbidden {
				t.Errorf("forged remove = %d", pg.code)
			}
			if got := domains(p.org.ID); len(got) != 1 {
				t.Fatalf("refused removes left %v", got)
			}
			if pg := p.b.post(p.base+"/settings/domains/acme.example/remove", url.Values{"csrf": {p.tok}}); pg.code != http.StatusSeeOther {
				t.Fatalf("remove = %d %s", pg.code, pg.body)
			}
			if got := domains(p.org.ID); len(got) != 0 {
				t.Errorf("after Remove: %v", got)
			}
			if got := domains(p.other.ID); len(got) != 1 {
				t.Errorf("Globex's domains after Acme's changes: %v", got)
			}
		})
	}
}
