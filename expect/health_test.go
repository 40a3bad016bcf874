package expect_test

import (
	"io"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	"github.com/grpcdouble/grpcdouble/expect"
	"github.com/grpcdouble/grpcdouble/mockserver"
)

const (
	healthCheck = "/grpc.health.v1.Health/Check"
	healthWatch = "/grpc.health.v1.Health/Watch"
)

func healthOf(name string) *healthpb.HealthCheckRequest {
	return &healthpb.HealthCheckRequest{Service: name}
}

func healthIs(s healthpb.HealthCheckResponse_ServingStatus) *healthpb.HealthCheckResponse {
	return &healthpb.HealthCheckResponse{Status: s}
}

// Expectations on grpc.health.v1.Health need no descriptors: a call one
// matches gets its answer, and every other the server's own health's
// (no miss: New's cleanup would fail the test on one).
func TestHealthExpectations(t *testing.T) {
	m := expect.New(t)
	m.Unary(healthCheck).WithRequest(healthOf("billing.Billing")).Return(healthIs(healthpb.HealthCheckResponse_NOT_SERVING)).Times(2)
	m.ServerStream(healthWatch).WithRequest(healthOf("billing.Billing")).Delay(time.Millisecond).
		Send(healthIs(healthpb.HealthCheckResponse_NOT_SERVING), healthIs(healthpb.HealthCheckResponse_SERVING))
	srv := mockserver.Start(t, m, mockserver.WithServices("routeguide.RouteGuide"))
	health := healthpb.NewHealthClient(srv.ClientConn())

	for range 2 {
		resp, err := health.Check(ctx(t), healthOf("billing.Billing"))
		require.NoError(t, err)
		assert.Equal(t, healthpb.HealthCheckResponse_NOT_SERVING, resp.GetStatus())
	}
	// What no expectation answers: the served service and "" are SERVING,
	// an unknown one NOT_FOUND, as without expectations.
	for _, svc := range []string{"", "routeguide.RouteGuide"} {
		resp, err := health.Check(ctx(t), healthOf(svc))
		require.NoError(t, err, "service %q", svc)
		assert.Equal(t, healthpb.HealthCheckResponse_SERVING, resp.GetStatus(), "service %q", svc)
	}
	_, err := health.Check(ctx(t), healthOf("no.such.Service"))
	assert.Equal(t, codes.NotFound, status.Code(err), "%v", err)

	watch, err := health.Watch(ctx(t), healthOf("billing.Billing"))
	require.NoError(t, err)
	var got []healthpb.HealthCheckResponse_ServingStatus
	for {
		resp, err := watch.Recv()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		got = append(got, resp.GetStatus())
	}
	assert.Equal(t, []healthpb.HealthCheckResponse_ServingStatus{healthpb.HealthCheckResponse_NOT_SERVING, healthpb.HealthCheckResponse_SERVING}, got)

	// A Watch no expectation answers is the server's own: the current
	// status, and the stream stays open.
	own, err := health.Watch(ctx(t), healthOf("routeguide.RouteGuide"))
	require.NoError(t, err)
	resp, err := own.Recv()
	require.NoError(t, err)
	assert.Equal(t, healthpb.HealthCheckResponse_SERVING, resp.GetStatus())
	unknown, err := health.Watch(ctx(t), healthOf("no.such.Service"))
	require.NoError(t, err)
	resp, err = unknown.Recv()
	require.NoError(t, err)
	assert.Equal(t, healthpb.HealthCheckResponse_SERVICE_UNKNOWN, resp.GetStatus())

	// Calls of a method with expectations are journaled, with what
	// answered; "" never reaches them, and is not.
	var answers []string
	for _, c := range srv.CallsTo(healthCheck) {
		answers = append(answers, c.Answer)
	}
	assert.Equal(t, []string{"stub:1", "stub:1", "", ""}, answers)
}

// A method without expectations leaves the server's health as it is: a
// Watch expectation does not bring Check calls to the Mock.
func TestHealthWithoutExpectationsForTheMethod(t *testing.T) {
	m := expect.New(t)
	m.ServerStream(healthWatch).WithRequest(healthOf("a.A")).Send(healthIs(healthpb.HealthCheckResponse_NOT_SERVING))
	srv := mockserver.Start(t, m)
	health := healthpb.NewHealthClient(srv.ClientConn())
	_, err := health.Check(ctx(t), healthOf("a.A"))
	assert.Equal(t, codes.NotFound, status.Code(err), "%v", err)
	assert.Empty(t, srv.CallsTo(healthCheck))
	watch, err := health.Watch(ctx(t), healthOf("a.A"))
	require.NoError(t, err)
	resp, err := watch.Recv()
	require.NoError(t, err)
	assert.Equal(t, healthpb.HealthCheckResponse_NOT_SERVING, resp.GetStatus())
}

