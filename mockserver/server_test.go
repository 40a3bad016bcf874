package mockserver_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jhump/protoreflect/v2/grpcreflect"
	"github.com/stretchr/testify/require"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	refv1 "google.golang.org/grpc/reflection/grpc_reflection_v1"
	refv1alpha "google.golang.org/grpc/reflection/grpc_reflection_v1alpha"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/dynamicpb"

	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
	"github.com/grpcdouble/grpcdouble/internal/testcerts"
	"github.com/grpcdouble/grpcdouble/mockserver"
)

// startBoth serves routeguide (Go types) and echo (.proto files) at once.
func startBoth(t *testing.T, h mockserver.Handler, opts ...mockserver.Option) *mockserver.Server {
	t.Helper()
	opts = append([]mockserver.Option{
		mockserver.WithServices(routeGuide),
		mockserver.WithProtoFiles([]string{protoDir}, echoProto),
	}, opts...)
	return mockserver.Start(t, h, opts...)
}

func TestReflectionListsAndResolvesServices(t *testing.T) {
	srv := startBoth(t, kindHandler)
	conn := srv.ClientConn()
	clients := map[string]func(ctx context.Context) *grpcreflect.Client{
		"v1": func(ctx context.Context) *grpcreflect.Client {
			return grpcreflect.NewClientV1(ctx, refv1.NewServerReflectionClient(conn))
		},
		"v1alpha": func(ctx context.Context) *grpcreflect.Client {
			return grpcreflect.NewClientV1Alpha(ctx, refv1alpha.NewServerReflectionClient(conn))
		},
	}
	for name, newClient := range clients {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
			defer cancel()
			client := newClient(ctx)
			defer client.Reset()

			names, err := client.ListServices()
			require.NoError(t, err)
			var got []string
			for _, n := range names {
				got = append(got, string(n))
			}
			for _, want := range []string{echoService, routeGuide, "grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection"} {
				require.Contains(t, got, want)
			}

			fd, err := client.FileContainingSymbol(echoService)
			require.NoError(t, err)
			require.Equal(t, echoProto, fd.Path())
			sd := fd.Services().ByName("EchoService")
			require.NotNil(t, sd)
			require.Equal(t, 4, sd.Methods().Len())
			require.Equal(t, "echo.v1.Envelope", string(sd.Methods().ByName("Echo").Input().Fields().ByName("envelope").Message().FullName()))

			// A message of the second, imported file resolves too.
			fd, err = client.FileContainingSymbol("echo.v1.Envelope")
			require.NoError(t, err)
			require.Equal(t, "echo/v1/types.proto", fd.Path())

			fd, err = client.FileContainingSymbol(routeGuide)
			require.NoError(t, err)
			require.NotNil(t, fd.Services().ByName("RouteGuide"))
		})
	}
}

func TestHealthServing(t *testing.T) {
	srv := startBoth(t, kindHandler)
	ctx := testContext(t)
	health := healthpb.NewHealthClient(srv.ClientConn())
	for _, svc := range []string{"", echoService, routeGuide} {
		resp, err := health.Check(ctx, &healthpb.HealthCheckRequest{Service: svc})
		require.NoError(t, err, "service %q", svc)
		require.Equal(t, healthpb.HealthCheckResponse_SERVING, resp.GetStatus(), "service %q", svc)
	}
}

func TestWithoutReflectionAndHealth(t *testing.T) {
	srv := startBoth(t, kindHandler, mockserver.WithoutReflection(), mockserver.WithoutHealth())
	ctx := testContext(t)

	_, err := healthpb.NewHealthClient(srv.ClientConn()).Check(ctx, &healthpb.HealthCheckRequest{})
	require.Equal(t, codes.Unimplemented, status.Code(err), "%v", err)

	stream, err := refv1.NewServerReflectionClient(srv.ClientConn()).ServerReflectionInfo(ctx)
	require.NoError(t, err)
	// The server may end the stream before the request is written: then
	// Send says io.EOF and Recv has the status.
	if err := stream.Send(&refv1.ServerReflectionRequest{MessageRequest: &refv1.ServerReflectionRequest_ListServices{}}); err != nil {
		require.ErrorIs(t, err, io.EOF)
	}
	_, err = stream.Recv()
	require.Equal(t, codes.Unimplemented, status.Code(err), "%v", err)

	// The mocked services still answer.
	_, err = pb.NewRouteGuideClient(srv.ClientConn()).GetFeature(ctx, &pb.Point{})
	require.NoError(t, err)
}

