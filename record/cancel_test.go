package record_test

import (
	"context"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/grpcdouble/grpcdouble/cassette"
	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
	"github.com/grpcdouble/grpcdouble/mockserver"
	"github.com/grpcdouble/grpcdouble/record"
)

// waitTimeout bounds each wait for what the upstream saw.
const waitTimeout = 10 * time.Second

// clientDeadline is the deadline the deadline cases give their calls: long
// enough for the call to reach the upstream on a loaded machine.
const clientDeadline = 2 * time.Second

// upstreamSaw is what a watcher handler observed of one call.
type upstreamSaw struct {
	deadline    time.Time
	hasDeadline bool
	first       string // the first client message (streams), or the request's latitude (unary)
}

// watcher is a real routeguide implementation whose handlers report that
// they started (and the deadline they saw), then block until their context
// ends and report why.
type watcher struct {
	pb.UnimplementedRouteGuideServer
	entered chan upstreamSaw
	ended   chan error
}

func newWatcher() *watcher {
	return &watcher{entered: make(chan upstreamSaw, 1), ended: make(chan error, 1)}
}

func (w *watcher) wait(ctx context.Context, first string) error {
	dl, ok := ctx.Deadline()
	w.entered <- upstreamSaw{deadline: dl, hasDeadline: ok, first: first}
	<-ctx.Done()
	w.ended <- ctx.Err()
	return status.FromContextError(ctx.Err()).Err()
}

func (w *watcher) GetFeature(ctx context.Context, p *pb.Point) (*pb.Feature, error) {
	return nil, w.wait(ctx, p.String())
}

func (w *watcher) ListFeatures(r *pb.Rectangle, s pb.RouteGuide_ListFeaturesServer) error {
	if err := s.Send(&pb.Feature{Name: "first"}); err != nil {
		return err
	}
	return w.wait(s.Context(), r.String())
}

func (w *watcher) RouteChat(s pb.RouteGuide_RouteChatServer) error {
	n, err := s.Recv()
	if err != nil {
		return err
	}
	if err := s.Send(&pb.RouteNote{Message: "re:" + n.Message}); err != nil {
		return err
	}
	return w.wait(s.Context(), n.Message)
}

// startWatcher serves w on loopback TCP and returns a connection to it.
func startWatcher(t *testing.T, w *watcher) *grpc.ClientConn {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	s := grpc.NewServer()
	pb.RegisterRouteGuideServer(s, w)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = s.Serve(lis)
	}()
	cc, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	t.Cleanup(func() {
		_ = cc.Close()
		s.Stop()
		<-done
	})
	return cc
}

// proxyCall runs one call through the recording proxy.
type proxyCall struct {
	name  string
	first string
	// start begins the call with ctx and returns once the upstream may be
	// reached; finish waits for the call's end and returns its error.
	start func(ctx context.Context, c pb.RouteGuideClient) (finish func() error, err error)
}

var proxyCalls = []proxyCall{
	{"unary", (&pb.Point{Latitude: 7}).String(), func(ctx context.Context, c pb.RouteGuideClient) (func() error, error) {
		errc := make(chan error, 1)
		go func() {
			_, err := c.GetFeature(ctx, &pb.Point{Latitude: 7})
			errc <- err
		}()
		return func() error { return <-errc }, nil
	}},
	{"server-stream", (&pb.Rectangle{Lo: &pb.Point{Latitude: 3}}).String(), func(ctx context.Context, c pb.RouteGuideClient) (func() error, error) {
		s, err := c.ListFeatures(ctx, &pb.Rectangle{Lo: &pb.Point{Latitude: 3}})
		if err != nil {
			return nil, err
		}
		if f, err := s.Recv(); err != nil || f.Name != "first" {
			return nil, status.Errorf(codes.Internal, "first feature: %v, %v", f, err)
		}
		return func() error { _, err := s.Recv(); return err }, nil
	}},
	{"bidi", "hi", func(ctx context.Context, c pb.RouteGuideClient) (func() error, error) {
		s, err := c.RouteChat(ctx)
		if err != nil {
			return nil, err
		}
		if err := s.Send(&pb.RouteNote{Message: "hi"}); err != nil {
			return nil, err
		}
		if n, err := s.Recv(); err != nil || n.Message != "re:hi" {
			return nil, status.Errorf(codes.Internal, "reply: %v, %v", n, err)
		}
		return func() error { _, err := s.Recv(); return err }, nil
	}},
}

// recordingProxy starts a recording proxy to a fresh watcher and returns
// the watcher, a client of the proxy, and a func that stops the proxy
// (letting its handler finish) and loads the cassette.
func recordingProxy(t *testing.T) (*watcher, pb.RouteGuideClient, func() *cassette.Cassette, *mockserver.Server) {
	t.Helper()
	w := newWatcher()
	upstream := startWatcher(t, w)
	path := filepath.Join(t.TempDir(), "cancel.cassette")
	rec, err := record.Create(path, record.WithWriterOptions(cassette.NoSync()))
	require.NoError(t, err)
	srv := mockserver.Start(t, rec.Proxy(upstream), mockserver.WithServices("routeguide.RouteGuide"))
	stop := func() *cassette.Cassette {
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		defer cancel()
		srv.GracefulStop(ctx)
		require.NoError(t, rec.Close())
		c, err := cassette.Load(path)
		require.NoError(t, err)
		return c
	}
	return w, pb.NewRouteGuideClient(srv.ClientConn()), stop, srv
}

