package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/rosterhq/roster/internal/fault"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/store/postgres/pgtest"
)

// engines gives each test a fresh database on each engine, named by
// ROSTER_DATABASE; PostgreSQL is skipped without ROSTER_TEST_POSTGRES.
var engines = map[string]func(t *testing.T) map[string]string{
	"sqlite": func(t *testing.T) map[string]string {
		return map[string]string{"ROSTER_DATABASE": "sqlite:" + filepath.Join(t.TempDir(), "r.db")}
	},
	"postgres": func(t *testing.T) map[string]string {
		return map[string]string{"ROSTER_DATABASE": pgtest.URL(t)}
	},
}

// commandsThatOpen are the commands that read or change the database,
// other than serve and migrate, with enough flags to get that far.
var commandsThatOpen = [][]string{
	{"org", "list"},
	{"org", "create", "--name", "Acme", "--plan", "enterprise"},
	{"org", "settings", "--org", "o1"},
	{"org", "domain", "list", "--org", "o1"},
	{"token", "create", "--org", "o1"},
	{"token", "list", "--org", "o1"},
	{"apikey", "create", "--admin"},
	{"apikey", "list", "--admin"},
	{"apikey", "revoke", "--admin", "k1"},
	{"saml", "show", "--org", "o1", "--base-url", "https://roster.example.com"},
}

const noDatabase = "no roster database at "

// TestCommandsRefuseToCreateADatabase: run where there is no database (from
// another directory, or with a --database nothing created), a command says
// so, names where it looked and how to point it elsewhere, and leaves no
// database behind, instead of creating an empty one and then reporting
// that the organization does not exist.
func TestCommandsRefuseToCreateADatabase(t *testing.T) {
	t.Run("default data dir, from another directory", func(t *testing.T) {
		t.Chdir(t.TempDir())
		for _, args := range commandsThatOpen {
			_, err := rosterRaw(t, nil, args...)
			want := "no roster database at ./roster-data/roster.db: pass --database or --data-dir (roster serve uses ./roster-data"
			if err == nil || !strings.HasPrefix(errorText(err), want) {
				t.Errorf("roster %v = %v, want %q…", args, err, want)
			}
			if _, err := os.Stat("roster-data"); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("roster %v created ./roster-data (%v)", args, err)
			}
		}
	})
	t.Run("sqlite file that does not exist", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "sub", "r.db")
		for _, args := range commandsThatOpen {
			_, err := rosterRaw(t, nil, append(args, "--database", "sqlite:"+path)...)
			if err == nil || !strings.HasPrefix(errorText(err), noDatabase+path+": ") {
				t.Errorf("roster %v = %v, want it to say there is no database at %s", args, err, path)
			}
		}
		if _, err := os.Stat(filepath.Dir(path)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("the commands created %s (%v)", filepath.Dir(path), err)
		}
		// migrate status reads; it creates nothing either.
		if _, err := rosterRaw(t, nil, "migrate", "status", "--database", "sqlite:"+path); err == nil || !strings.HasPrefix(errorText(err), noDatabase) {
			t.Errorf("migrate status on no database = %v", err)
		}
	})
	t.Run("sqlite file without roster tables", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "empty.db")
		if err := os.WriteFile(path, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		env := map[string]string{"ROSTER_DATABASE": "sqlite:" + path}
		for _, args := range commandsThatOpen {
			if _, err := rosterRaw(t, env, args...); err == nil || !strings.Contains(errorText(err), "holds no roster tables") {
				t.Errorf("roster %v = %v, want a refusal of the empty file", args, err)
			}
		}
		if fi, err := os.Stat(path); err != nil || fi.Size() != 0 {
			t.Errorf("the empty file was written to: %v, %v", fi, err)
		}
	})
	t.Run("postgres schema without roster tables", func(t *testing.T) {
		url := pgtest.URL(t)
		env := map[string]string{"ROSTER_DATABASE": url}
		for _, args := range commandsThatOpen {
			_, err := rosterRaw(t, env, args...)
			if err == nil || !strings.HasPrefix(errorText(err), noDatabase) || !strings.Contains(errorText(err), "migrate") {
				t.Errorf("roster %v = %v, want a refusal saying how to create the tables", args, err)
			}
		}
		db, err := sql.Open("pgx", url)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var tables int
		if err := db.QueryRow(`SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema()`).Scan(&tables); err != nil || tables != 0 {
			t.Errorf("the schema holds %d tables (%v), want none: the commands migrated it", tables, err)
		}
		// Once migrated, the same commands work.
		mustRoster(t, env, "migrate")
		if out := mustRoster(t, env, "org", "list").stdout; !strings.HasPrefix(out, "ID") {
			t.Errorf("org list after migrate = %q", out)
		}
	})
	t.Run("the password in a PostgreSQL URL is not repeated", func(t *testing.T) {
		url := strings.Replace(pgtest.URL(t), "postgres@", "postgres:hunter2@", 1)
		_, err := rosterRaw(t, map[string]string{"ROSTER_DATABASE": url}, "org", "list")
		if err == nil || strings.Contains(errorText(err), "hunter2") {
			t.Errorf("org list = %v, want a refusal without the password", err)
		}
	})
}