func TestUnknownMethod(t *testing.T) {
	srv := startBoth(t, kindHandler)
	ctx := testContext(t)
	tests := []struct {
		method      string
		wantClosest string
	}{
		{"/routeguide.RouteGuide/GetFeatur", "/routeguide.RouteGuide/GetFeature"},
		{"/routeguide.RouteGuide/ListFeature", "/routeguide.RouteGuide/ListFeatures"},
		{"/echo.v1.EchoService/Echoo", "/echo.v1.EchoService/Echo"},
		{"/echo.v2.EchoService/Chat", "/echo.v1.EchoService/Chat"},
	}
	for _, tc := range tests {
		t.Run(tc.method, func(t *testing.T) {
			err := srv.ClientConn().Invoke(ctx, tc.method, &pb.Point{}, &pb.Feature{})
			st := status.Convert(err)
			require.Equal(t, codes.Unimplemented, st.Code(), "%v", err)
			require.Contains(t, st.Message(), "unknown method "+tc.method)
			require.Contains(t, st.Message(), "closest served methods: "+tc.wantClosest)

			_, err = srv.Method(tc.method)
			require.ErrorIs(t, err, mockserver.ErrUnknownMethod)
			require.ErrorContains(t, err, tc.method)
			require.ErrorContains(t, err, tc.wantClosest)
		})
	}
	calls := srv.Calls()
	require.Len(t, calls, len(tests))
	for i, c := range calls {
		require.Equal(t, tests[i].method, c.Method)
		require.Equal(t, codes.Unimplemented, c.Code())
		require.True(t, c.Done)
	}
}

// peerHandler answers GetFeature with the common name of the client's
// certificate as the server saw it ("" without mTLS).
var peerHandler = mockserver.HandlerFunc(func(c *mockserver.Call) error {
	if _, err := c.Recv(); err != nil {
		return err
	}
	name := "no client certificate"
	if p := c.Peer(); p != nil {
		if info, ok := p.AuthInfo.(credentials.TLSInfo); ok && len(info.State.PeerCertificates) > 0 {
			name = info.State.PeerCertificates[0].Subject.CommonName
		}
	}
	return c.Send(&pb.Feature{Name: name})
})

func TestTLS(t *testing.T) {
	certs, err := testcerts.New()
	require.NoError(t, err)
	for _, transport := range []string{"bufconn", "tcp"} {
		for _, mutual := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/mutual=%v", transport, mutual), func(t *testing.T) {
				opts := []mockserver.Option{
					mockserver.WithServices(routeGuide),
					mockserver.WithTLS(certs.ServerTLS(mutual)),
					mockserver.WithClientTLS(certs.ClientTLS(mutual)),
				}
				if transport == "tcp" {
					opts = append(opts, mockserver.WithTCP("127.0.0.1:0"))
				}
				srv := mockserver.Start(t, peerHandler, opts...)
				ctx := testContext(t)

				f, err := pb.NewRouteGuideClient(srv.ClientConn()).GetFeature(ctx, &pb.Point{})
				require.NoError(t, err)
				want := "no client certificate"
				if mutual {
					want = "grpcdouble test client"
				}
				require.Equal(t, want, f.GetName())

				refused := map[string]grpc.DialOption{
					"plaintext": grpc.WithTransportCredentials(insecure.NewCredentials()),
					"untrusted": grpc.WithTransportCredentials(credentials.NewTLS(&tls.Config{RootCAs: x509.NewCertPool(), ServerName: certs.ServerName, MinVersion: tls.VersionTLS12})),
				}
				if mutual {
					refused["no client certificate"] = grpc.WithTransportCredentials(credentials.NewTLS(certs.ClientTLS(false)))
				}
				for name, creds := range refused {
					conn, err := grpc.NewClient(srv.Target(), grpc.WithContextDialer(srv.Dialer()), creds)
					require.NoError(t, err)
					_, err = pb.NewRouteGuideClient(conn).GetFeature(ctx, &pb.Point{})
					require.Equal(t, codes.Unavailable, status.Code(err), "%s client: %v", name, err)
					require.NoError(t, conn.Close())
				}
				require.Len(t, srv.Calls(), 1, "refused clients reach no handler")
			})
		}
	}
}

// journalHandler plays one RouteChat exchange with every feature a journal
// records: headers sent, a ping-pong, trailers, and a failing status with
// details.
var journalHandler = mockserver.HandlerFunc(func(c *mockserver.Call) error {
	if err := c.SetHeader(metadata.Pairs("x-set", "early")); err != nil {
		return err
	}
	if err := c.SendHeader(metadata.Pairs("x-sent", "now")); err != nil {
		return err
	}
	for {
		m, err := c.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		note := m.(*pb.RouteNote)
		if err := c.Send(&pb.RouteNote{Message: "re: " + note.GetMessage()}); err != nil {
			return err
		}
	}
	c.SetTrailer(metadata.Pairs("x-trailer", "bye", "x-trailer-bin", string([]byte{0xff, 0x00})))
	st, err := status.New(codes.FailedPrecondition, "la route est fermée 🚧").WithDetails(
		&errdetails.ErrorInfo{Reason: "ROAD_CLOSED", Domain: "routeguide.example", Metadata: map[string]string{"road": "A1"}},
		&errdetails.BadRequest{FieldViolations: []*errdetails.BadRequest_FieldViolation{{Field: "location", Description: "off the map"}}},
	)
	if err != nil {
		return err
	}
	return st.Err()
})

