package reqlog

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/store"
)

func TestRedact(t *testing.T) {
	for _, tc := range []struct {
		name, body   string
		want, absent string
	}{
		{"okta create", `{"userName":"a@example.com","password":"hunter2","active":true}`,
			`{"active":true,"password":"[redacted]","userName":"a@example.com"}`, "hunter2"},
		{"nested and any case", `{"x":{"Password":"p1"},"list":[{"client_secret":"p2"}]}`, "", "p1"},
		{"patch op path", `{"Operations":[{"op":"replace","path":"password","value":"p3"},{"op":"replace","path":"active","value":false}]}`,
			`{"Operations":[{"op":"replace","path":"password","value":"[redacted]"},{"op":"replace","path":"active","value":false}]}`, "p3"},
		{"patch op urn path", `{"Operations":[{"op":"replace","path":"urn:ietf:params:scim:schemas:core:2.0:User:password","value":"p4"}]}`, "", "p4"},
		{"patch op without path", `{"Operations":[{"op":"replace","value":{"password":"p5","active":true}}]}`, "", "p5"},
		{"not JSON", `{"userName":"a", "password": "p6", oops`, `{"userName":"a", "password": "[redacted]", oops`, "p6"},
		{"not JSON escaped quote", `{"password":"p7\"x", bad`, "", "p7"},
		{"empty", ``, ``, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Redact([]byte(tc.body))
			if tc.want != "" && got != tc.want {
				t.Errorf("Redact(%s) = %s, want %s", tc.body, got, tc.want)
			}
			if tc.absent != "" && strings.Contains(got, tc.absent) {
				t.Errorf("Redact(%s) = %s still holds %q", tc.body, got, tc.absent)
			}
		})
	}
	long := `{"members":[` + strings.Repeat(`{"value":"é-123456789"},`, 2000) + `{"value":"x"}]}`
	got := Redact([]byte(long))
	if len(got) > MaxBody+64 || !strings.Contains(got, "only the first 8 KB are kept") || !strings.HasPrefix(got, `{"members":[`) {
		t.Errorf("a long body is kept as %d bytes ending %q", len(got), got[len(got)-60:])
	}
}

// memStore is the log's store for the Recorder's own tests, which are about
// queueing, not SQL (the store's are in storetest).
type memStore struct {
	mu      sync.Mutex
	rows    []store.Request
	batches int
	block   chan struct{}
}

func (m *memStore) AppendRequests(ctx context.Context, rs []store.Request) error {
	if m.block != nil {
		<-m.block
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.rows = append(m.rows, rs...)
	m.batches++
	return nil
}
func (m *memStore) ListRequests(context.Context, string, store.RequestFilter, int64, int) ([]store.Request, error) {
	return nil, nil
}
func (m *memStore) GetRequest(context.Context, string, int64) (store.Request, error) {
	return store.Request{}, store.ErrNotFound
}

// TestRecorderBatchesAndNeverBlocks: requests are written in batches and
// all of them are written by shutdown; with the database stuck, Record
// returns at once and counts what it drops.
func TestRecorderBatchesAndNeverBlocks(t *testing.T) {
	m := &memStore{}
	r := &Recorder{Store: m, Batch: 10, Flush: time.Hour}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); r.Run(ctx) }()
	for i := 0; i < 25; i++ {
		r.Record(store.Request{OrgID: "o", Status: 200})
	}
	cancel()
	<-done
	if len(m.rows) != 25 || m.batches != 3 || r.Written() != 25 || r.Dropped() != 0 {
		t.Errorf("rows %d in %d batches, written %d, dropped %d; want 25 in 3, 25, 0", len(m.rows), m.batches, r.Written(), r.Dropped())
	}

	stuck := &memStore{block: make(chan struct{})}
	r = &Recorder{Store: stuck, Queue: 5, Batch: 1, Flush: time.Hour}
	ctx, cancel = context.WithCancel(context.Background())
	done = make(chan struct{})
	go func() { defer close(done); r.Run(ctx) }()
	start := time.Now()
	for i := 0; i < 100; i++ {
		r.Record(store.Request{OrgID: "o"})
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("100 Records with the store stuck took %v", d)
	}
	if r.Dropped() < 90 {
		t.Errorf("dropped %d of 100 with a queue of 5, want at least 90", r.Dropped())
	}
	close(stuck.block)
	cancel()
	<-done
}

func TestAdvice(t *testing.T) {
	for _, tc := range []struct {
		r    store.Request
		says string
	}{
		{store.Request{Status: 201}, ""},
		{store.Request{Status: 409, SCIMType: "uniqueness"}, "Matching precedence"},
		{store.Request{Status: 400, SCIMType: "invalidFilter"}, "filter"},
		{store.Request{Status: 404}, "Restart provisioning"},
		{store.Request{Status: 429}, "rate limit"},
		{store.Request{Status: 500}, "retries"},
	} {
		got := Advice(tc.r)
		if (tc.says == "") != (got == "") || !strings.Contains(got, tc.says) {
			t.Errorf("Advice(%d %s) = %q, want it to mention %q", tc.r.Status, tc.r.SCIMType, got, tc.says)
		}
	}
}
