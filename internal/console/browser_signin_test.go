package console_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/rosterhq/roster/internal/access"
	"github.com/rosterhq/roster/internal/console"
	"github.com/rosterhq/roster/internal/sso/saml/samltest"
	"github.com/rosterhq/roster/internal/store"
)

// TestBrowserSignIn reads the sign-in log and narrows it to refusals,
// adds a verified domain on Settings (and is refused one another
// organization has, next to the field), and opens the results of a Test
// sign-in that succeeded and of one refused, at desktop width and at
// 375 px, saving each page.
func TestBrowserSignIn(t *testing.T) {
	atEveryWidth(t, func(t *testing.T, ctx context.Context, size viewport) {
		e := newTestSignInEnv(t, engines[0].open(t))
		e.signInLog()
		bg := context.Background()
		cli := store.Actor{Kind: "cli"}
		if _, err := e.sso.AddDomain(bg, cli, e.other.ID, "globex.example"); err != nil {
			t.Fatal(err)
		}
		if _, err := e.sso.AddDomain(bg, cli, e.org.ID, "acme.example"); err != nil {
			t.Fatal(err)
		}
		app := "https://app.acme.example/sso/callback"
		if _, err := e.acc.UpdateSettings(bg, cli, e.org.ID, access.SettingsPatch{SignInRedirectURL: &app}); err != nil {
			t.Fatal(err)
		}
		// Two test sign-ins, run by another owner's browser: one
		// succeeds, one is refused.
		var ok, refused string
		for _, nameID := range []string{"ann@acme.example", "zed@acme.example"} {
			id, relay := e.start(e.b, e.tok)
			doc := e.idp.ResponseXML(t, samltest.ResponseOptions{SP: e.sp, InResponseTo: id, NameID: nameID,
				Attributes: map[string][]string{"firstName": {"Ann"}, "lastName": {"Archer"}, "groups": {"Sales", "Support"}}})
			if pg := e.answer(e.b, doc, relay); pg.code != 303 {
				t.Fatalf("test sign-in of %s = %d", nameID, pg.code)
			}
			if ok == "" {
				ok = id
			} else {
				refused = id
			}
		}

		enterConsole(t, ctx, e.link(e.org.ID), size)
		do(t, ctx,
			chromedp.Click(chromedp.CSS(`nav a[href="/console/provisioning"]`)), chromedp.WaitVisible(chromedp.CSS(`nav.tabs`)),
			chromedp.Click(chromedp.CSS(`nav.tabs a[href="/console/sign-ins"]`)), chromedp.WaitVisible(chromedp.CSS(`table.signins`)))
		if got := text(t, ctx, "table.signins"); !strings.Contains(got, "ann@acme.example") || !strings.Contains(got, "What to change") {
			t.Errorf("the sign-in log reads %q", got)
		}
		screenshot(t, ctx, "console-sign-ins"+size.suffix)
		do(t, ctx, chromedp.SetValue(chromedp.CSS(`#f-outcome`), "refused"), chromedp.Submit(chromedp.CSS(`#f-outcome`)),
			chromedp.WaitVisible(chromedp.CSS(`a[href="/console/sign-ins"]`)))
		if got := text(t, ctx, "table.signins tbody"); strings.Contains(got, "Signed in") || !strings.Contains(got, "unknown_user") {
			t.Errorf("refused only reads %q", got)
		}

		do(t, ctx, chromedp.Click(chromedp.CSS(`nav a[href="/console/settings"]`)), chromedp.WaitVisible(chromedp.CSS(`#domain`)),
			chromedp.SendKeys(chromedp.CSS(`#domain`), "globex.example"), chromedp.Submit(chromedp.CSS(`#domain`)),
			chromedp.WaitVisible(chromedp.CSS(`#domain-error`)))
		if got := text(t, ctx, "#domain-error"); !strings.Contains(got, "another organization") {
			t.Errorf("the domain error reads %q", got)
		}
		if got := text(t, ctx, "section[aria-labelledby=domains] table"); !strings.Contains(got, "acme.example") {
			t.Errorf("the domains read %q", got)
		}
		do(t, ctx, chromedp.ScrollIntoView(chromedp.CSS(`#sign-in`)))
		screenshot(t, ctx, "console-settings-sign-in"+size.suffix)

		do(t, ctx, chromedp.Click(chromedp.CSS(`nav a[href="/console/saml"]`)), chromedp.WaitVisible(chromedp.CSS(`section[aria-labelledby=test] button`)),
			chromedp.Navigate(e.srv.URL+console.Prefix+"/saml/test/"+ok), chromedp.WaitVisible(chromedp.CSS(`#test-nameid`)))
		if got := text(t, ctx, "main"); !strings.Contains(got, "ann@acme.example") || !strings.Contains(got, "groups") {
			t.Errorf("the test result reads %q", got)
		}
		screenshot(t, ctx, "console-saml-test"+size.suffix)
		do(t, ctx, chromedp.Navigate(e.srv.URL+console.Prefix+"/saml/test/"+refused), chromedp.WaitVisible(chromedp.CSS(`div.notice.bad`)))
		if got := text(t, ctx, "div.notice.bad"); !strings.Contains(got, "unknown_user") || !strings.Contains(got, "What to change") {
			t.Errorf("the refused test reads %q", got)
		}
		screenshot(t, ctx, "console-saml-test-refused"+size.suffix)
	})
}