func TestJournal(t *testing.T) {
	srv := mockserver.Start(t, journalHandler, mockserver.WithServices(routeGuide))
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	clientDeadline, _ := ctx.Deadline()
	binValue := string([]byte{0x00, 0x01, 0xfe, 0xff})
	ctx = metadata.AppendToOutgoingContext(ctx, "x-user", "ada", "x-trace-bin", binValue, "x-multi", "1", "x-multi", "2")

	before := time.Now()
	stream, err := pb.NewRouteGuideClient(srv.ClientConn()).RouteChat(ctx)
	require.NoError(t, err)
	notes := []string{"one", "deux", "три"}
	for _, n := range notes {
		require.NoError(t, stream.Send(&pb.RouteNote{Message: n, Location: &pb.Point{Latitude: 1}}))
		got, err := stream.Recv()
		require.NoError(t, err)
		require.Equal(t, "re: "+n, got.GetMessage())
	}
	require.NoError(t, stream.CloseSend())
	_, err = stream.Recv()

	// What the client saw.
	st := status.Convert(err)
	require.Equal(t, codes.FailedPrecondition, st.Code())
	require.Equal(t, "la route est fermée 🚧", st.Message())
	wantDetails := []proto.Message{
		&errdetails.ErrorInfo{Reason: "ROAD_CLOSED", Domain: "routeguide.example", Metadata: map[string]string{"road": "A1"}},
		&errdetails.BadRequest{FieldViolations: []*errdetails.BadRequest_FieldViolation{{Field: "location", Description: "off the map"}}},
	}
	details := st.Details()
	require.Len(t, details, 2)
	for i, d := range details {
		requireProto(t, wantDetails[i], d.(proto.Message))
	}
	header, err := stream.Header()
	require.NoError(t, err)
	require.Equal(t, []string{"early"}, header.Get("x-set"))
	require.Equal(t, []string{"now"}, header.Get("x-sent"))
	require.Equal(t, []string{"bye"}, stream.Trailer().Get("x-trailer"))
	require.Equal(t, []string{string([]byte{0xff, 0x00})}, stream.Trailer().Get("x-trailer-bin"))

	// What the journal kept.
	calls := srv.CallsTo("routeguide.RouteGuide/RouteChat")
	require.Len(t, calls, 1)
	c := calls[0]
	require.Equal(t, "/routeguide.RouteGuide/RouteChat", c.Method)
	require.Equal(t, mockserver.BidiStream, c.Kind)
	require.True(t, c.Done)
	require.Equal(t, []string{"ada"}, c.Metadata.Get("x-user"))
	require.Equal(t, []string{binValue}, c.Metadata.Get("x-trace-bin"), "-bin values are kept decoded")
	require.Equal(t, []string{"1", "2"}, c.Metadata.Get("x-multi"))
	require.NotEmpty(t, c.Peer)

	require.True(t, c.HasDeadline)
	require.WithinDuration(t, clientDeadline, c.Deadline, time.Second)
	require.False(t, c.Start.Before(before.Add(-time.Millisecond)))
	require.False(t, c.End.Before(c.Start))

	var order []string
	for _, e := range c.Events {
		order = append(order, e.Type.String())
		require.False(t, e.Time.Before(c.Start), "event %s before the call started", e.Type)
	}
	require.Equal(t, []string{"header", "recv", "send", "recv", "send", "recv", "send", "half-close"}, order)
	require.Equal(t, []string{"early"}, c.Events[0].Metadata.Get("x-set"))
	for i, n := range notes {
		requireProto(t, &pb.RouteNote{Message: n, Location: &pb.Point{Latitude: 1}}, c.Received()[i])
		requireProto(t, &pb.RouteNote{Message: "re: " + n}, c.Sent()[i])
	}
	require.Equal(t, []string{"early"}, c.Header.Get("x-set"))
	require.Equal(t, []string{"now"}, c.Header.Get("x-sent"))
	require.Equal(t, []string{"bye"}, c.Trailer.Get("x-trailer"))

	require.Equal(t, codes.FailedPrecondition, c.Code())
	require.Equal(t, "la route est fermée 🚧", c.Status.Message())
	journalDetails := c.Status.Details()
	require.Len(t, journalDetails, 2)
	for i, d := range journalDetails {
		requireProto(t, wantDetails[i], d.(proto.Message))
	}
	got := &errdetails.ErrorInfo{}
	require.NoError(t, c.Status.Proto().GetDetails()[0].UnmarshalTo(got))
	requireProto(t, wantDetails[0], got)

	// Snapshots are copies: changing one changes nothing in the journal.
	c.Metadata.Set("x-user", "mallory")
	require.Equal(t, []string{"ada"}, srv.Calls()[0].Metadata.Get("x-user"))

	srv.ResetJournal()
	require.Empty(t, srv.Calls())
}

func TestJournalUnaryRecordsRequestOnce(t *testing.T) {
	srv := mockserver.Start(t, kindHandler, mockserver.WithServices(routeGuide))
	// No deadline on purpose: the journal must say there was none.
	_, err := pb.NewRouteGuideClient(srv.ClientConn()).GetFeature(context.Background(), &pb.Point{Latitude: 7})
	require.NoError(t, err)
	c := srv.Calls()[0]
	require.Len(t, c.Events, 2, "one recv, one send")
	require.Equal(t, mockserver.EventRecv, c.Events[0].Type)
	require.Equal(t, mockserver.EventSend, c.Events[1].Type)
	require.False(t, c.HasDeadline)
	require.True(t, c.Deadline.IsZero())
}

