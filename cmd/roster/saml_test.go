package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/sso/saml/samltest"
	"github.com/rosterhq/roster/internal/store/postgres/pgtest"
)

func TestSAMLCommands(t *testing.T) {
	idp := samltest.NewIdP(t, samltest.Options{Now: time.Now})
	mdFile := filepath.Join(t.TempDir(), "okta-metadata.xml")
	if err := os.WriteFile(mdFile, idp.Metadata(), 0o600); err != nil {
		t.Fatal(err)
	}
	idp2 := samltest.NewIdP(t, samltest.Options{Now: time.Now, EntityID: "https://sts.windows.net/tenant/"})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(idp2.Metadata()) }))
	defer srv.Close()

	dbs := map[string]func(t *testing.T) map[string]string{
		"sqlite": func(t *testing.T) map[string]string {
			return map[string]string{"ROSTER_DATABASE": "sqlite:" + filepath.Join(t.TempDir(), "r.db")}
		},
		"postgres": func(t *testing.T) map[string]string {
			return map[string]string{"ROSTER_DATABASE": pgtest.URL(t)}
		},
	}
	for name, mk := range dbs {
		t.Run(name, func(t *testing.T) {
			env := mk(t)
			org := mustRoster(t, env, "org", "create", "--name", "Acme", "--plan", "enterprise").lastLine()
			if _, err := roster(t, env, "saml", "show", "--org", org); err == nil || !strings.Contains(err.Error(), "--base-url") {
				t.Errorf("show without --base-url: %v", err)
			}
			env["ROSTER_BASE_URL"] = "https://roster.example.com/"
			show := mustRoster(t, env, "saml", "show", "--org", org).stdout
			for _, want := range []string{
				"Entity ID / Audience: https://roster.example.com/auth/saml/" + org + "/metadata",
				"ACS URL (HTTP-POST):  https://roster.example.com/auth/saml/" + org + "/acs",
				"not configured: roster saml configure",
			} {
				if !strings.Contains(show, want) {
					t.Errorf("saml show lacks %q:\n%s", want, show)
				}
			}

			out := mustRoster(t, env, "saml", "configure", "--org", org, "--idp-metadata", mdFile, "--idp-initiated=true", "--name-id-format", "email")
			if !strings.Contains(out.stdout, "idp-initiated=true") || !strings.Contains(out.stdout, "name-id-format=urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress") ||
				!strings.Contains(out.stderr, idp.EntityID) {
				t.Errorf("configure printed %+v", out)
			}
			show = mustRoster(t, env, "saml", "show", "--org", org).stdout
			if !strings.Contains(show, "Entity ID:            "+idp.EntityID) || !strings.Contains(show, "Signing cert 1:") || !strings.Contains(show, "sp-initiated=true") {
				t.Errorf("saml show after configure:\n%s", show)
			}
			xml := mustRoster(t, env, "saml", "show", "--org", org, "--xml").stdout
			if !strings.Contains(xml, `<md:EntityDescriptor`) || !strings.Contains(xml, `entityID="https://roster.example.com/auth/saml/`+org+`/metadata"`) {
				t.Errorf("saml show --xml:\n%s", xml)
			}

			// A metadata URL is fetched at once and kept for refreshing.
			mustRoster(t, env, "saml", "configure", "--org", org, "--idp-metadata-url", srv.URL)
			if show := mustRoster(t, env, "saml", "show", "--org", org).stdout; !strings.Contains(show, idp2.EntityID) || !strings.Contains(show, "Metadata URL:         "+srv.URL) {
				t.Errorf("after --idp-metadata-url:\n%s", show)
			}

			for _, tc := range []struct {
				args []string
				want string
			}{
				{[]string{"--jit", "maybe"}, "--jit must be true or false"},
				{[]string{"--link-by", "email"}, "link mode"},
				{[]string{"--idp-metadata", os.DevNull}, "IdP metadata cannot be used"},
				{[]string{"--idp-metadata", mdFile, "--idp-metadata-url", srv.URL}, "exclude each other"},
				{[]string{"--idp-metadata-url", "http://idp.example.com/md"}, "https"},
			} {
				_, err := roster(t, env, append([]string{"saml", "configure", "--org", org}, tc.args...)...)
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Errorf("configure %v = %v, want an error mentioning %q", tc.args, err, tc.want)
				}
			}
			free := mustRoster(t, env, "org", "create", "--name", "Tiny").lastLine()
			if _, err := roster(t, env, "saml", "configure", "--org", free, "--idp-metadata", mdFile); err == nil || !strings.Contains(err.Error(), "enterprise plan") {
				t.Errorf("configure on the free plan = %v", err)
			}
		})
	}
}
