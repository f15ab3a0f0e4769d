package events_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/events"
	"github.com/rosterhq/roster/internal/fault"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/store/postgres"
	"github.com/rosterhq/roster/internal/store/postgres/pgtest"
)

func seqRange(from, to int64) []int64 {
	var out []int64
	for i := from; i <= to; i++ {
		out = append(out, i)
	}
	return out
}

// TestDeliverySignedInOrder: every event from the endpoint's creation on
// arrives once, in seq order, signed so that an implementation of the
// specification written here verifies it, with the event exactly as the
// feed has it.
func TestDeliverySignedInOrder(t *testing.T) {
	engines(t, func(t *testing.T, s store.Store) {
		ctx := context.Background()
		c := newClock()
		rc := newReceiver(t)
		org := mustOrg(t, s)
		svc := &events.Service{Store: s, Targets: private, Now: c.Now}
		ep, err := svc.Create(ctx, cli, org.ID, events.Spec{URL: rc.URL + "/hook", Description: "app"})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(ep.Secret, "whsec_") {
			t.Fatalf("secret %q, want whsec_…", ep.Secret)
		}
		if key, err := base64Decode(strings.TrimPrefix(ep.Secret, "whsec_")); err != nil || len(key) != 32 {
			t.Fatalf("secret holds %d bytes (%v), want 32", len(key), err)
		}
		addUsers(t, s, org.ID, 30)
		startDispatcher(t, s, "a", c, private)
		waitFor(t, "31 deliveries", func() bool { return len(rc.requests()) >= 31 })
		time.Sleep(100 * time.Millisecond) // nothing more must come
		feed, err := s.ListEvents(ctx, org.ID, ep.Cursor, 1000)
		if err != nil {
			t.Fatal(err)
		}
		got := rc.requests()
		if len(got) != len(feed) {
			t.Fatalf("%d deliveries, want %d (one per event)", len(got), len(feed))
		}
		for i, r := range got {
			e := feed[i]
			if r.seq != e.Seq || r.id != events.EventID(e) || r.id != "evt_"+org.ID+"_"+itoa(e.Seq) {
				t.Fatalf("delivery %d: seq %d id %q, want seq %d id %q", i, r.seq, r.id, e.Seq, events.EventID(e))
			}
			if !verify(ep.Secret, r) {
				t.Fatalf("delivery %d: signature %q does not verify", i, r.signature)
			}
			if verify("whsec_"+base64Encode(make([]byte, 32)), r) {
				t.Fatalf("delivery %d verifies with a wrong secret", i)
			}
			var body struct {
				Type      string          `json:"type"`
				Timestamp string          `json:"timestamp"`
				Data      json.RawMessage `json:"data"`
			}
			if err := json.Unmarshal(r.body, &body); err != nil {
				t.Fatal(err)
			}
			want, _ := json.Marshal(e) // what GET /api/v1/events writes for it
			if body.Type != e.Type || body.Timestamp != e.At.Format(time.RFC3339Nano) || string(body.Data) != string(want) {
				t.Fatalf("delivery %d body = %s, want type %s and data %s", i, r.body, e.Type, want)
			}
			if ts := r.timestamp; ts != itoa(c.Now().Unix()) {
				t.Fatalf("webhook-timestamp %s, want the attempt's time %d", ts, c.Now().Unix())
			}
		}
		if got[0].typ != "webhook.created" {
			t.Errorf("first delivery %s, want the endpoint's own webhook.created", got[0].typ)
		}
		// Acknowledgements are recorded in groups, shortly after.
		waitFor(t, "the cursor to reach the last event", func() bool {
			cur, _ := s.GetWebhook(ctx, org.ID, ep.ID)
			return cur.Cursor == feed[len(feed)-1].Seq
		})
		ds := deliveries(t, s, ep)
		if len(ds) != 31 || ds[0].Status != 200 || ds[0].Response != "answer 200" || ds[0].Attempt != 1 {
			t.Fatalf("delivery log = %d entries: %+v", len(ds), ds)
		}
	})
}

