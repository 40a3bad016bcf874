package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
	"github.com/grpcdouble/grpcdouble/internal/browser"
)

// uiWait bounds each wait for the page to show something. A call shows on
// the page within about a second (the stream batches every 100 ms); the
// bound is wider so a loaded machine does not fail the test.
const uiWait = 10 * time.Second

func startUIServer(t *testing.T, extra ...string) *proc {
	t.Helper()
	args := append([]string{"serve",
		"--proto", "examples/routeguide/routeguide.proto", "--import-path", "examples/routeguide",
		"--stubs", "testdata/standalone/stubs",
		"--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0"}, extra...)
	p := startProc(t, args...)
	if p.AdminAddr == "" {
		t.Fatal("no admin address printed")
	}
	return p
}

func dialUI(t *testing.T, p *proc) pb.RouteGuideClient {
	t.Helper()
	conn, err := grpc.NewClient(p.Addr, grpc.WithTransportCredentials(insecureCreds()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return pb.NewRouteGuideClient(conn)
}

// TestPageInBrowser drives the admin page in headless Chromium against the
// real binary: it loads with no console error; calls appear without a
// reload; a call opens to its events in order; a bidi call shows its
// messages interleaved; a bad pasted stub shows the server's error at its
// line.
func TestPageInBrowser(t *testing.T) {
	b := browser.Start(t)
	p := startUIServer(t)
	client := dialUI(t, p)
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()

	b.Do("open the page", chromedp.Navigate("http://"+p.AdminAddr+"/"))
	b.WaitFor("the event stream is live", `document.querySelector('#conn').textContent === 'live'`, uiWait)

	if _, err := client.GetFeature(ctx, &pb.Point{Latitude: 1, Longitude: 2}); err != nil {
		t.Fatal(err)
	}
	done := time.Now()
	b.WaitFor("the call appears without a reload", `document.querySelector('#calls tbody tr[data-id="1"]') !== null`, uiWait)
	t.Logf("the call showed on the page %v after it returned", time.Since(done).Round(time.Millisecond))

	b.Click("open the call", `#calls tbody tr[data-id="1"]`)
	b.WaitFor("its events show", `document.querySelectorAll('#detail .ev').length >= 3`, uiWait)
	got := browser.Eval[[]string](b, "read the events", `[...document.querySelectorAll('#detail .ev')].map(e => e.dataset.type)`)
	want := []string{"client message", "headers", "server message", "trailers", "status"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("unary call events on the page: %q, want %q", got, want)
	}
	detail := browser.Eval[string](b, "read the detail", `document.querySelector('#detail').textContent`)
	for _, s := range []string{"Stub feature at 1,2", "x-stub", "x-cost", "OK", "answered by stub:feature-1-2"} {
		if !strings.Contains(detail, s) {
			t.Errorf("the call's detail lacks %q:\n%s", s, detail)
		}
	}

	// Bidi: the page shows client and server messages interleaved.
	stream, err := client.RouteChat(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, msg := range []string{"hello", "bye"} {
		if err := stream.Send(&pb.RouteNote{Message: msg}); err != nil {
			t.Fatal(err)
		}
		if _, err := stream.Recv(); err != nil {
			t.Fatal(err)
		}
	}
	_ = stream.CloseSend()
	for {
		if _, err := stream.Recv(); err != nil {
			break
		}
	}
	b.WaitFor("the bidi call appears, finished", `(() => { const r = document.querySelector('#calls tbody tr[data-id="2"]'); return r && !r.textContent.includes('running'); })()`, uiWait)
	b.Click("open the bidi call", `#calls tbody tr[data-id="2"]`)
	b.WaitFor("its events show", `document.querySelectorAll('#detail .ev').length >= 4 && document.querySelector('#detail h2').textContent.includes('RouteChat')`, uiWait)
	sides := browser.Eval[[]string](b, "read the sides", `[...document.querySelectorAll('#detail .ev')].filter(e => e.dataset.type.endsWith('message')).map(e => e.classList.contains('client') ? 'client' : 'server')`)
	if strings.Join(sides, ",") != "client,server,client,server" {
		t.Errorf("bidi messages on the page: %q, want client and server interleaved", sides)
	}

	// A bad stub pasted: the server's error, with its line marked.
	b.Do("open the stubs", chromedp.Click(chromedp.ID("tab-stubs")))
	b.WaitFor("the stubs list", `document.querySelectorAll('#stubs tbody tr').length > 0`, uiWait)
	bad := "- method: /routeguide.RouteGuide/GetFeature\n  response:\n    nmae: typo\n"
	b.Do("paste a bad stub", chromedp.SetValue(chromedp.ID("add-yaml"), bad), chromedp.Click(chromedp.ID("add")))
	b.WaitFor("the error shows", `!document.querySelector('#add-error').hidden`, uiWait)
	msg := browser.Eval[string](b, "read the error", `document.querySelector('#add-error .add-message').textContent`)
	if !strings.Contains(msg, "nmae") {
		t.Errorf("the page's error %q does not name the bad field", msg)
	}
	marked := browser.Eval[[]string](b, "read the marked line", `[...document.querySelectorAll('#add-error .l.bad')].map(e => e.dataset.line)`)
	if len(marked) != 1 || !strings.Contains(msg, ":"+marked[0]+":") {
		t.Errorf("marked lines %q, but the error says %q", marked, msg)
	}

	// Filters: by method, and matched or missed.
	if _, err := client.GetFeature(ctx, &pb.Point{Latitude: 404}); err == nil {
		t.Fatal("a call no stub matches was answered")
	}
	b.Do("back to the calls", chromedp.Click(chromedp.ID("tab-calls")))
	b.WaitFor("the missed call shows", `(() => { const r = document.querySelector('#calls tbody tr[data-id="3"]'); return r && r.textContent.includes('missed'); })()`, uiWait)
	rows := func(step string) []string {
		return browser.Eval[[]string](b, step, `[...document.querySelectorAll('#calls tbody tr')].map(r => r.dataset.id)`)
	}
	filter := func(step, method, matched string) {
		b.Do(step, chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => {
			const m = document.querySelector('#f-method'), a = document.querySelector('#f-matched');
			m.value = %q; a.value = %q;
			a.dispatchEvent(new Event('input'));
		})()`, method, matched)))
	}
	filter("show missed calls only", "", "missed")
	if got := rows("read the missed rows"); strings.Join(got, ",") != "3" {
		t.Errorf("missed filter shows calls %q, want 3", got)
	}
	filter("show matched calls to RouteChat", "chat", "matched")
	if got := rows("read the filtered rows"); strings.Join(got, ",") != "2" {
		t.Errorf("matched+method filter shows calls %q, want 2", got)
	}
	filter("clear the filters", "", "")

	// The misses view names the nearest stub.
	b.Do("open the misses", chromedp.Click(chromedp.ID("tab-misses")))
	b.WaitFor("the miss shows", `document.querySelectorAll('#misses .miss').length === 1`, uiWait)
	miss := browser.Eval[string](b, "read the miss", `document.querySelector('#misses .miss').textContent`)
	if !strings.Contains(miss, "GetFeature") || !strings.Contains(miss, "feature-") {
		t.Errorf("the miss does not name the method and the nearest stub:\n%s", miss)
	}

	if shots := os.Getenv("GRPCDOUBLE_SCREENSHOTS"); shots != "" {
		b.Screenshot(filepath.Join(shots, "misses.png"))
		b.Do("back to the calls", chromedp.Click(chromedp.ID("tab-calls")))
		b.Click("open the bidi call", `#calls tbody tr[data-id="2"]`)
		b.WaitFor("detail", `document.querySelectorAll('#detail .ev').length >= 4`, uiWait)
		b.Screenshot(filepath.Join(shots, "calls.png"))
		b.Do("stubs", chromedp.Click(chromedp.ID("tab-stubs")))
		b.Screenshot(filepath.Join(shots, "stubs.png"))
	}
	if errs := b.ConsoleErrors(); len(errs) > 0 {
		t.Errorf("console errors on the page:\n%s", strings.Join(errs, "\n"))
	}
}

// TestPageWithToken: with --admin-token the page asks for the token once,
// then works; the API refuses a request without it.
func TestPageWithToken(t *testing.T) {
	b := browser.Start(t)
	p := startUIServer(t, "--admin-token", "ui-secret")
	client := dialUI(t, p)
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()

	b.Do("open the page", chromedp.Navigate("http://"+p.AdminAddr+"/ui/"))
	b.WaitFor("the page asks for the token", `document.querySelector('#token-dialog').open`, uiWait)
	b.Do("enter the token", chromedp.SendKeys(chromedp.ID("token"), "ui-secret"), chromedp.Click(chromedp.ID("token-ok")))
	b.WaitFor("the event stream is live", `document.querySelector('#conn').textContent === 'live'`, uiWait)
	if _, err := client.GetFeature(ctx, &pb.Point{Latitude: 1, Longitude: 2}); err != nil {
		t.Fatal(err)
	}
	b.WaitFor("the call appears", `document.querySelector('#calls tbody tr[data-id="1"]') !== null`, uiWait)
	if open := browser.Eval[bool](b, "the dialog stays closed", `document.querySelector('#token-dialog').open`); open {
		t.Error("the page asked for the token again")
	}
	// The token is kept for the tab, never put in a URL.
	if stored := browser.Eval[string](b, "read the stored token", `sessionStorage.getItem('grpcdouble-token')`); stored != "ui-secret" {
		t.Errorf("sessionStorage holds %q", stored)
	}

	for _, path := range []string{"/calls", "/events", "/stubs"} {
		resp, err := http.Get("http://" + p.AdminAddr + path)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("GET %s without the token: %d, want 401", path, resp.StatusCode)
		}
	}
	if errs := b.ConsoleErrors(); len(errs) > 0 {
		t.Errorf("console errors on the page:\n%s", strings.Join(errs, "\n"))
	}
}

// TestPageActions: the page's actions change the server: delete a stub,
// add one, reset.
func TestPageActions(t *testing.T) {
	b := browser.Start(t)
	p := startUIServer(t)
	client := dialUI(t, p)
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	b.Do("open the stubs", chromedp.Navigate("http://"+p.AdminAddr+"/ui/"), chromedp.Click(chromedp.ID("tab-stubs")))
	b.WaitFor("the stubs list", `document.querySelector('#stubs tbody tr[data-id="feature-1-2"]') !== null`, uiWait)
	b.Click("delete a stub", `#stubs tbody tr[data-id="feature-1-2"] button`)
	b.WaitFor("it is gone", `document.querySelector('#stubs tbody tr[data-id="feature-1-2"]') === null`, uiWait)
	if _, err := client.GetFeature(ctx, &pb.Point{Latitude: 1, Longitude: 2}); err == nil {
		t.Error("the deleted stub still answers")
	}
	b.Do("add a stub", chromedp.SetValue(chromedp.ID("add-yaml"), "- id: pasted\n  method: /routeguide.RouteGuide/GetFeature\n  response: {name: pasted}\n"), chromedp.Click(chromedp.ID("add")))
	b.WaitFor("it is listed", `document.querySelector('#stubs tbody tr[data-id="pasted"]') !== null`, uiWait)
	f, err := client.GetFeature(ctx, &pb.Point{Latitude: 1, Longitude: 2})
	if err != nil || f.GetName() != "pasted" {
		t.Fatalf("the pasted stub answered %v, %v", f, err)
	}
	b.Do("back to the calls", chromedp.Click(chromedp.ID("tab-calls")))
	b.WaitFor("two calls", `document.querySelectorAll('#calls tbody tr').length === 2`, uiWait)
	b.Do("reset (two clicks)", chromedp.Click(chromedp.ID("reset")), chromedp.Click(chromedp.ID("reset")))
	b.WaitFor("no calls", `document.querySelectorAll('#calls tbody tr').length === 0`, uiWait)
	resp, err := http.Get("http://" + p.AdminAddr + "/calls")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if strings.TrimSpace(string(body)) != "[]" {
		t.Errorf("after the page's reset GET /calls is %s", body)
	}
	if errs := b.ConsoleErrors(); len(errs) > 0 {
		t.Errorf("console errors on the page:\n%s", strings.Join(errs, "\n"))
	}
}

// TestPageSessions: the page lists the sessions and, with one chosen,
// shows its calls and its stubs only.
func TestPageSessions(t *testing.T) {
	b := browser.Start(t)
	p := startUIServer(t)
	client := dialUI(t, p)
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	// A stub only team-a sees, then a call from each team.
	req, _ := http.NewRequest("POST", "http://"+p.AdminAddr+"/stubs?session=team-a", strings.NewReader("- id: only-a\n  method: /routeguide.RouteGuide/GetFeature\n  request: {partial: {latitude: 7}}\n  response: {name: team a}\n"))
	req.Header.Set("Content-Type", "application/yaml")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST /stubs?session=team-a: %s", resp.Status)
	}
	for _, team := range []string{"team-a", "team-b"} {
		sctx := metadata.AppendToOutgoingContext(ctx, "grpcdouble-session", team)
		_, _ = client.GetFeature(sctx, &pb.Point{Latitude: 7})
	}
	b.Do("open the page", chromedp.Navigate("http://"+p.AdminAddr+"/ui/"))
	b.WaitFor("both calls", `document.querySelectorAll('#calls tbody tr').length === 2`, uiWait)
	b.WaitFor("the sessions are offered", `[...document.querySelectorAll('#session option')].map(o => o.value).includes('team-a')`, uiWait)
	b.Do("choose team-a", chromedp.Evaluate[chromedp.Void](`(() => { const s = document.querySelector('#session'); s.value = 'team-a'; s.dispatchEvent(new Event('change')); })()`))
	got := browser.Eval[[]string](b, "read the rows", `[...document.querySelectorAll('#calls tbody tr')].map(r => r.cells[5].textContent)`)
	if strings.Join(got, ",") != "team-a" {
		t.Errorf("with team-a chosen the page shows calls of sessions %q", got)
	}
	b.Do("open the stubs", chromedp.Click(chromedp.ID("tab-stubs")))
	b.WaitFor("team-a's stub is listed", `document.querySelector('#stubs tbody tr[data-id="only-a"]') !== null`, uiWait)
	b.Do("open the sessions", chromedp.Click(chromedp.ID("tab-sessions")))
	b.WaitFor("both sessions are listed", `document.querySelectorAll('#sessions tbody tr').length >= 2`, uiWait)
	if errs := b.ConsoleErrors(); len(errs) > 0 {
		t.Errorf("console errors on the page:\n%s", strings.Join(errs, "\n"))
	}
}

// TestPageScenarios: the page lists scenarios with their states, and
// setting one there changes what the server answers.
func TestPageScenarios(t *testing.T) {
	b := browser.Start(t)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "login.yaml"), `
- id: before-login
  method: /routeguide.RouteGuide/GetFeature
  scenario: login
  whenState: Started
  status: {code: UNAUTHENTICATED, message: log in first}
- id: after-login
  method: /routeguide.RouteGuide/GetFeature
  scenario: login
  whenState: LoggedIn
  response: {name: welcome back}
`)
	p := startProc(t, "serve",
		"--proto", "examples/routeguide/routeguide.proto", "--import-path", "examples/routeguide",
		"--stubs", dir, "--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0")
	client := dialUI(t, p)
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	if _, err := client.GetFeature(ctx, &pb.Point{}); status.Code(err) != codes.Unauthenticated {
		t.Fatalf("before login: %v", err)
	}
	b.Do("open the scenarios", chromedp.Navigate("http://"+p.AdminAddr+"/ui/"), chromedp.Click(chromedp.ID("tab-scenarios")))
	b.WaitFor("login is listed in Started", `(() => { const r = document.querySelector('#scenarios tbody tr'); return r && r.cells[0].textContent === 'login' && r.cells[1].textContent === 'Started'; })()`, uiWait)
	b.Do("set LoggedIn", chromedp.Evaluate[chromedp.Void](`(() => {
		const f = document.querySelector('#scenarios tbody tr form');
		f.querySelector('input').value = 'LoggedIn';
		f.requestSubmit();
	})()`))
	b.WaitFor("the page shows LoggedIn", `document.querySelector('#scenarios tbody tr').cells[1].textContent === 'LoggedIn'`, uiWait)
	f, err := client.GetFeature(ctx, &pb.Point{})
	if err != nil || f.GetName() != "welcome back" {
		t.Errorf("after the page set LoggedIn: %v, %v", f, err)
	}
	if errs := b.ConsoleErrors(); len(errs) > 0 {
		t.Errorf("console errors on the page:\n%s", strings.Join(errs, "\n"))
	}
}
