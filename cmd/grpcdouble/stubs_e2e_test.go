package main

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/grpcdouble/grpcdouble/admin"
	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
)

func TestServeStubsEveryKind(t *testing.T) {
	t.Parallel()
	p := startProc(t, "serve", "--listen", "127.0.0.1:0", "--proto", "testdata/standalone/protos", "--stubs", "testdata/standalone/stubs")
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	checkStandaloneStubs(ctx, t, pb.NewRouteGuideClient(dial(t, p.Addr, nil)))
}

func TestBadStubFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFile(t, dir+"/bad.yaml", "- method: /routeguide.RouteGuide/GetFeature\n  response: {nosuchfield: 1}\n")
	_, stderr, code := runProc(t, serveArgs("--stubs", dir)...)
	if code == 0 || !strings.Contains(stderr, "bad.yaml:2") || !strings.Contains(stderr, "--stubs") {
		t.Fatalf("exit %d, stderr:\n%s\nwant the file and line named", code, stderr)
	}
}

func TestAdminRoundTrip(t *testing.T) {
	t.Parallel()
	p := startProc(t, serveArgs("--admin", "127.0.0.1:0")...)
	base := "http://" + p.AdminAddr
	client := pb.NewRouteGuideClient(dial(t, p.Addr, nil))
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()

	// Add a stub, in YAML.
	var added []admin.Stub
	code := adminDo(t, "POST", base+"/stubs", "", `
id: hello
method: /routeguide.RouteGuide/GetFeature
request: {partial: {latitude: 5}}
response: {name: from the admin API}
times: 1
`, &added)
	if code != http.StatusCreated || len(added) != 1 || added[0].ID != "hello" {
		t.Fatalf("POST /stubs: %d %+v", code, added)
	}
	// And one in JSON.
	code = adminDo(t, "POST", base+"/stubs", "", `[{"method": "routeguide.RouteGuide/GetFeature", "request": {"equal": {"latitude": 6}}, "status": {"code": "NOT_FOUND", "message": "nichts hier"}}]`, &added)
	if code != http.StatusCreated || len(added) != 1 || added[0].ID == "" {
		t.Fatalf("POST /stubs (JSON): %d %+v", code, added)
	}
	jsonID := added[0].ID

	var listed []admin.Stub
	if code := adminDo(t, "GET", base+"/stubs", "", "", &listed); code != http.StatusOK || len(listed) != 2 {
		t.Fatalf("GET /stubs: %d %+v", code, listed)
	}

	// Unmet before the call.
	var vr admin.VerifyResult
	if code := adminDo(t, "POST", base+"/verify", "", `{"id": "hello"}`, &vr); code != http.StatusExpectationFailed || vr.OK {
		t.Fatalf("POST /verify before the call: %d %+v", code, vr)
	}
	f, err := client.GetFeature(ctx, &pb.Point{Latitude: 5, Longitude: 9})
	if err != nil || f.GetName() != "from the admin API" {
		t.Fatalf("GetFeature = %v, %v", f, err)
	}
	_, err = client.GetFeature(ctx, &pb.Point{Latitude: 6})
	if st := status.Convert(err); st.Code() != codes.NotFound || st.Message() != "nichts hier" {
		t.Fatalf("GetFeature(6) = %v", err)
	}
	if code := adminDo(t, "POST", base+"/verify", "", `{"id": "hello"}`, &vr); code != http.StatusOK || !vr.OK || *vr.Calls != 1 {
		t.Fatalf("POST /verify after the call: %d %+v", code, vr)
	}
	if code := adminDo(t, "POST", base+"/verify", "", `{"method": "/routeguide.RouteGuide/GetFeature", "times": 2}`, &vr); code != http.StatusOK || !vr.OK {
		t.Fatalf("POST /verify method: %d %+v", code, vr)
	}
	if code := adminDo(t, "POST", base+"/verify", "", "", &vr); code != http.StatusOK || !vr.OK {
		t.Fatalf("POST /verify all: %d %+v", code, vr)
	}

	// The call is in the journal, request and response as protojson.
	var calls []admin.Call
	adminDo(t, "GET", base+"/calls?method=/routeguide.RouteGuide/GetFeature", "", "", &calls)
	if len(calls) != 2 || len(calls[0].Responses) != 1 || calls[0].Status.CodeName != "OK" || calls[1].Status.CodeName != "NotFound" {
		t.Fatalf("GET /calls: %+v", calls)
	}
	var resp map[string]any
	if err := json.Unmarshal(calls[0].Responses[0], &resp); err != nil || resp["name"] != "from the admin API" {
		t.Fatalf("response in the journal: %s", calls[0].Responses[0])
	}

	// Explain a miss.
	var x admin.Explanation
	if code := adminDo(t, "POST", base+"/explain", "", `{"method": "/routeguide.RouteGuide/GetFeature", "request": {"latitude": 7}, "metadata": {"x-a": "b"}}`, &x); code != http.StatusOK || x.Matched || x.Nearest == "" || len(x.Reasons) == 0 {
		t.Fatalf("POST /explain: %d %+v", code, x)
	}
	if code := adminDo(t, "POST", base+"/explain", "", `{"method": "/routeguide.RouteGuide/GetFeature", "request": {"latitude": 6}}`, &x); code != http.StatusOK || !x.Matched || x.Match != jsonID {
		t.Fatalf("POST /explain (a hit): %d %+v", code, x)
	}

	// Bad input: 4xx with a JSON error naming the problem.
	var e admin.ErrorBody
	for _, tc := range []struct {
		method, path, body string
		code               int
		want               string
	}{
		{"POST", "/stubs", "", http.StatusBadRequest, "empty"},
		{"POST", "/stubs", "method: [", http.StatusBadRequest, "admin"},
		{"POST", "/stubs", "method: /routeguide.RouteGuide/Nope\nresponse: {}", http.StatusBadRequest, "Nope"},
		{"POST", "/stubs", "method: /routeguide.RouteGuide/GetFeature\nresponse: {bogus: 1}", http.StatusBadRequest, "bogus"},
		{"POST", "/stubs", "id: x\nmethod: /routeguide.RouteGuide/GetFeature\nresponse: {}\n" + strings.Repeat("#", admin.MaxBodyBytes), http.StatusRequestEntityTooLarge, "too large"},
		{"POST", "/explain", "{", http.StatusBadRequest, "body"},
		{"POST", "/explain", `{"method": "/routeguide.RouteGuide/GetFeature", "request": {"nope": 1}}`, http.StatusBadRequest, "nope"},
		{"POST", "/verify", `{"id": "missing"}`, http.StatusNotFound, "missing"},
		{"POST", "/verify", `{"bogus": 1}`, http.StatusBadRequest, "bogus"},
		{"DELETE", "/stubs/missing", "", http.StatusNotFound, "missing"},
		{"PUT", "/stubs", "", http.StatusNotFound, "PUT /stubs"},
	} {
		e = admin.ErrorBody{}
		if code := adminDo(t, tc.method, base+tc.path, "", tc.body, &e); code != tc.code || !strings.Contains(e.Error, tc.want) {
			t.Errorf("%s %s %.40q: %d %q, want %d and an error containing %q", tc.method, tc.path, tc.body, code, e.Error, tc.code, tc.want)
		}
	}

	// Delete, then the call misses.
	if code := adminDo(t, "DELETE", base+"/stubs/hello", "", "", nil); code != http.StatusNoContent {
		t.Fatalf("DELETE /stubs/hello: %d", code)
	}
	if _, err := client.GetFeature(ctx, &pb.Point{Latitude: 5}); status.Code(err) != codes.FailedPrecondition {
		t.Fatalf("after delete: %v", err)
	}
	var misses admin.Misses
	if code := adminDo(t, "GET", base+"/misses", "", "", &misses); code != http.StatusOK || len(misses.Stubs) != 1 || !strings.Contains(misses.Stubs[0], "latitude") {
		t.Fatalf("GET /misses: %d %+v", code, misses)
	}
	// Reset empties stubs and journal.
	adminDo(t, "POST", base+"/reset", "", "", nil)
	listed, calls = nil, nil
	adminDo(t, "GET", base+"/stubs", "", "", &listed)
	adminDo(t, "GET", base+"/calls", "", "", &calls)
	if len(listed) != 0 || len(calls) != 0 {
		t.Fatalf("after reset: %d stubs, %d calls", len(listed), len(calls))
	}
}
