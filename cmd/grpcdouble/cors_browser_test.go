package main

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/grpcdouble/grpcdouble/internal/browser"
)

// corsPage calls the double's --http port (TARGET) with fetch, as a web
// front end would: Connect unary with JSON is a plain POST. It checks a
// stub's answer and an error's code and message, and says so on the page.
const corsPage = `<!doctype html>
<html><head><meta charset="utf-8"><title>grpcdouble from a browser</title></head>
<body><pre id="out">waiting</pre>
<script>
const TARGET = %q;
async function getFeature(point, headers) {
  const r = await fetch(TARGET + "/routeguide.RouteGuide/GetFeature", {
    method: "POST",
    headers: Object.assign({"Content-Type": "application/json", "Connect-Protocol-Version": "1"}, headers),
    body: JSON.stringify(point),
  });
  return {status: r.status, body: await r.json(), stub: r.headers.get("x-stub")};
}
window.result = (async () => {
  let res;
  try {
    const ok = await getFeature({latitude: 1, longitude: 2}, {});
    const denied = await getFeature({latitude: 42}, {"Authorization": "Bearer let-me-in"});
    res = {name: ok.body.name, stub: ok.stub, status: denied.status, code: denied.body.code, message: denied.body.message};
  } catch (e) {
    res = {refused: String(e)};
  }
  document.getElementById("out").textContent = JSON.stringify(res);
  return res;
})();
</script></body></html>`

// TestBrowserCORS: a page served by the test, on an origin of its own,
// calls "serve --http" from headless Chromium. With no --cors-origin the
// browser refuses the call; with the page's origin allowed it gets the
// stub's answer and the error's code and message.
func TestBrowserCORS(t *testing.T) {
	b := browser.Start(t)
	pageURL, run := servePage(t, b, corsPage)

	refusing := startProc(t, serveArgs("--stubs", "testdata/standalone/stubs", "--http", "127.0.0.1:0")...)
	got := run("no --cors-origin", "http://"+refusing.HTTPAddr)
	if refused, _ := got["refused"].(string); !strings.Contains(refused, "Failed to fetch") {
		t.Errorf("without --cors-origin the browser should refuse the call; the page got %v", got)
	}

	allowing := startProc(t, serveArgs("--stubs", "testdata/standalone/stubs", "--http", "127.0.0.1:0", "--cors-origin", pageURL)...)
	got = run("--cors-origin "+pageURL, "http://"+allowing.HTTPAddr)
	want := map[string]any{
		"name": "Stub feature at 1,2", "stub": "feature-1-2",
		"status": float64(http.StatusForbidden), "code": "permission_denied", "message": "Zutritt verboten — 立入禁止",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("with --cors-origin, the page got %s = %v, want %v (all: %v)", k, got[k], v, got)
		}
	}
}

// servePage serves html on an origin of its own, its TARGET (the %q) the
// target query parameter, and returns the page's URL and a func that opens
// it in b against a target and returns window.result once the page is done.
// The target travels in the URL, not in a variable the handler shares.
func servePage(t *testing.T, b *browser.Browser, html string) (string, func(step, target string) map[string]any) {
	t.Helper()
	page := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(strings.Replace(html, "%q", strconv.Quote(r.URL.Query().Get("target")), 1)))
	}))
	t.Cleanup(page.Close)
	return page.URL, func(step, target string) map[string]any {
		b.Do("open the page: "+step, chromedp.Navigate(page.URL+"/?target="+url.QueryEscape(target)))
		b.WaitFor("the page is done: "+step, `document.querySelector('#out').textContent !== 'waiting'`, uiWait)
		return browser.Eval[map[string]any](b, "read the result: "+step, `window.result`)
	}
}