// TestRetriesOnSchedule: failed attempts are retried on the Standard
// Webhooks schedule of the injected clock, never earlier, with the same
// webhook-id; Retry-After on 429 and 503 replaces the schedule.
func TestRetriesOnSchedule(t *testing.T) {
	engines(t, func(t *testing.T, s store.Store) {
		ctx := context.Background()
		c := newClock()
		rc := newReceiver(t)
		rc.setAnswer(func(_ request, n int) (int, http.Header) {
			switch {
			case n <= 4:
				return 500, nil
			case n == 5:
				return 429, http.Header{"Retry-After": {"120"}}
			case n == 6:
				return 503, http.Header{"Retry-After": {c.Now().Add(time.Hour).Format(http.TimeFormat)}}
			}
			return 200, nil
		})
		org := mustOrg(t, s)
		svc := &events.Service{Store: s, Targets: private, Now: c.Now}
		ep, err := svc.Create(ctx, cli, org.ID, events.Spec{URL: rc.URL})
		if err != nil {
			t.Fatal(err)
		}
		startDispatcher(t, s, "a", c, private)
		waits := []time.Duration{5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 120 * time.Second, time.Hour}
		for i, w := range waits {
			n := i + 1
			waitFor(t, "attempt "+itoa(int64(n)), func() bool { return len(rc.requests()) == n })
			waitFor(t, "attempt logged", func() bool { return len(deliveries(t, s, ep)) == n })
			cur, _ := s.GetWebhook(ctx, org.ID, ep.ID)
			if want := c.Now().Add(w); !cur.NextAttemptAt.Equal(want) || cur.Attempts != n {
				t.Fatalf("after attempt %d: next %v attempts %d, want %v and %d", n, cur.NextAttemptAt, cur.Attempts, want, n)
			}
			c.Add(w - time.Second)
			time.Sleep(80 * time.Millisecond) // four polls: still not due
			if got := len(rc.requests()); got != n {
				t.Fatalf("attempt %d came %s early", got, time.Second)
			}
			c.Add(time.Second)
		}
		waitFor(t, "success", func() bool { return len(rc.requests()) == 7 })
		waitFor(t, "cursor to move", func() bool {
			cur, _ := s.GetWebhook(ctx, org.ID, ep.ID)
			return cur.Cursor == ep.Cursor+1 && cur.Attempts == 0 && cur.FailingSince.IsZero()
		})
		for _, r := range rc.requests() {
			if r.id != rc.requests()[0].id || !verify(ep.Secret, r) {
				t.Fatalf("retry id %q (want %q) or signature wrong", r.id, rc.requests()[0].id)
			}
		}
		ds := deliveries(t, s, ep)
		var attempts []int
		for _, d := range ds {
			attempts = append(attempts, d.Attempt)
		}
		if !slices.Equal(attempts, []int{7, 6, 5, 4, 3, 2, 1}) || ds[1].Status != 503 || ds[2].Status != 429 {
			t.Errorf("delivery log attempts %v, statuses %d %d", attempts, ds[1].Status, ds[2].Status)
		}
	})
}

// TestOrderingWhileOneEndpointFails: an endpoint that fails, or hangs,
// holds back only itself; once it recovers it gets every event, in order.
func TestOrderingWhileOneEndpointFails(t *testing.T) {
	engines(t, func(t *testing.T, s store.Store) {
		ctx := context.Background()
		c := newClock()
		bad, slow, good := newReceiver(t), newReceiver(t), newReceiver(t)
		bad.setAnswer(func(request, int) (int, http.Header) { return 500, nil })
		release := make(chan struct{})
		var once sync.Once
		unblock := func() { once.Do(func() { close(release) }) }
		t.Cleanup(unblock) // runs before the receivers close, even on failure
		slow.setAnswer(func(request, int) (int, http.Header) { <-release; return 200, nil })
		org := mustOrg(t, s)
		svc := &events.Service{Store: s, Targets: private, Now: c.Now}
		var eps []store.WebhookEndpoint
		for _, rc := range []*receiver{bad, slow, good} {
			ep, err := svc.Create(ctx, cli, org.ID, events.Spec{URL: rc.URL})
			if err != nil {
				t.Fatal(err)
			}
			eps = append(eps, ep)
		}
		addUsers(t, s, org.ID, 20)
		last := eps[2].Cursor + 1 + 20
		startDispatcher(t, s, "a", c, private)
		waitFor(t, "the good endpoint to get everything", func() bool { return len(good.requests()) == int(last-eps[2].Cursor) })
		if got, want := good.seqs(), seqRange(eps[2].Cursor+1, last); !slices.Equal(got, want) {
			t.Fatalf("good endpoint got %v, want %v", got, want)
		}
		waitFor(t, "the hanging request", func() bool { return len(slow.requests()) == 1 })
		waitFor(t, "the failed attempt", func() bool { return len(bad.requests()) >= 1 })
		time.Sleep(50 * time.Millisecond) // a few polls: the failed one must not be retried early
		if got := bad.seqs(); !slices.Equal(got, []int64{eps[0].Cursor + 1}) {
			t.Fatalf("failing endpoint got %v, want only its first event, once", got)
		}
		if got := slow.seqs(); !slices.Equal(got, []int64{eps[1].Cursor + 1}) {
			t.Fatalf("hanging endpoint got %v, want only its first event", got)
		}
		unblock()
		bad.setAnswer(func(request, int) (int, http.Header) { return 200, nil })
		c.Add(5 * time.Second)
		for i, rc := range []*receiver{bad, slow} {
			want := seqRange(eps[i].Cursor+1, last)
			if rc == bad { // its first event failed once before
				want = append([]int64{eps[i].Cursor + 1}, want...)
			}
			waitFor(t, "recovery", func() bool { return len(rc.requests()) == len(want) })
			if got := rc.seqs(); !slices.Equal(got, want) {
				t.Fatalf("endpoint %d got %v, want %v", i, got, want)
			}
		}
	})
}

