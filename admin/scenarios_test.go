package admin_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/grpcdouble/grpcdouble/admin"
	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
	"github.com/grpcdouble/grpcdouble/expect"
	"github.com/grpcdouble/grpcdouble/mockserver"
)

// GET /scenarios shows each scenario's state, PUT /scenarios/{name} sets
// it, and POST /reset puts it back to Started; a real client sees the
// stubs of the state.
func TestScenarios(t *testing.T) {
	m := expect.NewMock()
	srv := mockserver.Start(t, m, mockserver.WithServices("routeguide.RouteGuide"))
	api := admin.New(srv, admin.WithMock(m))
	if code := do(t, api, "POST", "/stubs", `
- method: routeguide.RouteGuide/GetFeature
  scenario: flaky
  setState: recovered
  status: {code: UNAVAILABLE}
- method: routeguide.RouteGuide/GetFeature
  scenario: flaky
  whenState: recovered
  response: {name: ok}
`, nil); code != http.StatusCreated {
		t.Fatalf("POST /stubs: %d", code)
	}
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	client := pb.NewRouteGuideClient(srv.ClientConn())
	state := func() string {
		t.Helper()
		var got []expect.Scenario
		if code := do(t, api, "GET", "/scenarios", "", &got); code != http.StatusOK || len(got) != 1 || got[0].Name != "flaky" {
			t.Fatalf("GET /scenarios: %d %+v", code, got)
		}
		return got[0].State
	}
	if s := state(); s != "Started" {
		t.Fatalf("state %q, want Started", s)
	}
	if _, err := client.GetFeature(ctx, &pb.Point{}); status.Code(err) != codes.Unavailable {
		t.Fatalf("first call: %v, want Unavailable", err)
	}
	if s := state(); s != "recovered" {
		t.Fatalf("state %q, want recovered", s)
	}
	var set expect.Scenario
	if code := do(t, api, "PUT", "/scenarios/flaky", `{"state": "Started"}`, &set); code != http.StatusOK || set.State != "Started" {
		t.Fatalf("PUT /scenarios/flaky: %d %+v", code, set)
	}
	if _, err := client.GetFeature(ctx, &pb.Point{}); status.Code(err) != codes.Unavailable {
		t.Fatalf("after PUT: %v, want Unavailable again", err)
	}
	if f, err := client.GetFeature(ctx, &pb.Point{}); err != nil || f.Name != "ok" {
		t.Fatalf("retry: %v %v", f, err)
	}
	var e admin.ErrorBody
	if code := do(t, api, "PUT", "/scenarios/nope", `{"state": "x"}`, &e); code != http.StatusNotFound || e.Error == "" {
		t.Fatalf("PUT unknown scenario: %d %+v", code, e)
	}
	if code := do(t, api, "PUT", "/scenarios/flaky", `{"stat": "x"}`, &e); code != http.StatusBadRequest {
		t.Fatalf("PUT bad body: %d %+v", code, e)
	}
	if code := do(t, api, "POST", "/reset", "", nil); code != http.StatusOK {
		t.Fatalf("POST /reset: %d", code)
	}
	var after []expect.Scenario
	do(t, api, "GET", "/scenarios", "", &after)
	if len(after) != 0 {
		t.Fatalf("after reset (the added stubs are gone): %+v", after)
	}
}

// POST /reset puts the scenarios of the stub files back in Started.
func TestScenariosReset(t *testing.T) {
	file := filepath.Join(t.TempDir(), "s.yaml")
	if err := os.WriteFile(file, []byte("- method: routeguide.RouteGuide/GetFeature\n  scenario: s\n  setState: B\n  response: {}\n"+
		"- method: routeguide.RouteGuide/GetFeature\n  scenario: s\n  whenState: B\n  response: {}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	m := expect.NewMock()
	srv := mockserver.Start(t, m, mockserver.WithServices("routeguide.RouteGuide"))
	if err := admin.LoadStubFiles(srv, m, file); err != nil {
		t.Fatal(err)
	}
	api := admin.New(srv, admin.WithMock(m), admin.WithStubFiles(file))
	if code := do(t, api, "PUT", "/scenarios/s", `{"state": "B"}`, nil); code != http.StatusOK {
		t.Fatalf("PUT: %d", code)
	}
	if code := do(t, api, "POST", "/reset", "", nil); code != http.StatusOK {
		t.Fatalf("POST /reset: %d", code)
	}
	var got []expect.Scenario
	do(t, api, "GET", "/scenarios", "", &got)
	if len(got) != 1 || got[0].State != expect.StartedState {
		t.Fatalf("after reset: %+v, want s in Started", got)
	}
}
