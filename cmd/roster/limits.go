package main

import (
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rosterhq/roster/internal/auth"
	"github.com/rosterhq/roster/internal/ratelimit"
	"github.com/rosterhq/roster/internal/server"
)

// The instance's default rate limits, in requests per second per
// credential (per client address for anonymous requests); each bucket
// holds twice as many. docs/operations.md, "Rate limits", says why these.
const (
	defaultSCIMRate      = 50
	defaultAPIRate       = 1000
	defaultConsoleRate   = 20
	defaultAnonymousRate = 20
	defaultMaxInFlight   = 512
)

// anonymousPrefixes are the endpoints that take no credential and are
// limited by client address: SAML metadata, login and ACS, setup-link
// redemption, and discovery (AuthZEN's metadata, the API's OpenAPI
// document).
var anonymousPrefixes = []string{"/auth/saml/", "/console/enter", "/.well-known/", "/api/v1/openapi.json"}

// limitFlags are roster serve's flags for abuse limits, load shedding and
// the access log.
type limitFlags struct {
	scim, api, console, anonymous *int
	trustXFF                      *bool
	maxInFlight                   *int
	accessLog                     *string
	sample                        *float64
	slow                          *time.Duration
}

func (l *limitFlags) register(f *flags) {
	l.scim = f.Int("scim-rate-limit", defaultSCIMRate, "requests per second each SCIM token may make, with bursts of twice that; an organization's scim_rate_limit setting replaces it for its tokens; 0 is no limit")
	l.api = f.Int("api-rate-limit", defaultAPIRate, "requests per second each API key or admin key may make, bursts of twice that; 0 is no limit")
	l.console = f.Int("console-rate-limit", defaultConsoleRate, "requests per second each console session may make, bursts of twice that; 0 is no limit")
	l.anonymous = f.Int("anonymous-rate-limit", defaultAnonymousRate, "requests per second each client address may make to the endpoints without a credential (SAML sign-in, setup links, discovery), bursts of twice that; 0 is no limit")
	l.trustXFF = f.Bool("trust-forwarded-for", false, "take the client address of anonymous requests from the last X-Forwarded-For entry; set it only behind a load balancer that sets the header")
	l.maxInFlight = f.Int("max-in-flight", defaultMaxInFlight, "requests served at once; past it roster answers 503 with Retry-After: 1 at once (never to /healthz, /readyz, /metrics); 0 is no cap")
	l.accessLog = f.String("access-log", string(server.AccessLogErrors), `which requests get a log line: "off", "errors" (status 400 and more but rate-limit and load-shedding refusals, which metrics count, and slow requests), "sampled" (those and --access-log-sample of the rest) or "all"`)
	l.sample = f.Float64("access-log-sample", 0.01, "with --access-log sampled, the share of other requests logged, between 0 and 1")
	l.slow = f.Duration("slow-request", server.DefaultSlowRequest, "requests slower than this are logged in every --access-log mode but off")
}

// limits are the rate limits roster serve applies, built from the flags.
type limits struct {
	credentials *auth.Limits
	anonymous   *ratelimit.Anonymous
}

// validate refuses nonsense values before roster serve opens anything.
func (l *limitFlags) validate() error {
	for name, v := range map[string]int{"scim-rate-limit": *l.scim, "api-rate-limit": *l.api, "console-rate-limit": *l.console, "anonymous-rate-limit": *l.anonymous, "max-in-flight": *l.maxInFlight} {
		if v < 0 {
			return fmt.Errorf("--%s %d: use 0 (no limit) or a positive number", name, v)
		}
	}
	if _, err := server.ParseAccessLogMode(*l.accessLog); err != nil {
		return fmt.Errorf("--access-log: %w", err)
	}
	if *l.sample < 0 || *l.sample > 1 {
		return fmt.Errorf("--access-log-sample %g: use a share between 0 and 1", *l.sample)
	}
	return nil
}

// build returns the rate limits; orgs is read for organizations' SCIM
// limits.
func (l *limitFlags) build(reg prometheus.Registerer, orgs auth.OrgReader) *limits {
	// Two sets of buckets: a spray of client addresses fills and evicts
	// only the anonymous ones, never a credential's half-empty bucket.
	buckets, addresses := ratelimit.New(ratelimit.DefaultMaxKeys, nil), ratelimit.New(ratelimit.DefaultMaxKeys, nil)
	metrics := ratelimit.NewMetrics(reg)
	return &limits{
		credentials: &auth.Limits{
			Buckets: buckets,
			Rates: map[auth.Kind]ratelimit.Rate{
				auth.SCIMToken:      ratelimit.PerSecond(*l.scim),
				auth.APIKey:         ratelimit.PerSecond(*l.api),
				auth.AdminKey:       ratelimit.PerSecond(*l.api),
				auth.ConsoleSession: ratelimit.PerSecond(*l.console),
			},
			Orgs:    orgs,
			Metrics: metrics,
		},
		anonymous: &ratelimit.Anonymous{
			Buckets:           addresses,
			Rate:              ratelimit.PerSecond(*l.anonymous),
			Prefixes:          anonymousPrefixes,
			TrustForwardedFor: *l.trustXFF,
			Metrics:           metrics,
		},
	}
}

// apply sets the server's shedding and access-log options; validate has
// checked them.
func (l *limitFlags) apply(s *server.Server) {
	mode, _ := server.ParseAccessLogMode(*l.accessLog)
	s.MaxInFlight, s.AccessLog, s.AccessLogSample = *l.maxInFlight, mode, *l.sample
	s.SlowRequest = *l.slow
	if s.SlowRequest == 0 {
		s.SlowRequest = -1 // server.Server reads 0 as the default
	}
}
