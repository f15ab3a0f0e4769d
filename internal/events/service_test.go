package events_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/events"
	"github.com/rosterhq/roster/internal/fault"
	"github.com/rosterhq/roster/internal/store"
)

// TestRotationSignsWithBoth: after a rotation both secrets sign until the
// grace period ends, then only the new one.
func TestRotationSignsWithBoth(t *testing.T) {
	engines(t, func(t *testing.T, s store.Store) {
		ctx := context.Background()
		c := newClock()
		rc := newReceiver(t)
		org := mustOrg(t, s)
		svc := &events.Service{Store: s, Targets: private, Now: c.Now}
		ep, err := svc.Create(ctx, cli, org.ID, events.Spec{URL: rc.URL})
		if err != nil {
			t.Fatal(err)
		}
		rot, err := svc.RotateSecret(ctx, cli, org.ID, ep.ID, time.Hour)
		if err != nil || rot.Secret == ep.Secret || !strings.HasPrefix(rot.Secret, "whsec_") {
			t.Fatalf("RotateSecret = %+v, %v", rot, err)
		}
		startDispatcher(t, s, "a", c, private)
		waitFor(t, "two deliveries", func() bool { return len(rc.requests()) == 2 })
		for _, r := range rc.requests() {
			if strings.Count(r.signature, "v1,") != 2 || !verify(ep.Secret, r) || !verify(rot.Secret, r) {
				t.Fatalf("during the grace period signature %q must verify with both secrets", r.signature)
			}
		}
		c.Add(time.Hour)
		addUsers(t, s, org.ID, 1)
		waitFor(t, "third delivery", func() bool { return len(rc.requests()) == 3 })
		r := rc.requests()[2]
		if strings.Count(r.signature, "v1,") != 1 || verify(ep.Secret, r) || !verify(rot.Secret, r) {
			t.Fatalf("after the grace period signature %q must verify with the new secret only", r.signature)
		}
	})
}

// TestEndpointChangesTakeEffect: a filter, a new URL, disabling and
// enabling reach the running dispatcher within a second; a filtered-out
// event is skipped, a disabled endpoint's events wait for it.
func TestEndpointChangesTakeEffect(t *testing.T) {
	engines(t, func(t *testing.T, s store.Store) {
		ctx := context.Background()
		c := newClock()
		first, second := newReceiver(t), newReceiver(t)
		org := mustOrg(t, s)
		svc := &events.Service{Store: s, Targets: private, Now: c.Now}
		ep, err := svc.Create(ctx, cli, org.ID, events.Spec{URL: first.URL, EventTypes: []string{"user.*"}})
		if err != nil {
			t.Fatal(err)
		}
		startDispatcher(t, s, "a", c, private)
		addUsers(t, s, org.ID, 2)
		waitFor(t, "user events", func() bool { return len(first.requests()) == 2 })
		for _, r := range first.requests() {
			if r.typ != "user.created" {
				t.Fatalf("filtered endpoint got %s", r.typ)
			}
		}
		url := second.URL
		if _, err := svc.Update(ctx, cli, org.ID, ep.ID, 0, store.WebhookPatch{URL: &url}); err != nil {
			t.Fatal(err)
		}
		// A change is acted on within a second: an event committed that
		// long after it goes to the new URL, and only there.
		time.Sleep(time.Second)
		before := len(first.requests())
		addUsers(t, s, org.ID, 1)
		waitFor(t, "delivery to the new URL", func() bool { return len(second.requests()) == 1 })
		if n := len(first.requests()); n != before {
			t.Errorf("the old URL got %d more requests", n-before)
		}
		if _, err := svc.Disable(ctx, cli, org.ID, ep.ID, ""); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Second)
		addUsers(t, s, org.ID, 2)
		time.Sleep(100 * time.Millisecond)
		if n := len(second.requests()); n != 1 {
			t.Fatalf("disabled endpoint got %d requests, want 1", n)
		}
		if _, err := svc.Enable(ctx, cli, org.ID, ep.ID); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the held-back events", func() bool { return len(second.requests()) == 3 })
		seqs := second.seqs()
		if !slices.IsSorted(seqs) {
			t.Fatalf("after enabling got %v, want seq order", seqs)
		}
	})
}

// TestRedeliver: an event is sent again on request, logged as a
// redelivery, and the cursor stays.
func TestRedeliver(t *testing.T) {
	engines(t, func(t *testing.T, s store.Store) {
		ctx := context.Background()
		c := newClock()
		rc := newReceiver(t)
		org := mustOrg(t, s)
		svc := &events.Service{Store: s, Targets: private, Now: c.Now}
		ep, err := svc.Create(ctx, cli, org.ID, events.Spec{URL: rc.URL, Disabled: true})
		if err != nil {
			t.Fatal(err)
		}
		d, err := svc.Redeliver(ctx, org.ID, ep.ID, 1)
		if err != nil || !d.Redelivery || d.Status != 200 || d.Seq != 1 || d.EventType != "org.created" {
			t.Fatalf("Redeliver = %+v, %v", d, err)
		}
		if got := rc.requests(); len(got) != 1 || got[0].seq != 1 || !verify(ep.Secret, got[0]) {
			t.Fatalf("receiver got %+v", got)
		}
		if _, err := svc.Redeliver(ctx, org.ID, ep.ID, 999); !errors.Is(err, fault.NotFound) {
			t.Errorf("Redeliver of a missing event = %v, want NotFound", err)
		}
		cur, _ := s.GetWebhook(ctx, org.ID, ep.ID)
		if cur.Cursor != ep.Cursor {
			t.Errorf("cursor moved to %d", cur.Cursor)
		}
		if ds := deliveries(t, s, ep); len(ds) != 1 || !ds[0].Redelivery {
			t.Errorf("delivery log %+v", ds)
		}
	})
}

// TestValidation: bad input is refused with a message for people.
func TestValidation(t *testing.T) {
	engines(t, func(t *testing.T, s store.Store) {
		ctx := context.Background()
		org := mustOrg(t, s)
		svc := &events.Service{Store: s, Targets: private}
		for _, sp := range []events.Spec{
			{URL: "ftp://127.0.0.1/x"},
			{URL: "http://127.0.0.1/x", EventTypes: []string{"User Created"}},
			{URL: "http://127.0.0.1/x", EventTypes: []string{"user.*.created"}},
			{URL: "http://127.0.0.1/x", Description: strings.Repeat("x", 501)},
		} {
			if _, err := svc.Create(ctx, cli, org.ID, sp); !errors.Is(err, fault.Invalid) {
				t.Errorf("Create(%+v) = %v, want Invalid", sp, err)
			}
		}
		if l, _ := svc.List(ctx, org.ID); len(l) != 0 {
			t.Errorf("refused endpoints were stored: %+v", l)
		}
	})
	for _, tc := range []struct {
		filters []string
		typ     string
		want    bool
	}{
		{nil, "user.created", true},
		{[]string{"user.*"}, "user.created", true},
		{[]string{"user.*"}, "username.created", false},
		{[]string{"user.created"}, "user.deleted", false},
		{[]string{"*"}, "group.deleted", true},
	} {
		if got := events.Matches(tc.filters, tc.typ); got != tc.want {
			t.Errorf("Matches(%v, %s) = %t", tc.filters, tc.typ, got)
		}
	}
}