func recv[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(waitTimeout):
		t.Fatalf("the upstream handler did not report %s within %v", what, waitTimeout)
		var zero T
		return zero
	}
}

// requireCancelRecorded checks the cassette holds the call, ended by the
// client with the given reason.
func requireCancelRecorded(t *testing.T, c *cassette.Cassette, reason string, code codes.Code) {
	t.Helper()
	require.Len(t, c.Interactions, 1)
	in := c.Interactions[0]
	var reasons []string
	for _, e := range in.Events {
		if e.Type == cassette.Cancel {
			reasons = append(reasons, e.Reason)
		}
	}
	require.Equal(t, []string{reason}, reasons, "%+v %+v", in.Events, in.Status)
	require.Equal(t, code, in.Status.Code)
}

// A client's cancel goes through the recording proxy to the upstream
// handler, for every kind of call.
func TestProxyCancelReachesUpstream(t *testing.T) {
	for _, pc := range proxyCalls {
		t.Run(pc.name, func(t *testing.T) {
			w, client, stop, _ := recordingProxy(t)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			finish, err := pc.start(ctx, client)
			require.NoError(t, err)

			saw := recv(t, w.entered, "its start")
			require.Equal(t, pc.first, saw.first)
			require.False(t, saw.hasDeadline, "the client set no deadline")
			cancel()
			require.ErrorIs(t, recv(t, w.ended, "its end"), context.Canceled)
			require.Equal(t, codes.Canceled, status.Code(finish()))
			requireCancelRecorded(t, stop(), "canceled", codes.Canceled)
		})
	}
}

// A client's deadline goes through the recording proxy: the upstream
// handler sees (about) the same deadline, and its context ends when it
// passes.
//
// On the wire a client's deadline and its cancel are the same reset
// (RST_STREAM CANCEL), and the deadline travels as a timeout re-anchored
// at each hop, so the proxy's copy ends later than the client's by the
// headers' transit time. The recorder tells a deadline by the reset coming
// within DeadlineSlack of the proxy's deadline; when the transit took
// longer (a machine so loaded that it took 100 ms), the reset can come
// earlier than that, and the reason is a matter of timing: the call is
// tried again, a few times, on a fresh proxy, until it is decidable.
func TestProxyDeadlineReachesUpstream(t *testing.T) {
	for _, pc := range proxyCalls {
		t.Run(pc.name, func(t *testing.T) {
			t.Parallel()
			for attempt := 1; ; attempt++ {
				lag, decided := proxyDeadlineOnce(t, pc)
				if decided {
					return
				}
				const attempts = 5
				if attempt == attempts {
					t.Skipf("in %d attempts the proxy's deadline always came %v or more after the client's (the last %v): the machine is too loaded to tell a deadline from a cancel", attempts, record.DeadlineSlack, lag)
				}
				t.Logf("attempt %d: the proxy's deadline came %v after the client's, more than the %v slack: trying again", attempt, lag, record.DeadlineSlack)
			}
		})
	}
}

// proxyDeadlineOnce makes one call with a deadline through a fresh
// recording proxy and checks it. It returns how much later than the
// client's the proxy's deadline was, and false (having checked what does
// not depend on it) when that was too late for the recorded reason to be
// decided.
func proxyDeadlineOnce(t *testing.T, pc proxyCall) (time.Duration, bool) {
	w, client, stop, srv := recordingProxy(t)
	ctx, cancel := context.WithTimeout(context.Background(), clientDeadline)
	defer cancel()
	want, _ := ctx.Deadline()
	finish, err := pc.start(ctx, client)
	require.NoError(t, err)

	saw := recv(t, w.entered, "its start")
	require.Equal(t, pc.first, saw.first)
	require.True(t, saw.hasDeadline, "the upstream saw no deadline")
	// The deadline travels as a timeout (grpc-timeout), re-anchored
	// at each hop, so it can only move later, by the transit time.
	require.WithinRange(t, saw.deadline, want.Add(-100*time.Millisecond), want.Add(clientDeadline/2))
	calls := srv.Calls()
	require.Len(t, calls, 1)
	require.True(t, calls[0].HasDeadline)
	lag := calls[0].Deadline.Sub(want)
	// Ended by its own deadline, or by the proxy's cancel when that
	// came first: both are the client's deadline passing.
	require.Error(t, recv(t, w.ended, "its end"))
	require.Equal(t, codes.DeadlineExceeded, status.Code(finish()))
	c := stop()
	if lag >= record.DeadlineSlack {
		require.Len(t, c.Interactions, 1)
		return lag, false
	}
	requireCancelRecorded(t, c, "deadline exceeded", codes.DeadlineExceeded)
	return lag, true
}
