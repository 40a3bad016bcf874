package mockserver_test

import (
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"

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

// overrider answers health calls by its function, for the services in
// names; a call of another service it hands back with ErrUseBuiltin.
type overrider struct {
	names  map[string]bool
	answer func(c *mockserver.Call, req *healthpb.HealthCheckRequest) error
}

func (o overrider) OverridesBuiltin(*mockserver.Call) bool { return true }

func (o overrider) Handle(c *mockserver.Call) error {
	if !c.Builtin() {
		return status.Error(codes.Internal, "not a health call")
	}
	msg, err := c.Recv()
	if err != nil {
		return err
	}
	req := msg.(*healthpb.HealthCheckRequest)
	if !o.names[req.GetService()] {
		return mockserver.ErrUseBuiltin
	}
	return o.answer(c, req)
}

// A BuiltinOverrider answers the health calls it takes, journaled; one it
// hands back gets the server's own answer, journaled too (a Watch to the
// end: the NOT_SERVING of Close). Service "" never reaches it. A handler
// that is no BuiltinOverrider is never asked.
func TestHealthOverride(t *testing.T) {
	ctx := testContext(t)
	o := overrider{names: map[string]bool{"mocked": true}, answer: func(c *mockserver.Call, req *healthpb.HealthCheckRequest) error {
		if c.Kind() == mockserver.Unary {
			// A dynamicpb response of the right type will do.
			resp := dynamicpb.NewMessage((&healthpb.HealthCheckResponse{}).ProtoReflect().Descriptor())
			resp.Set(resp.Descriptor().Fields().ByName("status"), protoreflect.ValueOfEnum(protoreflect.EnumNumber(healthpb.HealthCheckResponse_NOT_SERVING)))
			return c.Send(resp)
		}
		for _, s := range []healthpb.HealthCheckResponse_ServingStatus{healthpb.HealthCheckResponse_NOT_SERVING, healthpb.HealthCheckResponse_SERVING} {
			if err := c.Send(&healthpb.HealthCheckResponse{Status: s}); err != nil {
				return err
			}
		}
		return nil
	}}
	srv, err := mockserver.New(o, mockserver.WithServices(routeGuide))
	require.NoError(t, err)
	closed, closing := make(chan struct{}), false
	defer func() {
		if !closing {
			_ = srv.Close()
			return
		}
		<-closed
	}()
	cc, err := grpc.NewClient(srv.Target(), srv.DialOptions()...)
	require.NoError(t, err)
	defer cc.Close()
	health := healthpb.NewHealthClient(cc)

	resp, err := health.Check(ctx, &healthpb.HealthCheckRequest{Service: "mocked"})
	require.NoError(t, err)
	require.Equal(t, healthpb.HealthCheckResponse_NOT_SERVING, resp.GetStatus())
	resp, err = health.Check(ctx, &healthpb.HealthCheckRequest{Service: routeGuide})
	require.NoError(t, err)
	require.Equal(t, healthpb.HealthCheckResponse_SERVING, resp.GetStatus())
	_, err = health.Check(ctx, &healthpb.HealthCheckRequest{Service: "unknown"})
	require.Equal(t, codes.NotFound, status.Code(err), "%v", err)
	resp, err = health.Check(ctx, &healthpb.HealthCheckRequest{})
	require.NoError(t, err)
	require.Equal(t, healthpb.HealthCheckResponse_SERVING, resp.GetStatus())

	checks := srv.CallsTo("/grpc.health.v1.Health/Check")
	require.Len(t, checks, 3, "service \"\" is not the handler's, nor journaled")
	require.Equal(t, codes.NotFound, checks[2].Status.Code())
	require.Len(t, checks[1].Sent(), 1)
	require.Equal(t, healthpb.HealthCheckResponse_SERVING, checks[1].Sent()[0].(*healthpb.HealthCheckResponse).GetStatus())

	mocked, err := health.Watch(ctx, &healthpb.HealthCheckRequest{Service: "mocked"})
	require.NoError(t, err)
	for _, want := range []healthpb.HealthCheckResponse_ServingStatus{healthpb.HealthCheckResponse_NOT_SERVING, healthpb.HealthCheckResponse_SERVING} {
		resp, err := mocked.Recv()
		require.NoError(t, err)
		require.Equal(t, want, resp.GetStatus())
	}
	_, err = mocked.Recv()
	require.Equal(t, io.EOF, err)

	own, err := health.Watch(ctx, &healthpb.HealthCheckRequest{Service: routeGuide})
	require.NoError(t, err)
	resp, err = own.Recv()
	require.NoError(t, err)
	require.Equal(t, healthpb.HealthCheckResponse_SERVING, resp.GetStatus())
	closing = true
	go func() { defer close(closed); _ = srv.Close() }()
	resp, err = own.Recv()
	require.NoError(t, err)
	require.Equal(t, healthpb.HealthCheckResponse_NOT_SERVING, resp.GetStatus())
	<-closed
	watches := srv.CallsTo("/grpc.health.v1.Health/Watch")
	require.Len(t, watches, 2)
	require.Len(t, watches[1].Sent(), 2, "the server's own Watch, journaled")
	require.Len(t, watches[0].Received(), 1)
	require.Equal(t, "mocked", watches[0].Received()[0].(*healthpb.HealthCheckRequest).GetService())
}

// Without a BuiltinOverrider the handler never sees a health call, and a
// .proto that declares grpc.health.v1.Health (or a handler listing its
// methods) does not register it twice.
func TestHealthDeclaredBySourceAndHandler(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "grpc/health/v1"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "grpc/health/v1/health.proto"), []byte(`syntax = "proto3";
package grpc.health.v1;
message HealthCheckRequest { string service = 1; }
message HealthCheckResponse { int32 status = 1; }
service Health { rpc Check(HealthCheckRequest) returns (HealthCheckResponse); }
`), 0o644))
	srv := mockserver.Start(t, lister{methods: []string{"/grpc.health.v1.Health/Watch"}},
		mockserver.WithProtoFiles([]string{dir}, "grpc/health/v1/health.proto"), mockserver.WithServices(routeGuide))
	resp, err := healthpb.NewHealthClient(srv.ClientConn()).Check(testContext(t), &healthpb.HealthCheckRequest{Service: routeGuide})
	require.NoError(t, err)
	require.Equal(t, healthpb.HealthCheckResponse_SERVING, resp.GetStatus())
	require.Empty(t, srv.Calls(), "the handler is not asked")
	md, err := srv.Method("grpc.health.v1.Health/Watch")
	require.NoError(t, err)
	require.True(t, md.IsStreamingServer())
}
