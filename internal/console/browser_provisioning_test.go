package console_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/rosterhq/roster/internal/store"
)

// TestBrowserProvisioningLog opens the provisioning log after Okta-shaped
// traffic, narrows it to failed requests with the filter form, and opens
// the failure, at desktop width and at 375 px, saving each page.
func TestBrowserProvisioningLog(t *testing.T) {
	atEveryWidth(t, func(t *testing.T, ctx context.Context, size viewport) {
		e := newEnv(t, engines[0].open(t))
		acme := e.org("Acme")
		tok, _, err := e.tokens.Create(context.Background(), store.Actor{Kind: "cli"}, acme.ID, store.TokenSCIM, "Okta")
		if err != nil {
			t.Fatal(err)
		}
		oktaTraffic(t, e, tok)
		enterConsole(t, ctx, e.link(acme.ID), size)
		do(t, ctx,
			chromedp.Click(chromedp.CSS(`nav a[href="/console/provisioning"]`)), chromedp.WaitVisible(chromedp.CSS(`table.log`)))
		if got := text(t, ctx, "table.log"); !strings.Contains(got, "POST /scim/v2/Users") || !strings.Contains(got, "409") {
			t.Errorf("the log reads %q", got)
		}
		screenshot(t, ctx, "console-provisioning"+size.suffix)
		do(t, ctx, chromedp.SetValue(chromedp.CSS(`#f-outcome`), "failed"), chromedp.Submit(chromedp.CSS(`#f-outcome`)),
			chromedp.WaitVisible(chromedp.CSS(`table.log tr.failed`)))
		if got := text(t, ctx, "table.log tbody"); strings.Contains(got, "Groups") || !strings.Contains(got, "uniqueness") {
			t.Errorf("failed only reads %q", got)
		}
		do(t, ctx, chromedp.Click(chromedp.CSS(`table.log tr.failed a`)), chromedp.WaitVisible(chromedp.CSS(`pre.body`)))
		if got := text(t, ctx, "div.notice"); !strings.Contains(got, "What to change") {
			t.Errorf("the failure's notice reads %q", got)
		}
		if got := text(t, ctx, "main"); strings.Contains(got, "S3cret") || !strings.Contains(got, "[redacted]") {
			t.Errorf("the failure's page shows the password or no redaction:\n%s", got)
		}
		screenshot(t, ctx, "console-provisioning-request"+size.suffix)
	})
}
