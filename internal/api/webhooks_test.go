package api_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/api"
	"github.com/rosterhq/roster/internal/events"
	"github.com/rosterhq/roster/internal/server"
)

// webhook is an endpoint as the API returns it.
type webhook struct {
	ID                  string
	URL                 string
	Description         string
	EventTypes          []string `json:"event_types"`
	Enabled             bool
	DisabledReason      string     `json:"disabled_reason"`
	Version             int64      `json:"version"`
	Secret              string     `json:"secret"`
	PreviousSecretUntil *time.Time `json:"previous_secret_until"`
}

type delivery struct {
	ID         int64
	Seq        int64
	EventType  string `json:"event_type"`
	Redelivery bool
	Succeeded  bool
	Status     int
}

// hookReceiver is a host app's webhook receiver that records what it got.
type hookReceiver struct {
	*httptest.Server
	mu   sync.Mutex
	got  []hookRequest
	code int
}

type hookRequest struct {
	header http.Header
	body   []byte
}

func newHookReceiver(t *testing.T) *hookReceiver {
	rc := &hookReceiver{code: 204}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		rc.got = append(rc.got, hookRequest{r.Header.Clone(), b})
		code := rc.code
		rc.mu.Unlock()
		w.WriteHeader(code)
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *hookReceiver) requests() []hookRequest {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]hookRequest(nil), rc.got...)
}

// raw sends a request with extra headers and returns the status, the body
// and the answer's headers, without checking the status.
func (f *fixture) raw(method, path, key, body string, header map[string]string) (int, []byte, http.Header) {
	f.t.Helper()
	req, _ := http.NewRequest(method, f.srv.URL+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+key)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b, resp.Header
}