// TestGoneDisables: 410 disables the endpoint at once, with an event.
func TestGoneDisables(t *testing.T) {
	engines(t, func(t *testing.T, s store.Store) {
		ctx := context.Background()
		c := newClock()
		rc := newReceiver(t)
		rc.setAnswer(func(request, int) (int, http.Header) { return 410, nil })
		org := mustOrg(t, s)
		ep, err := (&events.Service{Store: s, Targets: private}).Create(ctx, cli, org.ID, events.Spec{URL: rc.URL})
		if err != nil {
			t.Fatal(err)
		}
		startDispatcher(t, s, "a", c, private)
		waitFor(t, "disable", func() bool { cur, _ := s.GetWebhook(ctx, org.ID, ep.ID); return !cur.Enabled })
		c.Add(48 * time.Hour)
		addUsers(t, s, org.ID, 1)
		time.Sleep(100 * time.Millisecond)
		if n := len(rc.requests()); n != 1 {
			t.Fatalf("%d requests, want 1: a disabled endpoint gets nothing", n)
		}
		evs, _ := s.ListEvents(ctx, org.ID, 0, 100)
		var found bool
		for _, e := range evs {
			if e.Type == "webhook.disabled" && strings.Contains(string(e.Data), "410") {
				found = true
			}
		}
		if !found {
			t.Fatalf("no webhook.disabled event naming the 410")
		}
	})
}

// TestFailingFiveDaysDisables: an endpoint that fails every attempt for
// five days is disabled, with an event; enabling it resumes from its
// cursor, losing nothing.
func TestFailingFiveDaysDisables(t *testing.T) {
	engines(t, func(t *testing.T, s store.Store) {
		ctx := context.Background()
		c := newClock()
		rc := newReceiver(t)
		rc.setAnswer(func(request, int) (int, http.Header) { return 502, nil })
		org := mustOrg(t, s)
		svc := &events.Service{Store: s, Targets: private, Now: c.Now}
		ep, err := svc.Create(ctx, cli, org.ID, events.Spec{URL: rc.URL})
		if err != nil {
			t.Fatal(err)
		}
		start := c.Now()
		startDispatcher(t, s, "a", c, private)
		for n := 1; ; n++ {
			waitFor(t, "attempt", func() bool { return len(deliveries(t, s, ep)) == n })
			cur, _ := s.GetWebhook(ctx, org.ID, ep.ID)
			if !cur.Enabled {
				if c.Now().Sub(start) < events.DisableAfter {
					t.Fatalf("disabled after %s, before %s", c.Now().Sub(start), events.DisableAfter)
				}
				if !strings.Contains(cur.DisabledReason, "failed") {
					t.Errorf("reason %q", cur.DisabledReason)
				}
				break
			}
			if n > 20 {
				t.Fatalf("still enabled after %d attempts over %s", n, c.Now().Sub(start))
			}
			c.Add(cur.NextAttemptAt.Sub(c.Now()))
		}
		rc.setAnswer(func(request, int) (int, http.Header) { return 200, nil })
		before := len(rc.requests())
		if _, err := svc.Enable(ctx, cli, org.ID, ep.ID); err != nil {
			t.Fatal(err)
		}
		// It gets the event it never acknowledged, then the events about
		// its own disabling and enabling.
		waitFor(t, "resume", func() bool { return len(rc.requests()) == before+3 })
		var types []string
		for _, r := range rc.requests()[before:] {
			types = append(types, r.typ)
		}
		if !slices.Equal(types, []string{"webhook.created", "webhook.disabled", "webhook.enabled"}) {
			t.Fatalf("after enabling got %v", types)
		}
	})
}

