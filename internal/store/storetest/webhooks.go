package storetest

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/store"
)

func mustWebhook(t *testing.T, s store.Store, org string, types ...string) store.WebhookEndpoint {
	t.Helper()
	ep, err := s.CreateWebhook(context.Background(), cli, store.WebhookEndpoint{
		ID: id("wh"), OrgID: org, URL: "https://hooks.example.com/roster", Description: "app",
		EventTypes: types, Enabled: true, Secret: "whsec_" + id("secret"),
	})
	if err != nil {
		t.Fatalf("CreateWebhook: %v", err)
	}
	return ep
}

// testWebhooks pins the endpoint records: the cursor starts at the
// organization's last event, changes are events that never hold a secret,
// updates are conditional, and organizations do not see each other's.
func testWebhooks(t *testing.T, s store.Store) {
	ctx := context.Background()
	o := mustOrg(t, s)
	mustUser(t, s, o.ID, "before@example.com")
	ep := mustWebhook(t, s, o.ID, "user.*")
	if ep.Cursor != 2 || ep.Version != 1 || !ep.Enabled || ep.CreatedAt.IsZero() {
		t.Fatalf("new webhook = %+v, want cursor 2 (org.created, user.created), version 1, enabled", ep)
	}
	got, err := s.GetWebhook(ctx, o.ID, ep.ID)
	if err != nil || got.URL != ep.URL || got.Secret != ep.Secret || !slices.Equal(got.EventTypes, []string{"user.*"}) || got.Cursor != 2 {
		t.Fatalf("GetWebhook = %+v, %v; want %+v", got, err, ep)
	}
	if _, err := s.CreateWebhook(ctx, cli, store.WebhookEndpoint{ID: ep.ID, OrgID: o.ID, URL: "https://x.example", Secret: "whsec_x"}); !errors.Is(err, store.ErrConflict) {
		t.Errorf("duplicate CreateWebhook err = %v, want ErrConflict", err)
	}
	if _, err := s.CreateWebhook(ctx, cli, store.WebhookEndpoint{ID: id("wh"), OrgID: "nope", URL: "https://x.example", Secret: "whsec_x"}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("CreateWebhook in a missing org err = %v, want ErrNotFound", err)
	}
	if _, err := s.CreateWebhook(ctx, cli, store.WebhookEndpoint{ID: id("wh"), OrgID: o.ID, URL: "https://x.example"}); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("CreateWebhook without a secret err = %v, want ErrInvalid", err)
	}

	// Tenancy: another organization sees nothing of it.
	other := mustOrg(t, s)
	if _, err := s.GetWebhook(ctx, other.ID, ep.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetWebhook through another org err = %v, want ErrNotFound", err)
	}
	if _, err := s.SetWebhookEnabled(ctx, cli, other.ID, ep.ID, false, ""); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("SetWebhookEnabled through another org err = %v, want ErrNotFound", err)
	}
	if err := s.DeleteWebhook(ctx, cli, other.ID, ep.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("DeleteWebhook through another org err = %v, want ErrNotFound", err)
	}
	if l, err := s.ListWebhooks(ctx, other.ID); err != nil || len(l) != 0 {
		t.Errorf("ListWebhooks of another org = %v, %v; want none", l, err)
	}

	url, types := "https://hooks.example.com/v2", []string{"user.created", "group.*"}
	up, err := s.UpdateWebhook(ctx, cli, o.ID, ep.ID, ep.Version, store.WebhookPatch{URL: &url, EventTypes: &types})
	if err != nil || up.URL != url || !slices.Equal(up.EventTypes, types) || up.Description != "app" || up.Version != 2 {
		t.Fatalf("UpdateWebhook = %+v, %v", up, err)
	}
	if _, err := s.UpdateWebhook(ctx, cli, o.ID, ep.ID, ep.Version, store.WebhookPatch{URL: &url}); !errors.Is(err, store.ErrVersionMismatch) {
		t.Errorf("UpdateWebhook at a stale version err = %v, want ErrVersionMismatch", err)
	}
	until := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	rot, err := s.RotateWebhookSecret(ctx, cli, o.ID, ep.ID, "whsec_new", until)
	if err != nil || rot.Secret != "whsec_new" || rot.PreviousSecret != ep.Secret || !rot.PreviousSecretUntil.Equal(until) {
		t.Fatalf("RotateWebhookSecret = %+v, %v", rot, err)
	}
	dis, err := s.SetWebhookEnabled(ctx, cli, o.ID, ep.ID, false, "maintenance")
	if err != nil || dis.Enabled || dis.DisabledReason != "maintenance" {
		t.Fatalf("disable = %+v, %v", dis, err)
	}
	if _, err := s.SetWebhookEnabled(ctx, cli, o.ID, ep.ID, false, "again"); err != nil {
		t.Fatal(err)
	}
	en, err := s.SetWebhookEnabled(ctx, cli, o.ID, ep.ID, true, "")
	if err != nil || !en.Enabled || en.DisabledReason != "" {
		t.Fatalf("enable = %+v, %v", en, err)
	}
	l, err := s.ListWebhooks(ctx, o.ID)
	if err != nil || len(l) != 1 || l[0].ID != ep.ID || l[0].Secret != "whsec_new" {
		t.Fatalf("ListWebhooks = %+v, %v", l, err)
	}
	if err := s.DeleteWebhook(ctx, cli, o.ID, ep.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetWebhook(ctx, o.ID, ep.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetWebhook after delete err = %v, want ErrNotFound", err)
	}

	evs := events(t, s, o.ID)
	want := []string{"org.created", "user.created", "webhook.created", "webhook.updated", "webhook.secret_rotated",
		"webhook.disabled", "webhook.enabled", "webhook.deleted"}
	if got := eventTypes(evs); !slices.Equal(got, want) {
		t.Fatalf("events = %v, want %v", got, want)
	}
	for _, e := range evs {
		if strings.Contains(string(e.Data), "whsec_") {
			t.Errorf("event %s holds a secret: %s", e.Type, e.Data)
		}
	}
}

