package mockserver_test

import (
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	"github.com/grpcdouble/grpcdouble/mockserver"
)

// The health service is made on its first call (lazyHealth); a client sees
// what grpc's health.Server answers: Check and List name every served
// service SERVING, an unknown one is NOT_FOUND, and a Watch hears
// NOT_SERVING once Close begins.
func TestHealthCheckListAndWatchUntilClose(t *testing.T) {
	srv, err := mockserver.New(kindHandler, mockserver.WithServices(routeGuide), mockserver.WithProtoFiles([]string{protoDir}, echoProto))
	require.NoError(t, err)
	// Close runs below while the Watch is open, and ends after the deferred
	// cc.Close; a test stopped before it closes the server here instead of
	// waiting for a Close that never started.
	closed, closing := make(chan struct{}), false
	defer func() {
		if !closing {
			_ = srv.Close()
			return
		}
		<-closed
	}()
	ctx := testContext(t)
	// A connection of the test's own, so Close does not close it first.
	cc, err := grpc.NewClient(srv.Target(), srv.DialOptions()...)
	require.NoError(t, err)
	defer cc.Close()
	health := healthpb.NewHealthClient(cc)

	watch, err := health.Watch(ctx, &healthpb.HealthCheckRequest{Service: routeGuide})
	require.NoError(t, err)
	resp, err := watch.Recv()
	require.NoError(t, err)
	require.Equal(t, healthpb.HealthCheckResponse_SERVING, resp.GetStatus())

	for _, svc := range []string{"", echoService, routeGuide} {
		resp, err := health.Check(ctx, &healthpb.HealthCheckRequest{Service: svc})
		require.NoError(t, err, "service %q", svc)
		require.Equal(t, healthpb.HealthCheckResponse_SERVING, resp.GetStatus(), "service %q", svc)
	}
	_, err = health.Check(ctx, &healthpb.HealthCheckRequest{Service: "no.such.Service"})
	require.Equal(t, codes.NotFound, status.Code(err), "%v", err)
	list, err := health.List(ctx, &healthpb.HealthListRequest{})
	require.NoError(t, err)
	for _, svc := range []string{"", echoService, routeGuide} {
		require.Equal(t, healthpb.HealthCheckResponse_SERVING, list.GetStatuses()[svc].GetStatus(), "service %q in %v", svc, list)
	}

	closing = true
	go func() { defer close(closed); _ = srv.Close() }()
	resp, err = watch.Recv()
	require.NoError(t, err)
	require.Equal(t, healthpb.HealthCheckResponse_NOT_SERVING, resp.GetStatus())
}
