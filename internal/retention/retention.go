// Package retention deletes what roster keeps only for a while — events
// past their retention period, the webhook delivery log, the provisioning
// log — in small
// batches, in the background, so the tables stop growing with every IdP
// sync cycle without a purge ever holding the writer for long.
//
// Events a webhook endpoint has not been sent yet are never deleted (the
// store's PurgeEvents enforces it), and a feed consumer resuming from a
// deleted seq is told so (access.Service.Events).
package retention

import (
	"context"
	"log/slog"
	"time"
)

// Store deletes old rows in batches; *sqlstore.DB is one.
type Store interface {
	PurgeEvents(ctx context.Context, before time.Time, limit int) (int64, error)
	PurgeDeliveries(ctx context.Context, before time.Time, limit int) (int64, error)
	PurgeRequests(ctx context.Context, before time.Time, limit int) (int64, error)
}

// Defaults: a year and a month of events (an audit year with room), and a
// month of delivery attempts (long enough to debug an endpoint's failures
// and redeliver).
const (
	DefaultEvents     = 400 * 24 * time.Hour
	DefaultDeliveries = 30 * 24 * time.Hour
	// DefaultRequests keeps the provisioning log a month: long enough to
	// look back over an Entra cycle's failures after a holiday.
	DefaultRequests = 30 * 24 * time.Hour
	DefaultBatch    = 1000
	DefaultInterval = time.Hour
)

// Policy says how long each kind is kept; zero keeps it forever.
type Policy struct {
	Events     time.Duration
	Deliveries time.Duration
	// Requests is the provisioning log's.
	Requests time.Duration
}

// Service runs the purges. Its fields are its dependencies and settings;
// zero values take the defaults.
type Service struct {
	Store  Store
	Policy Policy
	// Batch is how many rows one transaction deletes (per organization for
	// events).
	Batch int
	// Interval is the time between purge rounds.
	Interval time.Duration
	// Pause is the rest between batches of one round, leaving the writer to
	// the requests.
	Pause  time.Duration
	Now    func() time.Time
	Logger *slog.Logger
}

// Purged is what one round deleted.
type Purged struct {
	Events, Deliveries, Requests int64
}

func (s *Service) batch() int {
	if s.Batch > 0 {
		return s.Batch
	}
	return DefaultBatch
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// RunOnce deletes everything past its retention period, batch by batch,
// and returns how much it deleted.
func (s *Service) RunOnce(ctx context.Context) (Purged, error) {
	var p Purged
	now := s.now()
	for _, k := range []struct {
		keep  time.Duration
		purge func(context.Context, time.Time, int) (int64, error)
		count *int64
	}{
		{s.Policy.Events, s.Store.PurgeEvents, &p.Events},
		{s.Policy.Deliveries, s.Store.PurgeDeliveries, &p.Deliveries},
		{s.Policy.Requests, s.Store.PurgeRequests, &p.Requests},
	} {
		if k.keep <= 0 {
			continue
		}
		before := now.Add(-k.keep)
		for {
			n, err := k.purge(ctx, before, s.batch())
			*k.count += n
			if err != nil {
				return p, err
			}
			// A batch that was not full was the last: for events, no
			// organization had a full batch left.
			if n < int64(s.batch()) {
				break
			}
			if s.Pause > 0 {
				select {
				case <-ctx.Done():
					return p, ctx.Err()
				case <-time.After(s.Pause):
				}
			}
		}
	}
	return p, nil
}

// Run purges every Interval until ctx ends, starting with a round at once.
func (s *Service) Run(ctx context.Context) {
	logger := s.Logger
	if logger == nil {
		logger = slog.Default()
	}
	interval := s.Interval
	if interval <= 0 {
		interval = DefaultInterval
	}
	for {
		p, err := s.RunOnce(ctx)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			logger.WarnContext(ctx, "retention round failed; the next round retries", "err", err)
		case p.Events > 0 || p.Deliveries > 0 || p.Requests > 0:
			logger.InfoContext(ctx, "retention deleted old records", "events", p.Events, "webhook_deliveries", p.Deliveries,
				"provisioning_log", p.Requests)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(interval):
		}
	}
}
