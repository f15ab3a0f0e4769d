package console_test

import (
	"context"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/rosterhq/roster/internal/console"
	"github.com/rosterhq/roster/internal/store"
)

var (
	whPath    = regexp.MustCompile(`/console/webhooks/([0-9a-f-]{36})`)
	whSecret  = regexp.MustCompile(`id="wh-secret">([^<]+)<`)
	whVersion = regexp.MustCompile(`name="version" value="(\d+)"`)
)

// receiver is a host app's webhook receiver answering 204, counting
// requests.
func receiver(t *testing.T) (*httptest.Server, *atomic.Int64) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

// TestWebhookPages walks the Webhooks pages: refused input comes back by
// its field and makes nothing; an endpoint's secret is shown once; the
// delivery log pages; enable, disable, rotate, redeliver, a stale edit
// and delete with its confirmation; and another organization's owner gets
// 404 for the endpoint.
func TestWebhookPages(t *testing.T) {
	for _, eng := range engines {
		t.Run(eng.name, func(t *testing.T) {
			e := newEnv(t, eng.open(t))
			ctx := context.Background()
			acme := e.org("Acme")
			rc, hits := receiver(t)
			b := newBrowser(t)
			tok := csrf(t, b.enter(e.link(acme.ID)))
			base := e.srv.URL + console.Prefix

			list := b.get(base + "/webhooks")
			if list.code != 200 || !strings.Contains(list.body, "No endpoint yet") || !strings.Contains(list.body, `aria-current="page">Webhooks`) {
				t.Fatalf("webhooks page = %d %s", list.code, list.body)
			}
			// Refusals: the form again with the message by the field.
			for _, tc := range []struct {
				form  url.Values
				field string
				say   string
			}{
				{url.Values{"url": {""}}, "wh-url-error", "Give the URL"},
				{url.Values{"url": {"ftp://example.com/"}}, "wh-url-error", "https only"},
				{url.Values{"url": {rc.URL}, "events": {"User Created"}}, "wh-events-error", "use a type such as user.created"},
				{url.Values{"url": {rc.URL}, "description": {strings.Repeat("x", 501)}}, "wh-desc-error", "at most 500"},
			} {
				tc.form.Set("csrf", tok)
				p := b.post(base+"/webhooks", tc.form)
				if p.code != 400 || !strings.Contains(p.body, `id="`+tc.field+`"`) || !strings.Contains(p.body, tc.say) {
					t.Errorf("create %v = %d, want the form back with %q by %s:\n%s", tc.form, p.code, tc.say, tc.field, p.body)
				}
				if tc.form.Get("url") != "" && !strings.Contains(p.body, `value="`+tc.form.Get("url")+`"`) {
					t.Errorf("the form lost what was typed: %v", tc.form)
				}
			}
			if p := b.post(base+"/webhooks", url.Values{"url": {rc.URL}}); p.code != http.StatusForbidden {
				t.Errorf("a form without its CSRF token = %d, want 403", p.code)
			}
			if eps, _ := e.hooks.List(ctx, acme.ID); len(eps) != 0 {
				t.Fatalf("refused forms made %d endpoints", len(eps))
			}

			// Create: the secret is on this answer only.
			p := b.post(base+"/webhooks", url.Values{"csrf": {tok}, "url": {rc.URL + "/roster"}, "events": {"user.*, webhook.*"}, "description": {"billing"}})
			if p.code != http.StatusCreated {
				t.Fatalf("create = %d %s", p.code, p.body)
			}
			secret := secretOn(p.body)
			if secret == "" || !strings.Contains(p.body, `data-copy="wh-secret"`) {
				t.Fatalf("the created page shows no secret with a copy button:\n%s", p.body)
			}
			id := whPath.FindStringSubmatch(p.body)[1]
			epURL := base + "/webhooks/" + id
			ep, err := e.hooks.Get(ctx, acme.ID, id)
			if err != nil || ep.Secret != secret || ep.Description != "billing" || strings.Join(ep.EventTypes, ",") != "user.*,webhook.*" {
				t.Fatalf("stored %+v (%v); the page showed secret %s", ep, err, secret)
			}
			for _, u := range []string{base + "/webhooks", epURL} {
				if pg := b.get(u); strings.Contains(pg.body, "whsec_") {
					t.Errorf("%s shows the secret again", u)
				}
			}

			// Redeliver the endpoint's own webhook.created, 30 times, and
			// page through the log.
			evs, err := e.store.ListEvents(ctx, acme.ID, 0, 100)
			if err != nil {
				t.Fatal(err)
			}
			seq := evs[len(evs)-1].Seq
			for i := 0; i < 30; i++ {
				p = b.post(epURL+"/redeliver", url.Values{"csrf": {tok}, "seq": {strconv.FormatInt(seq, 10)}})
				if p.code != 200 || !strings.Contains(p.body, "the receiver answered 204") {
					t.Fatalf("redeliver = %d %s", p.code, p.body)
				}
			}
			if hits.Load() != 30 {
				t.Errorf("the receiver got %d requests, want 30", hits.Load())
			}
			page1 := b.get(epURL)
			older := regexp.MustCompile(`href="([^"]+before=\d+)" rel="next"`).FindStringSubmatch(page1.body)
			if strings.Count(page1.body, "Send event") != 25 || older == nil {
				t.Fatalf("the first page of the log has %d rows and next link %v", strings.Count(page1.body, "Send event"), older)
			}
			page2 := b.get(e.srv.URL + strings.ReplaceAll(older[1], "&amp;", "&"))
			if n := strings.Count(page2.body, "Send event"); n != 5 || strings.Contains(page2.body, `rel="next"`) {
				t.Errorf("the second page has %d rows (want 5) and next: %v", n, strings.Contains(page2.body, `rel="next"`))
			}
			if p = b.post(epURL+"/redeliver", url.Values{"csrf": {tok}, "seq": {"999999"}}); p.code != 400 || !strings.Contains(p.body, "Event 999999 of organization") {
				t.Errorf("redeliver of an unknown event = %d %s", p.code, p.body)
			}

			// A stale edit is refused with the current settings shown, and
			// the typed values kept; a fresh one saves.
			version := whVersion.FindStringSubmatch(page1.body)[1]
			if _, err := e.hooks.Update(ctx, store.Actor{Kind: "cli"}, acme.ID, id, 0, store.WebhookPatch{Description: ptr("changed by the CLI")}); err != nil {
				t.Fatal(err)
			}
			p = b.post(epURL+"/edit", url.Values{"csrf": {tok}, "version": {version}, "url": {rc.URL + "/v2"}, "events": {""}, "description": {"mine"}})
			if p.code != http.StatusConflict || !strings.Contains(p.body, "Someone changed this endpoint") || !strings.Contains(p.body, "changed by the CLI") || !strings.Contains(p.body, `value="mine"`) {
				t.Fatalf("stale edit = %d %s", p.code, p.body)
			}
			if got, _ := e.hooks.Get(ctx, acme.ID, id); got.URL != rc.URL+"/roster" {
				t.Errorf("a stale edit changed the URL to %s", got.URL)
			}
			p = b.post(epURL+"/edit", url.Values{"csrf": {tok}, "version": {whVersion.FindStringSubmatch(p.body)[1]}, "url": {rc.URL + "/v2"}, "events": {""}, "description": {"mine"}})
			if p.code != http.StatusSeeOther {
				t.Fatalf("edit = %d %s", p.code, p.body)
			}
			if got, _ := e.hooks.Get(ctx, acme.ID, id); got.URL != rc.URL+"/v2" || len(got.EventTypes) != 0 || got.Description != "mine" {
				t.Errorf("after edit: %+v", got)
			}
			if p = b.post(epURL+"/edit", url.Values{"csrf": {tok}, "version": {"0"}, "url": {"ftp://example.com/"}}); p.code != 400 || !strings.Contains(p.body, `id="wh-url-error"`) {
				t.Errorf("edit to a refused URL = %d", p.code)
			}

			// Disable, enable, rotate.
			if p = b.post(epURL+"/disable", url.Values{"csrf": {tok}}); p.code != http.StatusSeeOther {
				t.Fatalf("disable = %d", p.code)
			}
			if got, _ := e.hooks.Get(ctx, acme.ID, id); got.Enabled {
				t.Error("still enabled after Disable")
			}
			if pg := b.get(epURL + "?done=disabled"); !strings.Contains(pg.body, "Disabled: disabled in the console") || !strings.Contains(pg.body, `/enable"`) {
				t.Errorf("the disabled page does not say so or offer Enable:\n%s", pg.body)
			}
			b.post(epURL+"/enable", url.Values{"csrf": {tok}})
			if got, _ := e.hooks.Get(ctx, acme.ID, id); !got.Enabled {
				t.Error("still disabled after Enable")
			}
			p = b.post(epURL+"/rotate-secret", url.Values{"csrf": {tok}})
			if s2 := secretOn(p.body); p.code != 200 || s2 == "" || s2 == secret || !strings.Contains(p.body, "The old secret also signs") {
				t.Errorf("rotate = %d, secret %q", p.code, s2)
			}

			// Another organization's owner: 404 everywhere.
			other := newBrowser(t)
			otok := csrf(t, other.enter(e.link(e.org("Globex").ID)))
			if pg := other.get(epURL); pg.code != 404 {
				t.Errorf("org B's owner GET = %d", pg.code)
			}
			for _, action := range []string{"/delete", "/disable", "/rotate-secret", "/redeliver"} {
				if pg := other.post(epURL+action, url.Values{"csrf": {otok}, "seq": {"1"}}); pg.code != 404 {
					t.Errorf("org B's owner POST %s = %d", action, pg.code)
				}
			}

			// Delete, after a confirmation that says what goes with it.
			confirm := b.get(epURL + "/delete")
			if !strings.Contains(confirm.body, "30 delivery attempts") || !strings.Contains(confirm.body, `action="/console/webhooks/`+id+`/delete"`) {
				t.Errorf("the confirmation:\n%s", confirm.body)
			}
			if p = b.post(epURL+"/delete", url.Values{"csrf": {tok}}); p.code != 200 || !strings.Contains(p.body, "deleted") {
				t.Errorf("delete = %d", p.code)
			}
			if pg := b.get(epURL); pg.code != 404 || !strings.Contains(pg.body, "no webhook endpoint") {
				t.Errorf("after delete GET = %d", pg.code)
			}
		})
	}
}

// secretOn returns the signing secret a page shows, or "".
func secretOn(body string) string {
	m := whSecret.FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return html.UnescapeString(m[1])
}

func ptr[T any](v T) *T { return &v }