// TestWebhookLifecycle walks every route of /api/v1/webhooks on both
// engines: the secret is shown by create and rotate only, If-Match guards
// PATCH, and what each action changes is what GET then shows.
func TestWebhookLifecycle(t *testing.T) {
	engines(t, func(t *testing.T, f *fixture) {
		rc := newHookReceiver(t)
		status, b, h := f.raw("POST", "/api/v1/webhooks", f.keyA, `{"url":"`+rc.URL+`/hook","description":"app","event_types":["user.*","workspace.created"]}`, nil)
		if status != 201 {
			t.Fatalf("create = %d %s", status, b)
		}
		var ep webhook
		json.Unmarshal(b, &ep)
		if !strings.HasPrefix(ep.Secret, "whsec_") || ep.URL != rc.URL+"/hook" || !ep.Enabled || len(ep.EventTypes) != 2 {
			t.Fatalf("created %+v", ep)
		}
		if h.Get("Location") != "/api/v1/webhooks/"+ep.ID || h.Get("ETag") != `"`+strconv.FormatInt(ep.Version, 10)+`"` {
			t.Errorf("Location %q, ETag %q", h.Get("Location"), h.Get("ETag"))
		}
		etag := h.Get("ETag")

		// Lists and GET never show the secret.
		for _, path := range []string{"/api/v1/webhooks", "/api/v1/webhooks/" + ep.ID} {
			if body := f.do("GET", path, f.keyA, "", 200, nil); strings.Contains(body, ep.Secret) || strings.Contains(body, "whsec_") {
				t.Errorf("GET %s shows the secret: %s", path, body)
			}
		}
		var listed struct{ Items []webhook }
		f.do("GET", "/api/v1/webhooks", f.keyA, "", 200, &listed)
		if len(listed.Items) != 1 || listed.Items[0].ID != ep.ID {
			t.Fatalf("list = %+v", listed)
		}

		// PATCH at the version read; then again at the old one: 412.
		status, b, h = f.raw("PATCH", "/api/v1/webhooks/"+ep.ID, f.keyA, `{"description":"billing app","event_types":[]}`, map[string]string{"If-Match": etag})
		var patched webhook
		json.Unmarshal(b, &patched)
		if status != 200 || patched.Description != "billing app" || len(patched.EventTypes) != 0 || patched.Version <= ep.Version || h.Get("ETag") == etag {
			t.Fatalf("PATCH = %d %s (ETag %s)", status, b, h.Get("ETag"))
		}
		status, b, _ = f.raw("PATCH", "/api/v1/webhooks/"+ep.ID, f.keyA, `{"description":"lost update"}`, map[string]string{"If-Match": etag})
		var e apiErr
		json.Unmarshal(b, &e)
		if status != 412 || e.Error.Code != "version_mismatch" || !strings.Contains(e.Error.Message, "GET it again") {
			t.Errorf("stale PATCH = %d %s, want 412 version_mismatch", status, b)
		}
		var got webhook
		f.do("GET", "/api/v1/webhooks/"+ep.ID, f.keyA, "", 200, &got)
		if got.Description != "billing app" {
			t.Errorf("a refused PATCH changed the endpoint: %+v", got)
		}

		// Disable with a reason, enable.
		f.do("POST", "/api/v1/webhooks/"+ep.ID+"/disable", f.keyA, `{"reason":"maintenance"}`, 200, &got)
		if got.Enabled || got.DisabledReason != "maintenance" {
			t.Errorf("disabled = %+v", got)
		}
		var enabled webhook
		f.do("POST", "/api/v1/webhooks/"+ep.ID+"/enable", f.keyA, "", 200, &enabled)
		if !enabled.Enabled || enabled.DisabledReason != "" {
			t.Errorf("enabled = %+v", enabled)
		}

		// Rotate: a new secret, the old one signing for a while.
		var rotated webhook
		f.do("POST", "/api/v1/webhooks/"+ep.ID+"/rotate-secret", f.keyA, `{"grace_seconds":3600}`, 200, &rotated)
		if !strings.HasPrefix(rotated.Secret, "whsec_") || rotated.Secret == ep.Secret || rotated.PreviousSecretUntil == nil {
			t.Errorf("rotated = %+v", rotated)
		}

		// Redeliver an event (the endpoint's own webhook.created) and
		// find the attempt in the delivery log.
		var evs struct {
			Items []struct {
				Seq  int64
				Type string
			}
		}
		f.do("GET", "/api/v1/events?limit=1000", f.keyA, "", 200, &evs)
		var seq int64
		for _, ev := range evs.Items {
			if ev.Type == "webhook.created" {
				seq = ev.Seq
			}
		}
		if seq == 0 {
			t.Fatalf("no webhook.created in the feed: %+v", evs)
		}
		var d delivery
		f.do("POST", "/api/v1/webhooks/"+ep.ID+"/redeliver", f.keyA, `{"seq":`+itoa(seq)+`}`, 200, &d)
		if !d.Succeeded || d.Status != 204 || !d.Redelivery || d.Seq != seq || d.EventType != "webhook.created" {
			t.Errorf("redelivery = %+v", d)
		}
		if n := len(rc.requests()); n != 1 {
			t.Errorf("the receiver got %d requests, want the redelivery", n)
		}
		var log struct{ Items []delivery }
		f.do("GET", "/api/v1/webhooks/"+ep.ID+"/deliveries", f.keyA, "", 200, &log)
		if len(log.Items) != 1 || log.Items[0].ID != d.ID {
			t.Errorf("deliveries = %+v, want the redelivery", log)
		}

		f.do("DELETE", "/api/v1/webhooks/"+ep.ID, f.keyA, "", 204, nil)
		f.do("GET", "/api/v1/webhooks/"+ep.ID, f.keyA, "", 404, &e)
		if !strings.Contains(e.Error.Message, "does not exist in this organization") {
			t.Errorf("404 message %q", e.Error.Message)
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestWebhookDeliveriesPaged pages the delivery log newest first with the
// API's cursors, seeing every attempt once.
func TestWebhookDeliveriesPaged(t *testing.T) {
	f := setup(t)
	rc := newHookReceiver(t)
	var ep webhook
	f.do("POST", "/api/v1/webhooks", f.keyA, `{"url":"`+rc.URL+`"}`, 201, &ep)
	var evs struct{ Items []struct{ Seq int64 } }
	f.do("GET", "/api/v1/events?limit=1000", f.keyA, "", 200, &evs)
	seq := evs.Items[len(evs.Items)-1].Seq
	var want []int64
	for i := 0; i < 5; i++ {
		var d delivery
		f.do("POST", "/api/v1/webhooks/"+ep.ID+"/redeliver", f.keyA, `{"seq":`+itoa(seq)+`}`, 200, &d)
		want = append([]int64{d.ID}, want...)
	}
	var ids []int64
	next := ""
	for pages := 0; pages < 10; pages++ {
		var pg struct {
			Items []delivery
			Next  string
		}
		f.do("GET", "/api/v1/webhooks/"+ep.ID+"/deliveries?limit=2&after="+next, f.keyA, "", 200, &pg)
		for _, d := range pg.Items {
			ids = append(ids, d.ID)
		}
		if pg.Next == "" {
			break
		}
		next = pg.Next
	}
	if len(ids) != len(want) {
		t.Fatalf("paged %v, want %v", ids, want)
	}
	for i := range ids {
		if ids[i] != want[i] {
			t.Fatalf("paged %v, want %v (newest first)", ids, want)
		}
	}
	var e apiErr
	f.do("GET", "/api/v1/webhooks/"+ep.ID+"/deliveries?after=garbage", f.keyA, "", 400, &e)
	if !strings.Contains(e.Error.Message, "not a cursor") {
		t.Errorf("garbage cursor: %+v", e)
	}
}

// TestWebhooksAreTheirOrganizations: another organization's key sees none
// of the endpoints and every route answers it 404, changing nothing.
func TestWebhooksAreTheirOrganizations(t *testing.T) {
	engines(t, func(t *testing.T, f *fixture) {
		rc := newHookReceiver(t)
		var ep webhook
		f.do("POST", "/api/v1/webhooks", f.keyA, `{"url":"`+rc.URL+`"}`, 201, &ep)
		var listed struct{ Items []webhook }
		f.do("GET", "/api/v1/webhooks", f.keyB, "", 200, &listed)
		if len(listed.Items) != 0 {
			t.Errorf("org B lists %+v", listed.Items)
		}
		base := "/api/v1/webhooks/" + ep.ID
		for _, r := range []struct{ method, path, body string }{
			{"GET", base, ""},
			{"PATCH", base, `{"url":"` + rc.URL + `/stolen"}`},
			{"POST", base + "/rotate-secret", ""},
			{"POST", base + "/disable", ""},
			{"POST", base + "/enable", ""},
			{"GET", base + "/deliveries", ""},
			{"POST", base + "/redeliver", `{"seq":1}`},
			{"DELETE", base, ""},
		} {
			var e apiErr
			f.do(r.method, r.path, f.keyB, r.body, 404, &e)
			if e.Error.Code != "not_found" || strings.Contains(e.Error.Message, f.orgA) {
				t.Errorf("%s %s as org B: %+v", r.method, r.path, e)
			}
		}
		var got webhook
		f.do("GET", base, f.keyA, "", 200, &got)
		if got.URL != rc.URL || !got.Enabled || got.Version != ep.Version {
			t.Errorf("org B's requests changed org A's endpoint: %+v, was %+v", got, ep)
		}
		if n := len(rc.requests()); n != 0 {
			t.Errorf("org B's redeliver reached the receiver %d times", n)
		}
	})
}

// TestWebhookBadInput: each refusal is a 400 whose message names what to
// fix, and leaves the endpoints as they were.
func TestWebhookBadInput(t *testing.T) {
	engines(t, func(t *testing.T, f *fixture) {
		rc := newHookReceiver(t)
		var ep webhook
		f.do("POST", "/api/v1/webhooks", f.keyA, `{"url":"`+rc.URL+`","description":"app"}`, 201, &ep)
		base := "/api/v1/webhooks/" + ep.ID
		long := strings.Repeat("x", 501)
		for _, tc := range []struct {
			name, method, path, body, ifMatch, message string
		}{
			{"no url", "POST", "/api/v1/webhooks", `{"description":"x"}`, "", `"url" is required`},
			{"relative url", "POST", "/api/v1/webhooks", `{"url":"/hooks"}`, "", "want an absolute URL"},
			{"ftp url", "POST", "/api/v1/webhooks", `{"url":"ftp://example.com/"}`, "", "https only"},
			{"credentials", "POST", "/api/v1/webhooks", `{"url":"https://u:p@example.com/"}`, "", "credentials in the URL"},
			{"bad type", "POST", "/api/v1/webhooks", `{"url":"https://example.com/","event_types":["User Created"]}`, "", "use a type such as user.created"},
			{"unknown field", "POST", "/api/v1/webhooks", `{"url":"https://example.com/","secret":"mine"}`, "", `unknown field "secret"`},
			{"types not a list", "POST", "/api/v1/webhooks", `{"url":"https://example.com/","event_types":"user.*"}`, "", `"event_types" must be`},
			{"long description", "PATCH", base, `{"description":"` + long + `"}`, "", "at most 500 characters"},
			{"empty patch", "PATCH", base, `{}`, "", "nothing to change"},
			{"unknown format", "POST", "/api/v1/webhooks", `{"url":"https://example.com/","format":"cloudevents"}`, "", `use standard-webhooks or scim-events`},
			{"bad patch format", "PATCH", base, `{"format":"SCIM"}`, "", `format "SCIM"`},
			{"bad If-Match", "PATCH", base, `{"description":"x"}`, "yesterday", "not an ETag"},
			{"bad patch url", "PATCH", base, `{"url":"mailto:a@b"}`, "", "want an absolute URL"},
			{"long grace", "POST", base + "/rotate-secret", `{"grace_seconds":9999999}`, "", "604800"},
			{"negative grace", "POST", base + "/rotate-secret", `{"grace_seconds":-1}`, "", "grace_seconds -1"},
			{"long reason", "POST", base + "/disable", `{"reason":"` + long + `"}`, "", "at most 500"},
			{"no seq", "POST", base + "/redeliver", `{}`, "", `"seq" is required`},
			{"enable takes no fields", "POST", base + "/enable", `{"reason":"x"}`, "", "no fields (or send no body)"},
			{"bad limit", "GET", base + "/deliveries?limit=0", ``, "", "limit must be"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				f.t = t
				status, b, _ := f.raw(tc.method, tc.path, f.keyA, tc.body, map[string]string{"If-Match": tc.ifMatch})
				var e apiErr
				json.Unmarshal(b, &e)
				if status != 400 || e.Error.Code != "invalid_request" || !strings.Contains(e.Error.Message, tc.message) {
					t.Errorf("= %d %s, want 400 invalid_request with %q", status, b, tc.message)
				}
			})
		}
		f.t = t
		var listed struct{ Items []webhook }
		f.do("GET", "/api/v1/webhooks", f.keyA, "", 200, &listed)
		if len(listed.Items) != 1 || listed.Items[0].Version != ep.Version || listed.Items[0].Description != "app" || !listed.Items[0].Enabled {
			t.Errorf("after the refusals: %+v, want the endpoint as created", listed.Items)
		}
		var evs struct{ Items []struct{ Type string } }
		f.do("GET", "/api/v1/events?limit=1000", f.keyA, "", 200, &evs)
		for _, ev := range evs.Items {
			if ev.Type != "webhook.created" && strings.HasPrefix(ev.Type, "webhook.") {
				t.Errorf("a refused request left the event %s", ev.Type)
			}
		}
	})
}

// TestWebhookSSRFRefused: with the production policy, a URL whose name
// resolves to loopback, or a private literal, is refused with the reason.
func TestWebhookSSRFRefused(t *testing.T) {
	f := setup(t)
	h := &api.Handler{Access: f.h.Access, Directory: f.h.Directory, Keys: f.tokens, Webhooks: &events.Service{Store: f.s, Targets: events.Targets{
		LookupIP: func(_ context.Context, host string) ([]netip.Addr, error) {
			return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
		},
	}}}
	srv := httptest.NewServer(server.New(&server.Server{Logger: slog.New(slog.DiscardHandler)}, h))
	t.Cleanup(srv.Close)
	f.srv = srv
	for url, why := range map[string]string{
		"https://rebind.example.com/hook": "rebind.example.com resolves to 127.0.0.1 is a loopback address",
		"https://10.1.2.3/hook":           "10.1.2.3 is a private address",
		"https://169.254.169.254/latest":  "the cloud metadata address",
		"http://app.example.com/hook":     "https only",
	} {
		var e apiErr
		f.do("POST", "/api/v1/webhooks", f.keyA, `{"url":"`+url+`"}`, 400, &e)
		if !strings.Contains(e.Error.Message, why) {
			t.Errorf("%s: %q, want it to say %q", url, e.Error.Message, why)
		}
	}
	var listed struct{ Items []webhook }
	f.do("GET", "/api/v1/webhooks", f.keyA, "", 200, &listed)
	if len(listed.Items) != 0 {
		t.Errorf("refused endpoints were stored: %+v", listed.Items)
	}
}

// TestWebhookCreatedByAPIIsDelivered: an endpoint made through the API
// receives the organization's next events from the dispatcher, signed
// with the secret the API showed.
func TestWebhookCreatedByAPIIsDelivered(t *testing.T) {
	engines(t, func(t *testing.T, f *fixture) {
		rc := newHookReceiver(t)
		var ep webhook
		f.do("POST", "/api/v1/webhooks", f.keyA, `{"url":"`+rc.URL+`/roster","event_types":["workspace.*"]}`, 201, &ep)
		ctx, cancel := context.WithCancel(context.Background())
		d := &events.Dispatcher{Store: f.s, Owner: "api-test", Targets: events.Targets{AllowPrivate: true},
			PollInterval: 20 * time.Millisecond, Logger: slog.New(slog.DiscardHandler)}
		done := make(chan error, 1)
		go func() { done <- d.Run(ctx) }()
		defer func() {
			cancel()
			if err := <-done; err != nil {
				t.Error(err)
			}
		}()
		var ws struct{ ID string }
		f.do("POST", "/api/v1/workspaces", f.keyA, `{"name":"Deals"}`, 201, &ws)
		deadline := time.Now().Add(10 * time.Second)
		for len(rc.requests()) == 0 && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		got := rc.requests()
		if len(got) != 1 {
			t.Fatalf("the receiver got %d requests, want workspace.created", len(got))
		}
		r := got[0]
		var body struct {
			Type string
			Data struct {
				Seq        int64
				ResourceID string `json:"resource_id"`
			}
		}
		json.Unmarshal(r.body, &body)
		if body.Type != "workspace.created" {
			t.Errorf("delivered %s", r.body)
		}
		// The signature, checked as the Standard Webhooks spec says.
		key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(ep.Secret, "whsec_"))
		if err != nil {
			t.Fatal(err)
		}
		mac := hmac.New(sha256.New, key)
		mac.Write([]byte(r.header.Get("webhook-id") + "." + r.header.Get("webhook-timestamp") + "." + string(r.body)))
		want := "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
		if !strings.Contains(" "+r.header.Get("webhook-signature")+" ", " "+want+" ") {
			t.Errorf("signature %q does not verify with the secret the API showed (want %q)", r.header.Get("webhook-signature"), want)
		}
		// The delivery log shows the attempt.
		var log struct{ Items []delivery }
		deadline = time.Now().Add(5 * time.Second)
		for len(log.Items) == 0 && time.Now().Before(deadline) {
			f.do("GET", "/api/v1/webhooks/"+ep.ID+"/deliveries", f.keyA, "", 200, &log)
			time.Sleep(20 * time.Millisecond)
		}
		if len(log.Items) != 1 || !log.Items[0].Succeeded || log.Items[0].EventType != "workspace.created" {
			t.Errorf("deliveries = %+v", log.Items)
		}
	})
}

// TestWebhookFormat: an endpoint's format and audience are kept, shown and
// changed through the API, the default being Standard Webhooks.
func TestWebhookFormat(t *testing.T) {
	f := setup(t)
	rc := newHookReceiver(t)
	var ep map[string]any
	f.do("POST", "/api/v1/webhooks", f.keyA, `{"url":"`+rc.URL+`"}`, 201, &ep)
	if ep["format"] != "standard-webhooks" || ep["audience"] != "" {
		t.Fatalf("default endpoint: format %v audience %v", ep["format"], ep["audience"])
	}
	f.do("POST", "/api/v1/webhooks", f.keyA, `{"url":"`+rc.URL+`","format":"scim-events","audience":"https://app.example/aud"}`, 201, &ep)
	if ep["format"] != "scim-events" || ep["audience"] != "https://app.example/aud" {
		t.Fatalf("scim-events endpoint: format %v audience %v", ep["format"], ep["audience"])
	}
	id, _ := ep["id"].(string)
	f.do("PATCH", "/api/v1/webhooks/"+id, f.keyA, `{"format":"standard-webhooks","audience":""}`, 200, &ep)
	f.do("GET", "/api/v1/webhooks/"+id, f.keyA, "", 200, &ep)
	if ep["format"] != "standard-webhooks" || ep["audience"] != "" {
		t.Fatalf("after PATCH: format %v audience %v", ep["format"], ep["audience"])
	}
}
