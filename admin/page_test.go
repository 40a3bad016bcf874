package admin_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/grpcdouble/grpcdouble/admin"
	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
	"github.com/grpcdouble/grpcdouble/expect"
	"github.com/grpcdouble/grpcdouble/mockserver"
)

// TestPageIsServedWithoutToken: the page's files hold no data, so they
// load without the token (the page asks for it), with a strict CSP; the
// data behind them still wants the token.
func TestPageIsServedWithoutToken(t *testing.T) {
	m := expect.NewMock()
	srv := mockserver.Start(t, m, mockserver.WithServices("routeguide.RouteGuide"))
	web := httptest.NewServer(admin.New(srv, admin.WithMock(m), admin.WithToken("s3cret")))
	t.Cleanup(web.Close)
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	resp, err := noRedirect.Get(web.URL + "/")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusFound, resp.StatusCode)
	require.Equal(t, "/ui/", resp.Header.Get("Location"))

	for path, typ := range map[string]string{"/ui/": "text/html", "/ui/app.js": "text/javascript", "/ui/app.css": "text/css"} {
		resp, err := http.Get(web.URL + path)
		require.NoError(t, err)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode, path)
		require.Contains(t, resp.Header.Get("Content-Type"), typ, path)
		require.Contains(t, resp.Header.Get("Content-Security-Policy"), "script-src 'self'", path)
		require.NotEmpty(t, body, path)
	}
	for _, path := range []string{"/events", "/calls", "/calls/1", "/stubs"} {
		resp, err := http.Get(web.URL + path)
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusUnauthorized, resp.StatusCode, path)
	}
}

type batch struct {
	Gen     uint64 `json:"gen"`
	FirstID uint64 `json:"firstId"`
	Calls   []struct {
		ID      uint64 `json:"id"`
		Method  string `json:"method"`
		Done    bool   `json:"done"`
		Code    string `json:"code"`
		Session string `json:"session"`
		Missed  bool   `json:"missed"`
		Message string `json:"message"`
	} `json:"calls"`
}

// readBatch reads the next "calls" event of an event stream.
// openEvents opens the page's event stream (GET /events) of the admin
// API at url, until ctx ends; the caller closes the body.
func openEvents(ctx context.Context, t *testing.T, url string) (*http.Response, *bufio.Reader) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, "GET", url+"/events", nil)
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	return resp, bufio.NewReader(resp.Body)
}

func readBatch(t *testing.T, r *bufio.Reader) batch {
	t.Helper()
	var event, data string
	for {
		line, err := r.ReadString('\n')
		require.NoError(t, err)
		line = strings.TrimRight(line, "\n")
		switch {
		case strings.HasPrefix(line, "event: "):
			event = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			data = strings.TrimPrefix(line, "data: ")
		case line == "" && event != "":
			require.Equal(t, "calls", event)
			var b batch
			require.NoError(t, json.Unmarshal([]byte(data), &b))
			return b
		}
	}
}

// TestEventsStreamCalls: GET /events opens with the journal as it is, then
// sends each call that begins or ends, marked missed when nothing matched;
// GET /calls/{id} gives the whole call.
func TestEventsStreamCalls(t *testing.T) {
	m := expect.NewMock()
	m.Unary("/routeguide.RouteGuide/GetFeature").WithRequest(&pb.Point{Latitude: 1}).Return(&pb.Feature{Name: "one"}).AnyTimes()
	srv := mockserver.Start(t, m, mockserver.WithServices("routeguide.RouteGuide"))
	web := httptest.NewServer(admin.New(srv, admin.WithMock(m)))
	t.Cleanup(web.Close)
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	client := pb.NewRouteGuideClient(srv.ClientConn())
	_, err := client.GetFeature(ctx, &pb.Point{Latitude: 1})
	require.NoError(t, err)

	resp, r := openEvents(ctx, t, web.URL)
	defer resp.Body.Close()
	require.Equal(t, "text/event-stream", resp.Header.Get("Content-Type"))
	first := readBatch(t, r)
	require.Len(t, first.Calls, 1)
	require.Equal(t, uint64(1), first.Calls[0].ID)
	require.True(t, first.Calls[0].Done)
	require.Equal(t, "OK", first.Calls[0].Code)
	require.False(t, first.Calls[0].Missed)

	sctx := metadata.AppendToOutgoingContext(ctx, "grpcdouble-session", "team-a")
	_, err = client.GetFeature(sctx, &pb.Point{Latitude: 2})
	require.Equal(t, codes.FailedPrecondition, status.Code(err))
	var got []uint64
	for len(got) == 0 || !containsDone(got) {
		b := readBatch(t, r)
		for _, c := range b.Calls {
			require.Equal(t, uint64(2), c.ID)
			if c.Done {
				require.True(t, c.Missed, "a call nothing matched is marked missed")
				require.Equal(t, "team-a", c.Session)
				got = append(got, 0)
			} else {
				got = append(got, 1)
			}
		}
	}

	var call admin.Call
	require.Equal(t, http.StatusOK, do(t, admin.New(srv, admin.WithMock(m)), "GET", "/calls/2", "", &call))
	require.Equal(t, uint64(2), call.ID)
	require.Equal(t, "FailedPrecondition", call.Status.CodeName)
	require.Equal(t, http.StatusNotFound, do(t, admin.New(srv), "GET", "/calls/99", "", nil))
	require.Equal(t, http.StatusBadRequest, do(t, admin.New(srv), "GET", "/calls/x", "", nil))
}