func TestJournalWhileCallsRun(t *testing.T) {
	entered := make(chan struct{})
	release := make(chan struct{})
	h := mockserver.HandlerFunc(func(c *mockserver.Call) error {
		for i := 0; ; i++ {
			m, err := c.Recv()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return err
			}
			note := m.(*pb.RouteNote)
			if note.GetMessage() == "block" {
				entered <- struct{}{}
				select {
				case <-release:
				case <-c.Context().Done():
					return c.Context().Err()
				}
			}
			if err := c.Send(&pb.RouteNote{Message: note.GetMessage()}); err != nil {
				return err
			}
		}
	})
	srv := mockserver.Start(t, h, mockserver.WithServices(routeGuide))
	ctx := testContext(t)
	client := pb.NewRouteGuideClient(srv.ClientConn())

	// A snapshot of a running call: not done, no status, what arrived so far.
	blocked, err := client.RouteChat(ctx)
	require.NoError(t, err)
	require.NoError(t, blocked.Send(&pb.RouteNote{Message: "block"}))
	waitFor(t, entered, "the handler to receive")
	running := srv.Calls()
	require.Len(t, running, 1)
	require.False(t, running[0].Done)
	require.Nil(t, running[0].Status)
	require.Len(t, running[0].Received(), 1)
	require.Empty(t, running[0].Sent())
	close(release)
	_, err = blocked.Recv()
	require.NoError(t, err)
	require.NoError(t, blocked.CloseSend())
	_, err = blocked.Recv()
	require.ErrorIs(t, err, io.EOF)

	// Many streams at once while another goroutine reads the journal.
	stop := make(chan struct{})
	reads := make(chan int)
	go func() {
		n := 0
		for {
			select {
			case <-stop:
				reads <- n
				return
			default:
			}
			for _, c := range srv.Calls() {
				_ = c.Received()
				_ = c.Metadata.Get("x-stream")
				_ = c.Code()
			}
			n++
		}
	}()
	const streams, messages = 8, 25
	var wg sync.WaitGroup
	errs := make(chan error, streams)
	for s := 0; s < streams; s++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sctx := metadata.AppendToOutgoingContext(ctx, "x-stream", fmt.Sprint(s))
			stream, err := client.RouteChat(sctx)
			if err != nil {
				errs <- err
				return
			}
			for i := 0; i < messages; i++ {
				msg := fmt.Sprintf("%d-%d", s, i)
				if err := stream.Send(&pb.RouteNote{Message: msg}); err != nil {
					errs <- err
					return
				}
				got, err := stream.Recv()
				if err != nil {
					errs <- err
					return
				}
				if got.GetMessage() != msg {
					errs <- fmt.Errorf("stream %d got %q, want %q", s, got.GetMessage(), msg)
					return
				}
			}
			if err := stream.CloseSend(); err != nil {
				errs <- err
				return
			}
			if _, err := stream.Recv(); !errors.Is(err, io.EOF) {
				errs <- fmt.Errorf("stream %d: want EOF, got %v", s, err)
			}
		}()
	}
	wg.Wait()
	close(stop)
	require.Positive(t, waitFor(t, reads, "the journal reader"))
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}

	calls := srv.Calls()
	require.Len(t, calls, streams+1)
	for _, c := range calls[1:] {
		require.True(t, c.Done)
		s := c.Metadata.Get("x-stream")
		require.Len(t, s, 1)
		require.Len(t, c.Received(), messages)
		for i, m := range c.Received() {
			want := fmt.Sprintf("%s-%d", s[0], i)
			require.Equal(t, want, m.(*pb.RouteNote).GetMessage(), "received in order")
			require.Equal(t, want, c.Sent()[i].(*pb.RouteNote).GetMessage(), "sent in order")
		}
	}
}

func TestJournalLimitAndWithoutJournal(t *testing.T) {
	limited := mockserver.Start(t, kindHandler, mockserver.WithServices(routeGuide), mockserver.WithJournalLimit(2))
	none := mockserver.Start(t, kindHandler, mockserver.WithServices(routeGuide), mockserver.WithoutJournal())
	ctx := testContext(t)
	for i := int32(0); i < 5; i++ {
		for _, srv := range []*mockserver.Server{limited, none} {
			_, err := pb.NewRouteGuideClient(srv.ClientConn()).GetFeature(ctx, &pb.Point{Latitude: i})
			require.NoError(t, err)
		}
	}
	calls := limited.Calls()
	require.Len(t, calls, 2)
	requireProto(t, &pb.Point{Latitude: 3}, calls[0].Received()[0])
	requireProto(t, &pb.Point{Latitude: 4}, calls[1].Received()[0])
	require.Empty(t, none.Calls())
}

func TestUnicodeStatusMessages(t *testing.T) {
	messages := []string{
		"plain ASCII",
		"accents: ça déménage, naïve, Ærø",
		"CJK: 見つかりません 找不到 찾을 수 없음",
		"emoji: 🚀🔥 👩🏽‍💻 🇫🇷",
		"right to left: שלום עולם مرحبا",
		"combining: e\u0301 a\u0308",
		"percent %41 %zz 100%",
		"line one\nline two\ttab",
		"",
	}
	h := mockserver.HandlerFunc(func(c *mockserver.Call) error {
		m, err := c.Recv()
		if err != nil {
			return err
		}
		return status.Error(codes.Aborted, messages[m.(*pb.Point).GetLatitude()])
	})
	srv := mockserver.Start(t, h, mockserver.WithServices(routeGuide))
	ctx := testContext(t)
	for i, msg := range messages {
		_, err := pb.NewRouteGuideClient(srv.ClientConn()).GetFeature(ctx, &pb.Point{Latitude: int32(i)})
		st := status.Convert(err)
		require.Equal(t, codes.Aborted, st.Code())
		require.Equal(t, msg, st.Message())
		require.Equal(t, msg, srv.Calls()[i].Status.Message())
	}
}

