// Package server builds roster's HTTP server: routing, the middleware every
// request passes through (request id, access log, metrics, panic recovery,
// body limits, load shedding), the operational endpoints (/healthz, /readyz, /metrics) and
// graceful shutdown. The surfaces (SCIM, API, SSO, console) mount their own
// routes; this package knows none of them, except that a request it sheds
// under /scim/ is answered in SCIM's error JSON, which identity providers
// parse.
package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/rosterhq/roster/internal/requestid"
)

// Mounter is a surface that registers its routes.
type Mounter interface {
	Mount(mux *http.ServeMux)
}

// Pinger checks a dependency for /readyz.
type Pinger interface {
	Ping(ctx context.Context) error
}

// DefaultMaxBody bounds request bodies of surfaces that set no limit of
// their own.
const DefaultMaxBody = 1 << 20

// Server is roster's HTTP server.
type Server struct {
	// Addr is the listen address, host:port; ignored when Listener is set.
	Addr string
	// Listener, when set, is served instead of listening on Addr, so the
	// caller can learn the bound address before building the surfaces.
	Listener net.Listener
	Logger   *slog.Logger
	// Registry receives the HTTP metrics and is served on /metrics.
	Registry *prometheus.Registry
	// Ready is pinged by /readyz.
	Ready Pinger
	// MaxBody bounds request bodies; DefaultMaxBody when 0. A surface may
	// lower or raise it for its routes with its own http.MaxBytesReader.
	MaxBody int64
	// ShutdownTimeout bounds how long in-flight requests may take to
	// finish after a stop signal; 20s when 0.
	ShutdownTimeout time.Duration
	// DrainDelay is how long /readyz answers 503 before the listener
	// closes, so a load balancer stops sending new requests first.
	DrainDelay time.Duration
	// Guard, when set, wraps the routes inside the middleware, so what it
	// refuses (the anonymous endpoints' rate limit) is logged and counted
	// like any answer.
	Guard func(http.Handler) http.Handler
	// MaxInFlight caps the requests served at once; past it a request is
	// answered 503 with Retry-After: 1 at once rather than queued, so the
	// requests admitted keep their latency. 0 is no cap. /healthz, /readyz
	// and /metrics are never refused.
	MaxInFlight int
	// AccessLog says which requests get a log line; AccessLogErrors when
	// "".
	AccessLog AccessLogMode
	// AccessLogSample is the share of requests logged in
	// AccessLogSampled mode, between 0 and 1: every 1/AccessLogSample-th
	// request.
	AccessLogSample float64
	// SlowRequest is the duration past which a request is logged in every
	// mode but off; DefaultSlowRequest when 0, never when negative.
	SlowRequest time.Duration

	mux      *http.ServeMux
	handler  http.Handler
	draining atomic.Bool
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	gone     *prometheus.CounterVec
	shed     prometheus.Counter
	inFlight atomic.Int64
	// seen counts requests for sampling: a counter, not a random draw, so
	// the share logged is exact and a test can rely on it.
	seen        atomic.Uint64
	sampleEvery uint64
}

// AccessLogMode chooses the requests the access log records.
type AccessLogMode string

// The access log modes.
const (
	// AccessLogOff logs no request.
	AccessLogOff AccessLogMode = "off"
	// AccessLogErrors logs answers of 400 and more, and slow requests;
	// not the refusals of rate limits (429) and load shedding (503 at
	// once), which come by the thousand exactly when the server is under
	// pressure, and which roster_rate_limited_total and
	// roster_http_shed_total count instead.
	AccessLogErrors AccessLogMode = "errors"
	// AccessLogSampled logs what AccessLogErrors does, and a share of the
	// rest (AccessLogSample).
	AccessLogSampled AccessLogMode = "sampled"
	// AccessLogAll logs every request.
	AccessLogAll AccessLogMode = "all"
)

// ParseAccessLogMode returns the mode named s.
func ParseAccessLogMode(s string) (AccessLogMode, error) {
	switch m := AccessLogMode(s); m {
	case AccessLogOff, AccessLogErrors, AccessLogSampled, AccessLogAll:
		return m, nil
	}
	return "", fmt.Errorf("access log mode %q: use off, errors, sampled or all", s)
}

// DefaultSlowRequest is the SlowRequest of a server that sets none.
const DefaultSlowRequest = time.Second

// neverShed are the paths MaxInFlight never refuses: an overloaded
// instance must still say it is alive and be observable, or a load
// balancer or orchestrator would kill it for being busy.
var neverShed = map[string]bool{"/healthz": true, "/readyz": true, "/metrics": true}

