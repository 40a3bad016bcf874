package main

import (
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/grpcdouble/grpcdouble/expect"
)

// Health stubs in our format and gripmock's, in the shape of a gripmock
// health project: no .proto anywhere.
const (
	nativeHealth = `- method: grpc.health.v1.Health/Check
  request: {equal: {service: orders.v1.Orders}}
  response: {status: NOT_SERVING}
- method: grpc.health.v1.Health/Watch
  request: {equal: {service: orders.v1.Orders}}
  pace: 2ms
  responses: [{status: NOT_SERVING}, {status: SERVING}]
`
	gripmockHealth = `- service: grpc.health.v1.Health
  method: Check
  input:
    equals: {service: gripmock}
  output:
    data: {status: NOT_SERVING}
- service: grpc.health.v1.Health
  method: Check
  input:
    equals: {service: billing.v1.Billing}
  output:
    data: {status: NOT_SERVING}
`
)

type healthCase struct {
	service string
	want    healthpb.HealthCheckResponse_ServingStatus // when code is OK
	code    codes.Code
}

func checkHealth(t *testing.T, h healthpb.HealthClient, ctx context.Context, cases ...healthCase) {
	t.Helper()
	for _, c := range cases {
		resp, err := h.Check(ctx, &healthpb.HealthCheckRequest{Service: c.service})
		if status.Code(err) != c.code || (err == nil && resp.GetStatus() != c.want) {
			t.Errorf("Check(%q) = %v, %v; want %v %v", c.service, resp.GetStatus(), err, c.code, c.want)
		}
	}
}

func watchAll(t *testing.T, h healthpb.HealthClient, ctx context.Context, service string) []healthpb.HealthCheckResponse_ServingStatus {
	t.Helper()
	w, err := h.Watch(ctx, &healthpb.HealthCheckRequest{Service: service})
	if err != nil {
		t.Fatal(err)
	}
	var got []healthpb.HealthCheckResponse_ServingStatus
	for {
		resp, err := w.Recv()
		if errors.Is(err, io.EOF) {
			return got
		}
		if err != nil {
			t.Fatalf("Watch(%q): %v after %v", service, err, got)
		}
		got = append(got, resp.GetStatus())
	}
}

// The binary serves health stubs from --stubs alone, native and gripmock
// files, and from the admin API; what no stub answers is its own health.
func TestServeHealthStubsWithoutProto(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "native.yaml"), nativeHealth)
	writeFile(t, filepath.Join(dir, "gripmock.yaml"), gripmockHealth)
	p := startProc(t, "serve", "--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0", "--stubs", dir)
	h := healthpb.NewHealthClient(dial(t, p.Addr, nil))
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()

	checkHealth(t, h, ctx,
		healthCase{service: "orders.v1.Orders", want: healthpb.HealthCheckResponse_NOT_SERVING},
		healthCase{service: "billing.v1.Billing", want: healthpb.HealthCheckResponse_NOT_SERVING},
		healthCase{service: "gripmock", want: healthpb.HealthCheckResponse_SERVING},
		healthCase{service: "", want: healthpb.HealthCheckResponse_SERVING},
		healthCase{service: "no.such.Service", code: codes.NotFound},
	)
	if got := watchAll(t, h, ctx, "orders.v1.Orders"); len(got) != 2 || got[0] != healthpb.HealthCheckResponse_NOT_SERVING || got[1] != healthpb.HealthCheckResponse_SERVING {
		t.Errorf("Watch(orders) = %v; want NOT_SERVING, SERVING", got)
	}

	// The admin API takes health stubs, native and gripmock, for all or
	// for one session.
	base := "http://" + p.AdminAddr
	if code := adminDo(t, "POST", base+"/stubs", "", `{"method": "grpc.health.v1.Health/Check", "request": {"equal": {"service": "added.Native"}}, "response": {"status": "SERVING"}}`, nil); code != http.StatusCreated {
		t.Fatalf("POST /stubs (native): %d", code)
	}
	if code := adminDo(t, "POST", base+"/stubs", "", `{"service": "grpc.health.v1.Health", "method": "Check", "input": {"equals": {"service": "added.Gripmock"}}, "output": {"data": {"status": "NOT_SERVING"}}}`, nil); code != http.StatusCreated {
		t.Fatalf("POST /stubs (gripmock): %d", code)
	}
	if code := adminDoHeader(t, "POST", base+"/stubs", map[string]string{expect.SessionKey: "alice"}, `{"method": "grpc.health.v1.Health/Check", "request": {"equal": {"service": "billing.v1.Billing"}}, "response": {"status": "SERVING"}}`, nil); code != http.StatusCreated {
		t.Fatalf("POST /stubs (session): %d", code)
	}
	checkHealth(t, h, ctx,
		healthCase{service: "added.Native", want: healthpb.HealthCheckResponse_SERVING},
		healthCase{service: "added.Gripmock", want: healthpb.HealthCheckResponse_NOT_SERVING},
		healthCase{service: "billing.v1.Billing", want: healthpb.HealthCheckResponse_NOT_SERVING},
	)
	checkHealth(t, h, metadata.AppendToOutgoingContext(ctx, expect.SessionKey, "alice"),
		healthCase{service: "billing.v1.Billing", want: healthpb.HealthCheckResponse_SERVING},
		healthCase{service: "orders.v1.Orders", want: healthpb.HealthCheckResponse_NOT_SERVING},
		healthCase{service: "no.such.Service", code: codes.NotFound},
	)

	// A stub for service "" is refused, naming why.
	var problem map[string]any
	if code := adminDo(t, "POST", base+"/stubs", "", `{"method": "grpc.health.v1.Health/Check", "request": {"equal": {"service": ""}}, "response": {"status": "NOT_SERVING"}}`, &problem); code != http.StatusBadRequest {
		t.Errorf("POST /stubs for service \"\": %d %v; want 400", code, problem)
	}
	checkHealth(t, h, ctx, healthCase{service: "", want: healthpb.HealthCheckResponse_SERVING})
}

