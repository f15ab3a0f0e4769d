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
	// Keys signs the SETs of scim-events endpoints, and Issuer is their
	// "iss", roster's base URL. Without Keys such endpoints get nothing:
	// every attempt fails, and is retried.
	Keys   *Keys
	Issuer string
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
	// ended is when each endpoint's last worker stopped: a claim that
	// started before then may hold the endpoint as it was before that
	// worker's last record (our own lease renewed), so it is left to the
	// next claim, which reads it afresh.
	ended map[string]time.Time
	wg    sync.WaitGroup
}

// Run delivers until ctx ends, then waits for attempts in flight to stop
// and releases its leases.
func (d *Dispatcher) Run(ctx context.Context) error {
	if d.Store == nil || d.Owner == "" {
		return errors.New("webhook dispatcher needs a store and an owner name")
	}
	r := &run{d: d, now: d.Now, jitter: d.Jitter, lease: d.Lease, log: d.Logger, running: map[string]bool{}, ended: map[string]time.Time{}}
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
	r.send.keys, r.send.issuer = d.Keys, d.Issuer
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
	started := time.Now()
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
		busy := r.running[k] || r.ended[k].After(started)
		if !busy {
			r.running[k] = true
			delete(r.ended, k)
		}
		r.mu.Unlock()
		if busy {
			continue // renewed our own lease; its worker goes on, or just ended
		}
		r.wg.Add(1)
		go func(ep store.WebhookEndpoint) {
			defer r.wg.Done()
			defer func() {
				r.mu.Lock()
				delete(r.running, k)
				r.ended[k] = time.Now()
				r.mu.Unlock()
			}()
			r.deliver(ctx, ep)
		}(l.Endpoint)
	}
}

// batch is how many events a worker reads at a time.
const batch = 100

// Acknowledged deliveries are recorded together, moving the cursor once
// for up to flushEvery of them or flushAfter, whichever comes first: one
// write per event would bound an endpoint's rate by the database's write
// latency. An event is still sent only after the previous one was
// answered 2xx; a crash before the record sends the unrecorded ones again
// (at least once, in order).
const (
	flushEvery = 64
	flushAfter = 50 * time.Millisecond
)

// idleFor is how long a worker with nothing to send keeps watching for
// new events before giving its lease back: during a sync the next event
// is usually milliseconds away, and a new claim would cost a poll.
const idleFor = 500 * time.Millisecond

// worker delivers to one leased endpoint.
type worker struct {
	r       *run
	ep      store.WebhookEndpoint // as last read from the store
	handled int64                 // last event acknowledged or skipped
	pending []store.WebhookDelivery
	since   time.Time // when the first pending delivery was answered
	read    time.Time // when ep was read
}

// fresh is how old the endpoint as read may be when an event is sent, so
// a change people make takes effect at once, whichever instance delivers.
const fresh = 100 * time.Millisecond

// refresh rereads the endpoint if it is older than fresh, and reports
// whether delivery may go on.
func (w *worker) refresh(ctx context.Context) bool {
	if time.Since(w.read) < fresh {
		return true
	}
	ep, err := w.r.d.Store.GetWebhook(ctx, w.ep.OrgID, w.ep.ID)
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) && ctx.Err() == nil {
			w.r.log.Error("read webhook endpoint", "org", w.ep.OrgID, "webhook", w.ep.ID, "err", err)
		}
		return false
	}
	// Keep the cursor and counts this worker knows; take the settings.
	w.ep.URL, w.ep.EventTypes, w.ep.Enabled = ep.URL, ep.EventTypes, ep.Enabled
	w.ep.Format, w.ep.Audience = ep.Format, ep.Audience
	w.ep.Secret, w.ep.PreviousSecret, w.ep.PreviousSecretUntil = ep.Secret, ep.PreviousSecret, ep.PreviousSecretUntil
	w.read = time.Now()
	return ep.Enabled
}

