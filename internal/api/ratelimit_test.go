package api_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rosterhq/roster/internal/api"
	"github.com/rosterhq/roster/internal/auth"
	"github.com/rosterhq/roster/internal/ratelimit"
	"github.com/rosterhq/roster/internal/ratelimit/ratelimittest"
	provision "github.com/rosterhq/roster/internal/scim"
	"github.com/rosterhq/roster/internal/server"
	"github.com/rosterhq/roster/internal/store"
)

type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// TestRateLimits runs SCIM and the host API behind per-credential limits
// of 1 request/s (bursts of 2) on a clock the test moves: the third
// request of a burst is 429 in each surface's error JSON with
// Retry-After, and an organization's scim_rate_limit replaces the
// instance's rate for its SCIM tokens.
func TestRateLimits(t *testing.T) {
	engines(t, func(t *testing.T, f *fixture) {
		clock := &testClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
		reg := prometheus.NewRegistry()
		limits := &auth.Limits{
			Buckets: ratelimit.New(0, clock.Now),
			Rates:   map[auth.Kind]ratelimit.Rate{auth.SCIMToken: ratelimit.PerSecond(1), auth.APIKey: ratelimit.PerSecond(1)},
			Orgs:    f.h.Access,
			Metrics: ratelimit.NewMetrics(reg),
			Now:     clock.Now,
		}
		quiet := slog.New(slog.DiscardHandler)
		hostAPI := &api.Handler{Access: f.h.Access, Directory: f.h.Directory, Keys: f.tokens, RateLimits: limits}
		scim := &provision.Handler{Directory: f.h.Directory, Orgs: f.h.Access, Tokens: f.tokens, Logger: quiet, RateLimits: limits}
		srv := httptest.NewServer(server.New(&server.Server{Logger: quiet}, scim, hostAPI))
		t.Cleanup(srv.Close)
		scimToken, _, err := f.tokens.Create(t.Context(), store.Actor{Kind: "cli"}, f.orgA, store.TokenSCIM, "entra")
		if err != nil {
			t.Fatal(err)
		}
		do := func(method, path, key, body string) (*http.Response, map[string]any) {
			t.Helper()
			req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+key)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			var v map[string]any
			json.Unmarshal(b, &v)
			return resp, v
		}
		burst := func(method, path, key, body string, n int) (*http.Response, map[string]any) {
			t.Helper()
			for i := range n {
				if resp, v := do(method, path, key, body); resp.StatusCode >= 400 {
					t.Fatalf("%s %s request %d of a burst of %d = %d %v", method, path, i+1, n, resp.StatusCode, v)
				}
			}
			return do(method, path, key, body)
		}

		// SCIM: RFC 7644 §3.12 error JSON, status as a string.
		resp, v := burst("GET", "/scim/v2/Users", scimToken, "", 2)
		if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "1" ||
			resp.Header.Get("Content-Type") != "application/scim+json" || v["status"] != "429" ||
			!strings.Contains(v["detail"].(string), "SCIM token made more than 1 requests per second") {
			t.Errorf("third SCIM request = %d Retry-After %q %q %v; want 429 SCIM error with Retry-After 1",
				resp.StatusCode, resp.Header.Get("Retry-After"), resp.Header.Get("Content-Type"), v)
		}
		if s, _ := v["schemas"].([]any); len(s) != 1 || s[0] != "urn:ietf:params:scim:api:messages:2.0:Error" {
			t.Errorf("SCIM 429 schemas = %v", v["schemas"])
		}
		// The host API: its error JSON, code rate_limited.
		resp, v = burst("GET", "/api/v1/org", f.keyA, "", 2)
		e, _ := v["error"].(map[string]any)
		if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "1" || e["code"] != "rate_limited" {
			t.Errorf("third API request = %d Retry-After %q %v; want 429 rate_limited with Retry-After 1", resp.StatusCode, resp.Header.Get("Retry-After"), v)
		}
		// Another organization's key has its own bucket.
		if resp, v := do("GET", "/api/v1/org", f.keyB, ""); resp.StatusCode != 200 {
			t.Errorf("another organization's key = %d %v, want 200", resp.StatusCode, v)
		}
		if got := ratelimittest.Count(t, reg, "scim_token", f.orgA); got != 1 {
			t.Errorf("roster_rate_limited_total{scim_token, orgA} = %v, want 1", got)
		}
		if got := ratelimittest.Count(t, reg, "api_key", f.orgA); got != 1 {
			t.Errorf("roster_rate_limited_total{api_key, orgA} = %v, want 1", got)
		}

		// The organization raises its SCIM tokens' rate to 5/s: once its
		// cached settings expire, a burst of 10 passes and the 11th waits.
		clock.Advance(10 * time.Second)
		if resp, v := do("PATCH", "/api/v1/org/settings", f.keyA, `{"scim_rate_limit":5}`); resp.StatusCode != 200 {
			t.Fatalf("PATCH settings = %d %v", resp.StatusCode, v)
		}
		clock.Advance(10 * time.Second)
		resp, v = burst("GET", "/scim/v2/Users", scimToken, "", 10)
		if resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(v["detail"].(string), "more than 5 requests per second") {
			t.Errorf("11th SCIM request at the organization's 5/s = %d %v, want 429", resp.StatusCode, v)
		}
		// 0 gives the instance's default back.
		clock.Advance(10 * time.Second)
		if resp, v := do("PATCH", "/api/v1/org/settings", f.keyA, `{"scim_rate_limit":0}`); resp.StatusCode != 200 {
			t.Fatalf("PATCH settings = %d %v", resp.StatusCode, v)
		}
		clock.Advance(10 * time.Second)
		if resp, _ := burst("GET", "/scim/v2/Users", scimToken, "", 2); resp.StatusCode != http.StatusTooManyRequests {
			t.Errorf("third SCIM request back at the instance's 1/s = %d, want 429", resp.StatusCode)
		}
	})
}
