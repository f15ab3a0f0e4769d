package main

import (
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rosterhq/roster/internal/auth"
	"github.com/rosterhq/roster/internal/ratelimit"
	"github.com/rosterhq/roster/internal/server"
)

// TestServeLimits: roster serve applies its rate-limit flags, from the
// command line and the environment, to SCIM tokens and to anonymous
// endpoints, and refuses nonsense values.
func TestServeLimits(t *testing.T) {
	env := map[string]string{
		"ROSTER_DATABASE":             "sqlite:" + filepath.Join(t.TempDir(), "roster.db"),
		"ROSTER_ANONYMOUS_RATE_LIMIT": "1",
	}
	org := mustRoster(t, env, "org", "create", "--name", "Acme", "--plan", "enterprise").lastLine()
	tok := mustRoster(t, env, "token", "create", "--org", org, "--name", "entra").lastLine()
	base, _ := servingWith(t, env, "--scim-rate-limit", "1", "--access-log", "all")

	// At 1 request/s with bursts of 2, twenty requests in a row cannot
	// all pass unless they take 18 seconds.
	statuses := func(n int, send func() int) map[int]int {
		got := map[int]int{}
		for range n {
			got[send()]++
		}
		return got
	}
	scim := statuses(20, func() int {
		code, _ := scimCall(t, "GET", base+"/scim/v2/Users", tok, "")
		return code
	})
	if scim[http.StatusOK] < 2 || scim[http.StatusTooManyRequests] == 0 {
		t.Errorf("20 SCIM requests at --scim-rate-limit 1 answered %v, want 2 or so 200s and then 429s", scim)
	}
	anon := statuses(20, func() int {
		resp, err := http.Get(base + "/auth/saml/nope/metadata")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode == http.StatusTooManyRequests && (resp.Header.Get("Retry-After") == "" || !strings.Contains(string(b), "Too many requests")) {
			t.Errorf("anonymous 429 without Retry-After or text: %q %s", resp.Header.Get("Retry-After"), b)
		}
		return resp.StatusCode
	})
	if anon[http.StatusTooManyRequests] == 0 || anon[http.StatusTooManyRequests] > 18 {
		t.Errorf("20 anonymous requests at ROSTER_ANONYMOUS_RATE_LIMIT=1 answered %v, want the first 2 through and then 429s", anon)
	}
	// Health is never limited.
	for range 20 {
		resp, err := http.Get(base + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("/healthz = %d", resp.StatusCode)
		}
	}
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	metrics, _ := io.ReadAll(resp.Body)
	for _, want := range []string{`roster_rate_limited_total{kind="anonymous",org=""}`, `roster_rate_limited_total{kind="scim_token",org="` + org + `"}`} {
		if !strings.Contains(string(metrics), want) {
			t.Errorf("metrics lack %s", want)
		}
	}

	for _, args := range [][]string{
		{"serve", "--scim-rate-limit", "-1"},
		{"serve", "--access-log", "verbose"},
		{"serve", "--access-log-sample", "2"},
	} {
		if _, err := roster(t, env, args...); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
}

// TestLimitFlags: the flags, from the environment and the command line,
// reach the server and the limits as given, with the documented defaults.
func TestLimitFlags(t *testing.T) {
	vars := map[string]string{"ROSTER_MAX_IN_FLIGHT": "64", "ROSTER_ACCESS_LOG": "sampled", "ROSTER_API_RATE_LIMIT": "0"}
	env := &environment{stdout: io.Discard, stderr: io.Discard, getenv: func(k string) string { return vars[k] }}
	f := newFlags(env, "serve", "serve", "")
	var l limitFlags
	l.register(f)
	if err := f.parse([]string{"--access-log-sample", "0.5", "--slow-request", "0", "--trust-forwarded-for"}); err != nil {
		t.Fatal(err)
	}
	if err := l.validate(); err != nil {
		t.Fatal(err)
	}
	var s server.Server
	l.apply(&s)
	if s.MaxInFlight != 64 || s.AccessLog != server.AccessLogSampled || s.AccessLogSample != 0.5 || s.SlowRequest >= 0 {
		t.Errorf("server options = in flight %d, log %q sample %g slow %v; want 64, sampled, 0.5 and never", s.MaxInFlight, s.AccessLog, s.AccessLogSample, s.SlowRequest)
	}
	lim := l.build(prometheus.NewRegistry(), nil)
	rates := lim.credentials.Rates
	if rates[auth.SCIMToken] != ratelimit.PerSecond(defaultSCIMRate) || !rates[auth.APIKey].Unlimited() || !rates[auth.AdminKey].Unlimited() ||
		rates[auth.ConsoleSession] != ratelimit.PerSecond(defaultConsoleRate) {
		t.Errorf("rates = %+v; want SCIM %d/s, API keys unlimited, console %d/s", rates, defaultSCIMRate, defaultConsoleRate)
	}
	if lim.anonymous.Rate != ratelimit.PerSecond(defaultAnonymousRate) || !lim.anonymous.TrustForwardedFor {
		t.Errorf("anonymous = %+v; want %d/s trusting X-Forwarded-For", lim.anonymous, defaultAnonymousRate)
	}
}
