package server_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/server"
)

// The backend of the shedding measurement: workers requests served at
// once for service each, like a database pool, and a queue for the rest.
const (
	workers = 4
	service = 20 * time.Millisecond
	// capacity is what the backend sustains at best: 200 requests/s.
	capacity = float64(workers) / 0.020
	// sustainable is the load the measurement calls normal, half the
	// capacity, where queueing barely shows.
	sustainable = capacity / 2
)

// load sends requests at rate per second for d (open loop: arrivals do
// not wait for answers, as independent identity providers do not) and
// returns the latencies of the admitted (200) answers and the count of
// 503s.
func load(t *testing.T, base string, rate float64, d time.Duration) (admitted []time.Duration, shed int) {
	t.Helper()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1024, MaxConnsPerHost: 0}, Timeout: 30 * time.Second}
	defer client.CloseIdleConnections()
	var mu sync.Mutex
	var wg sync.WaitGroup
	tick := time.NewTicker(time.Duration(float64(time.Second) / rate))
	defer tick.Stop()
	end := time.After(d)
	for {
		select {
		case <-end:
			wg.Wait()
			return admitted, shed
		case <-tick.C:
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			start := time.Now()
			resp, err := client.Get(base + "/work")
			if err != nil {
				t.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			took := time.Since(start)
			mu.Lock()
			defer mu.Unlock()
			switch resp.StatusCode {
			case http.StatusOK:
				admitted = append(admitted, took)
			case http.StatusServiceUnavailable:
				shed++
			default:
				t.Errorf("status %d", resp.StatusCode)
			}
		}()
	}
}

func p99(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)*99/100]
}

// backend starts a server over the simulated backend with the cap given.
func backend(t *testing.T, maxInFlight int) string {
	t.Helper()
	sem := make(chan struct{}, workers)
	srv := server.New(&server.Server{Logger: slog.New(slog.DiscardHandler), MaxInFlight: maxInFlight}, surface{
		"GET /work": func(w http.ResponseWriter, r *http.Request) {
			sem <- struct{}{}
			time.Sleep(service)
			<-sem
			io.WriteString(w, "ok")
		},
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	srv.Listener = ln
	go func() { done <- srv.Run(ctx, nil) }()
	t.Cleanup(func() { cancel(); <-done })
	return "http://" + ln.Addr().String()
}

// TestSheddingKeepsAdmittedLatency measures the p99 of admitted requests
// at the sustainable load and at four times it, with the in-flight cap at
// what the backend serves at once, and without a cap. With the cap the p99 stays within twice its unloaded value; without
// it the queue, and the p99, grow for as long as the overload lasts.
// docs/benchmarks.md records its figures (ROSTER_MEASURE=1 go test -run
// TestSheddingKeepsAdmittedLatency -v ./internal/server/).
func TestSheddingKeepsAdmittedLatency(t *testing.T) {
	// A latency measurement, not a check of behaviour (TestShedding is
	// that): beside other packages' tests on two cores its ratio swings
	// from 1.1× to 3.3×, so CI does not run it.
	if os.Getenv("ROSTER_MEASURE") == "" {
		t.Skip("a 9-second load measurement: ROSTER_MEASURE=1 runs it")
	}
	const d = 3 * time.Second
	capped := backend(t, workers)
	unloaded, shedUnloaded := load(t, capped, sustainable, d)
	loaded, shed := load(t, capped, 4*sustainable, d)
	open, _ := load(t, backend(t, 0), 4*sustainable, d)
	t.Logf("backend: %d workers × %v (capacity %.0f/s); sustainable load %.0f/s", workers, service, capacity, sustainable)
	t.Logf("1× load, cap %d:   %d admitted, %d shed, p99 %v", workers, len(unloaded), shedUnloaded, p99(unloaded))
	t.Logf("4× load, cap %d:   %d admitted, %d shed (503), p99 %v (%.2f× unloaded)", workers, len(loaded), shed, p99(loaded), float64(p99(loaded))/float64(p99(unloaded)))
	t.Logf("4× load, no cap: %d admitted, p99 %v (%.1f× unloaded)", len(open), p99(open), float64(p99(open))/float64(p99(unloaded)))
	if p99(loaded) > 2*p99(unloaded) {
		t.Errorf("under 4× load the admitted p99 is %v, more than twice the unloaded %v", p99(loaded), p99(unloaded))
	}
	if shed == 0 {
		t.Error("no request was shed under 4× the sustainable load")
	}
	if p99(open) <= 2*p99(unloaded) {
		t.Errorf("without a cap the p99 under 4× load is %v, within twice the unloaded %v: the measurement does not overload the backend", p99(open), p99(unloaded))
	}
}
