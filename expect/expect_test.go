package expect_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
	"github.com/grpcdouble/grpcdouble/expect"
	"github.com/grpcdouble/grpcdouble/mockserver"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const (
	getFeature   = "/routeguide.RouteGuide/GetFeature"
	listFeatures = "/routeguide.RouteGuide/ListFeatures"
	recordRoute  = "/routeguide.RouteGuide/RecordRoute"
	routeChat    = "/routeguide.RouteGuide/RouteChat"

	callTimeout = 10 * time.Second
)

// fakeT records what a Mock reports, as goleak's fakeT does.
type fakeT struct {
	mu       sync.Mutex
	errs     []string
	cleanups []func()
}

func (f *fakeT) Helper() {}
func (f *fakeT) Errorf(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.errs = append(f.errs, fmt.Sprintf(format, args...))
}
func (f *fakeT) Cleanup(fn func()) { f.cleanups = append(f.cleanups, fn) }

// finish runs the cleanups as the testing package would and returns what
// was reported.
func (f *fakeT) finish() string {
	for i := len(f.cleanups) - 1; i >= 0; i-- {
		f.cleanups[i]()
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return strings.Join(f.errs, "\n")
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), callTimeout)
	t.Cleanup(cancel)
	return c
}

// serve starts a server for a mock that reports to a fakeT, and returns
// the client and a func that stops the server and returns the reports.
func serve(t *testing.T, m *expect.Mock, ft *fakeT) (pb.RouteGuideClient, func() string) {
	t.Helper()
	srv, err := mockserver.New(m)
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Close() })
	return pb.NewRouteGuideClient(srv.ClientConn()), func() string {
		_ = srv.Close()
		return ft.finish()
	}
}

func TestUnary(t *testing.T) {
	m := expect.New(t)
	e := m.Unary(getFeature).
		WithRequest(&pb.Point{Latitude: 1}).
		WithMetadata("authorization", "Bearer t").
		Return(&pb.Feature{Name: "x"}).
		ReturnHeader("x-h", "1").
		ReturnTrailer("k", "v")
	srv := mockserver.Start(t, m)
	client := pb.NewRouteGuideClient(srv.ClientConn())

	var hdr, trl metadata.MD
	c := metadata.AppendToOutgoingContext(ctx(t), "authorization", "Bearer t")
	got, err := client.GetFeature(c, &pb.Point{Latitude: 1}, grpc.Header(&hdr), grpc.Trailer(&trl))
	require.NoError(t, err)
	assert.True(t, proto.Equal(&pb.Feature{Name: "x"}, got))
	assert.Equal(t, []string{"1"}, hdr.Get("x-h"))
	assert.Equal(t, []string{"v"}, trl.Get("k"))

	calls := e.Calls()
	require.Len(t, calls, 1)
	assert.Equal(t, []string{"Bearer t"}, calls[0].Metadata.Get("authorization"))
	assert.True(t, calls[0].HasDeadline)
	assert.True(t, proto.Equal(&pb.Point{Latitude: 1}, calls[0].Message()))
}

func TestUnaryMatchers(t *testing.T) {
	m := expect.New(t)
	m.Unary(getFeature).WithRequestPartial(&pb.Point{Latitude: 5}).Return(&pb.Feature{Name: "partial"})
	m.Unary(getFeature).WithRequestJSON(`{"latitude": 6}`).Return(&pb.Feature{Name: "json"})
	m.Unary(getFeature).WithRequestMatching(expect.Func(func(p *pb.Point) bool { return p.Longitude < 0 })).
		Return(&pb.Feature{Name: "func"})
	m.Unary(getFeature).WithMetadataRegexp("x-id", `^[0-9]+$`).WithMetadataPresent("x-p").
		WithMetadataAbsent("x-a").Return(&pb.Feature{Name: "md"})
	m.Unary(getFeature).WithMetadata("trace-bin", "\x00\x01").Return(&pb.Feature{Name: "bin"})
	m.Unary(getFeature).WithRequestMatching(expect.Anything()).AnyTimes().Return(&pb.Feature{Name: "any"})
	client := pb.NewRouteGuideClient(mockserver.Start(t, m).ClientConn())

	for _, tc := range []struct {
		req  *pb.Point
		md   []string
		want string
	}{
		{&pb.Point{Latitude: 5, Longitude: 9}, nil, "partial"},
		{&pb.Point{Latitude: 6, Longitude: 7}, nil, "json"},
		{&pb.Point{Longitude: -1}, nil, "func"},
		{&pb.Point{}, []string{"x-id", "42", "x-p", ""}, "md"},
		{&pb.Point{}, []string{"trace-bin", "\x00\x01"}, "bin"},
		{&pb.Point{}, []string{"x-id", "42", "x-p", "", "x-a", "1"}, "any"},
	} {
		c := metadata.AppendToOutgoingContext(ctx(t), tc.md...)
		got, err := client.GetFeature(c, tc.req)
		require.NoError(t, err, tc.want)
		assert.Equal(t, tc.want, got.GetName())
	}
}

