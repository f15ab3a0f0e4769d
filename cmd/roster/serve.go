package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"runtime/debug"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/rosterhq/roster/internal/events"
	"github.com/rosterhq/roster/internal/requestid"
	"github.com/rosterhq/roster/internal/scim"
	"github.com/rosterhq/roster/internal/server"
	"github.com/rosterhq/roster/internal/store/sqlstore"
)

func runServe(ctx context.Context, env *environment, args []string) error {
	f := newFlags(env, "serve", "serve [flags]",
		"Runs roster: the SCIM 2.0 endpoint for identity providers (/scim/v2), the host app's access API\n"+
			"(/api/v1), SAML sign-in, and /healthz, /readyz, /metrics. With no flags it keeps its data in\n"+
			"./roster-data (SQLite) and listens on 127.0.0.1:8080. Stops gracefully on SIGINT or SIGTERM.")
	var db dbFlags
	db.register(f)
	addr := f.String("addr", "127.0.0.1:8080", "listen address, host:port")
	baseURL := f.String("base-url", "", "public URL clients reach roster at, used in SCIM locations and SAML metadata (default: http://ADDR)")
	logFormat := f.String("log-format", "text", `log format: "text" or "json"`)
	logLevel := f.String("log-level", "info", `log level: "debug", "info", "warn" or "error"`)
	shutdown := f.Duration("shutdown-timeout", 20*time.Second, "how long in-flight requests may take to finish on stop")
	drain := f.Duration("drain-delay", 0, "how long /readyz reports 503 before the listener closes, for load balancers")
	var ssoOpts ssoOptions
	ssoOpts.register(f)
	var keep retentionFlags
	keep.register(f)
	lookupMB := f.Int("scim-lookup-cache-mb", scim.DefaultLookupCacheBytes>>20, "memory, in MiB, for answering SCIM userName lookups without the database (exact: each lookup checks the organization's event log first); 0 turns it off")
	gcPercent := f.Int("gc-percent", 200, "Go garbage-collector target (GOGC): the heap may grow this many percent over live data before a collection; the GOGC environment variable wins when set")
	allowPrivate := f.Bool(allowPrivateFlag, false, allowPrivateUsage)
	debugAddr := f.String("debug-addr", "", "if set, serve Go's profiler (/debug/pprof/) on this separate address; keep it on loopback")
	var lim limitFlags
	lim.register(f)
	if err := f.parse(args); err != nil {
		return err
	}
	if err := lim.validate(); err != nil {
		return err
	}
	logger, err := newLogger(env, *logFormat, *logLevel)
	if err != nil {
		return err
	}
	if env.getenv("GOGC") == "" {
		if *gcPercent <= 0 {
			return fmt.Errorf("--gc-percent %d: use a positive percentage (Go's default is 100)", *gcPercent)
		}
		debug.SetGCPercent(*gcPercent)
	}
	policy, err := keep.policy()
	if err != nil {
		return err
	}
	if err := ssoOpts.check(); err != nil {
		return err
	}
	if *lookupMB < 0 {
		return fmt.Errorf("--scim-lookup-cache-mb %d: use 0 (off) or a size in MiB", *lookupMB)
	}
	lookupBytes := *lookupMB << 20
	if lookupBytes == 0 {
		lookupBytes = -1 // scim.Handler reads 0 as the default
	}
	if *debugAddr != "" {
		if err := serveDebug(ctx, *debugAddr, logger); err != nil {
			return err
		}
	}
	s, err := db.create(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	orgs := newServices(s).orgs

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	registerDBStats(reg, s)

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", *addr, err)
	}
	base, err := publicBase(*baseURL, ln.Addr().String())
	if err != nil {
		ln.Close()
		return err
	}
	limits := lim.build(reg, orgs)
	reqLog, stopReqLog := startRequestLog(ctx, s, policy.Requests, reg, logger)
	defer stopReqLog()
	// One key ring signs the SETs of scim-events endpoints for the
	// dispatcher and redeliveries, and serves their JWKS.
	setKeys := &events.Keys{Store: s}
	mounts, err := surfaces(ctx, s, logger, reg, base.String(), ssoOpts, lookupBytes, reqLog, int(policy.Requests/(24*time.Hour)), events.Targets{AllowPrivate: *allowPrivate}, setKeys, limits)
	if err != nil {
		ln.Close()
		return err
	}
	defer startWebhooks(ctx, s, logger, &db, *allowPrivate, setKeys, base.String())()
	defer startAccessDeriver(ctx, s, logger, &db)()
	defer startRetention(ctx, s, policy, logger)()
	opts := &server.Server{
		Listener: ln, Logger: logger, Registry: reg, Ready: s,
		ShutdownTimeout: *shutdown, DrainDelay: *drain, MaxBody: scim.MaxBody,
		Guard: limits.anonymous.Wrap,
	}
	lim.apply(opts)
	srv := server.New(opts, mounts...)

	return srv.Run(ctx, func(bound net.Addr) {
		logger.Info("roster is listening", "addr", bound.String(), "base_url", base.String(), "database", db.describe(), "version", currentBuild().version)
		if page, err := orgs.ListOrgs(ctx, "", 1); err == nil && len(page) == 0 {
			firstStart(env, base.String(), &db)
		}
	})
}

// firstStart tells a newcomer what to do next, in commands they can paste
// as they are: started the way they started roster, on the same database.
func firstStart(env *environment, base string, db *dbFlags) {
	prog, dbArg := env.command(), db.args()
	fmt.Fprintf(env.stdout, `
roster is running. There is no organization yet; here is how to connect your identity provider.

  SCIM base URL (Okta "Base URL", Entra "Tenant URL"):  %s/scim/v2

  1. Create an organization on the enterprise plan (SCIM needs it); it prints the organization id:
       %s org create --name "Acme"%s --plan enterprise
  2. Create a SCIM token for it; it prints the token, shown only once:
       %s token create --org <organization id>%s --name okta
  3. Paste the URL and the token into Okta or Entra (docs/okta.md, docs/entra.md).

`, strings.TrimSuffix(base, "/"), prog, dbArg, prog, dbArg)
}

func newLogger(env *environment, format, level string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: use debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	var h slog.Handler
	switch format {
	case "text":
		h = slog.NewTextHandler(env.stderr, opts)
	case "json":
		h = slog.NewJSONHandler(env.stderr, opts)
	default:
		return nil, fmt.Errorf(`--log-format %q: use "text" or "json"`, format)
	}
	return slog.New(requestid.Handler{Handler: h}), nil
}

func registerDBStats(reg *prometheus.Registry, s *sqlstore.DB) {
	if s.Writer() == s.Reader() {
		reg.MustRegister(collectors.NewDBStatsCollector(s.Writer(), "roster"))
		return
	}
	reg.MustRegister(collectors.NewDBStatsCollector(s.Writer(), "roster_writer"),
		collectors.NewDBStatsCollector(s.Reader(), "roster_reader"))
}

// publicBase returns the URL clients use to reach roster.
func publicBase(baseURL, addr string) (*url.URL, error) {
	if baseURL == "" {
		baseURL = "http://" + addr
	}
	u, err := url.Parse(strings.TrimSuffix(baseURL, "/"))
	if err != nil || u.Scheme == "" || u.Host == "" {
		return nil, fmt.Errorf("--base-url %q: want an absolute URL such as https://roster.example.com", baseURL)
	}
	return u, nil
}
