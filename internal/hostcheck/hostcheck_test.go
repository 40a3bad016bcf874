package hostcheck_test

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/grpcdouble/grpcdouble/internal/hostcheck"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// serve answers 200 when hostcheck.Allowed lets a request through, else 403
// with the address it wants.
func serve(t *testing.T, allow ...string) *httptest.Server {
	web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if want, ok := hostcheck.Allowed(r, allow); !ok {
			http.Error(w, "want "+want, http.StatusForbidden)
		}
	}))
	t.Cleanup(web.Close)
	return web
}

func status(t *testing.T, web *httptest.Server, host string) int {
	t.Helper()
	req, err := http.NewRequest("GET", web.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = host
	resp, err := web.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	return resp.StatusCode
}

// TestAllowed: the address listened at (at its port only), the loopback
// names at any port, and the allowed names; nothing else.
func TestAllowed(t *testing.T) {
	web := serve(t, "Mock.Internal", "other.internal:81", "[fd00::1]")
	addr := strings.TrimPrefix(web.URL, "http://")
	_, port, _ := net.SplitHostPort(addr)
	for host, want := range map[string]int{
		addr:                               http.StatusOK,
		"127.0.0.1:1":                      http.StatusOK, // a loopback name, at any port
		"localhost":                        http.StatusOK,
		"LocalHost:" + port:                http.StatusOK,
		"[::1]:8080":                       http.StatusOK,
		"mock.internal:" + port:            http.StatusOK,
		"MOCK.internal":                    http.StatusOK,
		"other.internal:81":                http.StatusOK,
		"[fd00::1]:9":                      http.StatusOK,
		"other.internal:82":                http.StatusForbidden,
		"other.internal":                   http.StatusForbidden, // port 80
		"rebind.example:" + port:           http.StatusForbidden,
		"127.0.0.2:" + port:                http.StatusForbidden,
		"localhost.rebind.example:" + port: http.StatusForbidden,
	} {
		if got := status(t, web, host); got != want {
			t.Errorf("Host %q: %d, want %d", host, got, want)
		}
	}
	if got := status(t, serve(t), "rebind.example"); got != http.StatusForbidden {
		t.Errorf("no names allowed, Host rebind.example: %d", got)
	}
	if got := status(t, serve(t, "*"), "rebind.example"); got != http.StatusOK {
		t.Errorf("* allows any host: %d", got)
	}
	// A handler called directly came through no listener: nothing to check.
	if _, ok := hostcheck.Allowed(httptest.NewRequest("GET", "http://rebind.example/", nil), nil); !ok {
		t.Error("a request that came through no listener was refused")
	}
}

// A DNS-rebinding page sends its own name as the Host, and is refused; the
// listening address is answered.
func ExampleAllowed() {
	web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := hostcheck.Allowed(r, []string{"mock.internal"}); !ok {
			http.Error(w, "another host", http.StatusForbidden)
		}
	}))
	defer web.Close()
	for _, host := range []string{strings.TrimPrefix(web.URL, "http://"), "mock.internal:8080", "rebind.example"} {
		req, _ := http.NewRequest("GET", web.URL, nil)
		req.Host = host
		resp, err := web.Client().Do(req)
		if err != nil {
			fmt.Println(err)
			return
		}
		resp.Body.Close()
		if strings.HasPrefix(host, "127.0.0.1:") {
			host = "the listening address"
		}
		fmt.Println(host, resp.StatusCode)
	}
	// Output:
	// the listening address 200
	// mock.internal:8080 200
	// rebind.example 403
}
