package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rosterhq/roster/internal/access"
	"github.com/rosterhq/roster/internal/api"
	"github.com/rosterhq/roster/internal/authzen"
	"github.com/rosterhq/roster/internal/console"
	"github.com/rosterhq/roster/internal/directory"
	"github.com/rosterhq/roster/internal/events"
	"github.com/rosterhq/roster/internal/reqlog"
	"github.com/rosterhq/roster/internal/scim"
	"github.com/rosterhq/roster/internal/server"
	"github.com/rosterhq/roster/internal/signin"
	"github.com/rosterhq/roster/internal/sso"
	"github.com/rosterhq/roster/internal/store/sqlstore"
	"github.com/rosterhq/roster/internal/token"
)

// surfaces builds the HTTP surfaces mounted on the server. baseURL is the
// public URL of roster, used in the locations it hands out; lookupBytes is
// scim.Handler.LookupCacheBytes; reqLog, when not nil, records SCIM
// requests for the provisioning log, kept reqLogDays; webhookTargets is
// the SSRF policy endpoints made through the API and the console are
// checked against, the dispatcher's; setKeys signs scim-events SETs and
// serves their JWKS; lim holds the per-credential rate limits every
// surface applies and the client address the anonymous limit counts.
func surfaces(ctx context.Context, s *sqlstore.DB, logger *slog.Logger, reg *prometheus.Registry, baseURL string, ssoOpts ssoOptions, lookupBytes int,
	reqLog *reqlog.Recorder, reqLogDays int, webhookTargets events.Targets, setKeys *events.Keys, lim *limits) ([]server.Mounter, error) {
	limits := lim.credentials
	tokens := &token.Service{Store: s, CacheTTL: time.Second, Logger: logger} // Logger: who creates and revokes admin keys
	// On PostgreSQL, revocations made through other instances reach this
	// one's token cache at once.
	if err := tokens.Watch(ctx); err != nil {
		return nil, err
	}
	// resolver is the in-memory access index every surface shares; each
	// directory change invalidates it so checks in this process see it at
	// once (other instances see it within its PollInterval).
	resolver := &access.Resolver{Store: s, Logger: logger}
	dir := &directory.Service{Store: s, Changed: resolver.Invalidate}
	acc := &access.Service{Store: s, Resolver: resolver}
	signIn, err := ssoSurface(ctx, s, dir, acc, logger, reg, baseURL, ssoOpts)
	if err != nil {
		return nil, err
	}
	provisioning := &scim.Handler{Directory: dir, Orgs: acc, Tokens: tokens, BaseURL: baseURL, Logger: logger, OrgCacheTTL: time.Second, LookupCacheBytes: lookupBytes, Me: signIn.MeHandler(),
		SecurityEventURIs: events.SCIMEventURIs, RateLimits: limits, ClientAddr: lim.anonymous.ClientAddr}
	if reqLog != nil {
		// A nil *Recorder in the interface would not be a nil Log.
		provisioning.Log = reqLog
	}
	signIn.Renderer = provisioning
	// An owner signing in to the console through SSO comes back to the
	// console, not to the host app's hand-off.
	signIn.RosterPaths = []string{console.Prefix + "/sso/"}
	// A Test sign-in from the console's SAML page ends on its result page.
	signIn.TestResultPath = console.Prefix + "/saml/test/"
	hooks := &events.Service{Store: s, Targets: webhookTargets, Keys: setKeys, Issuer: baseURL}
	return []server.Mounter{
		provisioning,
		// The public keys that verify the SETs of scim-events endpoints.
		&events.JWKSHandler{Keys: setKeys},
		&console.Handler{
			Tokens:         tokens,
			Orgs:           acc,
			Groups:         dir,
			SAML:           signIn.Service,
			Sharing:        acc,
			WhoHas:         resolver,
			Names:          dir,
			Requests:       &reqlog.Service{Store: s},
			RequestLogDays: reqLogDays,
			MetadataFetch:  ssoOpts.allowOutbound,
			Members:        signIn,
			Roles:          resolver,
			// The groups, users, settings and events pages.
			Directory: dir,
			Reach:     resolver,
			Admin:     acc,
			Domains:   signIn.Service,
			SignIns:   signIn.Service,
			Tester:    signIn,
			BaseURL:   baseURL,
			Logger:    logger,

			Webhooks:   hooks, // the API's service and SSRF policy
			RateLimits: limits,
		},
		signIn,
		&api.Handler{
			Access:     acc,
			Directory:  dir,
			Keys:       tokens,
			Webhooks:   hooks,
			SSO:        signIn.Service,
			RateLimits: limits,
			BaseURL:    baseURL,
			Logger:     logger,
		},
		&authzen.Handler{Access: resolver, Directory: dir, Tokens: tokens, BaseURL: baseURL, Logger: logger, RateLimits: limits},
	}, nil
}

