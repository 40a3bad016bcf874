package expect_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"

	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
	"github.com/grpcdouble/grpcdouble/expect"
	"github.com/grpcdouble/grpcdouble/mockserver"
)

// Closing a server with calls in flight (kept-open streams, hour-long
// delays, a handler blocked in a func) ends every handler; each client gets a
// status, not a hang; no goroutine is left.
func TestCloseEndsCallsInFlight(t *testing.T) {
	started := make(chan struct{}, 1)
	m := expect.New(t)
	m.ServerStream(listFeatures).Send(&pb.Feature{Name: "a"}).KeepOpen()
	m.Bidi(routeChat).Send(note("hello")).KeepOpen()
	m.ClientStream(recordRoute).ReturnHeader("x-started", "1").SendHeaderAtStart().
		Delay(time.Hour).Return(&pb.RouteSummary{})
	m.Unary(getFeature).WithRequest(&pb.Point{Latitude: 1}).
		ReturnFunc(func(ctx context.Context, _ proto.Message) (proto.Message, error) {
			started <- struct{}{}
			<-ctx.Done()
			return nil, ctx.Err()
		})
	srv, err := mockserver.New(m)
	require.NoError(t, err)
	client := pb.NewRouteGuideClient(srv.ClientConn())
	c := ctx(t)

	// Start every call and see each handler running.
	ls, err := client.ListFeatures(c, &pb.Rectangle{})
	require.NoError(t, err)
	_, err = ls.Recv()
	require.NoError(t, err)
	bs, err := client.RouteChat(c)
	require.NoError(t, err)
	_, err = bs.Recv()
	require.NoError(t, err)
	rs, err := client.RecordRoute(c)
	require.NoError(t, err)
	require.NoError(t, rs.Send(&pb.Point{}))
	hdr, err := rs.Header()
	require.NoError(t, err)
	require.Equal(t, []string{"1"}, hdr.Get("x-started"))
	require.NoError(t, rs.CloseSend())
	unary := make(chan error, 1)
	go func() {
		_, err := client.GetFeature(c, &pb.Point{Latitude: 1})
		unary <- err
	}()
	waitFor(t, started, "the unary handler")

	closed := make(chan struct{})
	go func() {
		defer close(closed)
		_ = srv.Close()
	}()
	waitClosed(t, closed, "Close")

	const stopped = "mockserver: the server stopped while the call ran"
	_, err = ls.Recv()
	requireStatus(t, err, codes.Unavailable, stopped)
	_, err = bs.Recv()
	requireStatus(t, err, codes.Unavailable, stopped)
	_, err = rs.CloseAndRecv()
	requireStatus(t, err, codes.Unavailable, stopped)
	requireStatus(t, waitFor(t, unary, "the unary call"), codes.Unavailable, stopped)

	// Every handler ended: the journal has a final status for each call.
	calls := srv.Calls()
	require.Len(t, calls, 4)
	for _, r := range calls {
		assert.True(t, r.Done, "%s still running", r.Method)
		assert.Equal(t, codes.Unavailable, r.Code(), "%s", r.Method)
	}
	goleak.VerifyNone(t)
}

// A client's cancel and deadline reach the handler: a Run func sees its
// context end, and the journal records the status.
func TestCancelAndDeadlineReachHandler(t *testing.T) {
	seen := make(chan error, 1)
	running := make(chan struct{}, 1)
	m := expect.New(t)
	m.ServerStream(listFeatures).Run(func(_ proto.Message, call *mockserver.Call) error {
		running <- struct{}{}
		<-call.Context().Done()
		seen <- call.Context().Err()
		return call.Context().Err()
	})
	m.Unary(getFeature).Delay(time.Hour).Return(&pb.Feature{})
	srv := mockserver.Start(t, m)
	client := pb.NewRouteGuideClient(srv.ClientConn())

	// Cancel.
	c, cancel := context.WithCancel(ctx(t))
	s, err := client.ListFeatures(c, &pb.Rectangle{})
	require.NoError(t, err)
	waitFor(t, running, "the stream's handler")
	cancel()
	_, err = s.Recv()
	requireStatus(t, err, codes.Canceled, "")
	assert.True(t, errors.Is(waitFor(t, seen, "the handler to see the cancel"), context.Canceled))

	// Deadline: the handler has it, and a delay longer than it trips.
	const deadline = 100 * time.Millisecond
	dc, dcancel := context.WithTimeout(ctx(t), deadline)
	defer dcancel()
	want, _ := dc.Deadline()
	_, err = client.GetFeature(dc, &pb.Point{}, grpc.WaitForReady(true))
	requireStatus(t, err, codes.DeadlineExceeded, "")
	// The server's own timer ends the handler, with no Close to help it.
	require.Eventually(t, func() bool {
		calls := srv.Calls()
		return len(calls) == 2 && calls[1].Done
	}, callTimeout, time.Millisecond, "the handler to see its deadline")

	require.NoError(t, srv.Close())
	calls := srv.Calls()
	require.Len(t, calls, 2)
	assert.Equal(t, codes.Canceled, calls[0].Code())
	got := calls[1]
	require.True(t, got.HasDeadline)
	assert.WithinDuration(t, want, got.Deadline, deadline/2)
	// The server's timer and the client's RST_STREAM race to end the call
	// first; either way the handler stopped waiting for its hour.
	assert.Contains(t, []codes.Code{codes.DeadlineExceeded, codes.Canceled}, got.Code())
	assert.Less(t, got.End.Sub(got.Start), callTimeout)
}

// waitFor receives from ch, failing after callTimeout.
func waitFor[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	timer := time.NewTimer(callTimeout)
	defer timer.Stop()
	select {
	case v := <-ch:
		return v
	case <-timer.C:
		t.Fatalf("timed out after %v waiting for %s", callTimeout, what)
		panic("unreachable")
	}
}