// StatusClientClosedRequest is the status logged and counted for a request
// whose client hung up before the answer (nginx's number): nobody reads
// the answer, and it is no failure of the server, so it is not a 5xx.
const StatusClientClosedRequest = 499

// methods are the methods the fallback probes to say which a path allows.
var methods = []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

// fallback answers requests no route matched, in the error JSON of the
// host API, {"error": {"code", "message"}}: 405 with Allow when the path
// exists with other methods, else 404. (SCIM paths never get here: SCIM
// answers its own, in SCIM's error JSON.)
func (s *Server) fallback(w http.ResponseWriter, r *http.Request) {
	var allow []string
	for _, m := range methods {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := s.mux.Handler(probe); pattern != "" && pattern != "/" {
			allow = append(allow, m)
		}
	}
	if len(allow) > 0 {
		w.Header().Set("Allow", strings.Join(allow, ", "))
		writeError(w, http.StatusMethodNotAllowed, "method_not_allowed",
			fmt.Sprintf("%s does not take %s; it takes %s", r.URL.Path, r.Method, strings.Join(allow, ", ")))
		return
	}
	msg := "no such endpoint: " + r.Method + " " + r.URL.Path
	if strings.HasPrefix(r.URL.Path, "/api/") {
		msg += "; /api/v1/openapi.json lists the host API's endpoints"
	}
	writeError(w, http.StatusNotFound, "not_found", msg)
}

// writeError writes the error JSON the host API uses.
func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]any{"error": map[string]string{"code": code, "message": msg}})
}

// New returns a server with the surfaces mounted.
func New(s *Server, surfaces ...Mounter) *Server {
	if s.Logger == nil {
		s.Logger = slog.Default()
	}
	if s.Registry == nil {
		s.Registry = prometheus.NewRegistry()
	}
	if s.MaxBody == 0 {
		s.MaxBody = DefaultMaxBody
	}
	s.mux = http.NewServeMux()
	s.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "roster_http_requests_total",
		Help: "HTTP requests by route pattern, method and status code.",
	}, []string{"pattern", "method", "code"})
	s.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "roster_http_request_duration_seconds",
		Help:    "HTTP request latency by route pattern and method.",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
	}, []string{"pattern", "method"})
	s.gone = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "roster_http_client_gone_total",
		Help: "Requests whose client hung up before the answer (logged with status 499), by route pattern and method.",
	}, []string{"pattern", "method"})
	s.shed = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "roster_http_shed_total",
		Help: "Requests refused with 503 because --max-in-flight requests were already being served.",
	})
	s.Registry.MustRegister(s.requests, s.duration, s.gone, s.shed)
	if s.AccessLog == "" {
		s.AccessLog = AccessLogErrors
	}
	if s.SlowRequest == 0 {
		s.SlowRequest = DefaultSlowRequest
	}
	if s.AccessLogSample > 0 {
		s.sampleEvery = uint64(math.Round(1 / min(s.AccessLogSample, 1)))
	}

	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	s.mux.HandleFunc("GET /readyz", s.readyz)
	s.mux.Handle("GET /metrics", promhttp.HandlerFor(s.Registry, promhttp.HandlerOpts{Registry: s.Registry}))
	for _, m := range surfaces {
		m.Mount(s.mux)
	}
	s.mux.HandleFunc("/", s.fallback)
	var routes http.Handler = s.mux
	if s.Guard != nil {
		routes = s.Guard(routes)
	}
	s.handler = s.middleware(routes)
	return s
}

// ServeHTTP serves a request through the middleware.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	if s.draining.Load() {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "shutting down"})
		return
	}
	if s.Ready != nil {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := s.Ready.Ping(ctx); err != nil {
			s.Logger.ErrorContext(r.Context(), "readiness check failed", "err", err)
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "database unavailable"})
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

// recorder captures the status code for logs and metrics.
type recorder struct {
	http.ResponseWriter
	code  int
	bytes int64
}