func TestHandlerErrorsBecomeStatuses(t *testing.T) {
	tests := []struct {
		name     string
		handle   func(c *mockserver.Call) error
		wantCode codes.Code
		wantMsg  string
	}{
		{"plain error", func(*mockserver.Call) error { return errors.New("boom") }, codes.Unknown, "boom"},
		{"wrapped status", func(*mockserver.Call) error {
			return fmt.Errorf("wrapped: %w", status.Error(codes.NotFound, "nope"))
		}, codes.NotFound, "nope"},
		{"context error", func(*mockserver.Call) error { return context.DeadlineExceeded }, codes.DeadlineExceeded, ""},
		{"no response", func(*mockserver.Call) error { return nil }, codes.Internal, "without a response"},
		{"panic", func(*mockserver.Call) error { panic("handler bug") }, codes.Internal, "handler bug"},
		{"wrong response type", func(c *mockserver.Call) error { return c.Send(&pb.Point{}) }, codes.Internal, "response is a routeguide.Point, want routeguide.Feature"},
		{"two responses", func(c *mockserver.Call) error {
			_ = c.Send(&pb.Feature{})
			return c.Send(&pb.Feature{})
		}, codes.Internal, "sends one response, not two"},
		{"nil response", func(c *mockserver.Call) error { return c.Send(nil) }, codes.Internal, "nil response"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := mockserver.Start(t, mockserver.HandlerFunc(tc.handle), mockserver.WithServices(routeGuide))
			_, err := pb.NewRouteGuideClient(srv.ClientConn()).GetFeature(testContext(t), &pb.Point{})
			require.Equal(t, tc.wantCode, status.Code(err), "%v", err)
			require.Contains(t, status.Convert(err).Message(), tc.wantMsg)
			require.Equal(t, tc.wantCode, srv.Calls()[0].Code())
		})
	}
}

func TestListenersAndDialing(t *testing.T) {
	ctx := testContext(t)
	call := func(t *testing.T, conn *grpc.ClientConn) {
		t.Helper()
		f, err := pb.NewRouteGuideClient(conn).GetFeature(ctx, &pb.Point{Latitude: 1})
		require.NoError(t, err)
		require.Equal(t, "GetFeature/0/1", f.GetName())
	}
	newClient := func(t *testing.T, target string, opts ...grpc.DialOption) *grpc.ClientConn {
		t.Helper()
		conn, err := grpc.NewClient(target, opts...)
		require.NoError(t, err)
		t.Cleanup(func() { _ = conn.Close() })
		return conn
	}
	insecureCreds := grpc.WithTransportCredentials(insecure.NewCredentials())

	t.Run("bufconn default", func(t *testing.T) {
		srv := mockserver.Start(t, kindHandler, mockserver.WithServices(routeGuide))
		require.Equal(t, "bufconn", srv.Addr())
		require.Equal(t, "passthrough:///bufconn", srv.Target())
		call(t, srv.ClientConn())
		require.Same(t, srv.ClientConn(), srv.ClientConn())
		call(t, newClient(t, srv.Target(), srv.DialOptions()...))
		call(t, newClient(t, srv.Target(), grpc.WithContextDialer(srv.Dialer()), insecureCreds))
	})
	t.Run("WithTCP", func(t *testing.T) {
		srv := mockserver.Start(t, kindHandler, mockserver.WithServices(routeGuide), mockserver.WithTCP("127.0.0.1:0"))
		host, port, err := net.SplitHostPort(srv.Addr())
		require.NoError(t, err)
		require.Equal(t, "127.0.0.1", host)
		require.NotEqual(t, "0", port)
		call(t, srv.ClientConn())
		// A client that knows nothing of mockserver: plain TCP by address.
		call(t, newClient(t, srv.Addr(), insecureCreds))
		call(t, newClient(t, srv.Target(), srv.DialOptions()...))
	})
	t.Run("WithListener/tcp", func(t *testing.T) {
		lis, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		srv := mockserver.Start(t, kindHandler, mockserver.WithServices(routeGuide), mockserver.WithListener(lis))
		require.Equal(t, lis.Addr().String(), srv.Addr())
		call(t, srv.ClientConn())
		call(t, newClient(t, lis.Addr().String(), insecureCreds))
	})
	t.Run("WithListener/bufconn", func(t *testing.T) {
		lis := bufconn.Listen(64 << 10)
		srv := mockserver.Start(t, kindHandler, mockserver.WithServices(routeGuide), mockserver.WithListener(lis))
		call(t, srv.ClientConn())
		call(t, newClient(t, "passthrough:///bufconn", insecureCreds,
			grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) })))
	})
	t.Run("WithBufferSize", func(t *testing.T) {
		srv := mockserver.Start(t, kindHandler, mockserver.WithServices(routeGuide), mockserver.WithBufferSize(4<<10))
		call(t, srv.ClientConn())
	})
	t.Run("WithDialOptions and WithServerOptions", func(t *testing.T) {
		var intercepted []string
		var mu sync.Mutex
		clientIC := func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
			mu.Lock()
			intercepted = append(intercepted, "client "+method)
			mu.Unlock()
			return invoker(ctx, method, req, reply, cc, opts...)
		}
		serverIC := func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
			mu.Lock()
			intercepted = append(intercepted, "server "+info.FullMethod)
			mu.Unlock()
			return handler(ctx, req)
		}
		srv := mockserver.Start(t, kindHandler, mockserver.WithServices(routeGuide),
			mockserver.WithDialOptions(grpc.WithUnaryInterceptor(clientIC)),
			mockserver.WithServerOptions(grpc.UnaryInterceptor(serverIC)))
		call(t, srv.ClientConn())
		mu.Lock()
		defer mu.Unlock()
		require.Equal(t, []string{"client /routeguide.RouteGuide/GetFeature", "server /routeguide.RouteGuide/GetFeature"}, intercepted)
	})
}

