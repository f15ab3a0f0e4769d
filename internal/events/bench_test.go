package events_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/events"
	"github.com/rosterhq/roster/internal/store"
)

// TestDeliveryLatency measures commit-to-delivery latency to a local
// receiver during an initial sync (docs/benchmarks.md, "Webhooks"). It
// runs only when ROSTER_BENCH_WEBHOOKS is set, to the number of users
// (10000 in the documented run). ROSTER_BENCH_FORMAT=scim-events measures
// the same for RFC 9967 SETs, signed and answered 202.
func TestDeliveryLatency(t *testing.T) {
	n := 0
	fmt.Sscan(os.Getenv("ROSTER_BENCH_WEBHOOKS"), &n)
	if n <= 0 {
		t.Skip("set ROSTER_BENCH_WEBHOOKS=10000 to measure webhook latency")
	}
	format := os.Getenv("ROSTER_BENCH_FORMAT")
	engines(t, func(t *testing.T, s store.Store) {
		ctx := context.Background()
		var mu sync.Mutex
		var lat []time.Duration
		var got atomic.Int64
		var first, last atomic.Int64
		// A SET's times are whole seconds: its arrival is matched with
		// the event's time by seq (from jti) after the run.
		arrived := map[int64]time.Time{}
		rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			now := time.Now()
			b, _ := io.ReadAll(r.Body)
			if format == store.FormatSCIMEvents {
				var seq int64
				if parts := strings.Split(string(b), "."); len(parts) == 3 {
					var c struct{ Jti string }
					cb, _ := base64.RawURLEncoding.DecodeString(parts[1])
					json.Unmarshal(cb, &c)
					fmt.Sscan(c.Jti[strings.LastIndex(c.Jti, "_")+1:], &seq)
				}
				mu.Lock()
				arrived[seq] = now
				mu.Unlock()
				w.WriteHeader(http.StatusAccepted)
			} else {
				var p struct {
					Data store.Event `json:"data"`
				}
				json.Unmarshal(b, &p)
				mu.Lock()
				// The event's time is taken when its transaction starts, a
				// little before it commits: the latency is, if anything,
				// overstated.
				lat = append(lat, now.Sub(p.Data.At))
				mu.Unlock()
			}
			if got.Add(1) == 1 {
				first.Store(now.UnixNano())
			}
			last.Store(now.UnixNano())
		}))
		defer rc.Close()
		org := mustOrg(t, s)
		if _, err := (&events.Service{Store: s, Targets: private}).Create(ctx, cli, org.ID, events.Spec{URL: rc.URL, EventTypes: []string{"user.*"}, Format: format}); err != nil {
			t.Fatal(err)
		}
		// A second endpoint, disabled during the sync, measures how fast
		// one endpoint drains a backlog once enabled.
		var drained atomic.Int64
		backlog := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			drained.Add(1)
			w.WriteHeader(http.StatusAccepted)
		}))
		defer backlog.Close()
		svc := &events.Service{Store: s, Targets: private}
		late, err := svc.Create(ctx, cli, org.ID, events.Spec{URL: backlog.URL, EventTypes: []string{"user.*"}, Disabled: true, Format: format})
		if err != nil {
			t.Fatal(err)
		}
		dctx, cancel := context.WithCancel(ctx)
		defer cancel()
		d := &events.Dispatcher{Store: s, Owner: "bench", Targets: private, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
			Keys: &events.Keys{Store: s}, Issuer: "https://roster.example"}
		go d.Run(dctx)
		start := time.Now()
		var next atomic.Int64
		var wg sync.WaitGroup
		for w := 0; w < 8; w++ { // an IdP's concurrent initial push
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := next.Add(1); i <= int64(n); i = next.Add(1) {
					u := store.User{OrgID: org.ID, ID: fmt.Sprintf("u%06d", i), UserName: fmt.Sprintf("user%d@example.com", i), Active: true, Attributes: json.RawMessage(`{}`)}
					if _, err := s.CreateUser(ctx, cli, u); err != nil {
						t.Error(err)
						return
					}
				}
			}()
		}
		wg.Wait()
		synced := time.Since(start)
		deadline := time.Now().Add(2 * time.Minute)
		for got.Load() < int64(n) && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		drainStart := time.Now()
		if _, err := svc.Enable(ctx, cli, org.ID, late.ID); err != nil {
			t.Fatal(err)
		}
		for drained.Load() < int64(n) && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		drain := time.Since(drainStart)
		t.Logf("backlog of %d drained by one endpoint in %s (%.0f/s)", drained.Load(), drain.Round(time.Millisecond), float64(drained.Load())/drain.Seconds())
		mu.Lock()
		defer mu.Unlock()
		if format == store.FormatSCIMEvents {
			for after := int64(0); ; {
				evs, err := s.ListEvents(ctx, org.ID, after, 1000)
				if err != nil {
					t.Fatal(err)
				}
				if len(evs) == 0 {
					break
				}
				for _, e := range evs {
					if at, ok := arrived[e.Seq]; ok && e.Type == "user.created" {
						lat = append(lat, at.Sub(e.At))
					}
				}
				after = evs[len(evs)-1].Seq
			}
		}
		if len(lat) < n {
			t.Fatalf("%d of %d delivered", len(lat), n)
		}
		slices.Sort(lat)
		span := time.Duration(last.Load() - first.Load())
		t.Logf("format %q: %d users synced in %s (%.0f/s); delivered in %s (%.0f/s); latency p50 %s p99 %s max %s",
			format, n, synced.Round(time.Millisecond), float64(n)/synced.Seconds(), span.Round(time.Millisecond), float64(n)/span.Seconds(),
			lat[len(lat)/2].Round(time.Millisecond), lat[len(lat)*99/100].Round(time.Millisecond), lat[len(lat)-1].Round(time.Millisecond))
	})
}
