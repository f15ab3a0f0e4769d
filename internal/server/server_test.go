package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/requestid"
	"github.com/rosterhq/roster/internal/server"
)

type surface map[string]http.HandlerFunc

func (s surface) Mount(mux *http.ServeMux) {
	for p, h := range s {
		mux.HandleFunc(p, h)
	}
}

type pinger struct{ err error }

func (p pinger) Ping(context.Context) error { return p.err }

func start(t *testing.T, s *server.Server, m ...server.Mounter) (base string, stop func() error) {
	t.Helper()
	srv := server.New(s, m...)
	ctx, cancel := context.WithCancel(context.Background())
	addrc := make(chan net.Addr, 1)
	errc := make(chan error, 1)
	go func() { errc <- srv.Run(ctx, func(a net.Addr) { addrc <- a }) }()
	select {
	case a := <-addrc:
		base = "http://" + a.String()
	case err := <-errc:
		t.Fatalf("Run: %v", err)
	}
	stopped := false
	stop = func() error {
		if stopped {
			return nil
		}
		stopped = true
		cancel()
		return <-errc
	}
	t.Cleanup(func() { stop() })
	return base, stop
}

func TestHealthAndReadiness(t *testing.T) {
	for _, tc := range []struct {
		name      string
		ping      error
		wantReady int
	}{
		{"database up", nil, 200},
		{"database down", errors.New("connection refused"), 503},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var logs bytes.Buffer
			base, _ := start(t, &server.Server{Addr: "127.0.0.1:0", Ready: pinger{tc.ping}, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
			if code := get(t, base+"/healthz").StatusCode; code != 200 {
				t.Errorf("/healthz = %d, want 200", code)
			}
			resp := get(t, base+"/readyz")
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.wantReady || strings.Contains(string(body), "connection refused") {
				t.Errorf("/readyz = %d %s, want %d without internals", resp.StatusCode, body, tc.wantReady)
			}
		})
	}
}

