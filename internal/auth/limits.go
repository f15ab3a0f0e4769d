package auth

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/rosterhq/roster/internal/fault"
	"github.com/rosterhq/roster/internal/ratelimit"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/ttlcache"
)

// OrgReader reads an organization, for its SCIM rate limit setting;
// *access.Service is one.
type OrgReader interface {
	Org(ctx context.Context, orgID string) (store.Org, error)
}

// Limits are the per-credential rate limits the seam applies once it knows
// the principal: one token bucket per credential, so one identity
// provider's initial sync does not use up another's, nor a host app's.
// A nil *Limits limits nothing.
type Limits struct {
	Buckets *ratelimit.Limiter
	// Rates are the instance's limits by kind; a kind missing is not
	// limited.
	Rates map[Kind]ratelimit.Rate
	// Orgs, when set, is read for an organization's SCIMRateLimit, which
	// replaces Rates[SCIMToken] for its SCIM tokens. Organizations are
	// kept for a second, as the token service keeps tokens.
	Orgs    OrgReader
	Metrics *ratelimit.Metrics
	// Now reads the time for the organization cache; time.Now when nil.
	// Tests set it with the Buckets' clock.
	Now func() time.Time

	orgs ttlcache.Cache[string, int]
}

// orgCacheTTL is how long an organization's SCIM limit is kept: a change
// takes effect within it.
const orgCacheTTL = time.Second

// Check takes one request from p's bucket. Over the limit, it returns a
// fault.RateLimited and how long the caller should wait.
func (l *Limits) Check(ctx context.Context, p Principal) (wait time.Duration, err error) {
	if l == nil || l.Buckets == nil {
		return 0, nil
	}
	rate, ok := l.Rates[p.Kind]
	if p.Kind == SCIMToken && l.Orgs != nil && p.OrgID != "" {
		n, err := l.orgSCIMRate(ctx, p.OrgID)
		if err != nil {
			return 0, err
		}
		if n > 0 {
			rate, ok = ratelimit.PerSecond(n), true
		}
	}
	if !ok {
		return 0, nil
	}
	wait, allowed := l.Buckets.Allow(string(p.Kind)+":"+p.KeyID, rate)
	if allowed {
		return 0, nil
	}
	l.Metrics.Limited(string(p.Kind), p.OrgID)
	return wait, fault.New(fault.RateLimited, "this %s made more than %g requests per second; retry after the seconds Retry-After says (%d)",
		about[p.Kind].name, rate.PerSecond, ratelimit.RetryAfterSeconds(wait))
}

func (l *Limits) orgSCIMRate(ctx context.Context, orgID string) (int, error) {
	now := time.Now
	if l.Now != nil {
		now = l.Now
	}
	t := now()
	if n, ok := l.orgs.Get(orgID, t); ok {
		return n, nil
	}
	org, err := l.Orgs.Org(ctx, orgID)
	if fault.Is(err, fault.NotFound) {
		// The token outlived its organization; the surface refuses it.
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read the rate limit of organization %s: %w", orgID, err)
	}
	l.orgs.Put(orgID, org.Settings.SCIMRateLimit, t.Add(orgCacheTTL))
	return org.Settings.SCIMRateLimit, nil
}

// Limit is Check for an HTTP edge: over the limit it sets Retry-After on
// w and returns the fault for the edge to write in its own format.
func (l *Limits) Limit(w http.ResponseWriter, r *http.Request, p Principal) error {
	wait, err := l.Check(r.Context(), p)
	if fault.Is(err, fault.RateLimited) {
		ratelimit.TooMany(w, wait)
	}
	return err
}
