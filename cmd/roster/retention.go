package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/rosterhq/roster/internal/retention"
)

// retentionFlags say how long roster keeps what it deletes over time.
type retentionFlags struct {
	eventDays, deliveryDays *int
}

func (r *retentionFlags) register(f *flags) {
	r.eventDays = f.Int("event-retention-days", int(retention.DefaultEvents/(24*time.Hour)),
		"days the event log keeps events (the feed answers 410 for older seqs; events a webhook endpoint has not been sent are kept); 0 keeps them forever")
	r.deliveryDays = f.Int("delivery-retention-days", int(retention.DefaultDeliveries/(24*time.Hour)),
		"days the webhook delivery log keeps attempts; 0 keeps them forever")
}

func (r *retentionFlags) policy() (retention.Policy, error) {
	if *r.eventDays < 0 || *r.deliveryDays < 0 {
		return retention.Policy{}, fmt.Errorf("--event-retention-days and --delivery-retention-days take a number of days, or 0 to keep forever")
	}
	return retention.Policy{
		Events:     time.Duration(*r.eventDays) * 24 * time.Hour,
		Deliveries: time.Duration(*r.deliveryDays) * 24 * time.Hour,
	}, nil
}

// startRetention runs the retention rounds until ctx ends; stop waits for
// the round in progress.
func startRetention(ctx context.Context, s retention.Store, p retention.Policy, logger *slog.Logger) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	svc := &retention.Service{Store: s, Policy: p, Pause: 50 * time.Millisecond, Logger: logger}
	go func() {
		defer close(done)
		svc.Run(ctx)
	}()
	return func() {
		cancel()
		<-done
	}
}
