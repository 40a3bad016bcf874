package admin_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/metadata"

	"github.com/grpcdouble/grpcdouble/admin"
	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
	"github.com/grpcdouble/grpcdouble/expect"
	"github.com/grpcdouble/grpcdouble/mockserver"
)

// send makes one request to a served API with the given Host header (""
// leaves the URL's) and content type, and returns the code and the error
// text of a JSON error answer.
func send(t *testing.T, method, url, host, contentType, body string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, url, strings.NewReader(body))
	require.NoError(t, err)
	if host != "" {
		req.Host = host
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var e admin.ErrorBody
	_ = json.Unmarshal(data, &e)
	return resp.StatusCode, e.Error
}

// TestHostChecked: a request whose Host is not where the API listens (a
// DNS-rebinding page's own name) is refused, reads and the page included;
// the listening address, the loopback names at its port and the names
// WithAllowedHosts gives are answered.
func TestHostChecked(t *testing.T) {
	m := expect.NewMock()
	srv := mockserver.Start(t, m, mockserver.WithServices("routeguide.RouteGuide"))
	web := httptest.NewServer(admin.New(srv, admin.WithMock(m)))
	t.Cleanup(web.Close)
	addr := strings.TrimPrefix(web.URL, "http://")
	_, port, err := net.SplitHostPort(addr)
	require.NoError(t, err)

	// The loopback names at any port: a port published by Docker may
	// differ from the one listened on.
	for _, host := range []string{"", addr, "localhost:" + port, "LOCALHOST:" + port, "127.0.0.1:" + port, "[::1]:" + port, "localhost:1", "127.0.0.1:8080", "localhost"} {
		code, msg := send(t, "GET", web.URL+"/calls", host, "", "")
		require.Equal(t, http.StatusOK, code, "GET /calls with Host %q: %s", host, msg)
	}
	code, _ := send(t, "GET", web.URL+"/ui/", addr, "", "")
	require.Equal(t, http.StatusOK, code, "the page at its own address")

	for _, host := range []string{"evil.example:" + port, "evil.example", "127.0.0.2:" + port, "10.0.0.1:" + port, "localhost.evil.example:" + port} {
		for _, path := range []string{"/calls", "/stubs", "/ui/", "/misses"} {
			code, msg := send(t, "GET", web.URL+path, host, "", "")
			require.Equal(t, http.StatusForbidden, code, "GET %s with Host %q", path, host)
			require.Contains(t, msg, fmt.Sprintf("for host %q", host))
			require.Contains(t, msg, "listens at "+addr)
			require.Contains(t, msg, "WithAllowedHosts")
		}
	}
	code, _ = send(t, "POST", web.URL+"/stubs", "evil.example:"+port, "application/yaml", "- {method: /routeguide.RouteGuide/GetFeature, response: {}}\n")
	require.Equal(t, http.StatusForbidden, code)
	require.Empty(t, m.Stubs(), "a request for another host added a stub")

	allowed := httptest.NewServer(admin.New(srv, admin.WithMock(m), admin.WithAllowedHosts("Mock.Internal", "other.internal:81")))
	t.Cleanup(allowed.Close)
	for host, want := range map[string]int{
		"mock.internal:" + port: http.StatusOK,
		"mock.internal:9":       http.StatusOK,
		"mock.internal":         http.StatusOK,
		"other.internal:81":     http.StatusOK,
		"other.internal:82":     http.StatusForbidden,
		"evil.example:" + port:  http.StatusForbidden,
	} {
		code, msg := send(t, "GET", allowed.URL+"/calls", host, "", "")
		require.Equal(t, want, code, "Host %q: %s", host, msg)
	}
	wildcard := httptest.NewServer(admin.New(srv, admin.WithMock(m), admin.WithAllowedHosts("*")))
	t.Cleanup(wildcard.Close)
	code, _ = send(t, "GET", wildcard.URL+"/calls", "evil.example", "", "")
	require.Equal(t, http.StatusOK, code, "* allows any host")
}

