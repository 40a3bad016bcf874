package examples_test

import (
	"context"
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
	"github.com/grpcdouble/grpcdouble/expect"
	"github.com/grpcdouble/grpcdouble/mockserver"
)

// dynamicClient serves dynamic/dynamic.yaml: stubs that answer from what
// they receive.
func dynamicClient(t *testing.T) pb.RouteGuideClient {
	t.Helper()
	m := expect.New(t)
	require.NoError(t, m.LoadStubs("dynamic/dynamic.yaml"))
	return pb.NewRouteGuideClient(mockserver.Start(t, m).ClientConn())
}

// An echo whose response is built from the request and its metadata.
func TestEchoTemplate(t *testing.T) {
	client := dynamicClient(t)
	var hdr metadata.MD
	ctx := metadata.AppendToOutgoingContext(testContext(t), "x-tenant", "acme")
	f, err := client.GetFeature(ctx, &pb.Point{Latitude: 600, Longitude: 7}, grpc.Header(&hdr))
	require.NoError(t, err)
	assert.Equal(t, "you asked for 600,7", f.Name)
	assert.Equal(t, int32(600), f.Location.Latitude)
	assert.Equal(t, pb.Terrain_TERRAIN_WATER, f.Terrain)
	assert.Equal(t, []string{"acme"}, hdr.Get("x-tenant"))
}

// Field matchers pick the stub; a catch-all with the lowest priority takes
// the rest.
func TestFieldMatchersAndCatchAll(t *testing.T) {
	client := dynamicClient(t)
	for _, tc := range []struct {
		p    *pb.Point
		want string
	}{
		{&pb.Point{Latitude: 1200, Longitude: 3}, "far north"},
		{&pb.Point{Latitude: 1200, Longitude: 4}, "somewhere else"}, // even longitude
		{&pb.Point{Latitude: -5}, "somewhere else"},                 // below the echo's range
		{&pb.Point{Latitude: 5}, "you asked for 5,0"},
	} {
		f, err := client.GetFeature(testContext(t), tc.p)
		require.NoError(t, err)
		assert.Equal(t, tc.want, f.Name, "%v", tc.p)
	}
}

// A server stream built with range from the request.
func TestTemplatedStream(t *testing.T) {
	client := dynamicClient(t)
	stream, err := client.ListFeatures(testContext(t), &pb.Rectangle{Lo: &pb.Point{Latitude: 3}, Hi: &pb.Point{Latitude: 6}})
	require.NoError(t, err)
	var names []string
	for {
		f, err := stream.Recv()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		names = append(names, f.Name)
	}
	assert.Equal(t, []string{"feature 3", "feature 4", "feature 5"}, names)
}

// Register, then login works: a scenario moves from Started to Registered.
func TestRegisterThenLogin(t *testing.T) {
	client := dynamicClient(t)
	login := func() (string, error) {
		chat, err := client.RouteChat(testContext(t))
		require.NoError(t, err)
		require.NoError(t, chat.Send(&pb.RouteNote{Message: "login ada"}))
		reply, err := chat.Recv()
		if err != nil {
			return "", err
		}
		require.NoError(t, chat.CloseSend())
		_, end := chat.Recv()
		assert.Equal(t, io.EOF, end)
		return reply.Message, nil
	}
	_, err := login()
	assert.Equal(t, codes.Unauthenticated, status.Code(err))
	assert.Equal(t, "no account for ada", status.Convert(err).Message())

	reg, err := client.RecordRoute(testContext(t))
	require.NoError(t, err)
	require.NoError(t, reg.Send(&pb.Point{Latitude: 1}))
	_, err = reg.CloseAndRecv()
	require.NoError(t, err)

	msg, err := login()
	require.NoError(t, err)
	assert.Equal(t, "welcome ada", msg)
}

// The first call fails with UNAVAILABLE, the retry succeeds: written as a
// scenario rather than with counts.
func TestRetryWithScenario(t *testing.T) {
	m := expect.New(t)
	m.Unary("/routeguide.RouteGuide/GetFeature").
		InScenario("flaky").SetState("recovered").
		ReturnError(codes.Unavailable, "warming up")
	m.Unary("/routeguide.RouteGuide/GetFeature").
		InScenario("flaky").WhenState("recovered").
		Return(&pb.Feature{Name: "ready"})
	client := pb.NewRouteGuideClient(mockserver.Start(t, m).ClientConn())

	f, attempts, err := getWithRetry(testContext(t), client, &pb.Point{})
	require.NoError(t, err)
	assert.Equal(t, "ready", f.Name)
	assert.Equal(t, 2, attempts)
	assert.Equal(t, []expect.Scenario{{Name: "flaky", State: "recovered"}}, m.Scenarios())
}

// The same ideas in Go: field operators, priority, a template answer and a
// typed func.
func TestDynamicInGo(t *testing.T) {
	m := expect.New(t)
	m.Unary("/routeguide.RouteGuide/GetFeature").
		WithRequestField("latitude", expect.Gt(0)).
		WithRequestField("longitude", expect.AnyOf(expect.Eq(1), expect.Eq(2))).
		ReturnTemplate(`{"name": "north {{ .Request.latitude }}", "tags": [{{ range $i, $x := until 3 }}{{ if $i }},{{ end }}"t{{ $x }}"{{ end }}]}`)
	m.Unary("/routeguide.RouteGuide/GetFeature").Priority(-1).AnyTimes().
		ReturnFunc(expect.UnaryFunc(func(_ context.Context, p *pb.Point) (*pb.Feature, error) {
			return &pb.Feature{Name: "typed", Location: p}, nil // p is a *pb.Point: no assertion
		}))
	client := pb.NewRouteGuideClient(mockserver.Start(t, m).ClientConn())

	f, err := client.GetFeature(testContext(t), &pb.Point{Latitude: 4, Longitude: 2})
	require.NoError(t, err)
	assert.Equal(t, "north 4", f.Name)
	assert.Equal(t, []string{"t0", "t1", "t2"}, f.Tags)
	f, err = client.GetFeature(testContext(t), &pb.Point{Latitude: -4})
	require.NoError(t, err)
	assert.Equal(t, "typed", f.Name)
	assert.Equal(t, int32(-4), f.Location.Latitude)
}
