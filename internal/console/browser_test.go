package console_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chromium starts a headless Debian chromium for a test, or skips it when
// there is none (CI installs it and sets ROSTER_REQUIRE_BROWSER=1, which
// turns the skip into a failure).
func chromium(t *testing.T, width, height int) context.Context {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("ROSTER_REQUIRE_BROWSER") != "" {
			t.Fatal("chromium is not installed, and ROSTER_REQUIRE_BROWSER is set: apt-get install -y chromium")
		}
		t.Skip("browser tests skipped: install Debian's chromium (apt-get install -y chromium)")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(width, height),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 3*time.Minute) // generous: CI runs it beside every other package under -race
	t.Cleanup(func() { cancelTimeout(); cancel(); cancelAlloc() })
	return ctx
}

// screenshot saves the page as NAME.png: in docs/screenshots when
// ROSTER_SCREENSHOTS=docs (how the committed ones are made), else in the
// test's temporary directory, so a test run changes no tracked file.
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	// A capture can stall when the renderer is starved (many test
	// processes on two cores): give each try 30 s and try twice rather
	// than spend the test's whole budget on one.
	var buf []byte
	var err error
	for try := 0; try < 2; try++ {
		cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		buf, err = chromedp.Run(cctx, chromedp.FullScreenshot(100))
		cancel()
		if err == nil || ctx.Err() != nil {
			break
		}
	}
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if len(buf) < 1000 {
		t.Fatalf("screenshot %s is %d bytes: the page did not render", name, len(buf))
	}
	dir := t.TempDir()
	if os.Getenv("ROSTER_SCREENSHOTS") == "docs" {
		dir = filepath.Join("..", "..", "docs", "screenshots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), buf, 0o644); err != nil {
		t.Fatal(err)
	}
}

func do(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatal(err)
	}
}

func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

// TestBrowserFirstSteps drives Debian's chromium through an owner's first
// steps: the setup link, the overview, creating a SCIM token and seeing
// Okta's first request on the checklist. It saves a screenshot of every
// page for docs/console.md, at desktop width and at 375 px.
func TestBrowserFirstSteps(t *testing.T) {
	atEveryWidth(t, func(t *testing.T, ctx context.Context, size viewport) {
		e := newEnv(t, engines[0].open(t))
		acme := e.org("Acme")
		do(t, ctx, chromedp.EmulateViewport(int64(size.width), int64(size.height)),
			chromedp.Navigate(e.link(acme.ID)), chromedp.WaitVisible(chromedp.CSS(`main button[type=submit]`)))
		screenshot(t, ctx, "enter"+size.suffix)
		do(t, ctx, chromedp.Click(chromedp.CSS(`main button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS(`ol.checklist`)))
		if h := text(t, ctx, "main h1"); h != "Acme" {
			t.Fatalf("overview heading %q, want Acme", h)
		}
		screenshot(t, ctx, "overview"+size.suffix)
		do(t, ctx, chromedp.Click(chromedp.CSS(`nav a[href="/console/tokens"]`)), chromedp.WaitVisible(chromedp.CSS(`#name`)),
			chromedp.SendKeys(chromedp.CSS(`#name`), "okta"), chromedp.Submit(chromedp.CSS(`#name`)),
			chromedp.WaitVisible(chromedp.CSS(`#new-token`)))
		token := text(t, ctx, "#new-token")
		if !strings.HasPrefix(token, "roster_scim_") {
			t.Fatalf("the page shows %q as the new token", token)
		}
		screenshot(t, ctx, "token-created"+size.suffix)
		if code := scimGet(t, e, token); code != 200 {
			t.Fatalf("Okta's first request with the token the page showed = %d", code)
		}
		do(t, ctx, chromedp.Click(chromedp.CSS(`nav a[href="/console/"]`)), chromedp.WaitVisible(chromedp.CSS(`ol.checklist`)))
		if got := text(t, ctx, "ol.checklist"); strings.Count(got, "Done") != 2 {
			t.Errorf("checklist after Okta's first request:\n%s\nwant two steps done", got)
		}
		screenshot(t, ctx, "overview-after-first-request"+size.suffix)
		do(t, ctx, chromedp.Click(chromedp.CSS(`nav a[href="/console/tokens"]`)), chromedp.WaitVisible(chromedp.CSS(`table`)))
		screenshot(t, ctx, "tokens"+size.suffix)
	})
}

// viewport is a screen size the browser tests render at; suffix names
// its screenshots.
type viewport struct {
	suffix        string
	width, height int
}

// viewports are a desktop and a 375 px phone: every page is checked and
// photographed at both.
var viewports = []viewport{{"", 1280, 900}, {"-375", 375, 812}}

// atEveryWidth runs fn as subtest "width"+suffix in a chromium of its own
// at each viewport.
func atEveryWidth(t *testing.T, fn func(t *testing.T, ctx context.Context, size viewport)) {
	t.Helper()
	for _, size := range viewports {
		t.Run("width"+size.suffix, func(t *testing.T) {
			fn(t, chromium(t, size.width, size.height), size)
		})
	}
}

// enterConsole sets the viewport, opens the setup link and spends it,
// and waits for the overview's checklist.
func enterConsole(t *testing.T, ctx context.Context, link string, size viewport) {
	t.Helper()
	do(t, ctx, chromedp.EmulateViewport(int64(size.width), int64(size.height)),
		chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS(`main button[type=submit]`)),
		chromedp.Click(chromedp.CSS(`main button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS(`ol.checklist`)))
}