// TestBodyContentType: a body must say it is JSON or YAML; anything else
// (a cross-site form, text/plain) is 415 naming the accepted types.
func TestBodyContentType(t *testing.T) {
	m := expect.NewMock()
	srv := mockserver.Start(t, m, mockserver.WithServices("routeguide.RouteGuide"))
	web := httptest.NewServer(admin.New(srv, admin.WithMock(m)))
	t.Cleanup(web.Close)
	stub := `[{"id": "s", "method": "/routeguide.RouteGuide/GetFeature", "response": {"name": "x"}}]`
	for _, ct := range []string{"", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/jsonx", "text/html", "garbage/"} {
		for _, path := range []string{"/stubs", "/verify", "/explain"} {
			code, msg := send(t, "POST", web.URL+path, "", ct, stub)
			require.Equal(t, http.StatusUnsupportedMediaType, code, "POST %s as %q", path, ct)
			require.Contains(t, msg, "application/json, application/yaml, application/x-yaml, text/yaml")
			if ct != "" {
				require.Contains(t, msg, fmt.Sprintf("Content-Type %q", ct))
			} else {
				require.Contains(t, msg, "no Content-Type")
			}
		}
		code, _ := send(t, "PUT", web.URL+"/scenarios/s", "", ct, `{"state": "x"}`)
		require.Equal(t, http.StatusUnsupportedMediaType, code, "PUT /scenarios as %q", ct)
	}
	require.Empty(t, m.Stubs(), "a refused body added a stub")
	for i, ct := range []string{"application/json", "application/json; charset=utf-8", "Application/YAML", "application/x-yaml", "text/yaml; charset=utf-8"} {
		code, msg := send(t, "POST", web.URL+"/stubs", "", ct, strings.Replace(stub, `"s"`, fmt.Sprintf(`"s%d"`, i), 1))
		require.Equal(t, http.StatusCreated, code, "POST /stubs as %q: %s", ct, msg)
	}
	// No body needs no content type.
	code, msg := send(t, "POST", web.URL+"/verify", "", "", "")
	require.Equal(t, http.StatusOK, code, msg)
	code, msg = send(t, "POST", web.URL+"/reset", "", "", "")
	require.Equal(t, http.StatusOK, code, msg)
}

// TestCallsRedactSecrets: GET /calls, GET /calls/{id}, GET /misses and
// POST /verify show
// credential metadata as [REDACTED], as cassettes do, unless
// WithSecretsShown.
func TestCallsRedactSecrets(t *testing.T) {
	m := expect.NewMock()
	srv := mockserver.Start(t, m, mockserver.WithServices("routeguide.RouteGuide"))
	hidden := admin.New(srv, admin.WithMock(m))
	shown := admin.New(srv, admin.WithMock(m), admin.WithSecretsShown())
	stub := "- id: s\n  method: /routeguide.RouteGuide/GetFeature\n  metadata: {authorization: Bearer right, x-user: ann}\n  headers: {x-auth-token: served-t0ken, x-served-by: stub}\n  response: {name: x}\n"
	require.Equal(t, http.StatusCreated, do(t, hidden, "POST", "/stubs", stub, nil))

	secrets := map[string]string{
		"authorization":        "Bearer wrong-s3cret",
		"x-goog-api-key":       "g00g-key",
		"cookie":               "sid=c00kie",
		"x-amz-security-token": "amz-t0ken",
	}
	client := pb.NewRouteGuideClient(srv.ClientConn())
	call := func(auth string) {
		ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
		defer cancel()
		md := metadata.Pairs("x-user", "ann", "grpcdouble-session", "job-1")
		for k, v := range secrets {
			md.Set(k, v)
		}
		md.Set("authorization", auth)
		_, _ = client.GetFeature(metadata.NewOutgoingContext(ctx, md), &pb.Point{})
	}
	call(secrets["authorization"]) // a miss: the stub wants Bearer right
	call("Bearer right")           // answered, with the stub's headers

	body := func(h http.Handler, path string) string {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
		return rec.Body.String()
	}
	var calls []admin.Call
	require.NoError(t, json.Unmarshal([]byte(body(hidden, "/calls")), &calls))
	require.Len(t, calls, 2)
	for _, c := range calls {
		for k := range secrets {
			require.Equal(t, []string{"[REDACTED]"}, c.Metadata[k], "call %d metadata %s", c.ID, k)
		}
		require.Equal(t, []string{"ann"}, c.Metadata["x-user"])
		require.Equal(t, []string{"job-1"}, c.Metadata["grpcdouble-session"], "the session key is no secret")
	}
	answered := calls[1]
	require.Equal(t, []string{"[REDACTED]"}, answered.Header["x-auth-token"], "headers the server sent")
	require.Equal(t, []string{"stub"}, answered.Header["x-served-by"])
	for _, path := range []string{"/calls", fmt.Sprintf("/calls/%d", calls[0].ID), fmt.Sprintf("/calls/%d", answered.ID), "/misses"} {
		text := body(hidden, path)
		for _, v := range append(mapValues(secrets), "Bearer right", "served-t0ken") {
			require.NotContains(t, text, v, "GET %s", path)
		}
	}
	// The page's list: the first event holds both calls, the miss with
	// its status message.
	web := httptest.NewServer(hidden)
	t.Cleanup(web.Close)
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	resp, events := openEvents(ctx, t, web.URL)
	first := readBatch(t, events)
	cancel()
	resp.Body.Close()
	require.Len(t, first.Calls, 2)
	require.Contains(t, first.Calls[0].Message, `metadata "authorization": [REDACTED]`)
	require.NotContains(t, first.Calls[0].Message, "wrong-s3cret")

	// POST /verify lists the unexpected call, with what it sent.
	verify := func(h http.Handler) string {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("POST", "/verify", nil))
		require.Equal(t, http.StatusExpectationFailed, rec.Code, rec.Body.String())
		return rec.Body.String()
	}
	verified := verify(hidden)
	require.NotContains(t, verified, "wrong-s3cret", "POST /verify")
	require.Contains(t, verified, `metadata \"authorization\": [REDACTED]`, "POST /verify")
	require.Contains(t, verify(shown), "wrong-s3cret", "POST /verify, WithSecretsShown")

	misses := body(hidden, "/misses")
	require.Contains(t, misses, `metadata \"authorization\": [REDACTED]`, "the miss still says which key differed")

	all := body(shown, "/calls") + body(shown, "/misses")
	for _, v := range append(mapValues(secrets), "served-t0ken") {
		require.Contains(t, all, v, "WithSecretsShown")
	}
	// The journal itself keeps what was sent: only the view is redacted.
	require.Equal(t, []string{"g00g-key"}, srv.Calls()[0].Metadata.Get("x-goog-api-key"))
}

