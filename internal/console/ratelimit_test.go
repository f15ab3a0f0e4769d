package console_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/auth"
	"github.com/rosterhq/roster/internal/console"
	"github.com/rosterhq/roster/internal/ratelimit"
)

// TestSessionRateLimit: a console session over its limit gets a 429 page
// with Retry-After; another session of the same organization has its own
// bucket.
func TestSessionRateLimit(t *testing.T) {
	e := newEnv(t, engines[0].open(t))
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now } // frozen: no token comes back
	e.owners.RateLimits = &auth.Limits{
		Buckets: ratelimit.New(0, clock),
		Rates:   map[auth.Kind]ratelimit.Rate{auth.ConsoleSession: {PerSecond: 1, Burst: 3}},
		Now:     clock,
	}
	org := e.org("Acme")
	first := newBrowser(t)
	first.enter(e.link(org.ID)) // the overview: one request of the session
	for i := range 2 {
		if p := first.get(e.srv.URL + console.Prefix + "/tokens"); p.code != http.StatusOK {
			t.Fatalf("request %d of the burst = %d", i+2, p.code)
		}
	}
	p := first.get(e.srv.URL + console.Prefix + "/tokens")
	if p.code != http.StatusTooManyRequests || p.hdr.Get("Retry-After") != "1" || !strings.Contains(p.body, "Too many requests") ||
		!strings.HasPrefix(p.hdr.Get("Content-Type"), "text/html") {
		t.Errorf("fourth request = %d Retry-After %q %s, want a 429 page with Retry-After 1", p.code, p.hdr.Get("Retry-After"), p.hdr.Get("Content-Type"))
	}
	second := newBrowser(t)
	if p := second.enter(e.link(org.ID)); p.code != http.StatusOK {
		t.Errorf("another session = %d, want its own bucket", p.code)
	}
}
