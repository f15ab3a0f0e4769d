package events

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"

	"github.com/rosterhq/roster/internal/store"
)

// Schedule is the Standard Webhooks retry schedule: the wait after the
// first failed attempt, the second, …; after the last, attempts go on
// every 24 h until the endpoint has failed for DisableAfter.
var Schedule = []time.Duration{
	5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 5 * time.Hour,
	10 * time.Hour, 14 * time.Hour, 20 * time.Hour, 24 * time.Hour,
}

// DisableAfter is how long an endpoint may fail without a success before
// it is disabled.
const DisableAfter = 5 * 24 * time.Hour

// maxRetryAfter caps how long a receiver's Retry-After may hold delivery.
const maxRetryAfter = 24 * time.Hour

// Dispatcher delivers events to the endpoints of every organization; run
// one per instance (see the package documentation). Its fields are read
// when Run starts.
type Dispatcher struct {
	Store   Store
	Targets Targets
	// Owner names this dispatcher in leases. It must differ between
	// instances sharing a database; an instance restarted under its old
	// name resumes its endpoints at once instead of after their leases.
	Owner string
	// Now is the clock of leases and retries; time.Now when nil.
	Now func() time.Time
	// Jitter spreads a retry's wait; nil adds up to a tenth, at random.
	Jitter func(time.Duration) time.Duration
	// PollInterval is how often the store is asked for due endpoints,
	// which bounds how soon a new event or endpoint change is acted on;
	// 200 ms when zero.
	PollInterval time.Duration
	// Lease is how long an endpoint stays claimed without news from its
	// holder, so how soon another instance takes over a lost one; 30 s
	// when zero. It must exceed Timeout.
	Lease time.Duration
	// MaxEndpoints caps the endpoints delivered to at once; 64 when zero.
	MaxEndpoints int
	// Logger receives delivery failures; slog.Default when nil.
	Logger *slog.Logger
}

// run is a running dispatcher's state.
type run struct {
	d       *Dispatcher
	now     func() time.Time
	jitter  func(time.Duration) time.Duration
	lease   time.Duration
	log     *slog.Logger
	send    *sender
	mu      sync.Mutex
	running map[string]bool // endpoint keys being delivered to
	wg      sync.WaitGroup
}

