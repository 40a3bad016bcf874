package expect_test

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
	"github.com/grpcdouble/grpcdouble/expect"
	"github.com/grpcdouble/grpcdouble/mockserver"
)

// stubs parses a YAML stub file for routeguide into m.
func addStubs(t *testing.T, m *expect.Mock, yaml string) {
	t.Helper()
	stubs, err := expect.ParseStubs("faults.yaml", []byte(yaml), nil)
	require.NoError(t, err)
	_, err = m.AddStubs(stubs...)
	require.NoError(t, err)
}

func featureNames(t *testing.T, s interface {
	Recv() (*pb.Feature, error)
}) ([]string, error) {
	t.Helper()
	var names []string
	for {
		f, err := s.Recv()
		if err != nil {
			return names, err
		}
		names = append(names, f.GetName())
	}
}

func requireStatus(t *testing.T, err error, code codes.Code, msg string) {
	t.Helper()
	st, ok := status.FromError(err)
	require.True(t, ok, "not a status: %v", err)
	require.Equal(t, code, st.Code(), "%v", err)
	if msg != "" {
		require.Equal(t, msg, st.Message())
	}
}

func TestFaultAbortAfter(t *testing.T) {
	m := expect.New(t)
	m.ServerStream(listFeatures).WithRequestPartial(&pb.Rectangle{Lo: &pb.Point{Latitude: 1}}).
		Send(&pb.Feature{Name: "a"}, &pb.Feature{Name: "b"}, &pb.Feature{Name: "c"}).
		AbortAfter(2, codes.Unavailable, "backend went away")
	m.ServerStream(listFeatures).WithRequestPartial(&pb.Rectangle{Lo: &pb.Point{Latitude: 2}}).
		Send(&pb.Feature{Name: "a"}).KeepOpen().
		AbortAfter(0, codes.ResourceExhausted, "quota")
	m.Bidi(routeChat).
		Recv(note("x")).Send(note("X")).
		Recv(note("y")).Send(note("Y")).
		AbortAfter(1, codes.Aborted, "conflict")
	addStubs(t, m, `
- method: routeguide.RouteGuide/ListFeatures
  request: {partial: {lo: {latitude: 3}}}
  responses: [{name: s1}, {name: s2}, {name: s3}]
  abortAfter: {messages: 2, code: UNAVAILABLE, message: stub abort}
`)
	client := pb.NewRouteGuideClient(mockserver.Start(t, m).ClientConn())

	for _, tc := range []struct {
		lat   int32
		names []string
		code  codes.Code
		msg   string
	}{
		{1, []string{"a", "b"}, codes.Unavailable, "backend went away"},
		{2, nil, codes.ResourceExhausted, "quota"},
		{3, []string{"s1", "s2"}, codes.Unavailable, "stub abort"},
	} {
		s, err := client.ListFeatures(ctx(t), &pb.Rectangle{Lo: &pb.Point{Latitude: tc.lat}})
		require.NoError(t, err)
		names, err := featureNames(t, s)
		assert.Equal(t, tc.names, names, "latitude %d", tc.lat)
		requireStatus(t, err, tc.code, tc.msg)
	}

	b, err := client.RouteChat(ctx(t))
	require.NoError(t, err)
	require.NoError(t, b.Send(note("x")))
	got, err := b.Recv()
	require.NoError(t, err)
	assert.Equal(t, "X", got.GetMessage())
	_, err = b.Recv()
	requireStatus(t, err, codes.Aborted, "conflict")
}