// TestRestartLosesNothing: a dispatcher killed mid-delivery (its lease
// held, its attempt unrecorded) is taken over once the lease runs out;
// every event arrives, in order, at worst the one in flight twice.
func TestRestartLosesNothing(t *testing.T) {
	engines(t, func(t *testing.T, s store.Store) {
		ctx := context.Background()
		c := newClock()
		rc := newReceiver(t)
		hang := make(chan struct{})
		rc.setAnswer(func(r request, n int) (int, http.Header) {
			if n == 5 {
				<-hang // the fifth request never gets its answer
			}
			return 200, nil
		})
		org := mustOrg(t, s)
		ep, err := (&events.Service{Store: s, Targets: private}).Create(ctx, cli, org.ID, events.Spec{URL: rc.URL})
		if err != nil {
			t.Fatal(err)
		}
		addUsers(t, s, org.ID, 9)
		t.Cleanup(func() {
			select {
			case <-hang:
			default:
				close(hang)
			}
		})
		stop := startDispatcher(t, s, "dead", c, private)
		waitFor(t, "the fifth request", func() bool { return len(rc.requests()) == 5 })
		// Kill: the dispatcher stops with its attempt unanswered, and its
		// lease is left behind as a killed process leaves it.
		stop()
		close(hang)
		if _, err := s.ClaimWebhooks(ctx, "dead", c.Now(), c.Now().Add(30*time.Second), 10); err != nil {
			t.Fatal(err)
		}
		cur, _ := s.GetWebhook(ctx, org.ID, ep.ID)
		if cur.Cursor != ep.Cursor+4 {
			t.Fatalf("cursor %d, want %d: four acknowledged", cur.Cursor, ep.Cursor+4)
		}
		startDispatcher(t, s, "new", c, private)
		time.Sleep(100 * time.Millisecond)
		if n := len(rc.requests()); n != 5 {
			t.Fatalf("%d requests while the dead lease runs, want 5", n)
		}
		c.Add(30 * time.Second)
		waitFor(t, "takeover", func() bool { return len(rc.requests()) == 11 })
		want := append(seqRange(ep.Cursor+1, ep.Cursor+5), seqRange(ep.Cursor+5, ep.Cursor+10)...)
		if got := rc.seqs(); !slices.Equal(got, want) {
			t.Fatalf("receiver got %v, want %v", got, want)
		}
	})
}

// TestTwoInstancesDeliverOnce: two stores on one PostgreSQL schema, each
// with its dispatcher, deliver each event once per endpoint between them,
// in order.
func TestTwoInstancesDeliverOnce(t *testing.T) {
	ctx := context.Background()
	url := pgtest.URL(t)
	var stores []store.Store
	for i := 0; i < 2; i++ {
		s, err := postgres.Open(ctx, url, postgres.Options{MaxConns: 4})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		stores = append(stores, s)
	}
	c := newClock()
	org := mustOrg(t, stores[0])
	svc := &events.Service{Store: stores[0], Targets: private}
	var rcs []*receiver
	var eps []store.WebhookEndpoint
	for i := 0; i < 6; i++ {
		rc := newReceiver(t)
		ep, err := svc.Create(ctx, cli, org.ID, events.Spec{URL: rc.URL})
		if err != nil {
			t.Fatal(err)
		}
		rcs, eps = append(rcs, rc), append(eps, ep)
	}
	startDispatcher(t, stores[0], "one", c, private)
	startDispatcher(t, stores[1], "two", c, private)
	done := make(chan struct{})
	go func() { defer close(done); addUsers(t, stores[0], org.ID, 60) }()
	addUsers(t, stores[1], org.ID, 60)
	<-done
	evs, _ := stores[0].ListEvents(ctx, org.ID, 0, 1000)
	last := evs[len(evs)-1].Seq
	for i, rc := range rcs {
		want := seqRange(eps[i].Cursor+1, last)
		waitFor(t, "all deliveries", func() bool { return len(rc.requests()) >= len(want) })
		time.Sleep(50 * time.Millisecond)
		if got := rc.seqs(); !slices.Equal(got, want) {
			t.Fatalf("endpoint %d got %v, want each of %v once, in order", i, got, want)
		}
	}
}

