package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/store/postgres/pgtest"
)

type result struct{ stdout, stderr string }

func (r result) lastLine() string {
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	return lines[len(lines)-1]
}

// migrated holds the ROSTER_DATABASE values roster has migrated.
var migrated sync.Map

// roster runs a command against the database ROSTER_DATABASE names,
// migrating it first if this is the test's first command there: commands
// other than serve and migrate refuse to create a database, and a user
// runs them against the one roster serve made. rosterRaw runs a command
// as it is.
func roster(t *testing.T, env map[string]string, args ...string) (result, error) {
	t.Helper()
	if db := env["ROSTER_DATABASE"]; db != "" {
		if _, done := migrated.LoadOrStore(db, true); !done {
			if r, err := rosterRaw(t, env, "migrate"); err != nil {
				t.Fatalf("migrate %s: %v\n%s", db, err, r.stderr)
			}
		}
	}
	return rosterRaw(t, env, args...)
}

func rosterRaw(t *testing.T, env map[string]string, args ...string) (result, error) {
	t.Helper()
	var out, errb bytes.Buffer
	e := &environment{stdout: &out, stderr: &errb, getenv: func(k string) string { return env[k] }}
	err := run(context.Background(), e, args)
	return result{out.String(), errb.String()}, err
}

func mustRoster(t *testing.T, env map[string]string, args ...string) result {
	t.Helper()
	r, err := roster(t, env, args...)
	if err != nil {
		t.Fatalf("roster %v: %v\n%s", args, err, r.stderr)
	}
	return r
}