// convert writes health stubs as a native file a person would write, and
// the converted file serves the same answers.
func TestConvertHealthStubs(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "gripmock.yaml")
	writeFile(t, in, gripmockHealth)
	out := filepath.Join(dir, "out")
	stdout, stderr, code := runProc(t, "convert", "--from", "gripmock", "--out", out, in)
	if code != 0 {
		t.Fatalf("convert: exit %d\n%s%s", code, stdout, stderr)
	}
	data, err := os.ReadFile(filepath.Join(out, "gripmock.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"- method: /grpc.health.v1.Health/Check\n  request:\n    fields:\n      service: billing.v1.Billing\n  response:\n    status: NOT_SERVING\n",
		`gripmock answers health of "gripmock" with its own readiness`,
		"      service: gripmock\n  response:\n    status: SERVING\n",
	} {
		if !strings.Contains(string(data), want) {
			t.Errorf("converted file lacks %q:\n%s", want, data)
		}
	}
	p := startProc(t, "serve", "--listen", "127.0.0.1:0", "--stubs", out)
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	checkHealth(t, healthpb.NewHealthClient(dial(t, p.Addr, nil)), ctx,
		healthCase{service: "billing.v1.Billing", want: healthpb.HealthCheckResponse_NOT_SERVING},
		healthCase{service: "gripmock", want: healthpb.HealthCheckResponse_SERVING},
		healthCase{service: "orders.v1.Orders", code: codes.NotFound},
	)
}

// lint checks health stubs against any descriptors, as serve loads them:
// a good one passes, one for service "" is named.
func TestLintHealthStubs(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	writeFile(t, good, nativeHealth)
	protos := filepath.Join(moduleRoot(t), "testdata/standalone/protos")
	if out, errOut, code := runOnce(t, "lint", "--proto", protos, "--stubs", good); code != 0 {
		t.Fatalf("lint of health stubs: exit %d\n%s%s", code, out, errOut)
	}
	bad := filepath.Join(dir, "bad.yaml")
	writeFile(t, bad, "- method: grpc.health.v1.Health/Check\n  request: {equal: {}}\n  response: {status: NOT_SERVING}\n")
	out, errOut, code := runOnce(t, "lint", "--proto", protos, "--stubs", bad)
	if want := bad + `:2: request: it matches only service ""`; code != 1 || !strings.HasPrefix(out, want) {
		t.Fatalf("lint of a stub for service \"\": exit %d\nstdout:\n%s\nstderr:\n%s\nwant stdout to start %q", code, out, errOut, want)
	}
}