func get(t *testing.T, url string) *http.Response {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func TestMiddleware(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(requestid.Handler{Handler: slog.NewJSONHandler(&logs, nil)})
	base, _ := start(t, &server.Server{Addr: "127.0.0.1:0", Logger: logger, MaxBody: 16, AccessLog: server.AccessLogAll}, surface{
		"GET /boom": func(w http.ResponseWriter, r *http.Request) { panic("secret internal detail") },
		"POST /echo": func(w http.ResponseWriter, r *http.Request) {
			_, err := io.ReadAll(r.Body)
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				http.Error(w, "too large", http.StatusRequestEntityTooLarge)
				return
			}
			slog.New(logger.Handler()).InfoContext(r.Context(), "handled")
			w.WriteHeader(204)
		},
	})
	t.Run("panic is a 500 without internals", func(t *testing.T) {
		resp := get(t, base+"/boom")
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 500 || strings.Contains(string(body), "secret") || resp.Header.Get("X-Request-Id") == "" {
			t.Errorf("panic answered %d %s", resp.StatusCode, body)
		}
	})
	t.Run("body limit", func(t *testing.T) {
		resp, err := http.Post(base+"/echo", "text/plain", strings.NewReader(strings.Repeat("x", 17)))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("17-byte body over a 16-byte limit = %d, want 413", resp.StatusCode)
		}
	})
	t.Run("request id on every line", func(t *testing.T) {
		logs.Reset()
		req, _ := http.NewRequest("POST", base+"/echo", strings.NewReader("hi"))
		req.Header.Set("X-Request-Id", "abc-123")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.Header.Get("X-Request-Id") != "abc-123" {
			t.Errorf("X-Request-Id = %q", resp.Header.Get("X-Request-Id"))
		}
		time.Sleep(50 * time.Millisecond)
		lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
		if len(lines) < 2 {
			t.Fatalf("log lines = %q", lines)
		}
		for _, l := range lines {
			var rec map[string]any
			json.Unmarshal([]byte(l), &rec)
			if rec["request_id"] != "abc-123" {
				t.Errorf("log line without the request id: %s", l)
			}
		}
	})
	t.Run("forged request id is replaced", func(t *testing.T) {
		req, _ := http.NewRequest("GET", base+"/healthz", nil)
		req.Header.Set("X-Request-Id", "x\" level=ERROR")
		resp, _ := http.DefaultClient.Do(req)
		resp.Body.Close()
		if id := resp.Header.Get("X-Request-Id"); strings.Contains(id, " ") || id == "" {
			t.Errorf("request id %q accepted from the caller", id)
		}
	})
	t.Run("metrics by route", func(t *testing.T) {
		body, _ := io.ReadAll(get(t, base+"/metrics").Body)
		if !strings.Contains(string(body), `roster_http_requests_total{code="500",method="GET",pattern="GET /boom"} 1`) {
			t.Errorf("metrics lack the request count by route:\n%s", body)
		}
	})
	t.Run("unknown path is JSON 404", func(t *testing.T) {
		resp := get(t, base+"/nope")
		if resp.StatusCode != 404 || resp.Header.Get("Content-Type") != "application/json" {
			t.Errorf("/nope = %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
	})
}

func TestGracefulShutdownFinishesInFlight(t *testing.T) {
	started := make(chan struct{})
	base, stop := start(t, &server.Server{Addr: "127.0.0.1:0", Logger: slog.New(slog.DiscardHandler)}, surface{
		"GET /slow": func(w http.ResponseWriter, r *http.Request) {
			close(started)
			time.Sleep(300 * time.Millisecond)
			io.WriteString(w, "done")
		},
	})
	result := make(chan string, 1)
	go func() {
		resp, err := http.Get(base + "/slow")
		if err != nil {
			result <- "error: " + err.Error()
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		result <- string(b)
	}()
	<-started
	if err := stop(); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	if got := <-result; got != "done" {
		t.Errorf("in-flight request got %q, want it to finish", got)
	}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Error("server still accepts connections after shutdown")
	}
}

// syncBuffer is a log sink safe to read while the server writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestClientGoneIsNotAServerError: a client that hangs up while its query
// runs makes the handler fail with a 500 nobody reads; the access log
// says what happened, at info, with 499, and the metrics count it apart
// from 5xx.
func TestClientGoneIsNotAServerError(t *testing.T) {
	var logs syncBuffer
	logger := slog.New(slog.NewJSONHandler(&logs, nil))
	base, _ := start(t, &server.Server{Addr: "127.0.0.1:0", Logger: logger}, surface{
		"GET /slow": func(w http.ResponseWriter, r *http.Request) {
			<-r.Context().Done() // a query interrupted by the cancellation
			http.Error(w, "query users: "+r.Context().Err().Error(), http.StatusInternalServerError)
		},
	})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", base+"/slow", nil)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Fatal("the request finished; want the client to give up")
	}
	var line map[string]any
	for deadline := time.Now().Add(5 * time.Second); line == nil && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		for _, l := range strings.Split(logs.String(), "\n") {
			if strings.Contains(l, `"path":"/slow"`) {
				json.Unmarshal([]byte(l), &line)
			}
		}
	}
	if line == nil {
		t.Fatalf("no access log line for /slow in:\n%s", logs.String())
	}
	if line["msg"] != "client went away" || line["level"] != "INFO" || line["status"] != float64(499) {
		t.Errorf("access log = %v; want client went away, INFO, 499", line)
	}
	body, _ := io.ReadAll(get(t, base+"/metrics").Body)
	for _, want := range []string{
		`roster_http_client_gone_total{method="GET",pattern="GET /slow"} 1`,
		`roster_http_requests_total{code="499",method="GET",pattern="GET /slow"} 1`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if strings.Contains(string(body), `code="500",method="GET",pattern="GET /slow"`) {
		t.Errorf("the hang-up is counted as a 500:\n%s", body)
	}
}

// TestFallbackAnswersErrorJSON: unknown paths answer the host API's error
// JSON, and a known path asked with another method 405 with Allow.
func TestFallbackAnswersErrorJSON(t *testing.T) {
	base, _ := start(t, &server.Server{Addr: "127.0.0.1:0", Logger: slog.New(slog.DiscardHandler)}, surface{
		"GET /api/v1/things/{id}":    func(w http.ResponseWriter, r *http.Request) {},
		"DELETE /api/v1/things/{id}": func(w http.ResponseWriter, r *http.Request) {},
	})
	for _, tc := range []struct {
		method, path string
		status       int
		code, allow  string
	}{
		{"GET", "/api/v1/nope", 404, "not_found", ""},
		{"GET", "/elsewhere", 404, "not_found", ""},
		{"PUT", "/api/v1/things/1", 405, "method_not_allowed", "GET, HEAD, DELETE"},
	} {
		req, _ := http.NewRequest(tc.method, base+tc.path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body struct {
			Error struct{ Code, Message string }
		}
		err = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != tc.status || body.Error.Code != tc.code || body.Error.Message == "" || resp.Header.Get("Allow") != tc.allow {
			t.Errorf("%s %s = %d %+v (%v), Allow %q; want %d %s, Allow %q", tc.method, tc.path, resp.StatusCode, body, err, resp.Header.Get("Allow"), tc.status, tc.code, tc.allow)
		}
	}
}
