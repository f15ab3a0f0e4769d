package ratelimit_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rosterhq/roster/internal/ratelimit"
	"github.com/rosterhq/roster/internal/ratelimit/ratelimittest"
)

// clock is a time tests move by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func TestBucketBurstRefillAndRetryAfter(t *testing.T) {
	c := newClock()
	l := ratelimit.New(0, c.Now)
	rate := ratelimit.Rate{PerSecond: 10, Burst: 20}
	for i := range 20 {
		if _, ok := l.Allow("k", rate); !ok {
			t.Fatalf("request %d of a burst of 20 refused", i+1)
		}
	}
	wait, ok := l.Allow("k", rate)
	if ok {
		t.Fatal("request 21 of a burst of 20 allowed with no time passed")
	}
	if wait != 100*time.Millisecond {
		t.Errorf("wait = %v, want 100ms (one token at 10/s)", wait)
	}
	if got := ratelimit.RetryAfterSeconds(wait); got != 1 {
		t.Errorf("Retry-After = %d, want 1 (rounded up, never 0)", got)
	}
	// Refused requests take no token: after 100ms exactly one is back.
	c.Advance(100 * time.Millisecond)
	if _, ok := l.Allow("k", rate); !ok {
		t.Error("refused after the refill of one token")
	}
	if _, ok := l.Allow("k", rate); ok {
		t.Error("two requests allowed after the refill of one token")
	}
	// Another key has its own bucket.
	if _, ok := l.Allow("other", rate); !ok {
		t.Error("a second key was refused: buckets are shared")
	}
	// Refill stops at the burst.
	c.Advance(time.Hour)
	n := 0
	for {
		if _, ok := l.Allow("k", rate); !ok {
			break
		}
		n++
	}
	if n != 20 {
		t.Errorf("after an hour idle, %d requests allowed, want the burst of 20", n)
	}
}

func TestRetryAfterRoundsUp(t *testing.T) {
	c := newClock()
	l := ratelimit.New(0, c.Now)
	rate := ratelimit.Rate{PerSecond: 0.25, Burst: 1} // one request every 4s
	l.Allow("k", rate)
	c.Advance(time.Second)
	wait, ok := l.Allow("k", rate)
	if ok || wait != 3*time.Second || ratelimit.RetryAfterSeconds(wait) != 3 {
		t.Errorf("Allow = %v, %v; want refused with 3s to wait", wait, ok)
	}
	if got := ratelimit.RetryAfterSeconds(2100 * time.Millisecond); got != 3 {
		t.Errorf("RetryAfterSeconds(2.1s) = %d, want 3", got)
	}
}

func TestUnlimited(t *testing.T) {
	l := ratelimit.New(0, nil)
	for range 10_000 {
		if _, ok := l.Allow("k", ratelimit.PerSecond(0)); !ok {
			t.Fatal("an unlimited rate refused a request")
		}
	}
	if l.Len() != 0 {
		t.Errorf("unlimited requests kept %d buckets", l.Len())
	}
	if r := ratelimit.PerSecond(50); r.PerSecond != 50 || r.Burst != 100 {
		t.Errorf("PerSecond(50) = %+v, want 50/s with bursts of 100", r)
	}
}

func TestMemoryIsBounded(t *testing.T) {
	c := newClock()
	const max = 3200
	l := ratelimit.New(max, c.Now)
	rate := ratelimit.Rate{PerSecond: 1, Burst: 5}
	// An address spray: every request from a new key, none refilled.
	for i := range 100_000 {
		l.Allow(fmt.Sprintf("10.%d.%d.%d", i>>16, i>>8&255, i&255), rate)
	}
	if n := l.Len(); n > max {
		t.Errorf("after 100,000 keys the limiter keeps %d buckets, more than its bound %d", n, max)
	}
	// Buckets that refilled are forgotten as traffic goes on.
	c.Advance(time.Minute)
	for range 10 * max {
		l.Allow("steady", rate)
	}
	if n := l.Len(); n > max/2 {
		t.Errorf("a minute later, with one key active, %d buckets are kept; the refilled ones should expire", n)
	}
}

func TestAnonymousByAddress(t *testing.T) {
	c := newClock()
	reg := prometheus.NewRegistry()
	a := &ratelimit.Anonymous{
		Buckets:  ratelimit.New(0, c.Now),
		Rate:     ratelimit.Rate{PerSecond: 1, Burst: 2},
		Prefixes: []string{"/auth/", "/console/enter"},
		Metrics:  ratelimit.NewMetrics(reg),
	}
	h := a.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	do := func(path, remote, xff string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("GET", path, nil)
		r.RemoteAddr = remote
		if xff != "" {
			r.Header.Set("X-Forwarded-For", xff)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	for i := range 2 {
		if w := do("/auth/saml/o/login", "192.0.2.1:1000", ""); w.Code != http.StatusNoContent {
			t.Fatalf("request %d = %d", i+1, w.Code)
		}
	}
	// Same address, another port and another limited path: one bucket.
	w := do("/console/enter/abc", "192.0.2.1:2000", "")
	if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") != "1" ||
		!strings.HasPrefix(w.Header().Get("Content-Type"), "text/plain") || !strings.Contains(w.Body.String(), "Too many requests") {
		t.Errorf("third request = %d Retry-After %q %q %q, want 429 plain text with Retry-After 1",
			w.Code, w.Header().Get("Retry-After"), w.Header().Get("Content-Type"), w.Body)
	}
	if w := do("/auth/saml/o/login", "192.0.2.2:1000", ""); w.Code != http.StatusNoContent {
		t.Errorf("another address = %d, want its own bucket", w.Code)
	}
	if w := do("/scim/v2/Users", "192.0.2.1:1000", ""); w.Code != http.StatusNoContent {
		t.Errorf("a path that is not anonymous = %d, want it not limited by address", w.Code)
	}
	if got := limited(t, reg, "anonymous", ""); got != 1 {
		t.Errorf("roster_rate_limited_total{kind=anonymous} = %v, want 1", got)
	}
	c.Advance(time.Second)
	if w := do("/auth/saml/o/login", "192.0.2.1:1000", ""); w.Code != http.StatusNoContent {
		t.Errorf("after a second = %d, want a token back", w.Code)
	}

	// Behind a load balancer every peer is the balancer: the address is
	// the last X-Forwarded-For entry, which the balancer wrote.
	a.TrustForwardedFor = true
	h = a.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	for i := range 2 {
		if w := do("/auth/x", "10.0.0.1:1", fmt.Sprintf("forged-%d, 198.51.100.7", i)); w.Code != http.StatusNoContent {
			t.Fatalf("forwarded request %d = %d", i+1, w.Code)
		}
	}
	if w := do("/auth/x", "10.0.0.1:1", "forged-3, 198.51.100.7"); w.Code != http.StatusTooManyRequests {
		t.Errorf("third request of one forwarded client = %d, want 429 whatever it forged in front", w.Code)
	}
	if w := do("/auth/x", "10.0.0.1:1", "198.51.100.8"); w.Code != http.StatusNoContent {
		t.Errorf("another forwarded client behind the same balancer = %d, want its own bucket", w.Code)
	}
}

// limited reads roster_rate_limited_total{kind, org} from reg.
func limited(t *testing.T, reg prometheus.Gatherer, kind, org string) float64 {
	t.Helper()
	return ratelimittest.Count(t, reg, kind, org)
}