func (r *recorder) WriteHeader(code int) {
	if r.code == 0 {
		r.code = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.code == 0 {
		r.code = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(b)
	r.bytes += int64(n)
	return n, err
}

// Flush lets streaming handlers flush through the recorder.
func (r *recorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap gives http.ResponseController access to the underlying writer.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

func (s *Server) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get("X-Request-Id")
		if !validRequestID(id) {
			id = requestid.New()
		}
		w.Header().Set("X-Request-Id", id)
		ctx := requestid.With(r.Context(), id)
		r = r.WithContext(ctx)
		r.Body = http.MaxBytesReader(w, r.Body, s.MaxBody)
		rec := &recorder{ResponseWriter: w}
		shed := false
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.Logger.ErrorContext(ctx, "handler panicked", "panic", fmt.Sprint(p), "method", r.Method, "path", r.URL.Path)
				if rec.code == 0 {
					writeError(rec, http.StatusInternalServerError, "internal", "internal error; the request id "+id+" identifies it in the server log")
				}
			}
			pattern := r.Pattern
			if pattern == "" || pattern == "/" {
				pattern = "unmatched"
			}
			code := rec.code
			if code == 0 {
				code = http.StatusOK
			}
			elapsed := time.Since(start)
			level, msg := slog.LevelInfo, "request"
			if ctx.Err() != nil {
				// The client hung up: whatever the handler answered (a 500
				// for a query its cancellation interrupted), nobody reads
				// it, and the server did not fail.
				code, msg = StatusClientClosedRequest, "client went away"
				s.gone.WithLabelValues(pattern, r.Method).Inc()
			} else if code >= 500 {
				level = slog.LevelError
			}
			s.requests.WithLabelValues(pattern, r.Method, strconv.Itoa(code)).Inc()
			s.duration.WithLabelValues(pattern, r.Method).Observe(elapsed.Seconds())
			if s.logs(code, elapsed, shed) {
				s.Logger.Log(ctx, level, msg, "method", r.Method, "path", r.URL.Path, "pattern", pattern,
					"status", code, "bytes", rec.bytes, "duration_ms", float64(elapsed.Microseconds())/1000, "remote", r.RemoteAddr)
			}
		}()
		if s.MaxInFlight > 0 && !neverShed[r.URL.Path] {
			n := s.inFlight.Add(1)
			defer s.inFlight.Add(-1)
			if n > int64(s.MaxInFlight) {
				shed = true
				s.shed.Inc()
				overloaded(rec, r)
				return
			}
		}
		next.ServeHTTP(rec, r)
	})
}

// logs reports whether the access log records a request that was
// answered code after elapsed; shed reports a request refused for load.
func (s *Server) logs(code int, elapsed time.Duration, shed bool) bool {
	switch s.AccessLog {
	case AccessLogOff:
		return false
	case AccessLogAll:
		return true
	}
	if s.SlowRequest > 0 && elapsed >= s.SlowRequest {
		return true
	}
	if code >= 400 && code != http.StatusTooManyRequests && !shed {
		return true
	}
	return s.AccessLog == AccessLogSampled && s.sampleEvery > 0 && s.seen.Add(1)%s.sampleEvery == 0
}

// overloaded answers a shed request: 503 with Retry-After: 1, in SCIM's
// error JSON on SCIM (identity providers parse it, RFC 7644 §3.12) and in
// the host API's elsewhere.
func overloaded(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Retry-After", "1")
	const msg = "roster is serving as many requests as it can; retry in a second"
	if strings.HasPrefix(r.URL.Path, "/scim/") {
		w.Header().Set("Content-Type", "application/scim+json")
		w.WriteHeader(http.StatusServiceUnavailable)
		json.NewEncoder(w).Encode(map[string]any{
			"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:Error"},
			"status":  "503",
			"detail":  msg,
		})
		return
	}
	writeError(w, http.StatusServiceUnavailable, "overloaded", msg)
}

// validRequestID accepts a caller's id only if it is short and plain, so a
// log line cannot be forged through it.
func validRequestID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}

// Run listens on Addr and serves until ctx is cancelled, then shuts down
// gracefully: /readyz turns 503, new connections stop after DrainDelay, and
// in-flight requests get ShutdownTimeout to finish. ready, when not nil,
// receives the bound address once the listener is open.
func (s *Server) Run(ctx context.Context, ready func(addr net.Addr)) error {
	ln := s.Listener
	if ln == nil {
		var err error
		if ln, err = net.Listen("tcp", s.Addr); err != nil {
			return fmt.Errorf("listen on %s: %w", s.Addr, err)
		}
	}
	hs := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      5 * time.Minute, // a 100,000-member group streams for a while
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.Logger.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	if ready != nil {
		ready(ln.Addr())
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	s.draining.Store(true)
	s.Logger.Info("shutting down: finishing in-flight requests")
	if s.DrainDelay > 0 {
		time.Sleep(s.DrainDelay)
	}
	timeout := s.ShutdownTimeout
	if timeout == 0 {
		timeout = 20 * time.Second
	}
	sctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	s.Logger.Info("stopped")
	return nil
}
