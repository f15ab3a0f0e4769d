package console_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserWorkspaces drives the help page's folder steps in chromium:
// create workspace Sales, add an Invite only folder, Share it with the
// provisioned group as Check, and read who has access and why — at
// desktop width and at 375 px, saving each page.
func TestBrowserWorkspaces(t *testing.T) {
	atEveryWidth(t, func(t *testing.T, ctx context.Context, size viewport) {
		e := newEnv(t, engines[0].open(t))
		acme := e.org("Acme")
		e.provision(acme.ID, "Sales", "ann@acme.example", "bob@acme.example")
		enterConsole(t, ctx, e.link(acme.ID), size)
		do(t, ctx,
			chromedp.Click(chromedp.CSS(`nav a[href="/console/workspaces"]`)), chromedp.WaitVisible(chromedp.CSS(`#ws-name`)),
			chromedp.SendKeys(chromedp.CSS(`#ws-name`), "Sales"), chromedp.Submit(chromedp.CSS(`#ws-name`)),
			chromedp.WaitVisible(chromedp.CSS(`#folder-name`)))
		if h := text(t, ctx, "main h1"); h != "Sales" {
			t.Fatalf("workspace page heading %q", h)
		}
		do(t, ctx, chromedp.SendKeys(chromedp.CSS(`#folder-name`), "Plans"),
			chromedp.Click(chromedp.CSS(`input[name=team_access][value=invite_only]`)),
			chromedp.Submit(chromedp.CSS(`#folder-name`)), chromedp.WaitVisible(chromedp.CSS(`#group-q`)))
		screenshot(t, ctx, "console-folder"+size.suffix)
		do(t, ctx, chromedp.SendKeys(chromedp.CSS(`#group-q`), "Sal"), chromedp.Submit(chromedp.CSS(`#group-q`)),
			chromedp.WaitVisible(chromedp.CSS(`ul.results select`)),
			chromedp.SetValue(chromedp.CSS(`ul.results select`), "checker"),
			chromedp.Click(chromedp.CSS(`ul.results button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS(`div.notice`)))
		if got := text(t, ctx, "#share + p + table, section[aria-labelledby=share] table"); !strings.Contains(got, "Sales") || !strings.Contains(got, "Check") {
			t.Errorf("after Share the folder's grants read %q", got)
		}
		screenshot(t, ctx, "console-folder-share"+size.suffix)
		do(t, ctx, chromedp.Click(chromedp.CSS(`a[href$="/access"]`)), chromedp.WaitVisible(chromedp.CSS(`ul.reasons`)))
		got := text(t, ctx, "main table")
		for _, want := range []string{"ann@acme.example", "bob@acme.example", "Checker through group Sales"} {
			if !strings.Contains(got, want) {
				t.Errorf("who has access lacks %q:\n%s", want, got)
			}
		}
		screenshot(t, ctx, "console-access"+size.suffix)
		// Back to the folder, then up to its workspace.
		do(t, ctx, chromedp.Click(chromedp.CSS(`p.crumbs a:nth-of-type(2)`)), chromedp.WaitVisible(chromedp.CSS(`#share`)),
			chromedp.Click(chromedp.CSS(`p.crumbs a:nth-of-type(2)`)), chromedp.WaitVisible(chromedp.CSS(`#folders`)))
		if got := text(t, ctx, "section[aria-labelledby=folders] table"); !strings.Contains(got, "Plans") || !strings.Contains(got, "Invite only") {
			t.Errorf("the workspace's folders read %q", got)
		}
		screenshot(t, ctx, "console-workspace"+size.suffix)
		do(t, ctx, chromedp.Click(chromedp.CSS(`nav a[href="/console/workspaces"]`)), chromedp.WaitVisible(chromedp.CSS(`main table`)))
		screenshot(t, ctx, "console-workspaces"+size.suffix)
	})
}