func TestUnaryNoMatchReportsDiff(t *testing.T) {
	ft := &fakeT{}
	m := expect.New(ft)
	m.Unary(getFeature).WithRequest(&pb.Point{Latitude: 1, Longitude: 2}).Return(&pb.Feature{})
	client, finish := serve(t, m, ft)

	_, err := client.GetFeature(ctx(t), &pb.Point{Latitude: 1, Longitude: 3})
	assert.Equal(t, expect.NoMatchCode, status.Code(err))
	assert.Contains(t, status.Convert(err).Message(), "-want +got")
	assert.Contains(t, status.Convert(err).Message(), "longitude")

	report := finish()
	assert.Contains(t, report, "unexpected call /routeguide.RouteGuide/GetFeature")
	assert.Contains(t, report, "nearest expectation: expectation 1 (unary /routeguide.RouteGuide/GetFeature, declared at expect_test.go:")
	assert.Contains(t, report, "request: longitude: want 2, got 3")
	assert.Regexp(t, `-\s+"longitude":\s+2,`, report)
	assert.Regexp(t, `\+\s+"longitude":\s+3,`, report)
	assert.Contains(t, report, "was called 0 time(s), want exactly 1")
	require.Len(t, m.Unexpected(), 1)
	assert.ErrorIs(t, m.Verify(), expect.ErrNoMatch)
	assert.ErrorIs(t, m.Verify(), expect.ErrUnmet)
}

func TestSetupErrors(t *testing.T) {
	for _, tc := range []struct {
		name    string
		declare func(m *expect.Mock)
		want    string
	}{
		{"unknown method", func(m *expect.Mock) { m.Unary("/routeguide.RouteGuide/GetFeatur").Return(&pb.Feature{}) },
			"service routeguide.RouteGuide has no method GetFeatur (it has GetFeature, ListFeatures, RecordRoute, RouteChat)"},
		{"bad name", func(m *expect.Mock) { m.Unary("GetFeature") }, "want the form /package.Service/Method"},
		{"wrong kind", func(m *expect.Mock) { m.Unary(listFeatures) },
			"/routeguide.RouteGuide/ListFeatures is a server-stream method, declared as unary (use Mock.ServerStream)"},
		{"wrong request type", func(m *expect.Mock) { m.Unary(getFeature).WithRequest(&pb.Feature{}) },
			"WithRequest: /routeguide.RouteGuide/GetFeature takes: got a routeguide.Feature, want a routeguide.Point"},
		{"wrong response type", func(m *expect.Mock) { m.ServerStream(listFeatures).Send(&pb.Point{}) },
			"Send: /routeguide.RouteGuide/ListFeatures returns: got a routeguide.Point, want a routeguide.Feature"},
		{"bad regexp", func(m *expect.Mock) { m.Bidi(routeChat).WithMetadataRegexp("a", "(") }, "WithMetadataRegexp(\"a\")"},
		{"bad json", func(m *expect.Mock) { m.Unary(getFeature).WithRequestJSON(`{"lat": 1}`) }, `unknown field "lat"`},
		{"negative times", func(m *expect.Mock) { m.Unary(getFeature).Times(-1).Return(&pb.Feature{}) },
			"Times(-1): a call count cannot be negative (AnyTimes accepts any number)"},
		{"negative min", func(m *expect.Mock) { m.ServerStream(listFeatures).MinTimes(-2) }, "MinTimes(-2): a call count cannot be negative"},
		{"negative max", func(m *expect.Mock) { m.Bidi(routeChat).MaxTimes(-1) }, "MaxTimes(-1): a call count cannot be negative"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ft := &fakeT{}
			m := expect.New(ft)
			tc.declare(m)
			assert.ErrorIs(t, m.Err(), expect.ErrSetup)
			assert.Contains(t, ft.finish(), tc.want)
		})
	}
}

