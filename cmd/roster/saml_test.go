package main

import (
	"context"
	"io"
	"net"
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

// field returns the value after prefix on the first line of out that
// starts with it (leading spaces ignored), up to the first space.
func field(out, prefix string) (string, bool) {
	for _, line := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), prefix); ok {
			v = strings.TrimSpace(v)
			if i := strings.IndexByte(v, ' '); i >= 0 {
				v = v[:i]
			}
			return v, true
		}
	}
	return "", false
}

// TestSAMLShowNameIDFormat: the header and the settings list name the same
// format, before any is configured and after; the error for an unknown one
// lists the short names configure accepts.
func TestSAMLShowNameIDFormat(t *testing.T) {
	env := map[string]string{"ROSTER_DATABASE": "sqlite:" + filepath.Join(t.TempDir(), "r.db"), "ROSTER_BASE_URL": "https://roster.example.com"}
	org := mustRoster(t, env, "org", "create", "--name", "Acme", "--plan", "enterprise").lastLine()
	for _, tc := range []struct{ set, want string }{
		{"", "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"},
		{"persistent", "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"},
		{"urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress", "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"},
	} {
		t.Run(tc.want, func(t *testing.T) {
			if tc.set != "" {
				mustRoster(t, env, "saml", "configure", "--org", org, "--name-id-format", tc.set)
			}
			show := mustRoster(t, env, "saml", "show", "--org", org).stdout
			header, ok1 := field(show, "NameID format:")
			setting, ok2 := field(show, "name-id-format=")
			if !ok1 || !ok2 || header != tc.want || setting != tc.want {
				t.Errorf("header says %q, settings say %q; want both %q\n%s", header, setting, tc.want, show)
			}
		})
	}
	_, err := roster(t, env, "saml", "configure", "--org", org, "--name-id-format", "bogus")
	if err == nil || !strings.Contains(err.Error(), "use email, persistent, unspecified or transient") ||
		!strings.Contains(err.Error(), "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress") {
		t.Errorf("--name-id-format bogus = %v, want the short names and the URIs", err)
	}
	// Without a base URL yet, the flag's own error comes first.
	noBase := map[string]string{"ROSTER_DATABASE": env["ROSTER_DATABASE"]}
	fresh := mustRoster(t, noBase, "org", "create", "--name", "Fresh", "--plan", "enterprise").lastLine()
	if _, err := roster(t, noBase, "saml", "configure", "--org", fresh, "--name-id-format", "bogus"); err == nil || !strings.Contains(err.Error(), "use email, persistent") {
		t.Errorf("--name-id-format bogus before any base URL = %v", err)
	}
}

// TestSAMLBaseURLStored: configure keeps --base-url with the organization's
// SSO configuration; show and configure need it no more, another one does
// not change the URLs the IdP was given, and serve publishes the stored
// URLs whatever its own --base-url.
func TestSAMLBaseURLStored(t *testing.T) {
	idp := samltest.NewIdP(t, samltest.Options{Now: time.Now})
	mdFile := filepath.Join(t.TempDir(), "okta-metadata.xml")
	if err := os.WriteFile(mdFile, idp.Metadata(), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, db := range map[string]func(t *testing.T) string{
		"sqlite":   func(t *testing.T) string { return "sqlite:" + filepath.Join(t.TempDir(), "r.db") },
		"postgres": func(t *testing.T) string { return pgtest.URL(t) },
	} {
		t.Run(name, func(t *testing.T) {
			env := map[string]string{"ROSTER_DATABASE": db(t)}
			org := mustRoster(t, env, "org", "create", "--name", "Acme", "--plan", "enterprise").lastLine()
			if _, err := roster(t, env, "saml", "configure", "--org", org, "--idp-metadata", mdFile); err == nil || !strings.Contains(err.Error(), "--base-url is required") {
				t.Errorf("first configure without --base-url = %v, want it to ask for one", err)
			}
			if _, err := roster(t, env, "saml", "configure", "--org", org, "--base-url", "roster.example.com"); err == nil || !strings.Contains(err.Error(), "want the absolute URL") {
				t.Errorf("configure with a relative base URL = %v", err)
			}
			out := mustRoster(t, env, "saml", "configure", "--org", org, "--base-url", "https://sso.acme.example/", "--idp-metadata", mdFile)
			if !strings.Contains(out.stdout, "base-url=https://sso.acme.example\n") {
				t.Errorf("configure printed %+v", out)
			}
			want := "https://sso.acme.example/auth/saml/" + org
			show := mustRoster(t, env, "saml", "show", "--org", org)
			if !strings.Contains(show.stdout, "Entity ID / Audience: "+want+"/metadata") || !strings.Contains(show.stdout, "ACS URL (HTTP-POST):  "+want+"/acs") {
				t.Errorf("show without --base-url:\n%s", show.stdout)
			}
			show = mustRoster(t, env, "saml", "show", "--org", org, "--base-url", "https://other.example")
			if !strings.Contains(show.stdout, "Entity ID / Audience: "+want+"/metadata") || !strings.Contains(show.stderr, "stored base URL https://sso.acme.example") {
				t.Errorf("show with another --base-url: %+v", show)
			}
			mustRoster(t, env, "saml", "configure", "--org", org, "--jit=true") // no --base-url needed now

			// serve, with a base URL of its own, publishes the stored one.
			srv := startServe(t, env)
			resp, err := http.Get(srv + "/auth/saml/" + org + "/metadata")
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), `entityID="`+want+`/metadata"`) || !strings.Contains(string(b), `Location="`+want+`/acs"`) {
				t.Errorf("serve's SP metadata = %d\n%s", resp.StatusCode, b)
			}
		})
	}
}

// startServe runs roster serve on a free loopback port, with a --base-url
// of its own, until the test ends, and returns the URL it listens at.
func startServe(t *testing.T, env map[string]string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	var out, errb syncBuffer
	e := &environment{stdout: &out, stderr: &errb, getenv: func(k string) string { return env[k] }}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, e, []string{"serve", "--addr", addr, "--base-url", "https://serve.example"}) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("serve did not stop")
		}
	})
	base := "http://" + addr
	for i := 0; i < 200; i++ {
		if resp, err := http.Get(base + "/healthz"); err == nil {
			resp.Body.Close()
			return base
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("serve did not start; stderr %q", errb.String())
	return ""
}