// TestSSRF: targets on roster's own networks are refused when the
// endpoint is made and again when connecting, including a name that
// resolves to 127.0.0.1; redirects are not followed.
func TestSSRF(t *testing.T) {
	ctx := context.Background()
	dns := map[string][]netip.Addr{
		"public.example":   {netip.MustParseAddr("93.184.216.34")},
		"internal.example": {netip.MustParseAddr("127.0.0.1")},
		"mixed.example":    {netip.MustParseAddr("93.184.216.34"), netip.MustParseAddr("10.1.2.3")},
	}
	var mu = make(chan struct{}, 1)
	mu <- struct{}{}
	lookup := func(_ context.Context, host string) ([]netip.Addr, error) {
		<-mu
		defer func() { mu <- struct{}{} }()
		if a, ok := dns[host]; ok {
			return a, nil
		}
		return nil, errors.New("no such host")
	}
	strict := events.Targets{LookupIP: lookup}
	for _, tc := range []struct{ url, want string }{
		{"http://public.example/hook", "https only"},
		{"https://internal.example/hook", "loopback"},
		{"https://mixed.example/hook", "private"},
		{"https://127.0.0.1/hook", "loopback"},
		{"https://[::1]/hook", "loopback"},
		{"https://[::ffff:127.0.0.1]/hook", "loopback"},
		{"https://169.254.169.254/latest/meta-data", "metadata"},
		{"https://[fe80::1]/hook", "link-local"},
		{"https://192.168.1.10/hook", "private"},
		{"https://user:pw@public.example/hook", "credentials"},
		{"https://nowhere.example/hook", "does not resolve"},
		{"public.example/hook", "absolute URL"},
	} {
		err := strict.CheckURL(ctx, tc.url)
		if !errors.Is(err, fault.Invalid) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("CheckURL(%s) = %v, want Invalid saying %q", tc.url, err, tc.want)
		}
	}
	if err := strict.CheckURL(ctx, "https://public.example/hook"); err != nil {
		t.Errorf("CheckURL(public) = %v", err)
	}
	if err := private.CheckURL(ctx, "http://127.0.0.1:8080/hook"); err != nil {
		t.Errorf("with AllowPrivate, CheckURL(http://127.0.0.1) = %v", err)
	}

	// Named subtests: a second engines call would name its subtests
	// "sqlite#01", and sqlite.DSN reads a '#' in the path as the start of
	// a URI fragment.
	t.Run("rebinding", func(t *testing.T) {
		engines(t, func(t *testing.T, s store.Store) {
			<-mu
			dns["public.example"] = []netip.Addr{netip.MustParseAddr("93.184.216.34")}
			mu <- struct{}{}
			c := newClock()
			rc := newReceiver(t)
			org := mustOrg(t, s)
			svc := &events.Service{Store: s, Targets: strict}
			if _, err := svc.Create(ctx, cli, org.ID, events.Spec{URL: "https://internal.example/x"}); !errors.Is(err, fault.Invalid) {
				t.Fatalf("Create to a name resolving to 127.0.0.1 = %v, want Invalid", err)
			}
			// The name resolves to a public address when the endpoint is
			// made, and to the receiver on 127.0.0.1 by the time it is used.
			port := rc.Listener.Addr().(interface{ AddrPort() netip.AddrPort }).AddrPort().Port()
			ep, err := svc.Create(ctx, cli, org.ID, events.Spec{URL: "https://public.example:" + itoa(int64(port)) + "/x"})
			if err != nil {
				t.Fatal(err)
			}
			<-mu
			dns["public.example"] = []netip.Addr{netip.MustParseAddr("127.0.0.1")}
			mu <- struct{}{}
			startDispatcher(t, s, "a", c, strict)
			waitFor(t, "the refused attempt", func() bool { return len(deliveries(t, s, ep)) == 1 })
			d := deliveries(t, s, ep)[0]
			if d.Status != 0 || !strings.Contains(d.Error, "refused") || !strings.Contains(d.Error, "loopback") {
				t.Errorf("attempt = %+v, want refused as loopback", d)
			}
			if n := len(rc.requests()); n != 0 {
				t.Errorf("receiver got %d requests, want none", n)
			}
		})
	})

	// Redirects are failures, not followed.
	t.Run("redirects", func(t *testing.T) {
		engines(t, func(t *testing.T, s store.Store) {
			c := newClock()
			target, rc := newReceiver(t), newReceiver(t)
			rc.setAnswer(func(request, int) (int, http.Header) { return 307, http.Header{"Location": {target.URL}} })
			org := mustOrg(t, s)
			ep, err := (&events.Service{Store: s, Targets: private}).Create(ctx, cli, org.ID, events.Spec{URL: rc.URL})
			if err != nil {
				t.Fatal(err)
			}
			startDispatcher(t, s, "a", c, private)
			waitFor(t, "attempt", func() bool { return len(deliveries(t, s, ep)) == 1 })
			if d := deliveries(t, s, ep)[0]; d.Status != 307 || d.Succeeded() {
				t.Errorf("attempt = %+v, want a failed 307", d)
			}
			if n := len(target.requests()); n != 0 {
				t.Errorf("redirect target got %d requests, want none", n)
			}
		})
	})
}