func TestNoResponseIsSetupError(t *testing.T) {
	ft := &fakeT{}
	m := expect.New(ft)
	m.Unary(getFeature)
	_, err := mockserver.New(m)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "has no response: call Return, ReturnError or ReturnFunc")
	ft.finish()
}

func TestRetryScenario(t *testing.T) {
	m := expect.New(t)
	m.Unary(getFeature).ReturnError(codes.Unavailable, "try again")
	m.Unary(getFeature).Return(&pb.Feature{Name: "ok"})
	client := pb.NewRouteGuideClient(mockserver.Start(t, m).ClientConn())

	_, err := client.GetFeature(ctx(t), &pb.Point{})
	assert.Equal(t, codes.Unavailable, status.Code(err))
	got, err := client.GetFeature(ctx(t), &pb.Point{})
	require.NoError(t, err)
	assert.Equal(t, "ok", got.Name)
}

func TestInOrder(t *testing.T) {
	ft := &fakeT{}
	m := expect.New(ft, expect.InOrder())
	m.Unary(getFeature).WithRequest(&pb.Point{Latitude: 1}).Return(&pb.Feature{Name: "1"})
	m.Unary(getFeature).WithRequest(&pb.Point{Latitude: 2}).Return(&pb.Feature{Name: "2"})
	client, finish := serve(t, m, ft)

	_, err := client.GetFeature(ctx(t), &pb.Point{Latitude: 2})
	assert.Equal(t, expect.NoMatchCode, status.Code(err))
	got, err := client.GetFeature(ctx(t), &pb.Point{Latitude: 1})
	require.NoError(t, err)
	assert.Equal(t, "1", got.Name)
	got, err = client.GetFeature(ctx(t), &pb.Point{Latitude: 2})
	require.NoError(t, err)
	assert.Equal(t, "2", got.Name)
	assert.Contains(t, finish(), "InOrder")
}

func TestTooManyCalls(t *testing.T) {
	ft := &fakeT{}
	m := expect.New(ft)
	m.Unary(getFeature).Times(1).Return(&pb.Feature{})
	client, finish := serve(t, m, ft)
	_, err := client.GetFeature(ctx(t), &pb.Point{})
	require.NoError(t, err)
	_, err = client.GetFeature(ctx(t), &pb.Point{})
	assert.Equal(t, expect.NoMatchCode, status.Code(err))
	assert.Contains(t, finish(), "it was already called 1 time(s), and wants exactly 1")
}

func TestErrorWithDetails(t *testing.T) {
	m := expect.New(t)
	m.Unary(getFeature).
		ReturnError(codes.InvalidArgument, "bad point ✗", &errdetails.BadRequest{
			FieldViolations: []*errdetails.BadRequest_FieldViolation{{Field: "latitude", Description: "out of range"}},
		}).
		ReturnTrailer("k", "on-error")
	client := pb.NewRouteGuideClient(mockserver.Start(t, m).ClientConn())

	var trl metadata.MD
	_, err := client.GetFeature(ctx(t), &pb.Point{}, grpc.Trailer(&trl))
	st := status.Convert(err)
	assert.Equal(t, codes.InvalidArgument, st.Code())
	assert.Equal(t, "bad point ✗", st.Message())
	require.Len(t, st.Details(), 1)
	br, ok := st.Details()[0].(*errdetails.BadRequest)
	require.True(t, ok)
	assert.Equal(t, "latitude", br.FieldViolations[0].Field)
	assert.Equal(t, []string{"on-error"}, trl.Get("k"))
}

