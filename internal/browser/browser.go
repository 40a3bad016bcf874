// Package browser starts headless Chromium for tests that drive a real
// page (the admin page, a gRPC-Web or Connect client in a browser). Only
// tests import it, so no user of grpcdouble links a browser driver.
package browser

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// Timeout bounds a whole browser test.
const Timeout = 3 * time.Minute

// Path finds Chromium: $CHROMIUM, or chromium / chromium-browser /
// google-chrome on PATH. It says why when there is none.
func Path() (string, error) {
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p, nil
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "headless_shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("no Chromium on PATH (install Debian's chromium package, as .ci/run does, or set CHROMIUM)")
}

// Browser is one headless Chromium tab for a test.
type Browser struct {
	Ctx  context.Context // pass to chromedp.Do and chromedp.Run
	t    testing.TB
	mu   sync.Mutex
	errs []string
}

// Start opens a tab, or skips the test saying why no Chromium can run
// here. The browser closes at the test's cleanup.
func Start(t testing.TB) *Browser {
	t.Helper()
	path, err := Path()
	if err != nil {
		t.Skip("browser test skipped: " + err.Error())
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox, // CI runs as root
		chromedp.DisableGPU,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	ctx, cancelTime := context.WithTimeout(context.Background(), Timeout)
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	bctx, cancelTab := chromedp.NewContext(actx)
	b := &Browser{Ctx: bctx, t: t}
	stop := func() {
		cancelTab()
		cancelAlloc()
		cancelTime()
	}
	// Subscribing starts the browser, so a Chromium that cannot run skips here.
	console := chromedp.Events(bctx, runtime.ConsoleAPICalled)
	exceptions := chromedp.Events(bctx, runtime.ExceptionThrown)
	if err := chromedp.Do(bctx, chromedp.Navigate("about:blank")); err != nil {
		stop()
		t.Skipf("browser test skipped: Chromium at %s does not start here: %v", path, err)
	}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		for ev, err := range console {
			if err != nil {
				return
			}
			if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert {
				var parts []string
				for _, a := range ev.Args {
					if a.Description != "" {
						parts = append(parts, a.Description)
					} else {
						parts = append(parts, fmt.Sprint(a.Value))
					}
				}
				b.note("console." + string(ev.Type) + ": " + strings.Join(parts, " "))
			}
		}
	}()
	go func() {
		defer wg.Done()
		for ev, err := range exceptions {
			if err != nil {
				return
			}
			d := ev.ExceptionDetails
			msg := d.Text
			if d.Exception != nil {
				msg += " " + d.Exception.Description
			}
			b.note(fmt.Sprintf("uncaught exception at %s:%d: %s", d.URL, d.LineNumber, msg))
		}
	}()
	t.Cleanup(func() {
		stop()
		wg.Wait()
	})
	return b
}

func (b *Browser) note(s string) {
	b.mu.Lock()
	b.errs = append(b.errs, s)
	b.mu.Unlock()
}

// ConsoleErrors returns the console errors and uncaught exceptions so far.
func (b *Browser) ConsoleErrors() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.errs...)
}

// Do runs the actions as one step; when it fails, it saves a screenshot
// and fails the test naming the step and the file.
func (b *Browser) Do(step string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.Ctx, actions...); err != nil {
		b.Fail(step, err)
	}
}

// Fail fails the test at step, with a screenshot of the page.
func (b *Browser) Fail(step string, err error) {
	b.t.Helper()
	b.t.Fatalf("browser step %q: %v%s", step, err, b.screenshot(step))
}

// Eval evaluates a JavaScript expression (awaiting a promise) as one step.
func Eval[T any](b *Browser, step, expr string) T {
	b.t.Helper()
	v, err := chromedp.Run(b.Ctx, chromedp.Evaluate[T](expr, func(p *runtime.EvaluateParams) {
		await := true
		p.AwaitPromise = &await
	}))
	if err != nil {
		b.Fail(step, err)
	}
	return v
}

// WaitFor evaluates a JavaScript expression until it is truthy, for at
// most wait, as one step. Errors in between (a page still loading) are
// retried; the last one is reported.
func (b *Browser) WaitFor(step, expr string, wait time.Duration) {
	b.t.Helper()
	deadline := time.Now().Add(wait)
	var last error
	for {
		ok, err := chromedp.Run(b.Ctx, chromedp.Evaluate[bool]("Boolean("+expr+")"))
		if err == nil && ok {
			return
		}
		if err != nil {
			last = err
		}
		if time.Now().After(deadline) || b.Ctx.Err() != nil {
			if last == nil {
				last = fmt.Errorf("still false")
			}
			b.Fail(step, fmt.Errorf("%s did not hold within %s: %w", expr, wait, last))
		}
		select {
		case <-b.Ctx.Done():
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// screenshot saves the page as a PNG, kept after the test so a failure can
// be looked at.
func (b *Browser) screenshot(step string) string {
	ctx, cancel := context.WithTimeout(b.Ctx, 5*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		return " (no screenshot: " + err.Error() + ")"
	}
	dir, err := os.MkdirTemp("", "grpcdouble-browser-")
	if err != nil {
		return ""
	}
	name := filepath.Join(dir, strings.NewReplacer("/", "_", " ", "_").Replace(b.t.Name()+"-"+step)+".png")
	if err := os.WriteFile(name, png, 0o644); err != nil {
		return ""
	}
	return "; screenshot: " + name
}

// Screenshot saves the page as a PNG at path (for the docs' pictures).
func (b *Browser) Screenshot(path string) {
	b.t.Helper()
	png, err := chromedp.Run(b.Ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.Fail("screenshot "+filepath.Base(path), err)
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// Click clicks the element css selects, found and clicked in one
// evaluation, so a page that re-renders cannot swap the node in between.
func (b *Browser) Click(step, css string) {
	b.t.Helper()
	expr := fmt.Sprintf(`(() => { const e = document.querySelector(%q); if (!e) return false; e.click(); return true; })()`, css)
	ok, err := chromedp.Run(b.Ctx, chromedp.Evaluate[bool](expr))
	if err == nil && !ok {
		err = fmt.Errorf("nothing matches %s", css)
	}
	if err != nil {
		b.Fail(step, err)
	}
}