// sentinelTexts are the texts of the kinds and sentinels domain packages
// wrap: names for code, which must never end a message meant for people.
var sentinelTexts = []string{
	"invalid request", "invalid", "not found", "not_found", "conflict", "version mismatch", "version_mismatch",
	"forbidden", "plan required", "plan_required", "enterprise plan required", "unauthorized", "wrong credential",
}

func endsInSentinel(msg string) (string, bool) {
	for _, s := range sentinelTexts {
		if strings.HasSuffix(msg, ": "+s) || msg == s {
			return s, true
		}
	}
	return "", false
}

// TestErrorsReadAsSentences: every refusal the CLI prints is written for
// the person who typed the command, with no sentinel at its end, and says
// what is wrong.
func TestErrorsReadAsSentences(t *testing.T) {
	for name, mk := range engines {
		t.Run(name, func(t *testing.T) {
			env := mk(t)
			org := mustRoster(t, env, "org", "create", "--name", "Acme", "--plan", "enterprise").lastLine()
			mustRoster(t, env, "token", "create", "--org", org, "--name", "okta")
			scimID := strings.Fields(strings.Split(mustRoster(t, env, "token", "list", "--org", org).stdout, "\n")[1])[0]
			for _, tc := range []struct {
				args []string
				want string
			}{
				{[]string{"org", "create", "--name", "x", "--plan", "gold"}, `unknown plan "gold": use "free" or "enterprise"`},
				{[]string{"org", "create"}, "needs a name"},
				{[]string{"org", "set-plan", "--org", org, "--plan", "gold"}, `unknown plan "gold"`},
				{[]string{"org", "set-plan", "--org", "nope", "--plan", "free"}, `organization "nope" not found in `},
				{[]string{"org", "settings", "--org", "nope"}, `organization "nope" not found in `},
				{[]string{"org", "settings", "--org", org, "--group-removal", "sometimes"}, `"revoke" or "keep"`},
				{[]string{"token", "create", "--org", "nope"}, `organization "nope" not found in `},
				{[]string{"token", "list", "--org", "nope"}, `"roster org list" lists the organizations there`},
				{[]string{"token", "revoke", "--org", org, "--id", "nope"}, `has no SCIM token with id "nope"`},
				{[]string{"apikey", "revoke", "--org", org, "--id", scimID}, "is a SCIM token, not an API key"},
				{[]string{"apikey", "revoke", "--admin", "nope"}, `no admin key with id "nope"`},
				{[]string{"apikey", "list", "--admin", "--org", org}, "exclude each other"},
			} {
				_, err := roster(t, env, tc.args...)
				if err == nil {
					t.Errorf("roster %v succeeded", tc.args)
					continue
				}
				msg := errorText(err)
				if s, ok := endsInSentinel(msg); ok {
					t.Errorf("roster %v prints %q: it ends in the sentinel %q", tc.args, msg, s)
				}
				if !strings.Contains(msg, tc.want) {
					t.Errorf("roster %v prints %q, want it to say %q", tc.args, msg, tc.want)
				}
			}
		})
	}
}

// TestErrorText pins the one rule for wording errors: a fault prints its
// message alone, an internal error prints whole, and a bare kind at the end
// of an internal chain is written out in words.
func TestErrorText(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"fault wrapped in context", fmt.Errorf("create org: %w", fault.Invalidf("an organization needs a name")), "an organization needs a name"},
		{"conflict", fmt.Errorf("create: %w", &store.ConflictError{Field: "token id", Value: "x"}), `token id "x" is already taken`},
		{"internal", fmt.Errorf("open r.db: %w", errors.New("disk I/O error")), "open r.db: disk I/O error"},
		{"bare kind at the end", fmt.Errorf("revoke token x: %w", store.ErrNotFound), "revoke token x: no such record in this organization"},
		{"bare kind alone", store.ErrInvalid, "the request cannot be carried out as it is"},
	} {
		got := errorText(tc.err)
		if got != tc.want {
			t.Errorf("%s: errorText = %q, want %q", tc.name, got, tc.want)
		}
		if s, ok := endsInSentinel(got); ok {
			t.Errorf("%s: %q ends in %q", tc.name, got, s)
		}
	}
}