func TestDelayTripsDeadline(t *testing.T) {
	m := expect.New(t)
	m.Unary(getFeature).Delay(time.Minute).Return(&pb.Feature{})
	client := pb.NewRouteGuideClient(mockserver.Start(t, m).ClientConn())
	c, cancel := context.WithTimeout(ctx(t), 100*time.Millisecond)
	defer cancel()
	_, err := client.GetFeature(c, &pb.Point{})
	assert.Equal(t, codes.DeadlineExceeded, status.Code(err))
}

func TestReturnFunc(t *testing.T) {
	m := expect.New(t)
	m.Unary(getFeature).AnyTimes().ReturnFunc(func(_ context.Context, req proto.Message) (proto.Message, error) {
		p := req.(*pb.Point)
		if p.Latitude < 0 {
			return nil, status.Error(codes.OutOfRange, "south")
		}
		return &pb.Feature{Name: fmt.Sprint(p.Latitude)}, nil
	})
	client := pb.NewRouteGuideClient(mockserver.Start(t, m).ClientConn())
	got, err := client.GetFeature(ctx(t), &pb.Point{Latitude: 7})
	require.NoError(t, err)
	assert.Equal(t, "7", got.Name)
	_, err = client.GetFeature(ctx(t), &pb.Point{Latitude: -7})
	assert.Equal(t, codes.OutOfRange, status.Code(err))
}

func recvAll[T any](s interface{ Recv() (T, error) }) ([]T, error) {
	var out []T
	for {
		m, err := s.Recv()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, m)
	}
}

func TestServerStream(t *testing.T) {
	m := expect.New(t)
	f1, f2 := &pb.Feature{Name: "a"}, &pb.Feature{Name: "b"}
	e := m.ServerStream(listFeatures).WithRequestPartial(&pb.Rectangle{Lo: &pb.Point{Latitude: 1}}).
		Send(f1).Delay(time.Millisecond).Send(f2).Pace(time.Millisecond).
		ReturnError(codes.ResourceExhausted, "enough")
	client := pb.NewRouteGuideClient(mockserver.Start(t, m).ClientConn())

	stream, err := client.ListFeatures(ctx(t), &pb.Rectangle{Lo: &pb.Point{Latitude: 1, Longitude: 4}})
	require.NoError(t, err)
	got, err := recvAll[*pb.Feature](stream)
	assert.Equal(t, codes.ResourceExhausted, status.Code(err))
	require.Len(t, got, 2)
	assert.Equal(t, "a", got[0].Name)
	assert.Equal(t, "b", got[1].Name)
	assert.Len(t, e.Calls(), 1)
}

func TestServerStreamKeepOpen(t *testing.T) {
	m := expect.New(t)
	m.ServerStream(listFeatures).SendHeaderAtStart().ReturnHeader("x-sub", "1").
		Send(&pb.Feature{Name: "first"}).KeepOpen()
	client := pb.NewRouteGuideClient(mockserver.Start(t, m).ClientConn())

	c, cancel := context.WithCancel(ctx(t))
	stream, err := client.ListFeatures(c, &pb.Rectangle{})
	require.NoError(t, err)
	hdr, err := stream.Header()
	require.NoError(t, err)
	assert.Equal(t, []string{"1"}, hdr.Get("x-sub"))
	f, err := stream.Recv()
	require.NoError(t, err)
	assert.Equal(t, "first", f.Name)
	cancel()
	_, err = stream.Recv()
	assert.Equal(t, codes.Canceled, status.Code(err))
}

func TestServerStreamMismatch(t *testing.T) {
	ft := &fakeT{}
	m := expect.New(ft)
	m.ServerStream(listFeatures).WithRequest(&pb.Rectangle{Hi: &pb.Point{Latitude: 9}}).Send(&pb.Feature{})
	client, finish := serve(t, m, ft)
	stream, err := client.ListFeatures(ctx(t), &pb.Rectangle{Hi: &pb.Point{Latitude: 8}})
	require.NoError(t, err)
	_, err = stream.Recv()
	assert.Equal(t, expect.NoMatchCode, status.Code(err))
	report := finish()
	assert.Contains(t, report, "unexpected call /routeguide.RouteGuide/ListFeatures")
	assert.Contains(t, report, "request: hi.latitude: want 9, got 8")
	assert.Regexp(t, `-\s+"latitude":\s+9,`, report)
	assert.Regexp(t, `\+\s+"latitude":\s+8,`, report)
}

