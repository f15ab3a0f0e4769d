package console_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/rosterhq/roster/internal/sso/saml/samltest"
)

// TestBrowserSAML opens the SAML page from the overview's checklist,
// uploads the identity provider's metadata file through the form, and
// reads the configuration back, at desktop width and at 375 px.
func TestBrowserSAML(t *testing.T) {
	atEveryWidth(t, func(t *testing.T, ctx context.Context, size viewport) {
		e := newEnv(t, engines[0].open(t))
		acme := e.org("Acme")
		idp := samltest.NewIdP(t, samltest.Options{EntityID: "http://www.okta.com/exk1acme"})
		file := filepath.Join(t.TempDir(), "okta-metadata.xml")
		if err := os.WriteFile(file, idp.Metadata(), 0o600); err != nil {
			t.Fatal(err)
		}
		enterConsole(t, ctx, e.link(acme.ID), size)
		do(t, ctx,
			chromedp.Click(chromedp.CSS(`ol.checklist a[href="/console/saml"]`)), chromedp.WaitVisible(chromedp.CSS(`#md-file`)))
		if got := text(t, ctx, "#sp-acs"); !strings.HasSuffix(got, "/auth/saml/"+acme.ID+"/acs") {
			t.Errorf("the ACS URL shown is %q", got)
		}
		screenshot(t, ctx, "console-saml"+size.suffix)
		do(t, ctx, chromedp.SetUploadFiles(chromedp.CSS(`#md-file`), []string{file}),
			chromedp.Submit(chromedp.CSS(`#md-file`)), chromedp.WaitVisible(chromedp.CSS(`div.notice.ok`)))
		if got := text(t, ctx, "section[aria-labelledby=idp] dl"); !strings.Contains(got, "http://www.okta.com/exk1acme") {
			t.Errorf("after the upload the IdP reads %q", got)
		}
		screenshot(t, ctx, "console-saml-configured"+size.suffix)
	})
}
