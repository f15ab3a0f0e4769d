package events_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/events"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/store/postgres/pgtest"
	"github.com/rosterhq/roster/internal/store/sqlite"
)

// engines runs fn once per store engine, each with a new, empty store.
func engines(t *testing.T, fn func(t *testing.T, s store.Store)) {
	t.Run("sqlite", func(t *testing.T) {
		s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "roster.db"), sqlite.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		fn(t, s)
	})
	t.Run("postgres", func(t *testing.T) {
		s := pgtest.Open(t, nil)
		t.Cleanup(func() { s.Close() })
		fn(t, s)
	})
}

// clock is a settable clock for retries and leases.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

var cli = store.Actor{Kind: "cli", Name: "test"}

func mustOrg(t *testing.T, s store.Store) store.Org {
	t.Helper()
	o, err := s.CreateOrg(context.Background(), cli, store.Org{ID: fmt.Sprintf("org-%d", time.Now().UnixNano()), Name: "Acme", Plan: store.PlanEnterprise, Settings: store.DefaultSettings()})
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// addUsers makes n user.created events.
func addUsers(t *testing.T, s store.Store, org string, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("u%d-%d@example.com", time.Now().UnixNano(), i)
		if _, err := s.CreateUser(context.Background(), cli, store.User{OrgID: org, ID: fmt.Sprintf("u-%d-%d", time.Now().UnixNano(), i), UserName: name, Active: true, Attributes: json.RawMessage(`{}`)}); err != nil {
			t.Fatal(err)
		}
	}
}

// request is what a receiver was sent.
type request struct {
	id, timestamp, signature string
	body                     []byte
	seq                      int64
	typ                      string
}

// receiver is a webhook receiver on 127.0.0.1 whose answers the test
// chooses.
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	got    []request
	answer func(r request, n int) (status int, header http.Header) // n: requests so far, this one included
}

func newReceiver(t *testing.T) *receiver {
	rc := &receiver{answer: func(request, int) (int, http.Header) { return 200, nil }}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var p struct {
			Type string      `json:"type"`
			Data store.Event `json:"data"`
		}
		json.Unmarshal(body, &p)
		req := request{id: r.Header.Get("webhook-id"), timestamp: r.Header.Get("webhook-timestamp"),
			signature: r.Header.Get("webhook-signature"), body: body, seq: p.Data.Seq, typ: p.Type}
		rc.mu.Lock()
		rc.got = append(rc.got, req)
		n := len(rc.got)
		answer := rc.answer
		rc.mu.Unlock()
		status, h := answer(req, n)
		for k, v := range h {
			w.Header()[k] = v
		}
		w.WriteHeader(status)
		fmt.Fprintf(w, "answer %d", status)
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) setAnswer(fn func(r request, n int) (int, http.Header)) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.answer = fn
}

func (rc *receiver) requests() []request {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]request(nil), rc.got...)
}

func (rc *receiver) seqs() []int64 {
	var out []int64
	for _, r := range rc.requests() {
		out = append(out, r.seq)
	}
	return out
}

// waitFor polls cond for up to 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// startDispatcher runs a dispatcher until the test ends; stop ends it
// sooner.
func startDispatcher(t *testing.T, s store.Store, owner string, c *clock, targets events.Targets) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	d := &events.Dispatcher{Store: s, Owner: owner, Now: c.Now, Targets: targets,
		Jitter: func(w time.Duration) time.Duration { return w }, PollInterval: 20 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(logOut(), nil))}
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("dispatcher: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

var private = events.Targets{AllowPrivate: true}

// verify checks a request's signature as the Standard Webhooks
// specification says, independently of package events: HMAC-SHA256 with
// the base64-decoded secret over "id.timestamp.body", compared in constant
// time with each "v1," signature of the space-separated header.
func verify(secret string, r request) bool {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return false
	}
	if _, err := strconv.ParseInt(r.timestamp, 10, 64); err != nil {
		return false
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(r.id + "." + r.timestamp + "." + string(r.body)))
	want := mac.Sum(nil)
	for _, sig := range strings.Split(r.signature, " ") {
		version, b64, ok := strings.Cut(sig, ",")
		if !ok || version != "v1" {
			continue
		}
		got, err := base64.StdEncoding.DecodeString(b64)
		if err == nil && hmac.Equal(got, want) {
			return true
		}
	}
	return false
}

func deliveries(t *testing.T, s store.Store, ep store.WebhookEndpoint) []store.WebhookDelivery {
	t.Helper()
	ds, err := s.ListWebhookDeliveries(context.Background(), ep.OrgID, ep.ID, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

// logOut is where dispatchers under test log: nowhere, unless
// ROSTER_TEST_LOG is set.
func logOut() io.Writer {
	if os.Getenv("ROSTER_TEST_LOG") != "" {
		return os.Stderr
	}
	return io.Discard
}
