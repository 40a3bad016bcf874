package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/grpcdouble/grpcdouble/admin"
	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
	"github.com/grpcdouble/grpcdouble/expect"
)

// scrapeMetrics fetches and parses /metrics.
func scrapeMetrics(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, body)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: not the Prometheus text format: %v", url, err)
	}
	return fams
}

// sample is the value of the sample of family name whose labels are
// exactly labels (a histogram's is its count); ok is false when none is.
func sample(fams map[string]*dto.MetricFamily, name string, labels map[string]string) (float64, bool) {
next:
	for _, m := range fams[name].GetMetric() {
		if len(m.GetLabel()) != len(labels) {
			continue
		}
		for _, l := range m.GetLabel() {
			if v, ok := labels[l.GetName()]; !ok || v != l.GetValue() {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.GetCounter().GetValue(), true
		case m.Gauge != nil:
			return m.GetGauge().GetValue(), true
		case m.Histogram != nil:
			return float64(m.GetHistogram().GetSampleCount()), true
		}
	}
	return 0, false
}

// TestMetricsE2E: /metrics on the admin address, scraped and parsed, counts
// a known set of calls exactly: by method, code and answer source, with
// stub ids only for stubs from files; messages; latency; stubs, journal,
// sessions and reloads.
func TestMetricsE2E(t *testing.T) {
	t.Parallel()
	p := startProc(t, "serve", "--listen", "127.0.0.1:0", "--proto", "testdata/standalone/protos",
		"--stubs", "testdata/standalone/stubs", "--admin", "127.0.0.1:0")
	base := "http://" + p.AdminAddr
	client := pb.NewRouteGuideClient(dial(t, p.Addr, nil))
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()

	// The known set of calls.
	for range 3 {
		if _, err := client.GetFeature(ctx, &pb.Point{Latitude: 1, Longitude: 2}); err != nil {
			t.Fatal(err)
		}
	}
	for range 2 {
		if _, err := client.GetFeature(ctx, &pb.Point{Latitude: 9}); err == nil {
			t.Fatal("GetFeature(9) matched a stub")
		}
	}
	stream, err := client.ListFeatures(ctx, &pb.Rectangle{})
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := stream.Recv(); err != nil {
			break
		}
	}
	if code := adminDo(t, "POST", base+"/stubs?session=m1", "", "id: in-session\nmethod: /routeguide.RouteGuide/GetFeature\nresponse: {name: s}\n", nil); code != http.StatusCreated {
		t.Fatalf("POST /stubs?session=m1: %d", code)
	}
	if _, err := client.GetFeature(sessionCtx(ctx, "m1"), &pb.Point{Latitude: 9}); err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	if err := p.stderr.waitFor(`msg="stubs reloaded"`, 1, reloadTimeout); err != nil {
		t.Fatalf("SIGHUP: no reload: %v", err)
	}
	var stubs []admin.Stub
	adminDo(t, "GET", base+"/stubs", "", "", &stubs)

	fams := scrapeMetrics(t, base+"/metrics")
	get, list := "/routeguide.RouteGuide/GetFeature", "/routeguide.RouteGuide/ListFeatures"
	miss := expect.NoMatchCode.String()
	for _, tc := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"grpcdouble_calls_total", map[string]string{"method": get, "code": "OK", "source": "stub", "stub": "feature-1-2"}, 3},
		{"grpcdouble_calls_total", map[string]string{"method": get, "code": miss, "source": "miss", "stub": ""}, 2},
		{"grpcdouble_calls_total", map[string]string{"method": list, "code": "OK", "source": "stub", "stub": "list-features"}, 1},
		// A session's stub, added at run time, is counted without its id.
		{"grpcdouble_calls_total", map[string]string{"method": get, "code": "OK", "source": "stub", "stub": ""}, 1},
		{"grpcdouble_messages_received_total", map[string]string{"method": get}, 6},
		{"grpcdouble_messages_sent_total", map[string]string{"method": get}, 4},
		{"grpcdouble_messages_received_total", map[string]string{"method": list}, 1},
		{"grpcdouble_messages_sent_total", map[string]string{"method": list}, 3},
		{"grpcdouble_call_duration_seconds", map[string]string{"method": get}, 6},
		{"grpcdouble_call_duration_seconds", map[string]string{"method": list}, 1},
		{"grpcdouble_calls_in_flight", nil, 0},
		{"grpcdouble_stubs_loaded", nil, float64(len(stubs))},
		{"grpcdouble_journal_calls", nil, 7},
		{"grpcdouble_sessions", nil, 1},
		{"grpcdouble_reloads_total", nil, 1},
		{"grpcdouble_reload_errors_total", nil, 0},
	} {
		got, ok := sample(fams, tc.name, tc.labels)
		if !ok || got != tc.want {
			t.Errorf("%s%v = %v (found %v), want %v", tc.name, tc.labels, got, ok, tc.want)
		}
	}
	var total float64
	for _, m := range fams["grpcdouble_calls_total"].GetMetric() {
		total += m.GetCounter().GetValue()
	}
	if total != 7 {
		t.Errorf("calls_total sums to %v over every label set, want the 7 calls made", total)
	}
	if t.Failed() {
		for name, f := range fams {
			t.Logf("%s: %v", name, f.GetMetric())
		}
	}
}