func TestPeerAndDeadlineSeenByHandler(t *testing.T) {
	type seen struct {
		peer        *peer.Peer
		deadline    time.Time
		hasDeadline bool
		md          metadata.MD
	}
	got := make(chan seen, 1)
	h := mockserver.HandlerFunc(func(c *mockserver.Call) error {
		d, ok := c.Deadline()
		got <- seen{c.Peer(), d, ok, c.Metadata()}
		if _, err := c.Recv(); err != nil {
			return err
		}
		return c.Send(&pb.Feature{})
	})
	srv := mockserver.Start(t, h, mockserver.WithServices(routeGuide))
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	want, _ := ctx.Deadline()
	_, err := pb.NewRouteGuideClient(srv.ClientConn()).GetFeature(metadata.AppendToOutgoingContext(ctx, "k", "v"), &pb.Point{})
	require.NoError(t, err)
	s := waitFor(t, got, "the handler")
	require.NotNil(t, s.peer)
	require.True(t, s.hasDeadline)
	require.WithinDuration(t, want, s.deadline, time.Second)
	require.Equal(t, []string{"v"}, s.md.Get("k"))
}

func TestCloseIsIdempotent(t *testing.T) {
	entered := make(chan struct{})
	h := mockserver.HandlerFunc(func(c *mockserver.Call) error {
		close(entered)
		<-c.Context().Done() // Close cancels running calls
		return c.Context().Err()
	})
	srv, err := mockserver.New(h, mockserver.WithServices(routeGuide))
	require.NoError(t, err)
	conn := srv.ClientConn()
	callErr := make(chan error, 1)
	go func() {
		_, err := pb.NewRouteGuideClient(conn).GetFeature(context.Background(), &pb.Point{})
		callErr <- err
	}()
	waitFor(t, entered, "the handler to start")
	require.NoError(t, srv.Close())
	require.NoError(t, srv.Close())
	err = waitFor(t, callErr, "the call to fail")
	requireStopped(t, err)

	// After Close, the connection is closed and the journal still readable.
	_, err = pb.NewRouteGuideClient(srv.ClientConn()).GetFeature(testContext(t), &pb.Point{})
	require.Equal(t, codes.Canceled, status.Code(err), "%v", err)
	calls := srv.Calls()
	require.Len(t, calls, 1)
	require.True(t, calls[0].Done)
	srv.GracefulStop(testContext(t)) // a no-op after Close
}

// ClientConn comes back connected, so a first call's short deadline is not
// spent on the handshake.
func TestClientConnComesBackReady(t *testing.T) {
	srv := mockserver.Start(t, kindHandler, mockserver.WithServices(routeGuide))
	require.Equal(t, connectivity.Ready, srv.ClientConn().GetState())
}

func TestClientConnMadeAfterClose(t *testing.T) {
	srv, err := mockserver.New(kindHandler, mockserver.WithServices(routeGuide))
	require.NoError(t, err)
	require.NoError(t, srv.Close())
	_, err = pb.NewRouteGuideClient(srv.ClientConn()).GetFeature(testContext(t), &pb.Point{})
	require.Equal(t, codes.Canceled, status.Code(err), "%v", err)
}

