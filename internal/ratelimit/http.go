package ratelimit

import (
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics counts refused requests.
type Metrics struct {
	limited *prometheus.CounterVec
}

// NewMetrics registers roster_rate_limited_total with reg. Its labels are
// the credential kind ("scim_token", "api_key", "admin_key",
// "console_session", "anonymous") and the organization id, "" where the
// caller has none (anonymous requests, admin keys): a series exists only
// for an organization that has been limited, at most one per kind, so the
// count of series grows with the organizations that misbehave, not with
// all of them, nor with client addresses.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{limited: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "roster_rate_limited_total",
		Help: "Requests refused with 429 by a rate limit, by credential kind and organization (\"\" for anonymous requests and admin keys).",
	}, []string{"kind", "org"})}
	reg.MustRegister(m.limited)
	return m
}

// Limited counts one refused request. A nil Metrics counts nothing.
func (m *Metrics) Limited(kind, orgID string) {
	if m != nil {
		m.limited.WithLabelValues(kind, orgID).Inc()
	}
}

// Anonymous limits requests that carry no credential by client address:
// SAML login and ACS, setup-link redemption. The address is the TCP peer's,
// or with TrustForwardedFor the last entry of X-Forwarded-For, the one the
// load balancer in front of roster added (earlier entries are the
// client's to forge).
type Anonymous struct {
	Buckets *Limiter
	Rate    Rate
	// Prefixes are the path prefixes limited; other paths pass.
	Prefixes []string
	// TrustForwardedFor takes the client address from X-Forwarded-For;
	// set it only behind a proxy that sets the header.
	TrustForwardedFor bool
	Metrics           *Metrics
}

// Wrap returns next behind the limit. A refused request gets 429 with
// Retry-After and a line of plain text: these endpoints are reached by
// browsers and identity providers, which show it as it is.
func (a *Anonymous) Wrap(next http.Handler) http.Handler {
	if a == nil || a.Rate.Unlimited() || len(a.Prefixes) == 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !a.limited(r.URL.Path) {
			next.ServeHTTP(w, r)
			return
		}
		wait, ok := a.Buckets.Allow("anonymous:"+a.ClientAddr(r), a.Rate)
		if ok {
			next.ServeHTTP(w, r)
			return
		}
		a.Metrics.Limited("anonymous", "")
		TooMany(w, wait)
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusTooManyRequests)
		fmt.Fprintf(w, "Too many requests from your address; try again in %d seconds.\n", RetryAfterSeconds(wait))
	})
}

func (a *Anonymous) limited(path string) bool {
	for _, p := range a.Prefixes {
		if strings.HasPrefix(path, p) {
			return true
		}
	}
	return false
}

// ClientAddr is the address a request came from, as the limit counts it:
// the TCP peer's, or behind a trusted proxy the entry it added to
// X-Forwarded-For. The provisioning log records the same address.
func (a *Anonymous) ClientAddr(r *http.Request) string {
	if a != nil && a.TrustForwardedFor {
		if xff := r.Header.Values("X-Forwarded-For"); len(xff) > 0 {
			last := xff[len(xff)-1]
			if i := strings.LastIndexByte(last, ','); i >= 0 {
				last = last[i+1:]
			}
			if last = strings.TrimSpace(last); last != "" {
				return last
			}
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// TooMany sets the Retry-After header of a 429 answer for a wait.
func TooMany(w http.ResponseWriter, wait time.Duration) {
	w.Header().Set("Retry-After", strconv.Itoa(RetryAfterSeconds(wait)))
}