func TestFaultDropConnection(t *testing.T) {
	m := expect.New(t)
	m.Bidi(routeChat).
		RecvMatching(expect.Anything()).Send(note("pong")).
		RecvMatching(expect.Anything()).DropConnection()
	m.Unary(getFeature).WithRequest(&pb.Point{Latitude: 1}).DropConnection()
	m.Unary(getFeature).WithRequest(&pb.Point{Latitude: 2}).Return(&pb.Feature{Name: "after reconnect"})
	m.ClientStream(recordRoute).DropConnection()
	m.ServerStream(listFeatures).Send(&pb.Feature{Name: "a"}).DropConnection()
	addStubs(t, m, `
- method: routeguide.RouteGuide/RouteChat
  metadata: {x-stub: "1"}
  steps:
    - recv: {any: true}
    - send: {message: stub pong}
    - recv: {any: true}
    - dropConnection: true
`)
	srv := mockserver.Start(t, m)
	client := pb.NewRouteGuideClient(srv.ClientConn())

	// Bidi, Go DSL and stub: the reply the client read and answered arrived,
	// then the connection went.
	for _, tc := range []struct{ md, want string }{{"0", "pong"}, {"1", "stub pong"}} {
		c := ctx(t)
		if tc.md == "1" {
			c = metadata.AppendToOutgoingContext(c, "x-stub", "1")
		}
		b, err := client.RouteChat(c)
		require.NoError(t, err)
		require.NoError(t, b.Send(note("ping")))
		got, err := b.Recv()
		require.NoError(t, err)
		assert.Equal(t, tc.want, got.GetMessage())
		require.NoError(t, b.Send(note("again")))
		_, err = b.Recv()
		requireStatus(t, err, codes.Unavailable, "")
	}

	_, err := client.GetFeature(ctx(t), &pb.Point{Latitude: 1})
	requireStatus(t, err, codes.Unavailable, "")

	rs, err := client.RecordRoute(ctx(t))
	require.NoError(t, err)
	require.NoError(t, rs.Send(&pb.Point{}))
	_, err = rs.CloseAndRecv()
	requireStatus(t, err, codes.Unavailable, "")

	// Server stream: the drop may overtake the message queued before it, as
	// on a real network; the stream ends Unavailable either way.
	ls, err := client.ListFeatures(ctx(t), &pb.Rectangle{})
	require.NoError(t, err)
	names, err := featureNames(t, ls)
	assert.LessOrEqual(t, len(names), 1)
	requireStatus(t, err, codes.Unavailable, "")

	// The client reconnects for the next call.
	f, err := client.GetFeature(ctx(t), &pb.Point{Latitude: 2})
	require.NoError(t, err)
	assert.Equal(t, "after reconnect", f.GetName())
}

func TestFaultPace(t *testing.T) {
	const pace = 40 * time.Millisecond
	m := expect.New(t)
	m.ServerStream(listFeatures).WithRequestPartial(&pb.Rectangle{Lo: &pb.Point{Latitude: 1}}).
		Send(&pb.Feature{Name: "a"}, &pb.Feature{Name: "b"}, &pb.Feature{Name: "c"}).Pace(pace)
	m.ServerStream(listFeatures).WithRequestPartial(&pb.Rectangle{Lo: &pb.Point{Latitude: 3}}).
		Send(&pb.Feature{Name: "a"}, &pb.Feature{Name: "b"}, &pb.Feature{Name: "c"}).Pace(time.Hour)
	addStubs(t, m, `
- method: routeguide.RouteGuide/ListFeatures
  request: {partial: {lo: {latitude: 2}}}
  pace: 40ms
  responses: [{name: a}, {name: b}, {name: c}]
`)
	client := pb.NewRouteGuideClient(mockserver.Start(t, m).ClientConn())
	for _, lat := range []int32{1, 2} {
		start := time.Now()
		s, err := client.ListFeatures(ctx(t), &pb.Rectangle{Lo: &pb.Point{Latitude: lat}})
		require.NoError(t, err)
		names, err := featureNames(t, s)
		require.Equal(t, io.EOF, err)
		assert.Equal(t, []string{"a", "b", "c"}, names)
		assert.GreaterOrEqual(t, time.Since(start), 3*pace, "latitude %d: three messages paced %v apart", lat, pace)
	}

	// A client deadline shorter than the pace trips before the first message.
	c, cancel := context.WithTimeout(ctx(t), 50*time.Millisecond)
	defer cancel()
	s, err := client.ListFeatures(c, &pb.Rectangle{Lo: &pb.Point{Latitude: 3}})
	require.NoError(t, err)
	names, err := featureNames(t, s)
	assert.Empty(t, names)
	requireStatus(t, err, codes.DeadlineExceeded, "")
}

const overMax = 4<<20 + 1 // one byte above gRPC's default maximum receive size