func TestGracefulStop(t *testing.T) {
	t.Run("waits for running calls", func(t *testing.T) {
		entered := make(chan struct{})
		release := make(chan struct{})
		h := mockserver.HandlerFunc(func(c *mockserver.Call) error {
			if _, err := c.Recv(); err != nil {
				return err
			}
			close(entered)
			<-release
			return c.Send(&pb.Feature{Name: "finished"})
		})
		srv := mockserver.Start(t, h, mockserver.WithServices(routeGuide))
		ctx := testContext(t)
		type result struct {
			f   *pb.Feature
			err error
		}
		res := make(chan result, 1)
		go func() {
			f, err := pb.NewRouteGuideClient(srv.ClientConn()).GetFeature(ctx, &pb.Point{})
			res <- result{f, err}
		}()
		waitFor(t, entered, "the handler to start")
		stopped := make(chan struct{})
		go func() {
			srv.GracefulStop(ctx)
			close(stopped)
		}()
		select {
		case <-stopped:
			t.Fatal("GracefulStop returned while a call was running")
		default:
		}
		close(release)
		r := waitFor(t, res, "the call")
		require.NoError(t, r.err)
		require.Equal(t, "finished", r.f.GetName())
		waitFor(t, stopped, "GracefulStop")
		require.NoError(t, srv.Close(), "Close after GracefulStop")
		require.Equal(t, codes.OK, srv.Calls()[0].Code())
	})
	t.Run("stops hard when ctx ends", func(t *testing.T) {
		entered := make(chan struct{})
		h := mockserver.HandlerFunc(func(c *mockserver.Call) error {
			close(entered)
			<-c.Context().Done()
			return c.Context().Err()
		})
		srv := mockserver.Start(t, h, mockserver.WithServices(routeGuide))
		callErr := make(chan error, 1)
		go func() {
			_, err := pb.NewRouteGuideClient(srv.ClientConn()).GetFeature(context.Background(), &pb.Point{})
			callErr <- err
		}()
		waitFor(t, entered, "the handler to start")
		expired, cancel := context.WithCancel(context.Background())
		cancel()
		srv.GracefulStop(expired)
		err := waitFor(t, callErr, "the call to fail")
		requireStopped(t, err)
		require.True(t, srv.Calls()[0].Done)
	})
}

// dynamicEcho is a small check that Send refuses a dynamic message of the
// wrong type with a clear status, as it does for generated ones.
func TestDynamicWrongResponseType(t *testing.T) {
	h := mockserver.HandlerFunc(func(c *mockserver.Call) error {
		req, err := c.Recv()
		if err != nil {
			return err
		}
		return c.Send(req) // an EchoRequest where an EchoResponse is due
	})
	srv := mockserver.Start(t, h, mockserver.WithProtoset(echoProtoset))
	md, err := srv.Method("echo.v1.EchoService/Echo")
	require.NoError(t, err)
	err = srv.ClientConn().Invoke(testContext(t), "/echo.v1.EchoService/Echo", dynamicpb.NewMessage(md.Input()), dynamicpb.NewMessage(md.Output()))
	require.Equal(t, codes.Internal, status.Code(err))
	require.ErrorContains(t, err, "response is a echo.v1.EchoRequest, want echo.v1.EchoResponse")
	require.True(t, slices.ContainsFunc(srv.Calls(), func(c mockserver.CallRecord) bool { return c.Code() == codes.Internal }))
}

// requireStopped checks the status a client gets for a call the server was
// running when it stopped.
func requireStopped(t *testing.T, err error) {
	t.Helper()
	require.Equal(t, codes.Unavailable, status.Code(err), "%v", err)
	require.ErrorContains(t, err, "mockserver: the server stopped while the call ran")
}

// Call.Metadata is each caller's own copy: a handler that changes the map it
// got changes neither a later Metadata nor the journal.
func TestMetadataIsTheCallersCopy(t *testing.T) {
	second := make(chan metadata.MD, 1)
	h := mockserver.HandlerFunc(func(c *mockserver.Call) error {
		md := c.Metadata()
		md.Set("k", "changed")
		md.Set("added", "x")
		second <- c.Metadata()
		if _, err := c.Recv(); err != nil {
			return err
		}
		return c.Send(&pb.Feature{})
	})
	for _, journal := range []bool{true, false} {
		t.Run(fmt.Sprintf("journal=%v", journal), func(t *testing.T) {
			opts := []mockserver.Option{mockserver.WithServices(routeGuide)}
			if !journal {
				opts = append(opts, mockserver.WithoutJournal())
			}
			srv := mockserver.Start(t, h, opts...)
			ctx := metadata.AppendToOutgoingContext(testContext(t), "k", "v")
			_, err := pb.NewRouteGuideClient(srv.ClientConn()).GetFeature(ctx, &pb.Point{})
			require.NoError(t, err)
			md := waitFor(t, second, "the handler")
			require.Equal(t, []string{"v"}, md.Get("k"))
			require.Empty(t, md.Get("added"))
			if journal {
				calls := srv.Calls()
				require.Len(t, calls, 1)
				require.Equal(t, []string{"v"}, calls[0].Metadata.Get("k"))
				require.Empty(t, calls[0].Metadata.Get("added"))
			}
		})
	}
}