// TestMetricsWithoutAdmin: --metrics without --admin serves /metrics alone.
func TestMetricsWithoutAdmin(t *testing.T) {
	t.Parallel()
	p := startProc(t, "serve", "--listen", "127.0.0.1:0", "--proto", "testdata/standalone/protos",
		"--stubs", "testdata/standalone/stubs", "--metrics", "127.0.0.1:0")
	if err := p.stderr.waitFor("msg=metrics listen=", 1, readyTimeout); err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`msg=metrics listen=(\S+)`).FindStringSubmatch(p.stderr.String())
	if m == nil {
		t.Fatalf("no metrics address in the log:\n%s", p.stderr)
	}
	client := pb.NewRouteGuideClient(dial(t, p.Addr, nil))
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	if _, err := client.GetFeature(ctx, &pb.Point{Latitude: 1, Longitude: 2}); err != nil {
		t.Fatal(err)
	}
	// The client has its answer before the server's stats handler ends the
	// call and counts it, so the count may lag the answer: poll, bounded.
	labels := map[string]string{"method": "/routeguide.RouteGuide/GetFeature", "code": "OK", "source": "stub", "stub": "feature-1-2"}
	var got float64
	var found bool
	for deadline := time.Now().Add(callTimeout); ; time.Sleep(20 * time.Millisecond) {
		got, found = sample(scrapeMetrics(t, "http://"+m[1]+"/metrics"), "grpcdouble_calls_total", labels)
		if (found && got >= 1) || time.Now().After(deadline) {
			break
		}
	}
	if !found || got != 1 {
		t.Fatalf("calls_total for the one call: %v (found %v)", got, found)
	}
	// Only /metrics: no admin API there.
	if code := adminDo(t, "GET", "http://"+m[1]+"/stubs", "", "", nil); code != http.StatusNotFound {
		t.Fatalf("GET /stubs on the metrics address: %d, want 404", code)
	}
}

// TestMetricsHostCheckedE2E: --metrics follows the admin's Host rule: a
// DNS-rebinding page's own name gets 403 and no metric, a name
// --admin-allow-host gives is answered.
func TestMetricsHostCheckedE2E(t *testing.T) {
	t.Parallel()
	p := startProc(t, "serve", "--listen", "127.0.0.1:0", "--proto", "testdata/standalone/protos",
		"--stubs", "testdata/standalone/stubs", "--metrics", "127.0.0.1:0", "--admin-allow-host", "mock.internal")
	if err := p.stderr.waitFor("msg=metrics listen=", 1, readyTimeout); err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`msg=metrics listen=(\S+)`).FindStringSubmatch(p.stderr.String())
	if m == nil {
		t.Fatalf("no metrics address in the log:\n%s", p.stderr)
	}
	_, port, err := net.SplitHostPort(m[1])
	if err != nil {
		t.Fatal(err)
	}
	get := func(host string) (int, string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, "GET", "http://"+m[1]+"/metrics", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Host = host
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, string(body)
	}
	code, body := get("rebind.example:" + port)
	if code != http.StatusForbidden || strings.Contains(body, "grpcdouble_") {
		t.Fatalf("GET /metrics for host rebind.example: %d, want 403 and no metric:\n%s", code, body)
	}
	for _, want := range []string{`for host "rebind.example:` + port + `"`, "the metrics listen at " + m[1], "--admin-allow-host NAME"} {
		if !strings.Contains(body, want) {
			t.Errorf("the refusal %q does not say %q", body, want)
		}
	}
	for _, host := range []string{"mock.internal:" + port, "localhost:" + port, m[1]} {
		if code, body := get(host); code != http.StatusOK || !strings.Contains(body, "grpcdouble_stubs_loaded") {
			t.Errorf("GET /metrics for host %q: %d\n%s", host, code, body)
		}
	}
}