func TestClientStream(t *testing.T) {
	m := expect.New(t)
	e := m.ClientStream(recordRoute).WithRequests(&pb.Point{Latitude: 1}, &pb.Point{Latitude: 2}).
		Return(&pb.RouteSummary{PointCount: 2})
	m.ClientStream(recordRoute).WithRequestCount(3).Return(&pb.RouteSummary{PointCount: 3})
	client := pb.NewRouteGuideClient(mockserver.Start(t, m).ClientConn())

	for _, n := range []int32{2, 3} {
		stream, err := client.RecordRoute(ctx(t))
		require.NoError(t, err)
		for i := int32(1); i <= n; i++ {
			require.NoError(t, stream.Send(&pb.Point{Latitude: i}))
		}
		sum, err := stream.CloseAndRecv()
		require.NoError(t, err)
		assert.Equal(t, n, sum.PointCount)
	}
	require.Len(t, e.Calls(), 1)
	assert.Len(t, e.Calls()[0].Messages, 2)
}

func TestClientStreamHeadersAtStart(t *testing.T) {
	m := expect.New(t)
	m.ClientStream(recordRoute).SendHeaderAtStart().ReturnHeader("x-ready", "yes").
		Return(&pb.RouteSummary{})
	client := pb.NewRouteGuideClient(mockserver.Start(t, m).ClientConn())
	stream, err := client.RecordRoute(ctx(t))
	require.NoError(t, err)
	hdr, err := stream.Header() // before any message: the server sent them at once
	require.NoError(t, err)
	assert.Equal(t, []string{"yes"}, hdr.Get("x-ready"))
	_, err = stream.CloseAndRecv()
	require.NoError(t, err)
}

func TestClientStreamMismatch(t *testing.T) {
	ft := &fakeT{}
	m := expect.New(ft)
	m.ClientStream(recordRoute).WithRequests(&pb.Point{Latitude: 1}, &pb.Point{Latitude: 2}).Return(&pb.RouteSummary{})
	client, finish := serve(t, m, ft)
	stream, err := client.RecordRoute(ctx(t))
	require.NoError(t, err)
	require.NoError(t, stream.Send(&pb.Point{Latitude: 1}))
	_, err = stream.CloseAndRecv()
	assert.Equal(t, expect.NoMatchCode, status.Code(err))
	report := finish()
	assert.Contains(t, report, "messages: got 1 messages, want 2")
	assert.Contains(t, report, "was called 0 time(s), want exactly 1")
}

func note(s string) *pb.RouteNote { return &pb.RouteNote{Message: s} }

func TestBidiPingPong(t *testing.T) {
	m := expect.New(t)
	e := m.Bidi(routeChat).
		Recv(note("a")).Send(note("A")).
		Recv(note("b")).Send(note("B"))
	client := pb.NewRouteGuideClient(mockserver.Start(t, m).ClientConn())
	stream, err := client.RouteChat(ctx(t))
	require.NoError(t, err)
	for _, s := range []string{"a", "b"} {
		require.NoError(t, stream.Send(note(s)))
		got, err := stream.Recv()
		require.NoError(t, err)
		assert.Equal(t, strings.ToUpper(s), got.Message)
	}
	require.NoError(t, stream.CloseSend())
	_, err = stream.Recv()
	assert.Equal(t, io.EOF, err)
	require.Len(t, e.Calls(), 1)
	assert.Len(t, e.Calls()[0].Messages, 2)
}