func TestFaultOversizedForClient(t *testing.T) {
	big := &pb.Feature{Name: "big", Tags: []string{"x"}}
	m := expect.New(t)
	m.Unary(getFeature).Return(big).PadTo(overMax).Times(2)
	m.ServerStream(listFeatures).WithRequestPartial(&pb.Rectangle{Lo: &pb.Point{Latitude: 1}}).
		Send(&pb.Feature{Name: "fine"}).SendOversized(&pb.Feature{Name: "huge"}, 5_000_000).Send(&pb.Feature{Name: "never"})
	addStubs(t, m, `
- method: routeguide.RouteGuide/ListFeatures
  request: {partial: {lo: {latitude: 2}}}
  steps:
    - send: {name: fine}
    - sendOversized: {message: {name: huge}, size: 5000000}
- method: routeguide.RouteGuide/RecordRoute
  response: {pointCount: 7}
  padTo: 4194305
`)
	client := pb.NewRouteGuideClient(mockserver.Start(t, m).ClientConn())

	// The client's own limit rejects the message.
	_, err := client.GetFeature(ctx(t), &pb.Point{})
	requireStatus(t, err, codes.ResourceExhausted, "")
	assert.Contains(t, status.Convert(err).Message(), "received message larger than max")

	// A client that accepts the size gets the message unchanged: the padding
	// is an unknown field.
	f, err := client.GetFeature(ctx(t), &pb.Point{}, grpc.MaxCallRecvMsgSize(8<<20))
	require.NoError(t, err)
	assert.Greater(t, proto.Size(f), 4<<20)
	f.ProtoReflect().SetUnknown(nil)
	assert.True(t, proto.Equal(big, f), "got %v", f)

	for _, lat := range []int32{1, 2} {
		s, err := client.ListFeatures(ctx(t), &pb.Rectangle{Lo: &pb.Point{Latitude: lat}})
		require.NoError(t, err)
		names, err := featureNames(t, s)
		assert.Equal(t, []string{"fine"}, names)
		requireStatus(t, err, codes.ResourceExhausted, "")
	}

	rs, err := client.RecordRoute(ctx(t))
	require.NoError(t, err)
	_, err = rs.CloseAndRecv()
	requireStatus(t, err, codes.ResourceExhausted, "")
}

// The server's own limits: a message above grpc.MaxSendMsgSize fails on the
// server, one above grpc.MaxRecvMsgSize is refused before any handler runs;
// either way the client sees ResourceExhausted.
func TestFaultOversizedForServer(t *testing.T) {
	m := expect.New(t)
	m.Unary(getFeature).Return(&pb.Feature{Name: "big"}).PadTo(2048)
	m.Bidi(routeChat).RecvAll().Send(note("never"))
	srv := mockserver.Start(t, m, mockserver.WithServerOptions(grpc.MaxSendMsgSize(1024), grpc.MaxRecvMsgSize(1024)))
	client := pb.NewRouteGuideClient(srv.ClientConn())

	_, err := client.GetFeature(ctx(t), &pb.Point{})
	requireStatus(t, err, codes.ResourceExhausted, "")
	assert.Contains(t, status.Convert(err).Message(), "trying to send message larger than max")

	s, err := client.RouteChat(ctx(t))
	require.NoError(t, err)
	require.NoError(t, s.Send(&pb.RouteNote{Message: string(make([]byte, 2048))}))
	_, err = s.Recv()
	requireStatus(t, err, codes.ResourceExhausted, "")
	assert.Contains(t, status.Convert(err).Message(), "received message larger than max")
}

// GracefulStop while a stream runs: the stream finishes with every message,
// and calls made once the stop began get Unavailable.
func TestFaultGracefulStop(t *testing.T) {
	release := make(chan struct{})
	m := expect.New(t)
	m.ServerStream(listFeatures).
		Send(&pb.Feature{Name: "before"}).
		Run(func(_ proto.Message, call *mockserver.Call) error {
			select {
			case <-release:
			case <-call.Context().Done():
				return call.Context().Err()
			}
			return call.Send(&pb.Feature{Name: "after"})
		})
	m.Unary(getFeature).Return(&pb.Feature{Name: "served"}).AnyTimes()
	srv := mockserver.Start(t, m)
	client := pb.NewRouteGuideClient(srv.ClientConn())

	s, err := client.ListFeatures(ctx(t), &pb.Rectangle{})
	require.NoError(t, err)
	f, err := s.Recv()
	require.NoError(t, err)
	require.Equal(t, "before", f.GetName())

	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		srv.GracefulStop(context.Background())
	}()
	// New calls are served until the stop takes hold, then refused; the
	// stream is still running all along (it waits for release).
	c := ctx(t)
	for {
		_, err := client.GetFeature(c, &pb.Point{})
		if err == nil {
			continue
		}
		requireStatus(t, err, codes.Unavailable, "")
		break
	}
	select {
	case <-stopped:
		t.Fatal("GracefulStop returned while a stream was running")
	default:
	}
	close(release)
	names, err := featureNames(t, s)
	assert.Equal(t, []string{"after"}, names)
	require.Equal(t, io.EOF, err)
	waitClosed(t, stopped, "GracefulStop")
}

// waitClosed waits for ch to close, failing after callTimeout.
func waitClosed(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	timer := time.NewTimer(callTimeout)
	defer timer.Stop()
	select {
	case <-ch:
	case <-timer.C:
		t.Fatalf("%s did not return within %v", what, callTimeout)
	}
}