// ssoSurface builds the SAML and session surface and starts its
// maintenance (purging expired sign-in records; refreshing metadata URLs
// when outbound HTTP is allowed) until ctx ends.
func ssoSurface(ctx context.Context, s sso.Store, users sso.Users, acc *access.Service, logger *slog.Logger, reg prometheus.Registerer, baseURL string, o ssoOptions) (*signin.Handler, error) {
	metrics, err := sso.NewMetrics(reg)
	if err != nil {
		return nil, err
	}
	svc := &sso.Service{Store: s, Orgs: acc, Users: users, Joiner: acc, BaseURL: baseURL, Logger: logger,
		IdleTimeout: o.idle, MaxAge: o.maxAge, DefaultRedirectURL: o.redirectURL, Metrics: metrics}
	refresh := time.Duration(0)
	if o.allowOutbound {
		refresh = o.refresh
	}
	go svc.Run(ctx, refresh)
	return &signin.Handler{Service: svc, Logger: logger}, nil
}

// startWebhooks runs the webhook dispatcher of "roster serve" until ctx
// ends or the returned function is called, which waits for it to stop.
// SQLite is served by one process, so its dispatcher has a fixed name and
// a restart resumes its leases at once; on PostgreSQL each instance gets a
// name of its own, and takes over a lost instance's endpoints when their
// leases run out.
// setKeys signs the SETs of scim-events endpoints, issued by baseURL.
func startWebhooks(ctx context.Context, s events.Store, logger *slog.Logger, db *dbFlags, allowPrivate bool, setKeys *events.Keys, baseURL string) (stop func()) {
	owner := instanceOwner(db)
	ctx, cancel := context.WithCancel(ctx)
	d := &events.Dispatcher{Store: s, Owner: owner, Targets: events.Targets{AllowPrivate: allowPrivate}, Logger: logger,
		Keys: setKeys, Issuer: baseURL}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := d.Run(ctx); err != nil {
			logger.Error("webhook dispatcher stopped", "err", err)
		}
	}()
	if allowPrivate {
		logger.Warn("webhooks may reach private and loopback addresses (--" + allowPrivateFlag + ")")
	}
	return func() {
		cancel()
		<-done
	}
}

// instanceOwner names this process in the leases of the event log's
// consumers: fixed on SQLite, which one process serves, so a restart
// resumes its leases at once; unique per instance on PostgreSQL.
func instanceOwner(db *dbFlags) string {
	if kind, _ := db.target(); kind != "postgres" {
		return "sqlite"
	}
	host, _ := os.Hostname()
	b := make([]byte, 4)
	rand.Read(b)
	return fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b))
}

// startAccessDeriver runs the access.changed deriver of "roster serve"
// until ctx ends or the returned function is called, which waits for it
// to stop.
func startAccessDeriver(ctx context.Context, s events.DeriveStore, logger *slog.Logger, db *dbFlags) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	d := &events.Deriver{Store: s, Owner: instanceOwner(db), Logger: logger}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := d.Run(ctx); err != nil {
			logger.Error("access.changed deriver stopped", "err", err)
		}
	}()
	return func() {
		cancel()
		<-done
	}
}