func TestBidiServerFirstAndReadAll(t *testing.T) {
	m := expect.New(t)
	m.Bidi(routeChat).WithMetadata("mode", "first").Send(note("hello")).Recv(note("hi")).ReturnCode(codes.OK)
	m.Bidi(routeChat).WithMetadata("mode", "all").SendHeaderAtStart().ReturnHeader("x", "1").
		RecvAllMatching(expect.Count(3)).Send(note("got 3"))
	client := pb.NewRouteGuideClient(mockserver.Start(t, m).ClientConn())

	c := metadata.AppendToOutgoingContext(ctx(t), "mode", "first")
	stream, err := client.RouteChat(c)
	require.NoError(t, err)
	got, err := stream.Recv()
	require.NoError(t, err)
	assert.Equal(t, "hello", got.Message)
	require.NoError(t, stream.Send(note("hi")))
	_, err = stream.Recv()
	assert.Equal(t, io.EOF, err)

	c = metadata.AppendToOutgoingContext(ctx(t), "mode", "all")
	stream, err = client.RouteChat(c)
	require.NoError(t, err)
	hdr, err := stream.Header()
	require.NoError(t, err)
	assert.Equal(t, []string{"1"}, hdr.Get("x"))
	for range 3 {
		require.NoError(t, stream.Send(note("x")))
	}
	require.NoError(t, stream.CloseSend())
	msgs, err := recvAll[*pb.RouteNote](stream)
	require.NoError(t, err)
	require.Len(t, msgs, 1)
	assert.Equal(t, "got 3", msgs[0].Message)
}

func TestBidiToldApartByFirstMessage(t *testing.T) {
	m := expect.New(t)
	m.Bidi(routeChat).Recv(note("x")).Send(note("X"))
	m.Bidi(routeChat).Recv(note("y")).Send(note("Y"))
	client := pb.NewRouteGuideClient(mockserver.Start(t, m).ClientConn())
	for _, s := range []string{"y", "x"} {
		stream, err := client.RouteChat(ctx(t))
		require.NoError(t, err)
		require.NoError(t, stream.Send(note(s)))
		require.NoError(t, stream.CloseSend())
		msgs, err := recvAll[*pb.RouteNote](stream)
		require.NoError(t, err)
		require.Len(t, msgs, 1)
		assert.Equal(t, strings.ToUpper(s), msgs[0].Message)
	}
}

func TestBidiBrokenScript(t *testing.T) {
	ft := &fakeT{}
	m := expect.New(ft)
	m.Bidi(routeChat).Recv(note("a")).Send(note("A")).Recv(note("b"))
	client, finish := serve(t, m, ft)
	stream, err := client.RouteChat(ctx(t))
	require.NoError(t, err)
	require.NoError(t, stream.Send(note("a")))
	_, err = stream.Recv()
	require.NoError(t, err)
	require.NoError(t, stream.Send(note("c")))
	_, err = stream.Recv()
	assert.Equal(t, expect.NoMatchCode, status.Code(err))
	assert.Contains(t, status.Convert(err).Message(), "step 3")
	report := finish()
	assert.Contains(t, report, "stream broke its script: expectation 1 (bidi-stream /routeguide.RouteGuide/RouteChat")
	assert.Contains(t, report, `step 3 (recv equal to routeguide.RouteNote {"message":"b"}): received message does not match`)
	assert.Contains(t, report, `received message does not match: message: want "b", got "c"`)
	assert.Regexp(t, `-\s+"message":\s+"b",`, report)
	assert.Regexp(t, `\+\s+"message":\s+"c",`, report)
	assert.ErrorIs(t, m.Verify(), expect.ErrScript)
}

func TestBidiExtraMessage(t *testing.T) {
	ft := &fakeT{}
	m := expect.New(ft)
	m.Bidi(routeChat).Recv(note("a"))
	client, finish := serve(t, m, ft)
	stream, err := client.RouteChat(ctx(t))
	require.NoError(t, err)
	require.NoError(t, stream.Send(note("a")))
	require.NoError(t, stream.Send(note("extra")))
	_, err = stream.Recv()
	assert.Equal(t, expect.NoMatchCode, status.Code(err))
	assert.Contains(t, finish(), `the client sent routeguide.RouteNote {"message":"extra"} after the script's last step`)
}

func TestBidiRun(t *testing.T) {
	m := expect.New(t)
	m.Bidi(routeChat).Run(func(c *mockserver.Call) error {
		for {
			msg, err := c.Recv()
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return err
			}
			if err := c.Send(note("echo " + msg.(*pb.RouteNote).Message)); err != nil {
				return err
			}
		}
	})
	client := pb.NewRouteGuideClient(mockserver.Start(t, m).ClientConn())
	stream, err := client.RouteChat(ctx(t))
	require.NoError(t, err)
	require.NoError(t, stream.Send(note("z")))
	require.NoError(t, stream.CloseSend())
	msgs, err := recvAll[*pb.RouteNote](stream)
	require.NoError(t, err)
	require.Len(t, msgs, 1)
	assert.Equal(t, "echo z", msgs[0].Message)
}

