package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/store"
)

// testRetention pins event and delivery retention: events go oldest first,
// in batches, never past a newer event or an endpoint's cursor, and the
// organization's horizon records how far they went; deliveries go by age.
func testRetention(t *testing.T, s store.Store) {
	ctx := context.Background()
	a := mustOrg(t, s)
	for i := 0; i < 10; i++ {
		mustUser(t, s, a.ID, id("u")+"@example.com")
	}
	evs, err := s.ListEvents(ctx, a.ID, 0, 100)
	if err != nil || len(evs) != 11 {
		t.Fatalf("ListEvents = %d events, %v; want 11", len(evs), err)
	}
	cutoff := evs[5].At // seq 6: events 1..5 are older

	b := mustOrg(t, s)
	ep := mustWebhook(t, s, b.ID) // cursor at seq 1 (org.created)
	for i := 0; i < 4; i++ {
		mustUser(t, s, b.ID, id("u")+"@example.com")
	}

	// Batches of 3 per organization: a's 1..3, then 4..5; b keeps all but
	// what its endpoint was sent (seq 1), even though all of b's are old
	// enough once the cutoff is in the future.
	if n, err := s.PurgeEvents(ctx, cutoff, 3); err != nil || n != 3+0 {
		// b's events are newer than cutoff: only a's three go.
		t.Fatalf("first PurgeEvents = %d, %v; want 3", n, err)
	}
	if n, err := s.PurgeEvents(ctx, cutoff, 3); err != nil || n != 2 {
		t.Fatalf("second PurgeEvents = %d, %v; want 2 (seqs 4 and 5)", n, err)
	}
	if n, err := s.PurgeEvents(ctx, cutoff, 3); err != nil || n != 0 {
		t.Fatalf("third PurgeEvents = %d, %v; want 0", n, err)
	}
	if h, err := s.EventHorizon(ctx, a.ID); err != nil || h != 5 {
		t.Errorf("EventHorizon(a) = %d, %v; want 5", h, err)
	}
	kept, err := s.ListEvents(ctx, a.ID, 0, 100)
	if err != nil || len(kept) != 6 || kept[0].Seq != 6 {
		t.Fatalf("after the purge, a's events = %d from seq %v, %v; want 6 from seq 6", len(kept), kept, err)
	}

	future := time.Now().Add(100 * 365 * 24 * time.Hour)
	if n, err := s.PurgeEvents(ctx, future, 100); err != nil || n != 6+1 {
		t.Fatalf("PurgeEvents(everything) = %d, %v; want a's 6 and b's seq 1 only", n, err)
	}
	if h, err := s.EventHorizon(ctx, b.ID); err != nil || h != 1 {
		t.Errorf("EventHorizon(b) = %d, %v; want 1: the endpoint was sent nothing after it", h, err)
	}
	// Once the endpoint has been sent seq 4 (say), the purge may go to 4.
	lease, err := s.ClaimWebhooks(ctx, "test", time.Now(), time.Now().Add(time.Minute), 10)
	if err != nil || len(lease) != 1 {
		t.Fatalf("ClaimWebhooks = %v, %v", lease, err)
	}
	if _, err := s.RecordWebhookAttempt(ctx, "test", b.ID, ep.ID, store.WebhookOutcome{Cursor: 4}); err != nil {
		t.Fatal(err)
	}
	if n, err := s.PurgeEvents(ctx, future, 100); err != nil || n != 3 {
		t.Fatalf("PurgeEvents after the cursor moved = %d, %v; want 3 (seqs 2..4)", n, err)
	}
	if h, _ := s.EventHorizon(ctx, b.ID); h != 4 {
		t.Errorf("EventHorizon(b) = %d; want 4", h)
	}
	if _, err := s.EventHorizon(ctx, "nope"); err == nil {
		t.Error("EventHorizon of a missing organization did not fail")
	}
	// New events go on numbering after the purge.
	u := mustUser(t, s, a.ID, "after@example.com")
	evs, _ = s.ListEvents(ctx, a.ID, 11, 10)
	if len(evs) != 1 || evs[0].Seq != 12 || evs[0].SubjectID != u.ID {
		t.Errorf("the event after a purge = %+v, want seq 12", evs)
	}

	// Deliveries: by age, oldest first, in batches.
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < 5; i++ {
		if _, err := s.LogWebhookDelivery(ctx, store.WebhookDelivery{OrgID: b.ID, EndpointID: ep.ID, Seq: 5, EventType: "user.created",
			Attempt: 1, Redelivery: true, At: base.Add(time.Duration(i) * time.Hour), Status: 200}); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := s.PurgeDeliveries(ctx, base.Add(150*time.Minute), 2); err != nil || n != 2 {
		t.Fatalf("PurgeDeliveries = %d, %v; want 2", n, err)
	}
	if n, err := s.PurgeDeliveries(ctx, base.Add(150*time.Minute), 2); err != nil || n != 1 {
		t.Fatalf("second PurgeDeliveries = %d, %v; want 1", n, err)
	}
	left, err := s.ListWebhookDeliveries(ctx, b.ID, ep.ID, 0, 100)
	if err != nil || len(left) < 2 {
		t.Fatalf("deliveries left = %d, %v", len(left), err)
	}
	for _, d := range left {
		if d.Redelivery && d.At.Before(base.Add(150*time.Minute)) {
			t.Errorf("delivery at %v survived the purge", d.At)
		}
	}
}
