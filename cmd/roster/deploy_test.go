package main

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// serveFlags returns the flag names roster serve takes, from its --help.
func serveFlags(t *testing.T) map[string]bool {
	t.Helper()
	r, err := roster(t, map[string]string{}, "serve", "--help")
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("serve --help: %v", err)
	}
	names := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^  -([a-z0-9-]+)`).FindAllStringSubmatch(r.stderr, -1) {
		names[m[1]] = true
	}
	if !names["addr"] || !names["scim-rate-limit"] {
		t.Fatalf("serve --help lists no flags roster has:\n%s", r.stderr)
	}
	return names
}

func readRepoFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", path))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// envFlags checks that every ROSTER_… variable in text names a flag of
// roster serve (a misspelt one would be ignored silently).
func envFlags(t *testing.T, file, text string, flags map[string]bool) {
	t.Helper()
	vars := regexp.MustCompile(`\bROSTER_([A-Z0-9_]+)`).FindAllStringSubmatch(text, -1)
	if len(vars) == 0 {
		t.Errorf("%s sets no ROSTER_ variable", file)
	}
	for _, v := range vars {
		if name := strings.ToLower(strings.ReplaceAll(v[1], "_", "-")); !flags[name] {
			t.Errorf("%s sets %s, but roster serve has no --%s", file, v[0], name)
		}
	}
}

// TestSystemdUnit: the unit's ExecStart runs roster serve with flags it
// has, the directory it writes is the one the sandbox leaves writable, and
// the hardening is there.
func TestSystemdUnit(t *testing.T) {
	unit := readRepoFile(t, "deploy/roster.service")
	flags := serveFlags(t)
	settings := map[string][]string{}
	for _, line := range strings.Split(unit, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, "[") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			t.Errorf("unit line %q is no key=value", line)
			continue
		}
		settings[k] = append(settings[k], v)
	}
	exec := strings.Fields(settings["ExecStart"][0])
	if len(exec) < 2 || exec[0] != "/usr/local/bin/roster" || exec[1] != "serve" {
		t.Fatalf("ExecStart = %v, want /usr/local/bin/roster serve …", exec)
	}
	dataDir := ""
	for i, a := range exec[2:] {
		if !strings.HasPrefix(a, "--") {
			continue
		}
		name, _, _ := strings.Cut(strings.TrimPrefix(a, "--"), "=")
		if !flags[name] {
			t.Errorf("ExecStart passes --%s, which roster serve does not take", name)
		}
		if name == "data-dir" {
			dataDir = exec[2+i+1]
		}
	}
	if dataDir == "" || !slices.Contains(settings["ReadWritePaths"], dataDir) || settings["WorkingDirectory"][0] != dataDir {
		t.Errorf("--data-dir %q must be the ReadWritePaths %v and WorkingDirectory %v", dataDir, settings["ReadWritePaths"], settings["WorkingDirectory"])
	}
	for k, want := range map[string]string{
		"NoNewPrivileges": "yes", "ProtectSystem": "strict", "PrivateTmp": "yes", "CapabilityBoundingSet": "",
		"DynamicUser": "yes", "StateDirectory": "roster", "ProtectHome": "yes", "KillSignal": "SIGTERM",
	} {
		if !slices.Contains(settings[k], want) {
			t.Errorf("unit sets %s=%v, want %q", k, settings[k], want)
		}
	}
}

// TestContainerFiles: the Dockerfile builds a static binary with the
// version variables roster has, runs it as a non-root user on a base with
// CA certificates and checks its health with a command roster has; the
// compose file and the Caddy configuration agree on the services and set
// only flags roster serve takes.
func TestContainerFiles(t *testing.T) {
	flags := serveFlags(t)
	docker := readRepoFile(t, "Dockerfile")
	for _, want := range []string{
		"CGO_ENABLED=0", "-X main.version=", "-X main.commit=", "-X main.buildDate=",
		"FROM gcr.io/distroless/static", "USER 65532:65532", "EXPOSE 8080",
		`CMD ["/usr/local/bin/roster", "healthcheck"]`, `ENTRYPOINT ["/usr/local/bin/roster"]`, `CMD ["serve"]`,
	} {
		if !strings.Contains(docker, want) {
			t.Errorf("Dockerfile lacks %q", want)
		}
	}
	// The -X names must be the variables of version.go, or -X sets
	// nothing: this line stops compiling if one is renamed.
	_, _, _ = version, commit, buildDate
	envFlags(t, "Dockerfile", docker, flags)
	if !slices.ContainsFunc(commands(), func(c command) bool { return c.name == "healthcheck" }) {
		t.Error("the HEALTHCHECK runs roster healthcheck, which is no command")
	}
	ignore := readRepoFile(t, ".dockerignore")
	for _, want := range []string{".git", "roster-data"} {
		if !strings.Contains(ignore, want) {
			t.Errorf(".dockerignore lacks %s", want)
		}
	}

	compose := readRepoFile(t, "deploy/docker-compose.yml")
	if strings.Contains(compose, "\t") {
		t.Error("docker-compose.yml has a tab: YAML indents with spaces only")
	}
	envFlags(t, "docker-compose.yml", compose, flags)
	for _, service := range []string{"postgres:", "roster1:", "roster2:", "lb:"} {
		if !regexp.MustCompile(`(?m)^  ` + service).MatchString(compose) {
			t.Errorf("docker-compose.yml has no service %s", service)
		}
	}
	caddy := readRepoFile(t, "deploy/Caddyfile")
	for _, want := range []string{"reverse_proxy roster1:8080 roster2:8080", "health_uri /readyz"} {
		if !strings.Contains(caddy, want) {
			t.Errorf("Caddyfile lacks %q", want)
		}
	}
	if strings.Count(caddy, "{") != strings.Count(caddy, "}") {
		t.Error("Caddyfile's braces do not balance")
	}
}

// TestHealthcheck: roster healthcheck succeeds against a running server,
// on a wildcard --addr too, and fails when nothing answers.
func TestHealthcheck(t *testing.T) {
	env := map[string]string{"ROSTER_DATABASE": "sqlite:" + filepath.Join(t.TempDir(), "roster.db")}
	base, _ := serving(t, env)
	port := base[strings.LastIndex(base, ":")+1:]
	for _, addr := range []string{"127.0.0.1:" + port, "0.0.0.0:" + port} {
		if r, err := roster(t, map[string]string{"ROSTER_ADDR": addr}, "healthcheck", "--path", "/readyz"); err != nil || strings.TrimSpace(r.stdout) != "ok" {
			t.Errorf("healthcheck with ROSTER_ADDR=%s: %v %q", addr, err, r.stdout)
		}
	}
	if _, err := roster(t, map[string]string{}, "healthcheck", "--addr", "127.0.0.1:1", "--timeout", "1s"); err == nil {
		t.Error("healthcheck of a port nothing listens on succeeded")
	}
	if _, err := roster(t, map[string]string{}, "healthcheck", "--addr", base[len("http://"):], "--path", "/nope"); err == nil {
		t.Error("healthcheck of a path answering 404 succeeded")
	}
}