// deliver sends ep its pending events in order until none is left, one
// fails, the endpoint is disabled or deleted, or the lease is lost.
func (r *run) deliver(ctx context.Context, ep store.WebhookEndpoint) {
	w := &worker{r: r, ep: ep, handled: ep.Cursor, read: time.Now()}
	idleSince := time.Time{}
	for {
		evs, err := r.d.Store.ListEvents(ctx, ep.OrgID, w.handled, batch)
		if err != nil {
			if ctx.Err() == nil {
				r.log.Error("read events for webhook", "org", ep.OrgID, "webhook", ep.ID, "err", err)
			}
			w.finish(ctx, nil)
			return
		}
		if len(evs) == 0 {
			if !w.flush(ctx) {
				return
			}
			if idleSince.IsZero() {
				idleSince = time.Now()
			}
			if time.Since(idleSince) >= idleFor || ctx.Err() != nil {
				w.finish(ctx, nil)
				return
			}
			select {
			case <-ctx.Done():
			case <-time.After(10 * time.Millisecond):
			}
			continue
		}
		idleSince = time.Time{}
		for _, e := range evs {
			if !wantsEvent(w.ep, e) {
				w.handled = e.Seq
				continue
			}
			if ctx.Err() != nil || !w.refresh(ctx) {
				w.finish(ctx, nil)
				return
			}
			if !wantsEvent(w.ep, e) { // the filter or format changed
				w.handled = e.Seq
				continue
			}
			a := r.send.send(ctx, w.ep, e)
			if ctx.Err() != nil {
				// Stopping: the attempt was cut short, not answered.
				// It is not logged; the event is sent again later.
				w.finish(ctx, nil)
				return
			}
			if !a.acked && !a.rejected {
				w.finish(ctx, &a)
				return
			}
			if a.rejected {
				r.log.Warn("SET rejected by the receiver; not sent again", "org", ep.OrgID, "webhook", ep.ID,
					"seq", e.Seq, "status", a.delivery.Status, "err", a.delivery.Error)
			}
			a.delivery.Attempt = w.attempts() + 1
			w.pending = append(w.pending, a.delivery)
			w.handled = e.Seq
			if len(w.pending) == 1 {
				w.since = time.Now()
			}
			if len(w.pending) >= flushEvery || time.Since(w.since) >= flushAfter {
				if !w.flush(ctx) {
					return
				}
			}
		}
		if time.Since(w.since) >= flushAfter || len(w.pending) == 0 {
			if !w.flush(ctx) {
				return
			}
		}
	}
}

// attempts is how many times the event being sent failed before: the
// endpoint's count while nothing was acknowledged in this run, else 0.
func (w *worker) attempts() int {
	if w.handled > w.ep.Cursor || len(w.pending) > 0 {
		return 0
	}
	return w.ep.Attempts
}

// record writes an outcome under the lease and reports whether the worker
// may go on: not when the endpoint is gone, disabled or leased to another
// dispatcher, or the store failed. The write is made even if the
// dispatcher is stopping, so answered events are not sent again.
func (w *worker) record(ctx context.Context, o store.WebhookOutcome) bool {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	ep := w.ep
	next, err := w.r.d.Store.RecordWebhookAttempt(rctx, w.r.d.Owner, ep.OrgID, ep.ID, o)
	w.pending = nil
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) && !errors.Is(err, store.ErrVersionMismatch) {
			w.r.log.Error("record webhook attempts", "org", ep.OrgID, "webhook", ep.ID, "err", err)
			if !o.LeaseUntil.IsZero() {
				// Give the lease back so delivery resumes soon from the
				// cursor; if that fails too, the lease runs out.
				w.r.d.Store.RecordWebhookAttempt(rctx, w.r.d.Owner, ep.OrgID, ep.ID, store.WebhookOutcome{}) //nolint:errcheck // see above
			}
		}
		return false
	}
	w.ep, w.read = next, time.Now()
	if !next.Enabled && !o.LeaseUntil.IsZero() {
		w.record(ctx, store.WebhookOutcome{}) // release
		return false
	}
	return next.Enabled
}

// flush records the pending acknowledgements and skips, keeping the lease.
func (w *worker) flush(ctx context.Context) bool {
	if len(w.pending) == 0 && w.handled <= w.ep.Cursor {
		return true
	}
	return w.record(ctx, store.WebhookOutcome{Deliveries: w.pending, Cursor: w.handled,
		LeaseUntil: w.r.now().Add(w.r.lease)})
}

// finish records what is pending, and the failed attempt a if any, and
// gives the lease back. After a failure the endpoint waits for its next
// attempt on the schedule, or after the receiver's Retry-After; a 410, or
// DisableAfter of failures, disables it.
func (w *worker) finish(ctx context.Context, a *attempt) {
	o := store.WebhookOutcome{Deliveries: w.pending, Cursor: w.handled}
	if a != nil {
		r, ep, d := w.r, w.ep, a.delivery
		n := w.attempts()
		d.Attempt = n + 1
		failingSince := ep.FailingSince
		if n == 0 || failingSince.IsZero() {
			failingSince = d.At
		}
		wait := Schedule[min(n, len(Schedule)-1)]
		if a.retryAfter > 0 {
			wait = min(a.retryAfter, maxRetryAfter)
		} else {
			wait = r.jitter(wait)
		}
		o.Retry = d.At.Add(wait)
		switch {
		case d.Status == http.StatusGone:
			o.Disable = "the endpoint answered 410 Gone"
		case d.At.Sub(failingSince) >= DisableAfter:
			o.Disable = fmt.Sprintf("every attempt failed for %s, since %s", DisableAfter, failingSince.Format(time.RFC3339))
		}
		r.log.Warn("webhook attempt failed", "org", ep.OrgID, "webhook", ep.ID, "seq", d.Seq, "attempt", d.Attempt,
			"status", d.Status, "err", d.Error, "retry_at", o.Retry, "disable", o.Disable)
		o.Deliveries = append(o.Deliveries, d)
	}
	w.record(ctx, o)
}
