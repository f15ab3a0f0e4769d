package server_test

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

	"github.com/rosterhq/roster/internal/server"
)

// TestShedding: past MaxInFlight a request is answered 503 with
// Retry-After: 1 at once, in SCIM's error JSON on SCIM and the API's
// elsewhere, while health, readiness and metrics still answer.
func TestShedding(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	block := func(w http.ResponseWriter, r *http.Request) {
		entered <- struct{}{}
		<-release
	}
	var logs syncBuffer
	srv := server.New(&server.Server{Logger: slog.New(slog.NewTextHandler(&logs, nil)), MaxInFlight: 2, Ready: pinger{}}, surface{
		"GET /block":         block,
		"GET /scim/v2/Users": func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(200) },
		"GET /api/v1/org":    func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(200) },
	})
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			srv.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/block", nil))
		}()
		<-entered
	}
	serve := func(path string) (*httptest.ResponseRecorder, time.Duration) {
		w := httptest.NewRecorder()
		start := time.Now()
		srv.ServeHTTP(w, httptest.NewRequest("GET", path, nil))
		return w, time.Since(start)
	}
	w, took := serve("/scim/v2/Users")
	var scim struct {
		Schemas []string
		Status  string
	}
	json.Unmarshal(w.Body.Bytes(), &scim)
	if w.Code != 503 || w.Header().Get("Retry-After") != "1" || scim.Status != "503" ||
		len(scim.Schemas) != 1 || scim.Schemas[0] != "urn:ietf:params:scim:api:messages:2.0:Error" || w.Header().Get("Content-Type") != "application/scim+json" {
		t.Errorf("SCIM request over the cap = %d Retry-After %q %s, want 503 SCIM error with Retry-After 1", w.Code, w.Header().Get("Retry-After"), w.Body)
	}
	if took > time.Second {
		t.Errorf("refusing took %v: a shed request must not wait", took)
	}
	w, _ = serve("/api/v1/org")
	var api struct{ Error struct{ Code string } }
	json.Unmarshal(w.Body.Bytes(), &api)
	if w.Code != 503 || w.Header().Get("Retry-After") != "1" || api.Error.Code != "overloaded" {
		t.Errorf("API request over the cap = %d %s, want 503 overloaded", w.Code, w.Body)
	}
	for _, path := range []string{"/healthz", "/readyz", "/metrics"} {
		if w, _ := serve(path); w.Code != 200 {
			t.Errorf("%s while the server is full = %d, want 200: never shed", path, w.Code)
		}
	}
	w, _ = serve("/metrics")
	if !strings.Contains(w.Body.String(), "roster_http_shed_total 2") {
		t.Errorf("metrics do not count the two shed requests:\n%s", w.Body)
	}
	if strings.Contains(logs.String(), "status=503") {
		t.Errorf("shed requests were logged in the default mode; roster_http_shed_total counts them:\n%s", logs.String())
	}
	close(release)
	wg.Wait()
	if w, _ := serve("/scim/v2/Users"); w.Code != 200 {
		t.Errorf("after the blocked requests finished = %d, want 200", w.Code)
	}
}

func TestAccessLogModes(t *testing.T) {
	for _, tc := range []struct {
		mode   server.AccessLogMode
		sample float64
		want   int
	}{
		{server.AccessLogOff, 0, 0},
		{server.AccessLogErrors, 0, 2},     // the 404 and the slow request
		{server.AccessLogSampled, 0.1, 12}, // those, and every tenth of the 100 others
		{server.AccessLogAll, 0, 103},      // and the 429
		{"", 0, 2},                         // errors is the default
	} {
		t.Run(string(tc.mode), func(t *testing.T) {
			var logs syncBuffer
			srv := server.New(&server.Server{
				Logger:    slog.New(slog.NewTextHandler(&logs, nil)),
				AccessLog: tc.mode, AccessLogSample: tc.sample, SlowRequest: 50 * time.Millisecond,
			}, surface{
				"GET /fast": func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") },
				"GET /slow": func(w http.ResponseWriter, r *http.Request) { time.Sleep(60 * time.Millisecond) },
				// A rate limit's refusal: counted by its metric, not logged
				// but in mode all.
				"GET /limited": func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTooManyRequests) },
			})
			srv.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/limited", nil))
			for range 100 {
				srv.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/fast", nil))
			}
			srv.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/nope", nil))
			srv.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/slow", nil))
			got := strings.Count(logs.String(), "msg=request ")
			if got != tc.want {
				t.Errorf("mode %q logged %d requests, want %d:\n%s", tc.mode, got, tc.want, logs.String())
			}
			if tc.want > 0 && tc.mode != server.AccessLogAll {
				if !strings.Contains(logs.String(), "status=404") || !strings.Contains(logs.String(), "path=/slow") {
					t.Errorf("mode %q did not log the error and the slow request:\n%s", tc.mode, logs.String())
				}
				if strings.Contains(logs.String(), "status=429") {
					t.Errorf("mode %q logged a rate limit's refusal:\n%s", tc.mode, logs.String())
				}
			}
		})
	}
	if _, err := server.ParseAccessLogMode("verbose"); err == nil {
		t.Error(`ParseAccessLogMode("verbose") accepted`)
	}
}