// A handler that never asks for its context still ends with the server:
// Close with nothing running stops at once, and one with a call in flight
// drains it, whether or not its handler asked for the context.
func TestCloseWithAndWithoutRunningCalls(t *testing.T) {
	t.Run("idle", func(t *testing.T) {
		srv, err := mockserver.New(kindHandler, mockserver.WithServices(routeGuide))
		require.NoError(t, err)
		t.Cleanup(func() { _ = srv.Close() }) // if the test stops before its own Close
		_, err = pb.NewRouteGuideClient(srv.ClientConn()).GetFeature(testContext(t), &pb.Point{})
		require.NoError(t, err)
		require.NoError(t, srv.Close())
		_, err = pb.NewRouteGuideClient(srv.ClientConn()).GetFeature(testContext(t), &pb.Point{})
		require.Error(t, err)
		require.Len(t, srv.Calls(), 1, "the journal outlives Close")
	})
	t.Run("running, context never asked for", func(t *testing.T) {
		entered, release := make(chan struct{}), make(chan struct{})
		h := mockserver.HandlerFunc(func(c *mockserver.Call) error {
			if _, err := c.Recv(); err != nil {
				return err
			}
			close(entered)
			<-release
			return c.Send(&pb.Feature{Name: "finished"})
		})
		srv, err := mockserver.New(h, mockserver.WithServices(routeGuide))
		require.NoError(t, err)
		var releaseOnce sync.Once
		unblock := func() { releaseOnce.Do(func() { close(release) }) }
		// If the test stops early, the handler is let go and the server closed.
		t.Cleanup(func() { unblock(); _ = srv.Close() })
		ctx := testContext(t)
		got := make(chan error, 1)
		go func() {
			f, err := pb.NewRouteGuideClient(srv.ClientConn()).GetFeature(ctx, &pb.Point{})
			if err == nil && f.GetName() != "finished" {
				err = fmt.Errorf("got %v", f)
			}
			got <- err
		}()
		waitFor(t, entered, "the handler")
		closed := make(chan struct{})
		go func() { defer close(closed); _ = srv.Close() }()
		unblock() // the handler answers while Close drains
		waitFor(t, closed, "Close")
		require.NoError(t, waitFor(t, got, "the call"), "a call running at Close is drained, not cut")
	})
}

// Handlers run on a few long-lived goroutines rather than one new goroutine
// per call: a new goroutine starts with a small stack and grows it (copying
// it, more than once for a handler as deep as expect's) on every call, which
// profiles showed as the largest cost a unary call had beyond a generated
// server's work.
func TestHandlersReuseGoroutines(t *testing.T) {
	var mu sync.Mutex
	ids := map[string]int{}
	h := mockserver.HandlerFunc(func(c *mockserver.Call) error {
		buf := make([]byte, 64)
		buf = buf[:runtime.Stack(buf, false)]
		id, _, _ := strings.Cut(strings.TrimPrefix(string(buf), "goroutine "), " ")
		mu.Lock()
		ids[id]++
		mu.Unlock()
		if _, err := c.Recv(); err != nil {
			return err
		}
		return c.Send(&pb.Feature{})
	})
	srv := mockserver.Start(t, h, mockserver.WithServices(routeGuide))
	client := pb.NewRouteGuideClient(srv.ClientConn())
	const calls = 20
	for range calls {
		_, err := client.GetFeature(testContext(t), &pb.Point{})
		require.NoError(t, err)
	}
	mu.Lock()
	defer mu.Unlock()
	// One call after another: each finds a worker idle. A call that
	// arrives while every worker is still finishing its last one gets a
	// goroutine of its own, which a loaded machine makes happen now and
	// then, hence the slack; one goroutine per call would be 20.
	require.LessOrEqual(t, len(ids), calls/2, "goroutines that ran the handler: %v", ids)
}

// Wire hands a handler the bytes each message arrived as, which the journal
// keeps anyway, so a matcher can compare them with a wanted message's
// bytes rather than run proto.Equal.
func TestWireIsWhatArrived(t *testing.T) {
	type seen struct {
		wire, marshaled []byte
		stale           []byte // Wire of an earlier message
	}
	for _, journal := range []bool{true, false} {
		t.Run(fmt.Sprintf("journal=%v", journal), func(t *testing.T) {
			got := make(chan seen, 10)
			h := mockserver.HandlerFunc(func(c *mockserver.Call) error {
				var prev proto.Message
				for {
					msg, err := c.Recv()
					if err == io.EOF {
						break
					}
					if err != nil {
						return err
					}
					b, err := proto.Marshal(msg)
					if err != nil {
						return err
					}
					s := seen{wire: c.Wire(msg), marshaled: b}
					if prev != nil {
						s.stale = c.Wire(prev)
					}
					got <- s
					prev = msg
					if c.Kind() == mockserver.Unary {
						return c.Send(&pb.Feature{})
					}
				}
				return c.Send(&pb.RouteSummary{})
			})
			var opts []mockserver.Option
			if !journal {
				opts = append(opts, mockserver.WithoutJournal())
			}
			srv := mockserver.Start(t, h, append(opts, mockserver.WithServices(routeGuide))...)
			client := pb.NewRouteGuideClient(srv.ClientConn())
			_, err := client.GetFeature(testContext(t), &pb.Point{Latitude: 7, Longitude: -3})
			require.NoError(t, err)
			stream, err := client.RecordRoute(testContext(t))
			require.NoError(t, err)
			for i := range 3 {
				require.NoError(t, stream.Send(&pb.Point{Latitude: int32(i + 1)}))
			}
			_, err = stream.CloseAndRecv()
			require.NoError(t, err)
			for i := range 4 {
				s := waitFor(t, got, "a message")
				if !journal {
					require.Nil(t, s.wire, "message %d: no journal, no bytes kept", i)
					continue
				}
				require.Equal(t, s.marshaled, s.wire, "message %d", i)
				require.Nil(t, s.stale, "message %d: Wire of a message not the last one", i)
			}
		})
	}
}
