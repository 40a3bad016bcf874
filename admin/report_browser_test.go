package admin_test

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
	"github.com/grpcdouble/grpcdouble/expect"
	"github.com/grpcdouble/grpcdouble/internal/browser"
	"github.com/grpcdouble/grpcdouble/mockserver"
)

// reportT is a TB that records what a Mock reports, named like a test.
type reportT struct {
	mu       sync.Mutex
	errs     []string
	cleanups []func()
}

func (f *reportT) Helper()      {}
func (f *reportT) Name() string { return "TestCheckout/with a miss" }
func (f *reportT) Errorf(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.errs = append(f.errs, fmt.Sprintf(format, args...))
}
func (f *reportT) Cleanup(fn func()) { f.cleanups = append(f.cleanups, fn) }
func (f *reportT) finish() string {
	for i := len(f.cleanups) - 1; i >= 0; i-- {
		f.cleanups[i]()
	}
	return strings.Join(f.errs, "\n")
}

// TestFailingTestReport: with GRPCDOUBLE_REPORT_DIR set, a test whose
// double got a call nothing matched writes the page, offline, with that
// call and its diff; the failure names the file, which opens in Chromium.
func TestFailingTestReport(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(expect.ReportDirEnv, dir)
	ft := &reportT{}
	m := expect.New(ft)
	m.Unary("/routeguide.RouteGuide/GetFeature").
		WithRequest(&pb.Point{Latitude: 1, Longitude: 2}).
		Return(&pb.Feature{Name: "one"})
	srv, err := mockserver.New(m, mockserver.WithServices("routeguide.RouteGuide"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	_, err = pb.NewRouteGuideClient(srv.ClientConn()).GetFeature(ctx, &pb.Point{Latitude: 5, Longitude: 2})
	if status.Code(err) != codes.FailedPrecondition {
		t.Fatalf("the unmatched call got %v", err)
	}
	_ = srv.Close()
	report := ft.finish()

	m2 := regexp.MustCompile(`are in (\S+\.html)`).FindStringSubmatch(report)
	if m2 == nil {
		t.Fatalf("the failure does not name a report:\n%s", report)
	}
	path := m2[1]
	if !strings.HasPrefix(path, dir) || !strings.HasSuffix(path, "TestCheckout_with_a_miss.html") {
		t.Errorf("report at %s, want it in %s named after the test", path, dir)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatal(err)
	}

	b := browser.Start(t)
	b.Do("open the report", chromedp.Navigate("file://"+path))
	b.WaitFor("the unmatched call shows", `(() => { const r = document.querySelector('#calls tbody tr[data-id="1"]'); return r && r.textContent.includes('missed'); })()`, uiWait)
	b.WaitFor("it opens by itself", `document.querySelector('#detail h2') !== null`, uiWait)
	detail := browser.Eval[string](b, "read the call", `document.querySelector('#detail').textContent`)
	if !strings.Contains(detail, "FailedPrecondition") || !strings.Contains(detail, `"latitude": 5`) {
		t.Errorf("the report's call detail lacks the miss:\n%s", detail)
	}
	b.Do("open the misses", chromedp.Click(chromedp.ID("tab-misses")))
	b.WaitFor("the miss shows", `document.querySelectorAll('#misses .miss').length === 1`, uiWait)
	miss := browser.Eval[string](b, "read the miss", `document.querySelector('#misses .miss').textContent`)
	for _, s := range []string{"GetFeature", "latitude", "5"} {
		if !strings.Contains(miss, s) {
			t.Errorf("the miss on the report lacks %q:\n%s", s, miss)
		}
	}
	// The diff reads as field, want and got, not as go-cmp output.
	row := browser.Eval[[]string](b, "read the diff table", `[...document.querySelectorAll('#misses table.diff tr')].slice(1).map(r => [...r.cells].map(c => c.textContent).join('|'))`)
	if len(row) != 1 || row[0] != "request|latitude|1|5" {
		t.Errorf("the miss's diff table rows: %q, want [request|latitude|1|5]", row)
	}
	if errs := b.ConsoleErrors(); len(errs) > 0 {
		t.Errorf("console errors on the report:\n%s", strings.Join(errs, "\n"))
	}
}

// TestNoReportWithoutMiss: a passing double writes nothing.
func TestNoReportWithoutMiss(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(expect.ReportDirEnv, dir)
	ft := &reportT{}
	m := expect.New(ft)
	m.Unary("/routeguide.RouteGuide/GetFeature").Return(&pb.Feature{Name: "one"})
	srv, err := mockserver.New(m, mockserver.WithServices("routeguide.RouteGuide"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	if _, err := pb.NewRouteGuideClient(srv.ClientConn()).GetFeature(ctx, &pb.Point{}); err != nil {
		t.Fatal(err)
	}
	_ = srv.Close()
	if got := ft.finish(); got != "" {
		t.Errorf("a passing test reported:\n%s", got)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("a passing test wrote %d files to the report folder", len(entries))
	}
}

// uiWait bounds each wait for the page to show something.
const uiWait = 10 * time.Second