// TestAdminKeyCommands: admin keys are created, listed and revoked at the
// command line, through the token service, apart from organization keys.
func TestAdminKeyCommands(t *testing.T) {
	for name, mk := range engines {
		t.Run(name, func(t *testing.T) {
			env := mk(t)
			org := mustRoster(t, env, "org", "create", "--name", "Acme").lastLine()
			mustRoster(t, env, "apikey", "create", "--org", org, "--name", "app")
			created := mustRoster(t, env, "apikey", "create", "--admin", "--name", "provisioning")
			if !strings.HasPrefix(created.lastLine(), "roster_admin_") || !strings.Contains(created.stderr, "will not be shown again") {
				t.Fatalf("apikey create --admin = %+v", created)
			}
			id := regexp.MustCompile(`\(id (\w+)\)`).FindStringSubmatch(created.stderr)[1]
			mustRoster(t, env, "apikey", "create", "--admin", "--name", "spare")

			list := mustRoster(t, env, "apikey", "list", "--admin").stdout
			if strings.Contains(list, created.lastLine()) || !strings.Contains(list, id) || !strings.Contains(list, "provisioning") ||
				!strings.Contains(list, "spare") || strings.Contains(list, "app") || strings.Contains(list, "revoked") {
				t.Errorf("apikey list --admin shows a secret, misses a key or shows an organization's key:\n%s", list)
			}
			if orgKeys := mustRoster(t, env, "apikey", "list", "--org", org).stdout; strings.Contains(orgKeys, id) {
				t.Errorf("an admin key is listed as the organization's:\n%s", orgKeys)
			}
			if out := mustRoster(t, env, "apikey", "revoke", "--admin", id).stdout; !strings.Contains(out, `revoked admin key "provisioning"`) {
				t.Errorf("apikey revoke --admin = %q", out)
			}
			list = mustRoster(t, env, "apikey", "list", "--admin").stdout
			for _, line := range strings.Split(strings.TrimSpace(list), "\n")[1:] {
				if revoked := strings.Contains(line, "revoked"); revoked != strings.HasPrefix(line, id) {
					t.Errorf("after revoking %s:\n%s", id, list)
				}
			}
			// The --id form, and a second revoke, change nothing more.
			mustRoster(t, env, "apikey", "revoke", "--admin", "--id", id)
			if again := mustRoster(t, env, "apikey", "list", "--admin").stdout; again != list {
				t.Errorf("a second revoke changed the list:\n%s\nthen\n%s", list, again)
			}
		})
	}
}

// TestRevokeChecksTheKind: "roster apikey revoke" given a SCIM token's id
// refuses, and the identity provider's token keeps working; before, it
// revoked the token and then complained.
func TestRevokeChecksTheKind(t *testing.T) {
	env := engines["sqlite"](t)
	org := mustRoster(t, env, "org", "create", "--name", "Acme", "--plan", "enterprise").lastLine()
	mustRoster(t, env, "token", "create", "--org", org, "--name", "okta")
	id := strings.Fields(strings.Split(mustRoster(t, env, "token", "list", "--org", org).stdout, "\n")[1])[0]
	if _, err := roster(t, env, "apikey", "revoke", "--org", org, "--id", id); err == nil || !strings.Contains(errorText(err), "roster token revoke --org "+org) {
		t.Errorf("apikey revoke of a SCIM token = %v, want a refusal naming the command that revokes it", err)
	}
	if list := mustRoster(t, env, "token", "list", "--org", org).stdout; strings.Contains(list, "revoked") {
		t.Errorf("the SCIM token was revoked by apikey revoke:\n%s", list)
	}
	mustRoster(t, env, "token", "revoke", "--org", org, id)
	if list := mustRoster(t, env, "token", "list", "--org", org).stdout; !strings.Contains(list, "revoked") {
		t.Errorf("token revoke with the id as argument did not revoke:\n%s", list)
	}
}

func TestInvocation(t *testing.T) {
	for _, tc := range []struct{ arg0, want string }{
		{"/tmp/go-build3369528391/b001/exe/roster", "go run ./cmd/roster"},
		{"/home/ann/.cache/tmp/go-build12/b001/exe/roster", "go run ./cmd/roster"},
		{"roster", "roster"},
		{"./roster", "./roster"},
		{"/usr/local/bin/roster", "/usr/local/bin/roster"},
		{"/opt/my apps/roster", `'/opt/my apps/roster'`},
		{"", "roster"},
	} {
		if got := invocation(tc.arg0); got != tc.want {
			t.Errorf("invocation(%q) = %q, want %q", tc.arg0, got, tc.want)
		}
	}
}

