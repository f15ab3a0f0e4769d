package console_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserWebhooks drives the Webhooks pages in chromium: add an
// endpoint and see its secret once, send an event again and find it in the
// delivery log — at desktop width and at 375 px, saving each page.
func TestBrowserWebhooks(t *testing.T) {
	atEveryWidth(t, func(t *testing.T, ctx context.Context, size viewport) {
		e := newEnv(t, engines[0].open(t))
		acme := e.org("Acme")
		rc, _ := receiver(t)
		enterConsole(t, ctx, e.link(acme.ID), size)
		do(t, ctx,
			chromedp.Click(chromedp.CSS(`nav a[href="/console/webhooks"]`)), chromedp.WaitVisible(chromedp.CSS(`#wh-url`)),
			// A refused URL first: the message stands by the field.
			chromedp.SendKeys(chromedp.CSS(`#wh-url`), "ftp://app.example.com/hooks"), chromedp.Submit(chromedp.CSS(`#wh-url`)),
			chromedp.WaitVisible(chromedp.CSS(`#wh-url-error`)))
		if got := text(t, ctx, "#wh-url-error"); !strings.Contains(got, "https only") {
			t.Errorf("the URL's error reads %q", got)
		}
		do(t, ctx, chromedp.SetValue(chromedp.CSS(`#wh-url`), rc.URL+"/webhooks/roster"),
			chromedp.SendKeys(chromedp.CSS(`#wh-events`), "user.*, group.*, webhook.*"),
			chromedp.SendKeys(chromedp.CSS(`#wh-desc`), "Billing app"),
			chromedp.Submit(chromedp.CSS(`#wh-url`)), chromedp.WaitVisible(chromedp.CSS(`#wh-secret`)))
		if s := text(t, ctx, "#wh-secret"); !strings.HasPrefix(s, "whsec_") {
			t.Fatalf("the page shows %q as the secret", s)
		}
		if ok := visible(t, ctx, `button[data-copy="wh-secret"]`); !ok {
			t.Error("no copy button by the secret")
		}
		eps, err := e.hooks.List(context.Background(), acme.ID)
		if err != nil || len(eps) != 1 {
			t.Fatalf("endpoints %v %v", eps, err)
		}
		evs, err := e.store.ListEvents(context.Background(), acme.ID, 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		seq := evs[len(evs)-1].Seq
		if _, err := e.hooks.Redeliver(context.Background(), acme.ID, eps[0].ID, seq); err != nil {
			t.Fatal(err)
		}
		screenshot(t, ctx, "console-webhook-created"+size.suffix)
		do(t, ctx, chromedp.Navigate(e.srv.URL+"/console/webhooks/"+eps[0].ID), chromedp.WaitVisible(chromedp.CSS(`#log`)),
			chromedp.Click(chromedp.CSS(`form[action$="/redeliver"] button`)), chromedp.WaitVisible(chromedp.CSS(`div.notice`)))
		if got := text(t, ctx, "div.notice"); !strings.Contains(got, "Event "+strconv.FormatInt(seq, 10)) || !strings.Contains(got, "answered 204") {
			t.Errorf("after Send again the notice reads %q", got)
		}
		if got := text(t, ctx, "section[aria-labelledby=log] table"); strings.Count(got, "redelivery") != 2 {
			t.Errorf("the delivery log reads %q, want two redeliveries", got)
		}
		screenshot(t, ctx, "console-webhook"+size.suffix)
		do(t, ctx, chromedp.Click(chromedp.CSS(`nav a[href="/console/webhooks"]`)), chromedp.WaitVisible(chromedp.CSS(`main table`)))
		if got := text(t, ctx, "main table"); !strings.Contains(got, "Billing app") || !strings.Contains(got, "Enabled") {
			t.Errorf("the list reads %q", got)
		}
		screenshot(t, ctx, "console-webhooks"+size.suffix)
	})
}

// visible reports whether the element sel is displayed.
func visible(t *testing.T, ctx context.Context, sel string) bool {
	t.Helper()
	hidden, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector(`+strconv.Quote(sel)+`).hidden`))
	if err != nil {
		t.Fatalf("visible %s: %v", sel, err)
	}
	return !hidden
}
