package admin_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/testing/protocmp"

	"github.com/grpcdouble/grpcdouble/admin"
	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
	"github.com/grpcdouble/grpcdouble/expect"
	"github.com/grpcdouble/grpcdouble/mockserver"
)

// callTimeout bounds every gRPC call and admin request of these tests.
const callTimeout = 10 * time.Second

// do sends one admin request and decodes the JSON answer into out (when not
// nil); it returns the status code.
func do(t *testing.T, h http.Handler, method, path, body string, out any) int {
	t.Helper()
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/yaml") // JSON is YAML too
	}
	h.ServeHTTP(rec, req)
	if out != nil {
		if err := json.Unmarshal(rec.Body.Bytes(), out); err != nil {
			t.Fatalf("%s %s: %d %q: %v", method, path, rec.Code, rec.Body, err)
		}
	}
	return rec.Code
}

// TestInProcess opens the admin API over a test's own bufconn server: a stub
// added over HTTP answers a real client, and the journal, verify and reset
// see the call.
func TestInProcess(t *testing.T) {
	m := expect.NewMock()
	srv := mockserver.Start(t, m, mockserver.WithServices("routeguide.RouteGuide"))
	api := admin.New(srv, admin.WithMock(m))

	var added []admin.Stub
	if code := do(t, api, "POST", "/stubs", "id: one\nmethod: /routeguide.RouteGuide/GetFeature\nresponse: {name: from admin}\n", &added); code != http.StatusCreated {
		t.Fatalf("POST /stubs: %d %+v", code, added)
	}
	if len(added) != 1 || added[0].ID != "one" || added[0].Kind != "unary" {
		t.Fatalf("POST /stubs added %+v", added)
	}

	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	got, err := pb.NewRouteGuideClient(srv.ClientConn()).GetFeature(ctx, &pb.Point{Latitude: 7})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&pb.Feature{Name: "from admin"}, got, protocmp.Transform()); diff != "" {
		t.Fatalf("GetFeature (-want +got):\n%s", diff)
	}

	var calls []admin.Call
	do(t, api, "GET", "/calls?method=routeguide.RouteGuide/GetFeature", "", &calls)
	if len(calls) != 1 || len(calls[0].Requests) != 1 || calls[0].Status == nil || calls[0].Status.CodeName != "OK" {
		t.Fatalf("GET /calls: %+v", calls)
	}
	var req pb.Point
	if err := protojson.Unmarshal(calls[0].Requests[0], &req); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&pb.Point{Latitude: 7}, &req, protocmp.Transform()); diff != "" {
		t.Fatalf("journal request (-want +got):\n%s", diff)
	}

	var vr admin.VerifyResult
	if code := do(t, api, "POST", "/verify", `{"id": "one", "times": 1}`, &vr); code != http.StatusOK || !vr.OK {
		t.Fatalf("POST /verify: %d %+v", code, vr)
	}
	if code := do(t, api, "POST", "/verify", `{"id": "one", "times": 2}`, &vr); code != http.StatusExpectationFailed || vr.OK {
		t.Fatalf("POST /verify times 2: %d %+v", code, vr)
	}

	if code := do(t, api, "POST", "/reset", "", nil); code != http.StatusOK {
		t.Fatalf("POST /reset: %d", code)
	}
	var stubs []admin.Stub
	do(t, api, "GET", "/stubs", "", &stubs)
	if len(stubs) != 0 || len(srv.Calls()) != 0 {
		t.Fatalf("after reset: stubs %+v, %d calls", stubs, len(srv.Calls()))
	}
}

// TestWithoutMock: a server with no Mock (a recording proxy) has no stub
// endpoints; they say so with 409, and the journal endpoints still work.
func TestWithoutMock(t *testing.T) {
	srv := mockserver.Start(t, mockserver.HandlerFunc(func(*mockserver.Call) error { return nil }),
		mockserver.WithServices("routeguide.RouteGuide"))
	api := admin.New(srv)
	var e admin.ErrorBody
	if code := do(t, api, "GET", "/stubs", "", &e); code != http.StatusConflict || !strings.Contains(e.Error, "has no stubs") {
		t.Fatalf("GET /stubs: %d %+v", code, e)
	}
	var services []admin.Service
	if code := do(t, api, "GET", "/services", "", &services); code != http.StatusOK || len(services) != 1 || services[0].Name != "routeguide.RouteGuide" {
		t.Fatalf("GET /services: %d %+v", code, services)
	}
}

// TestToken: WithToken turns away a request without the bearer token.
func TestToken(t *testing.T) {
	m := expect.NewMock()
	srv := mockserver.Start(t, m, mockserver.WithServices("routeguide.RouteGuide"))
	web := httptest.NewServer(admin.New(srv, admin.WithMock(m), admin.WithToken("s3cret")))
	defer web.Close()
	for _, tc := range []struct {
		auth string
		want int
	}{{"", http.StatusUnauthorized}, {"Bearer wrong", http.StatusUnauthorized}, {"Bearer s3cret", http.StatusOK}, {"bearer s3cret", http.StatusOK}, {"BEARER s3cret", http.StatusOK}, {"Basic s3cret", http.StatusUnauthorized}, {"Bearer  s3cret", http.StatusUnauthorized}} {
		ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
		req, err := http.NewRequestWithContext(ctx, "GET", web.URL+"/stubs", nil)
		if err != nil {
			t.Fatal(err)
		}
		if tc.auth != "" {
			req.Header.Set("Authorization", tc.auth)
		}
		resp, err := web.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		cancel()
		if resp.StatusCode != tc.want {
			t.Errorf("Authorization %q: %d %s, want %d", tc.auth, resp.StatusCode, body, tc.want)
		}
	}
}