// TestNextStepsAsStarted: the commands roster suggests start the way the
// user started roster and open the same database, so they can be pasted.
func TestNextStepsAsStarted(t *testing.T) {
	dir := t.TempDir()
	for _, prog := range []string{"go run ./cmd/roster", "./roster"} {
		var out strings.Builder
		env := &environment{stdout: &out, stderr: &out, getenv: func(string) string { return "" }, prog: prog}
		firstStart(env, "http://127.0.0.1:8080", &dbFlags{dataDir: dir, env: env})
		for _, want := range []string{
			prog + ` org create --name "Acme" --data-dir '` + dir + `' --plan enterprise`,
			prog + ` token create --org <organization id> --data-dir '` + dir + `' --name okta`,
		} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("first-start guidance lacks %q:\n%s", want, out.String())
			}
		}
		out.Reset()
		envDB := map[string]string{"ROSTER_DATABASE": "sqlite:" + filepath.Join(t.TempDir(), "r.db")}
		if err := run(context.Background(), &environment{stdout: &out, stderr: &out, getenv: func(k string) string { return envDB[k] }, prog: prog}, []string{"migrate"}); err != nil {
			t.Fatal(err)
		}
		out.Reset()
		e := &environment{stdout: &out, stderr: &out, getenv: func(k string) string { return envDB[k] }, prog: prog}
		if err := run(context.Background(), e, []string{"org", "create", "--name", "Acme"}); err != nil {
			t.Fatal(err)
		}
		// The database came from the environment, which the next command
		// sees too: it is not repeated.
		if !regexp.MustCompile(regexp.QuoteMeta(prog) + ` token create --org [0-9a-f-]{36}\n`).MatchString(out.String()) {
			t.Errorf("org create's next step is not %q…:\n%s", prog+" token create", out.String())
		}
	}
}

// TestREADMERunsWhatRosterSuggests: the README builds the binary whose
// commands roster prints, and runs them as roster prints them.
func TestREADMERunsWhatRosterSuggests(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	if !strings.Contains(readme, "go build -o roster ./cmd/roster") {
		t.Fatal("README does not build ./roster")
	}
	var out strings.Builder
	env := &environment{stdout: &out, stderr: &out, getenv: func(string) string { return "" }, prog: invocation("./roster")}
	firstStart(env, "http://127.0.0.1:8080", &dbFlags{dataDir: defaultDataDir, env: env})
	for _, cmd := range regexp.MustCompile(`(?m)^\s+(\./roster \w+ \w+)`).FindAllStringSubmatch(out.String(), -1) {
		if !strings.Contains(readme, cmd[1]) {
			t.Errorf("roster suggests %q, which the README never runs", cmd[1])
		}
	}
	for _, line := range strings.Split(readme, "\n") {
		if strings.Contains(line, "go run ./cmd/roster org") || strings.Contains(line, "go run ./cmd/roster token") {
			t.Errorf("README runs %q, while the steps it shows use the binary it builds", strings.TrimSpace(line))
		}
	}
}

// TestOrgDomainCommands: an operator adds, lists and removes an
// organization's verified domains; a domain belongs to one organization.
func TestOrgDomainCommands(t *testing.T) {
	for name, mk := range engines {
		t.Run(name, func(t *testing.T) {
			env := mk(t)
			acme := mustRoster(t, env, "org", "create", "--name", "Acme", "--plan", "enterprise").lastLine()
			globex := mustRoster(t, env, "org", "create", "--name", "Globex", "--plan", "enterprise").lastLine()
			free := mustRoster(t, env, "org", "create", "--name", "Free").lastLine()
			if out := mustRoster(t, env, "org", "domain", "add", "--org", acme, "--domain", "Example.com").stdout; out != "example.com\n" {
				t.Errorf("add = %q", out)
			}
			mustRoster(t, env, "org", "domain", "add", "--org", acme, "--domain", "acme.test")
			if _, err := roster(t, env, "org", "domain", "add", "--org", globex, "--domain", "example.com"); err == nil ||
				!strings.Contains(err.Error(), "another organization") {
				t.Errorf("second claim = %v", err)
			}
			if _, err := roster(t, env, "org", "domain", "add", "--org", acme, "--domain", "not a domain"); err == nil || !strings.Contains(err.Error(), "domain") {
				t.Errorf("bad domain = %v", err)
			}
			if _, err := roster(t, env, "org", "domain", "add", "--org", free, "--domain", "free.test"); err == nil || !strings.Contains(err.Error(), "enterprise") {
				t.Errorf("free plan = %v", err)
			}
			if out := mustRoster(t, env, "org", "domain", "list", "--org", acme).stdout; out != "acme.test\nexample.com\n" {
				t.Errorf("list = %q", out)
			}
			if out := mustRoster(t, env, "org", "domain", "remove", "--org", acme, "--domain", "example.com").stdout; out != "acme.test\n" {
				t.Errorf("remove = %q", out)
			}
			if _, err := roster(t, env, "org", "domain", "remove", "--org", acme, "--domain", "example.com"); err == nil || !strings.Contains(err.Error(), "not one of") {
				t.Errorf("second remove = %v", err)
			}
			mustRoster(t, env, "org", "domain", "add", "--org", globex, "--domain", "example.com")
		})
	}
}