func TestUnmetIsReported(t *testing.T) {
	ft := &fakeT{}
	m := expect.New(ft)
	m.Unary(getFeature).Times(2).Return(&pb.Feature{})
	m.Unary(getFeature).Optional().Return(&pb.Feature{})
	client, finish := serve(t, m, ft)
	_, err := client.GetFeature(ctx(t), &pb.Point{})
	require.NoError(t, err)
	report := finish()
	assert.Contains(t, report, "expectation 1 (unary /routeguide.RouteGuide/GetFeature, declared at expect_test.go:")
	assert.Contains(t, report, "was called 1 time(s), want exactly 2")
	assert.NotContains(t, report, "expectation 2")
}

func TestConcurrentCalls(t *testing.T) {
	m := expect.New(t)
	m.Unary(getFeature).Times(50).ReturnFunc(func(_ context.Context, req proto.Message) (proto.Message, error) {
		return &pb.Feature{Name: fmt.Sprint(req.(*pb.Point).Latitude)}, nil
	})
	client := pb.NewRouteGuideClient(mockserver.Start(t, m).ClientConn())
	var wg sync.WaitGroup
	errs := make(chan error, 50)
	for i := range 50 {
		wg.Go(func() {
			got, err := client.GetFeature(ctx(t), &pb.Point{Latitude: int32(i)})
			if err == nil && got.Name != fmt.Sprint(i) {
				err = errors.New("mixed up: " + got.Name)
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
}

// Explain answers as a call would, InOrder included.
func TestExplainInOrder(t *testing.T) {
	m := expect.NewMock(expect.InOrder())
	m.Unary(getFeature).WithRequest(&pb.Point{Latitude: 1}).Return(&pb.Feature{Name: "1"})
	m.Unary(getFeature).WithRequest(&pb.Point{Latitude: 2}).Return(&pb.Feature{Name: "2"})
	x, err := m.Explain(getFeature, []byte(`{"latitude": 2}`), nil)
	require.NoError(t, err)
	assert.Empty(t, x.Match)
	assert.Contains(t, x.String(), "InOrder")
	x, err = m.Explain(getFeature, []byte(`{"latitude": 1}`), nil)
	require.NoError(t, err)
	assert.Equal(t, "1", x.Match)
}

// DiscardCalls keeps no call for Calls, yet counts every call against its
// expectation, as a long-running server needs.
func TestDiscardCalls(t *testing.T) {
	ft := &fakeT{}
	m := expect.New(ft, expect.DiscardCalls())
	e := m.Unary(getFeature).Times(2).Return(&pb.Feature{Name: "ok"})
	client, finish := serve(t, m, ft)
	for range 2 {
		got, err := client.GetFeature(ctx(t), &pb.Point{Latitude: 1})
		require.NoError(t, err)
		assert.Equal(t, "ok", got.GetName())
	}
	assert.Empty(t, e.Calls())
	assert.Empty(t, finish(), "both calls counted: Times(2) is met")
}

// With DiscardCalls, calls nothing matched are kept only up to a bound.
func TestDiscardCallsBoundsMisses(t *testing.T) {
	m := expect.NewMock(expect.DiscardCalls())
	m.Unary(getFeature).WithRequest(&pb.Point{Latitude: 1}).AnyTimes().Return(&pb.Feature{})
	client := pb.NewRouteGuideClient(mockserver.Start(t, m).ClientConn())
	const calls = 2100
	for i := range calls {
		_, err := client.GetFeature(ctx(t), &pb.Point{Latitude: int32(i + 2)})
		require.Equal(t, expect.NoMatchCode, status.Code(err))
	}
	misses := m.Unexpected()
	assert.GreaterOrEqual(t, len(misses), 1000)
	assert.Less(t, len(misses), 2000)
	last := misses[len(misses)-1]
	require.Len(t, last.Messages, 1)
	assert.Equal(t, int32(calls+1), last.Messages[0].(*pb.Point).GetLatitude(), "the newest miss is kept")
}