// TestStubCounts: GET /stubs states each stub's count with no magic number:
// "max" is null when there is no upper limit, and "want" says it in words.
func TestStubCounts(t *testing.T) {
	m := expect.NewMock()
	srv := mockserver.Start(t, m, mockserver.WithServices("routeguide.RouteGuide"))
	api := admin.New(srv, admin.WithMock(m))
	body := `
- {id: any, method: /routeguide.RouteGuide/GetFeature, response: {}}
- {id: once, method: /routeguide.RouteGuide/GetFeature, times: 1, response: {}}
- {id: never, method: /routeguide.RouteGuide/GetFeature, times: 0, response: {}}
- {id: range, method: /routeguide.RouteGuide/GetFeature, times: {min: 1, max: 3}, response: {}}
- {id: floor, method: /routeguide.RouteGuide/GetFeature, times: {min: 2}, response: {}}
`
	if code := do(t, api, "POST", "/stubs", body, nil); code != http.StatusCreated {
		t.Fatalf("POST /stubs: %d", code)
	}
	var raw []map[string]any
	do(t, api, "GET", "/stubs", "", &raw)
	type row struct {
		ID   string
		Min  float64
		Max  any
		Want string
	}
	var got []row
	for _, s := range raw {
		got = append(got, row{s["id"].(string), s["min"].(float64), s["max"], s["want"].(string)})
	}
	want := []row{
		{"any", 0, nil, "at least 0"},
		{"once", 1, 1.0, "exactly 1"},
		{"never", 0, 0.0, "exactly 0"},
		{"range", 1, 3.0, "between 1 and 3"},
		{"floor", 2, nil, "at least 2"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("GET /stubs counts (-want +got):\n%s", diff)
	}
	for _, s := range raw {
		if _, ok := s["max"]; !ok {
			t.Errorf("stub %v: no \"max\" key; want a number or null", s["id"])
		}
	}
}

// TestSessions: over expect.Sessions, each request works in the session its
// query parameter or header names; an unknown one is 404, a bad name 400.
func TestSessions(t *testing.T) {
	s := expect.NewSessions()
	srv := mockserver.Start(t, s, mockserver.WithServices("routeguide.RouteGuide"))
	api := admin.New(srv, admin.WithSessions(s))
	if code := do(t, api, "POST", "/stubs?session=a", "{id: mine, method: /routeguide.RouteGuide/GetFeature, response: {name: a}}", nil); code != http.StatusCreated {
		t.Fatalf("POST /stubs?session=a: %d", code)
	}
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	client := pb.NewRouteGuideClient(srv.ClientConn())
	f, err := client.GetFeature(metadata.AppendToOutgoingContext(ctx, expect.SessionKey, "a"), &pb.Point{})
	if err != nil || f.GetName() != "a" {
		t.Fatalf("GetFeature in session a: %v, %v", f, err)
	}
	if _, err := client.GetFeature(ctx, &pb.Point{}); status.Code(err) != expect.NoMatchCode {
		t.Fatalf("GetFeature without a session: %v, want %v", err, expect.NoMatchCode)
	}

	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/calls", nil)
	req.Header.Set(expect.SessionKey, "a")
	api.ServeHTTP(rec, req)
	var calls []admin.Call
	if err := json.Unmarshal(rec.Body.Bytes(), &calls); err != nil || len(calls) != 1 {
		t.Fatalf("GET /calls in session a (header): %d %s", rec.Code, rec.Body)
	}
	var global []admin.Call
	do(t, api, "GET", "/calls", "", &global)
	if len(global) != 1 || len(global[0].Metadata[expect.SessionKey]) != 0 {
		t.Fatalf("GET /calls of the global session: %+v", global)
	}
	var misses, globalMisses admin.Misses
	do(t, api, "GET", "/misses?session=a", "", &misses)
	if len(misses.Stubs) != 0 {
		t.Fatalf("session a misses: %v", misses.Stubs)
	}
	do(t, api, "GET", "/misses", "", &globalMisses)
	misses = globalMisses
	if len(misses.Stubs) != 1 {
		t.Fatalf("global misses: %v", misses.Stubs)
	}
	var e admin.ErrorBody
	if code := do(t, api, "GET", "/stubs?session=b", "", &e); code != http.StatusNotFound || !strings.Contains(e.Error, `no such session "b"`) {
		t.Fatalf("GET /stubs?session=b: %d %+v", code, e)
	}
	if code := do(t, api, "GET", "/stubs?session=a%2Fb", "", &e); code != http.StatusBadRequest || !strings.Contains(e.Error, `bad session name "a/b"`) {
		t.Fatalf("GET /stubs?session=a/b: %d %+v", code, e)
	}
	var list []admin.SessionInfo
	do(t, api, "GET", "/sessions", "", &list)
	if len(list) != 1 || list[0].Name != "a" || list[0].Hits != 1 {
		t.Fatalf("GET /sessions: %+v", list)
	}
	if code := do(t, api, "DELETE", "/sessions/a", "", nil); code != http.StatusNoContent {
		t.Fatalf("DELETE /sessions/a: %d", code)
	}
	// Without sessions, a session in a request is an error, not ignored.
	m := expect.NewMock()
	plain := admin.New(mockserver.Start(t, m, mockserver.WithServices("routeguide.RouteGuide")), admin.WithMock(m))
	if code := do(t, plain, "GET", "/stubs?session=a", "", &e); code != http.StatusNotFound || !strings.Contains(e.Error, "this server has no sessions") {
		t.Fatalf("GET /stubs?session=a without sessions: %d %+v", code, e)
	}
	if code := do(t, plain, "GET", "/sessions", "", &e); code != http.StatusConflict {
		t.Fatalf("GET /sessions without sessions: %d %+v", code, e)
	}
}
