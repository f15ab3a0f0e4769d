package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rosterhq/roster/internal/reqlog"
	"github.com/rosterhq/roster/internal/retention"
)

// retentionFlags say how long roster keeps what it deletes over time.
type retentionFlags struct {
	eventDays, deliveryDays, requestDays *int
}

func (r *retentionFlags) register(f *flags) {
	r.eventDays = f.Int("event-retention-days", int(retention.DefaultEvents/(24*time.Hour)),
		"days the event log keeps events (the feed answers 410 for older seqs; events a webhook endpoint has not been sent are kept); 0 keeps them forever")
	r.deliveryDays = f.Int("delivery-retention-days", int(retention.DefaultDeliveries/(24*time.Hour)),
		"days the webhook delivery log keeps attempts; 0 keeps them forever")
	r.requestDays = f.Int("request-log-days", int(retention.DefaultRequests/(24*time.Hour)),
		"days the provisioning log (every SCIM request, shown in the console) keeps requests; 0 turns the log off")
}

func (r *retentionFlags) policy() (retention.Policy, error) {
	if *r.eventDays < 0 || *r.deliveryDays < 0 {
		return retention.Policy{}, fmt.Errorf("--event-retention-days and --delivery-retention-days take a number of days, or 0 to keep forever")
	}
	if *r.requestDays < 0 {
		return retention.Policy{}, fmt.Errorf("--request-log-days takes a number of days, or 0 to keep no provisioning log")
	}
	return retention.Policy{
		Events:     time.Duration(*r.eventDays) * 24 * time.Hour,
		Deliveries: time.Duration(*r.deliveryDays) * 24 * time.Hour,
		Requests:   time.Duration(*r.requestDays) * 24 * time.Hour,
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

// startRequestLog runs the provisioning log's writer until ctx ends, when
// keep is positive; stop waits for it to write what is queued. With keep
// 0 the log is off and the recorder nil.
func startRequestLog(ctx context.Context, s reqlog.Store, keep time.Duration, reg prometheus.Registerer, logger *slog.Logger) (rec *reqlog.Recorder, stop func()) {
	if keep <= 0 {
		return nil, func() {}
	}
	rec = &reqlog.Recorder{Store: s, Logger: logger}
	reg.MustRegister(
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "roster_request_log_written_total",
			Help: "SCIM requests written to the provisioning log."}, func() float64 { return float64(rec.Written()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "roster_request_log_dropped_total",
			Help: "SCIM requests not written to the provisioning log because the database could not keep up."},
			func() float64 { return float64(rec.Dropped()) }),
	)
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		rec.Run(ctx)
	}()
	return rec, func() {
		cancel()
		<-done
	}
}
