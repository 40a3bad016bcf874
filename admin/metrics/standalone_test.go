package metrics_test

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/grpcdouble/grpcdouble/admin/metrics"
)

// get sends GET path to web with the Host header host ("": the URL's), and returns
// the status and the body.
func get(t *testing.T, web *httptest.Server, path, host string) (int, string) {
	t.Helper()
	req, err := http.NewRequest("GET", web.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if host != "" {
		req.Host = host
	}
	resp, err := web.Client().Do(req)
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

// TestStandaloneHostChecked: the metrics on a listener of their own follow
// the admin API's Host rule: the address listened at and the loopback
// names are answered, a DNS-rebinding page's own name is 403, and the
// names given as allowHosts are let through.
func TestStandaloneHostChecked(t *testing.T) {
	met := metrics.New(metrics.Gauge("stubs_loaded", "Stubs.", func() float64 { return 3 }))
	web := httptest.NewServer(met.Standalone())
	t.Cleanup(web.Close)
	addr := strings.TrimPrefix(web.URL, "http://")
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	for _, host := range []string{addr, "localhost:" + port, "127.0.0.1:" + port, "[::1]:" + port, "localhost:9090"} {
		code, body := get(t, web, "/metrics", host)
		if code != http.StatusOK || !strings.Contains(body, "grpcdouble_stubs_loaded 3") {
			t.Errorf("GET /metrics with Host %q: %d\n%s", host, code, body)
		}
	}
	for _, host := range []string{"rebind.example:" + port, "rebind.example", "127.0.0.2:" + port, "localhost.rebind.example:" + port} {
		code, body := get(t, web, "/metrics", host)
		if code != http.StatusForbidden || strings.Contains(body, "grpcdouble_") {
			t.Errorf("GET /metrics with Host %q: %d, want 403 and no metric\n%s", host, code, body)
		}
		for _, want := range []string{fmt.Sprintf("GET /metrics for host %q", host), "the metrics listen at " + addr, "--admin-allow-host NAME"} {
			if !strings.Contains(body, want) {
				t.Errorf("GET /metrics with Host %q: %q does not say %q", host, body, want)
			}
		}
	}
	if code, _ := get(t, web, "/stubs", ""); code != http.StatusNotFound {
		t.Errorf("GET /stubs on the metrics' own listener: %d, want 404", code)
	}

	allowed := httptest.NewServer(met.Standalone("Mock.Internal", "other.internal:81"))
	t.Cleanup(allowed.Close)
	for host, want := range map[string]int{
		"mock.internal:" + port: http.StatusOK,
		"mock.internal":         http.StatusOK,
		"other.internal:81":     http.StatusOK,
		"other.internal:82":     http.StatusForbidden,
		"rebind.example":        http.StatusForbidden,
	} {
		if code, body := get(t, allowed, "/metrics", host); code != want {
			t.Errorf("allowing mock.internal and other.internal:81, Host %q: %d, want %d\n%s", host, code, want, body)
		}
	}
	wide := httptest.NewServer(met.Standalone("*"))
	t.Cleanup(wide.Close)
	if code, _ := get(t, wide, "/metrics", "rebind.example"); code != http.StatusOK {
		t.Errorf("* allows any host: %d", code)
	}
}