// Run delivers until ctx ends, then waits for attempts in flight to stop
// and releases its leases.
func (d *Dispatcher) Run(ctx context.Context) error {
	if d.Store == nil || d.Owner == "" {
		return errors.New("webhook dispatcher needs a store and an owner name")
	}
	r := &run{d: d, now: d.Now, jitter: d.Jitter, lease: d.Lease, log: d.Logger, running: map[string]bool{}}
	if r.now == nil {
		r.now = time.Now
	}
	if r.jitter == nil {
		r.jitter = func(w time.Duration) time.Duration { return w + rand.N(w/10+1) }
	}
	if r.lease <= 0 {
		r.lease = 30 * time.Second
	}
	if r.lease <= Timeout {
		return fmt.Errorf("webhook lease %s must exceed the %s attempt time-out", r.lease, Timeout)
	}
	if r.log == nil {
		r.log = slog.Default()
	}
	poll := d.PollInterval
	if poll <= 0 {
		poll = 200 * time.Millisecond
	}
	limit := d.MaxEndpoints
	if limit <= 0 {
		limit = 64
	}
	r.send = newSender(d.Targets, r.now)
	defer r.send.client.CloseIdleConnections()
	defer r.wg.Wait()
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		r.claim(ctx, limit)
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

func key(orgID, id string) string { return orgID + "\x00" + id }

// claim leases due endpoints and starts a worker for each not yet running.
func (r *run) claim(ctx context.Context, limit int) {
	r.mu.Lock()
	free := limit - len(r.running)
	r.mu.Unlock()
	if free <= 0 {
		return
	}
	now := r.now()
	leases, err := r.d.Store.ClaimWebhooks(ctx, r.d.Owner, now, now.Add(r.lease), free)
	if err != nil {
		if ctx.Err() == nil {
			r.log.Error("claim webhook endpoints", "err", err)
		}
		return
	}
	for _, l := range leases {
		k := key(l.Endpoint.OrgID, l.Endpoint.ID)
		r.mu.Lock()
		busy := r.running[k]
		r.running[k] = true
		r.mu.Unlock()
		if busy {
			continue // renewed our own lease; its worker goes on
		}
		r.wg.Add(1)
		go func(ep store.WebhookEndpoint) {
			defer r.wg.Done()
			defer func() {
				r.mu.Lock()
				delete(r.running, k)
				r.mu.Unlock()
			}()
			r.deliver(ctx, ep)
		}(l.Endpoint)
	}
}

// batch is how many events a worker reads at a time.
const batch = 100

// deliver sends ep its pending events in order until none is left, one
// fails, the endpoint is disabled or deleted, or the lease is lost.
func (r *run) deliver(ctx context.Context, ep store.WebhookEndpoint) {
	owner := r.d.Owner
	// release hands the endpoint back on the way out, on every path but a
	// lost lease (which is no longer ours to release).
	release := func(cursor int64) {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_, err := r.d.Store.RecordWebhookAttempt(rctx, owner, ep.OrgID, ep.ID, store.WebhookOutcome{Cursor: cursor})
		if err != nil && !errors.Is(err, store.ErrNotFound) && !errors.Is(err, store.ErrVersionMismatch) {
			r.log.Error("release webhook endpoint", "org", ep.OrgID, "webhook", ep.ID, "err", err)
		}
	}
	for {
		evs, err := r.d.Store.ListEvents(ctx, ep.OrgID, ep.Cursor, batch)
		if err != nil {
			if ctx.Err() == nil {
				r.log.Error("read events for webhook", "org", ep.OrgID, "webhook", ep.ID, "err", err)
			}
			release(0)
			return
		}
		if len(evs) == 0 {
			release(0)
			return
		}
		skipped := ep.Cursor // the last event passed over by the filter
		for _, e := range evs {
			if !Matches(ep.EventTypes, e.Type) {
				skipped = e.Seq
				continue
			}
			if ctx.Err() != nil {
				release(skipped)
				return
			}
			a := r.send.send(ctx, ep, e)
			if ctx.Err() != nil {
				// Stopping: the attempt was cut short, not answered.
				// It is not logged; the event is sent again later.
				release(skipped)
				return
			}
			next, done, err := r.record(ctx, ep, a)
			if err != nil {
				if !errors.Is(err, store.ErrNotFound) && !errors.Is(err, store.ErrVersionMismatch) {
					r.log.Error("record webhook attempt", "org", ep.OrgID, "webhook", ep.ID, "seq", e.Seq, "err", err)
					release(skipped)
				}
				return
			}
			if done {
				return
			}
			ep, skipped = next, next.Cursor
			if !ep.Enabled {
				release(0)
				return
			}
		}
		if skipped > ep.Cursor {
			next, err := r.d.Store.RecordWebhookAttempt(ctx, owner, ep.OrgID, ep.ID,
				store.WebhookOutcome{Cursor: skipped, LeaseUntil: r.now().Add(r.lease)})
			if err != nil {
				if !errors.Is(err, store.ErrNotFound) && !errors.Is(err, store.ErrVersionMismatch) {
					r.log.Error("skip filtered events", "org", ep.OrgID, "webhook", ep.ID, "err", err)
					release(0)
				}
				return
			}
			ep = next
			if !ep.Enabled {
				release(0)
				return
			}
		}
	}
}

// record logs an attempt and moves the endpoint on: past the event after
// a 2xx, keeping the lease; otherwise to its next attempt, releasing the
// lease (done is true), or disabled after a 410 or DisableAfter of
// failures. It returns the endpoint as the store now has it.
func (r *run) record(ctx context.Context, ep store.WebhookEndpoint, a attempt) (store.WebhookEndpoint, bool, error) {
	d := a.delivery
	d.Attempt = ep.Attempts + 1
	o := store.WebhookOutcome{Delivery: &d}
	done := false
	if d.Succeeded() {
		o.Cursor = d.Seq
		o.LeaseUntil = r.now().Add(r.lease)
	} else {
		done = true
		wait := Schedule[min(ep.Attempts, len(Schedule)-1)]
		if a.retryAfter > 0 {
			wait = min(a.retryAfter, maxRetryAfter)
		} else {
			wait = r.jitter(wait)
		}
		o.Retry = d.At.Add(wait)
		failingSince := ep.FailingSince
		if failingSince.IsZero() {
			failingSince = d.At
		}
		switch {
		case d.Status == http.StatusGone:
			o.Disable = "the endpoint answered 410 Gone"
		case d.At.Sub(failingSince) >= DisableAfter:
			o.Disable = fmt.Sprintf("every attempt failed for %s, since %s", DisableAfter, failingSince.Format(time.RFC3339))
		}
		r.log.Warn("webhook attempt failed", "org", ep.OrgID, "webhook", ep.ID, "seq", d.Seq, "attempt", d.Attempt,
			"status", d.Status, "err", d.Error, "retry_at", o.Retry, "disable", o.Disable)
	}
	// The attempt happened: record it even if the dispatcher is stopping,
	// so an answered event is not sent again.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	next, err := r.d.Store.RecordWebhookAttempt(rctx, r.d.Owner, ep.OrgID, ep.ID, o)
	return next, done, err
}