var uuidRe = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$`)

func TestCLIScriptable(t *testing.T) {
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
			if !uuidRe.MatchString(org) {
				t.Fatalf("org create printed %q last, want the id alone", org)
			}
			tok := mustRoster(t, env, "token", "create", "--org", org, "--name", "okta")
			if !strings.HasPrefix(tok.lastLine(), "roster_scim_") || !strings.Contains(tok.stderr, "will not be shown again") {
				t.Errorf("token create = %+v", tok)
			}
			list := mustRoster(t, env, "token", "list", "--org", org).stdout
			if strings.Contains(list, tok.lastLine()) || !strings.Contains(list, "okta") || !strings.Contains(list, "active") {
				t.Errorf("token list shows the secret or misses the token:\n%s", list)
			}
			id := strings.Fields(strings.Split(list, "\n")[1])[0]
			mustRoster(t, env, "token", "revoke", "--org", org, "--id", id)
			if list := mustRoster(t, env, "token", "list", "--org", org).stdout; !strings.Contains(list, "revoked") {
				t.Errorf("after revoke:\n%s", list)
			}
			key := mustRoster(t, env, "apikey", "create", "--org", org).lastLine()
			if !strings.HasPrefix(key, "roster_api_") {
				t.Errorf("apikey create printed %q", key)
			}
			if out := mustRoster(t, env, "org", "settings", "--org", org, "--group-removal", "keep", "--allow-members-create-workspaces=false").stdout; out != "allow_members_create_workspaces=false\ngroup_removal=keep\nsign_in_redirect_url=\nscim_rate_limit=0\n" {
				t.Errorf("org settings = %q", out)
			}
			if out := mustRoster(t, env, "org", "settings", "--org", org, "--sign-in-redirect-url", "https://app.example.com/sso", "--scim-rate-limit", "50").stdout; out != "allow_members_create_workspaces=false\ngroup_removal=keep\nsign_in_redirect_url=https://app.example.com/sso\nscim_rate_limit=50\n" {
				t.Errorf("org settings = %q", out)
			}
			if out := mustRoster(t, env, "org", "settings", "--org", org, "--sign-in-redirect-url", "").stdout; !strings.Contains(out, "sign_in_redirect_url=\nscim_rate_limit=50\n") {
				t.Errorf("clearing the redirect URL: org settings = %q", out)
			}
			if _, err := roster(t, env, "org", "settings", "--org", org, "--sign-in-redirect-url", "http://app.example.com/sso"); err == nil || !strings.Contains(err.Error(), "https") {
				t.Errorf("http redirect URL err = %v, want one asking for https", err)
			}
			if _, err := roster(t, env, "org", "settings", "--org", org, "--scim-rate-limit", "-3"); err == nil || !strings.Contains(err.Error(), "scim_rate_limit") {
				t.Errorf("negative rate limit err = %v", err)
			}
			if _, err := roster(t, env, "org", "settings", "--org", org, "--group-removal", "sometimes"); err == nil || !strings.Contains(err.Error(), "revoke") {
				t.Errorf("bad group removal err = %v, want one naming the choices", err)
			}
			mustRoster(t, env, "org", "set-plan", "--org", org, "--plan", "free")
			if out := mustRoster(t, env, "org", "list").stdout; !strings.Contains(out, org) || !strings.Contains(out, "free") || !strings.Contains(out, "keep") {
				t.Errorf("org list:\n%s", out)
			}
			if out := mustRoster(t, env, "migrate", "status").stdout; !strings.Contains(out, "0001_initial") || strings.Contains(out, "pending") {
				t.Errorf("migrate status:\n%s", out)
			}
		})
	}
}

func TestCLIErrors(t *testing.T) {
	env := map[string]string{"ROSTER_DATABASE": "sqlite:" + filepath.Join(t.TempDir(), "r.db")}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"frobnicate"}, "unknown command"},
		{[]string{"org", "create"}, "needs a name"},
		{[]string{"org", "create", "--name", "x", "--plan", "gold"}, "unknown plan"},
		{[]string{"token", "create"}, "--org is required"},
		{[]string{"token", "create", "--org", "nope"}, "not found"},
		{[]string{"org", "explode"}, "unknown command"},
		{[]string{"serve", "--database", "mysql://x"}, "use \"sqlite:PATH\""},
		{[]string{"serve", "--sign-in-redirect-url", "http://app.example.com/cb"}, "--sign-in-redirect-url: sign_in_redirect_url must use https"},
		{[]string{"org", "domain", "add", "--org", "x"}, "--domain is required"},
		{[]string{"org", "domain", "list"}, "--org is required"},
	} {
		if _, err := roster(t, env, tc.args...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("roster %v err = %v, want it to say %q", tc.args, err, tc.want)
		}
	}
	if r, err := roster(t, env, "serve", "--help"); !errors.Is(err, flag.ErrHelp) || !strings.Contains(r.stderr, "ROSTER_") {
		t.Errorf("serve --help = %v, %q", err, r.stderr)
	}
	bad := map[string]string{"ROSTER_DATABASE": env["ROSTER_DATABASE"], "ROSTER_SIGN_IN_REDIRECT_URL": "javascript:alert(1)"}
	if _, err := roster(t, bad, "serve"); err == nil || !strings.Contains(err.Error(), "absolute URL") {
		t.Errorf("serve with a bad ROSTER_SIGN_IN_REDIRECT_URL = %v", err)
	}
}

func TestServeDefaultsAndStop(t *testing.T) {
	dir := t.TempDir()
	wd, _ := os.Getwd()
	os.Chdir(dir)
	t.Cleanup(func() { os.Chdir(wd) })
	var out, errb syncBuffer
	e := &environment{stdout: &out, stderr: &errb, getenv: func(string) string { return "" }}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, e, []string{"serve", "--addr", "127.0.0.1:0"}) }()
	var base string
	re := regexp.MustCompile(`http://127\.0\.0\.1:\d+`)
	for i := 0; i < 100 && base == ""; i++ {
		time.Sleep(20 * time.Millisecond)
		base = re.FindString(out.String())
	}
	if base == "" {
		cancel()
		t.Fatalf("no first-start guidance printed; stdout %q stderr %q", out.String(), errb.String())
	}
	if !strings.Contains(out.String(), base+"/scim/v2") || !strings.Contains(out.String(), "roster org create") {
		t.Errorf("first-start guidance lacks the SCIM URL or next step:\n%s", out.String())
	}
	for _, p := range []string{"/healthz", "/readyz"} {
		resp, err := http.Get(base + p)
		if err != nil || resp.StatusCode != 200 {
			t.Errorf("GET %s = %v, %v", p, resp, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "roster-data", "roster.db")); err != nil {
		t.Errorf("default database not in ./roster-data: %v", err)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve returned %v on stop", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop")
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