func mapValues(m map[string]string) []string {
	var out []string
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

// lineCounter counts the lines a slog text handler writes.
type lineCounter struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *lineCounter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *lineCounter) lines() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Split(strings.TrimSuffix(l.buf.String(), "\n"), "\n")
}

// TestRejectedRequestsLogBounded: 10,000 rejected requests (wrong token,
// another site's page, another host) log ten lines in their second, then
// one line counting the rest.
func TestRejectedRequestsLogBounded(t *testing.T) {
	m := expect.NewMock()
	srv := mockserver.Start(t, m, mockserver.WithServices("routeguide.RouteGuide"))
	var out lineCounter
	api := admin.New(srv, admin.WithMock(m), admin.WithToken("t"), admin.WithLogger(slog.New(slog.NewTextHandler(&out, nil))))
	now := time.Unix(1000, 0)
	admin.SetRejectClock(api, func() time.Time { return now })
	web := httptest.NewServer(api)
	t.Cleanup(web.Close)

	for i := range 10000 {
		var req *http.Request
		switch i % 3 {
		case 0:
			req = httptest.NewRequest("GET", "/calls", nil)
			req.Header.Set("Authorization", "Bearer wrong")
		case 1:
			req = httptest.NewRequest("POST", "/stubs", strings.NewReader("[]"))
			req.Header.Set("Origin", "http://evil.example")
		}
		if req != nil {
			rec := httptest.NewRecorder()
			api.ServeHTTP(rec, req)
			require.NotEqual(t, http.StatusOK, rec.Code)
			continue
		}
		// Through a listener, so the Host check runs.
		code, _ := send(t, "GET", web.URL+"/calls", "evil.example", "", "")
		require.Equal(t, http.StatusForbidden, code)
	}
	lines := out.lines()
	require.Len(t, lines, 10, "the first second's lines:\n%s", strings.Join(lines, "\n"))
	for _, l := range lines {
		require.Contains(t, l, "level=WARN")
		require.Contains(t, l, "admin: rejected request")
	}
	now = now.Add(time.Second)
	rec := httptest.NewRecorder()
	api.ServeHTTP(rec, httptest.NewRequest("GET", "/calls", nil))
	require.Equal(t, http.StatusUnauthorized, rec.Code)
	lines = out.lines()
	require.Len(t, lines, 12, strings.Join(lines, "\n"))
	require.Contains(t, lines[10], "suppressed=9990")
	require.Contains(t, lines[11], "rejected request without the right token")
}