// testWebhookLeases pins the dispatcher's contract: only due endpoints
// with pending events are claimed, never by two owners at once, an expired
// lease is taken over, and only the owner records.
func testWebhookLeases(t *testing.T, s store.Store) {
	ctx := context.Background()
	now := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	o := mustOrg(t, s)
	ep := mustWebhook(t, s, o.ID)
	idle := mustOrg(t, s)
	idleEP := mustWebhook(t, s, idle.ID)
	// idleEP has its own webhook.created pending; deliver it so the
	// organization has nothing more to send.
	claim := func(owner string, at time.Time) []string {
		t.Helper()
		ls, err := s.ClaimWebhooks(ctx, owner, at, at.Add(time.Minute), 10)
		if err != nil {
			t.Fatalf("ClaimWebhooks(%s): %v", owner, err)
		}
		var ids []string
		for _, l := range ls {
			ids = append(ids, l.Endpoint.ID)
		}
		slices.Sort(ids)
		return ids
	}
	both := []string{ep.ID, idleEP.ID}
	slices.Sort(both)
	if got := claim("a", now); !slices.Equal(got, both) {
		t.Fatalf("first claim = %v, want %v", got, both)
	}
	if got := claim("b", now); len(got) != 0 {
		t.Fatalf("claim while leased = %v, want none", got)
	}
	if _, err := s.RecordWebhookAttempt(ctx, "b", o.ID, ep.ID, store.WebhookOutcome{Cursor: ep.Cursor + 1}); !errors.Is(err, store.ErrVersionMismatch) {
		t.Fatalf("record by a non-owner err = %v, want ErrVersionMismatch", err)
	}
	ok := &store.WebhookDelivery{Seq: idleEP.Cursor + 1, EventType: "webhook.created", Attempt: 1, At: now, Status: 204, Latency: 3 * time.Millisecond}
	if got, err := s.RecordWebhookAttempt(ctx, "a", idle.ID, idleEP.ID, store.WebhookOutcome{Deliveries: []store.WebhookDelivery{*ok}, Cursor: idleEP.Cursor + 1}); err != nil || got.Cursor != idleEP.Cursor+1 {
		t.Fatalf("record success = %+v, %v", got, err)
	}

	// A failure keeps the cursor and schedules the retry; the endpoint is
	// not due before it, even once the lease is released.
	fail := &store.WebhookDelivery{Seq: ep.Cursor + 1, EventType: "webhook.created", Attempt: 1, At: now, Status: 500, Response: "boom"}
	got, err := s.RecordWebhookAttempt(ctx, "a", o.ID, ep.ID, store.WebhookOutcome{Deliveries: []store.WebhookDelivery{*fail}, Retry: now.Add(5 * time.Second)})
	if err != nil || got.Cursor != ep.Cursor || got.Attempts != 1 || !got.FailingSince.Equal(now) || !got.NextAttemptAt.Equal(now.Add(5*time.Second)) {
		t.Fatalf("record failure = %+v, %v", got, err)
	}
	if got := claim("b", now.Add(4*time.Second)); len(got) != 0 {
		t.Fatalf("claim before the retry is due = %v, want none", got)
	}
	if got := claim("b", now.Add(5*time.Second)); !slices.Equal(got, []string{ep.ID}) {
		t.Fatalf("claim once due = %v, want %v (the idle endpoint has nothing pending)", got, ep.ID)
	}
	// An owner claiming again renews its own lease (a restart under the
	// same name resumes at once).
	if got := claim("b", now.Add(6*time.Second)); !slices.Equal(got, []string{ep.ID}) {
		t.Fatalf("claim of one's own lease = %v, want %v", got, ep.ID)
	}
	// b dies holding the lease; a takes over once it has run out.
	if got := claim("a", now.Add(6*time.Second+59*time.Second)); len(got) != 0 {
		t.Fatalf("claim of a running lease = %v, want none", got)
	}
	if got := claim("a", now.Add(6*time.Second+time.Minute)); !slices.Equal(got, []string{ep.ID}) {
		t.Fatalf("claim of an expired lease = %v, want %v", got, ep.ID)
	}
	if _, err := s.RecordWebhookAttempt(ctx, "b", o.ID, ep.ID, store.WebhookOutcome{Cursor: ep.Cursor + 1}); !errors.Is(err, store.ErrVersionMismatch) {
		t.Fatalf("record by the lost owner err = %v, want ErrVersionMismatch", err)
	}
	gone := &store.WebhookDelivery{Seq: ep.Cursor + 1, EventType: "webhook.created", Attempt: 2, At: now.Add(time.Hour), Status: 410}
	got, err = s.RecordWebhookAttempt(ctx, "a", o.ID, ep.ID, store.WebhookOutcome{Deliveries: []store.WebhookDelivery{*gone}, Retry: now.Add(2 * time.Hour), Disable: "the endpoint answered 410 Gone"})
	if err != nil || got.Enabled || got.DisabledReason != "the endpoint answered 410 Gone" || got.Attempts != 2 || !got.FailingSince.Equal(now) {
		t.Fatalf("record with disable = %+v, %v", got, err)
	}
	if got := claim("a", now.Add(3*time.Hour)); len(got) != 0 {
		t.Fatalf("claim of a disabled endpoint = %v, want none", got)
	}
	if ev := events(t, s, o.ID); ev[len(ev)-1].Type != "webhook.disabled" || ev[len(ev)-1].Actor.Kind != "system" {
		t.Fatalf("last event = %+v, want webhook.disabled by the system", ev[len(ev)-1])
	}
	// Enabling forgets the failures: due at once, from the same cursor.
	en, err := s.SetWebhookEnabled(ctx, cli, o.ID, ep.ID, true, "")
	if err != nil || en.Attempts != 0 || !en.FailingSince.IsZero() || !en.NextAttemptAt.IsZero() || en.Cursor != ep.Cursor {
		t.Fatalf("enable = %+v, %v", en, err)
	}

	ds, err := s.ListWebhookDeliveries(ctx, o.ID, ep.ID, 0, 10)
	if err != nil || len(ds) != 2 || ds[0].Status != 410 || ds[1].Status != 500 || ds[1].Response != "boom" || ds[0].ID <= ds[1].ID {
		t.Fatalf("ListWebhookDeliveries = %+v, %v; want the 410 then the 500", ds, err)
	}
	older, err := s.ListWebhookDeliveries(ctx, o.ID, ep.ID, ds[0].ID, 10)
	if err != nil || len(older) != 1 || older[0].ID != ds[1].ID {
		t.Fatalf("ListWebhookDeliveries before %d = %+v, %v", ds[0].ID, older, err)
	}
	red, err := s.LogWebhookDelivery(ctx, store.WebhookDelivery{OrgID: o.ID, EndpointID: ep.ID, Seq: 1, EventType: "org.created", Attempt: 1, Redelivery: true, At: now, Status: 200})
	if err != nil || red.ID <= ds[0].ID {
		t.Fatalf("LogWebhookDelivery = %+v, %v", red, err)
	}
	if _, err := s.ListWebhookDeliveries(ctx, idle.ID, ep.ID, 0, 10); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("deliveries through another org err = %v, want ErrNotFound", err)
	}
	if d, _ := s.ListWebhookDeliveries(ctx, idle.ID, idleEP.ID, 0, 10); len(d) != 1 || d[0].Latency != 3*time.Millisecond || !d[0].At.Equal(now) {
		t.Errorf("idle endpoint deliveries = %+v, want the one success with its latency", d)
	}
}