func containsDone(marks []uint64) bool {
	for _, m := range marks {
		if m == 0 {
			return true
		}
	}
	return false
}

// TestEventsCoalesce: calls made while a reader reads nothing reach it as
// a few bounded batches, not one event a call, and the newest state of
// every call comes through.
func TestEventsCoalesce(t *testing.T) {
	m := expect.NewMock()
	m.Unary("/routeguide.RouteGuide/GetFeature").Return(&pb.Feature{Name: "any"}).AnyTimes()
	srv := mockserver.Start(t, m, mockserver.WithServices("routeguide.RouteGuide"))
	web := httptest.NewServer(admin.New(srv, admin.WithMock(m)))
	t.Cleanup(web.Close)
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()

	resp, r := openEvents(ctx, t, web.URL)
	defer resp.Body.Close()
	require.Empty(t, readBatch(t, r).Calls)

	const calls = 1200
	client := pb.NewRouteGuideClient(srv.ClientConn())
	for i := 0; i < calls; i++ {
		_, err := client.GetFeature(ctx, &pb.Point{Latitude: int32(i)})
		require.NoError(t, err)
	}
	done := map[uint64]bool{}
	batches := 0
	for !done[calls] {
		b := readBatch(t, r)
		batches++
		require.LessOrEqual(t, len(b.Calls), 500, "a batch is bounded")
		for _, c := range b.Calls {
			if c.Done {
				done[c.ID] = true
			}
		}
	}
	require.Less(t, batches, calls/4, "%d calls came as %d batches: they did not coalesce", calls, batches)
	t.Logf("%d calls reached a reader that had read nothing as %d batches", calls, batches)
}

// TestCrossSiteWritesRefused: a page on another site cannot change the
// admin API with a "simple" request (text/plain, no preflight); the
// admin's own page and non-browser clients can.
func TestCrossSiteWritesRefused(t *testing.T) {
	m := expect.NewMock()
	srv := mockserver.Start(t, m, mockserver.WithServices("routeguide.RouteGuide"))
	web := httptest.NewServer(admin.New(srv, admin.WithMock(m)))
	t.Cleanup(web.Close)
	stub := "- id: x\n  method: /routeguide.RouteGuide/GetFeature\n  response: {name: x}\n"
	post := func(origin string, contentType ...string) int {
		req, _ := http.NewRequest("POST", web.URL+"/stubs", strings.NewReader(stub))
		req.Header.Set("Content-Type", append(contentType, "text/plain")[0])
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	require.Equal(t, http.StatusForbidden, post("http://evil.example"))
	require.Equal(t, http.StatusForbidden, post("null"))
	require.Empty(t, m.Stubs(), "a refused request added a stub")
	require.Equal(t, http.StatusUnsupportedMediaType, post(web.URL), "a text/plain body, even from the admin's own page")
	require.Equal(t, http.StatusCreated, post(web.URL, "application/yaml"), "the admin's own page")
	require.Len(t, m.Stubs(), 1)
	req, _ := http.NewRequest("GET", web.URL+"/stubs", nil)
	req.Header.Set("Origin", "http://evil.example")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, "reads are left to CORS, which this API does not grant")
}