// An expectation that takes every request answers every named service,
// but the overall health ("") stays the server's: probes read it.
func TestHealthOverallIsTheServers(t *testing.T) {
	m := expect.New(t)
	m.Unary(healthCheck).Return(healthIs(healthpb.HealthCheckResponse_NOT_SERVING)).AnyTimes()
	srv := mockserver.Start(t, m)
	health := healthpb.NewHealthClient(srv.ClientConn())
	resp, err := health.Check(ctx(t), healthOf(""))
	require.NoError(t, err)
	assert.Equal(t, healthpb.HealthCheckResponse_SERVING, resp.GetStatus())
	resp, err = health.Check(ctx(t), healthOf("any.Name"))
	require.NoError(t, err)
	assert.Equal(t, healthpb.HealthCheckResponse_NOT_SERVING, resp.GetStatus())
}

// An expectation only for service "" would never answer: a setup error.
func TestHealthOverallExpectationIsASetupError(t *testing.T) {
	for name, declare := range map[string]func(m *expect.Mock){
		"equal": func(m *expect.Mock) {
			m.Unary(healthCheck).WithRequest(healthOf("")).Return(healthIs(healthpb.HealthCheckResponse_NOT_SERVING))
		},
		"field": func(m *expect.Mock) {
			m.ServerStream(healthWatch).WithRequestField("service", expect.Eq("")).Send(healthIs(healthpb.HealthCheckResponse_NOT_SERVING))
		},
	} {
		t.Run(name, func(t *testing.T) {
			m := expect.NewMock()
			declare(m)
			_, err := mockserver.New(m)
			require.ErrorIs(t, err, expect.ErrSetup)
			assert.Contains(t, err.Error(), `matches only service ""`)
		})
	}
	_, err := expect.ParseStubs("h.yaml", []byte("method: grpc.health.v1.Health/Check\nrequest: {equal: {service: \"\"}}\nresponse: {status: NOT_SERVING}\n"), nil)
	require.ErrorIs(t, err, expect.ErrStubFile)
	assert.Contains(t, err.Error(), `h.yaml:2: request: it matches only service ""`)
}

// Served WithoutHealth, the server has no health of its own and
// grpc.health.v1.Health is a service like any: every call must match.
func TestHealthWithoutHealthIsAnOrdinaryService(t *testing.T) {
	ft := &fakeT{}
	m := expect.New(ft)
	m.Unary(healthCheck).WithRequest(healthOf("a.A")).Return(healthIs(healthpb.HealthCheckResponse_NOT_SERVING))
	srv, err := mockserver.New(m, mockserver.WithoutHealth())
	require.NoError(t, err)
	health := healthpb.NewHealthClient(srv.ClientConn())
	resp, err := health.Check(ctx(t), healthOf("a.A"))
	require.NoError(t, err)
	assert.Equal(t, healthpb.HealthCheckResponse_NOT_SERVING, resp.GetStatus())
	_, err = health.Check(ctx(t), healthOf("b.B"))
	assert.Equal(t, expect.NoMatchCode, status.Code(err), "%v", err)
	require.NoError(t, srv.Close())
	assert.Contains(t, ft.finish(), "no expectation matches")
}

// The same from a stub file: no resolver, the health descriptors are
// linked in.
func TestHealthStubFile(t *testing.T) {
	path := t.TempDir() + "/health.yaml"
	require.NoError(t, os.WriteFile(path, []byte(`- method: grpc.health.v1.Health/Check
  request: {fields: {service: {regex: "^billing\\."}}}
  response: {status: NOT_SERVING}
- method: grpc.health.v1.Health/Check
  request: {equal: {service: flaky.Flaky}}
  status: {code: UNAVAILABLE, message: probe failed}
- method: grpc.health.v1.Health/Watch
  request: {equal: {service: billing.Billing}}
  pace: 1ms
  responses: [{status: SERVING}, {status: NOT_SERVING}]
`), 0o644))
	m := expect.New(t)
	require.NoError(t, m.LoadStubs(path))
	srv := mockserver.Start(t, m)
	health := healthpb.NewHealthClient(srv.ClientConn())
	resp, err := health.Check(ctx(t), healthOf("billing.Billing"))
	require.NoError(t, err)
	assert.Equal(t, healthpb.HealthCheckResponse_NOT_SERVING, resp.GetStatus())
	_, err = health.Check(ctx(t), healthOf("flaky.Flaky"))
	assert.Equal(t, codes.Unavailable, status.Code(err), "%v", err)
	_, err = health.Check(ctx(t), healthOf("other.Other"))
	assert.Equal(t, codes.NotFound, status.Code(err), "%v", err)
	watch, err := health.Watch(ctx(t), healthOf("billing.Billing"))
	require.NoError(t, err)
	got, err := recvAll[*healthpb.HealthCheckResponse](watch)
	require.NoError(t, err)
	require.Len(t, got, 2)
	assert.Equal(t, healthpb.HealthCheckResponse_SERVING, got[0].GetStatus())
	assert.Equal(t, healthpb.HealthCheckResponse_NOT_SERVING, got[1].GetStatus())
}
