package mockserver_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
	"github.com/grpcdouble/grpcdouble/mockserver"
)

// TestWatchCalls: a watcher is told of a call's start and end, CallsSince
// returns only what changed, and a burst of calls leaves one waiting
// signal, not one per call.
func TestWatchCalls(t *testing.T) {
	ctx := testContext(t)
	srv := mockserver.Start(t, kindHandler, mockserver.WithServices(routeGuide))
	client := pb.NewRouteGuideClient(srv.ClientConn())
	changes := srv.WatchCalls(ctx)

	gen := srv.CallsSince(0).Gen
	_, err := client.GetFeature(ctx, &pb.Point{Latitude: 1})
	require.NoError(t, err)
	select {
	case <-changes:
	case <-ctx.Done():
		t.Fatal("no signal after a call")
	}
	ch := srv.CallsSince(gen)
	calls, gen2 := ch.Calls, ch.Gen
	require.Equal(t, uint64(1), ch.FirstID)
	require.Len(t, calls, 1)
	require.True(t, calls[0].Done)
	require.Equal(t, uint64(1), calls[0].ID)
	require.Greater(t, gen2, gen)

	for i := 0; i < 5; i++ {
		_, err := client.GetFeature(ctx, &pb.Point{Latitude: int32(i)})
		require.NoError(t, err)
	}
	<-changes // the burst's one signal
	select {
	case <-changes:
		t.Fatal("a burst of calls left more than one signal waiting")
	default:
	}
	ch = srv.CallsSince(gen2)
	calls, gen3 := ch.Calls, ch.Gen
	require.Len(t, calls, 5)
	for i, c := range calls {
		require.Equal(t, uint64(i+2), c.ID)
	}
	ch = srv.CallsSince(gen3)
	require.Empty(t, ch.Calls)
	require.Equal(t, gen3, ch.Gen)

	got, ok := srv.Call(4)
	require.True(t, ok)
	require.Equal(t, uint64(4), got.ID)
	requireProto(t, &pb.Point{Latitude: 2}, got.Received()[0])
	_, ok = srv.Call(99)
	require.False(t, ok)

	srv.ResetJournal()
	<-changes
	_, ok = srv.Call(4)
	require.False(t, ok, "a reset journal still has call 4")
	ch = srv.CallsSince(0)
	require.Empty(t, ch.Calls)
	require.Equal(t, uint64(7), ch.FirstID, "after a reset every call so far is gone")
}

// TestWatchCallsEndsWithContext: once its context ends, a watch is
// dropped: calls go on working and signal it no more.
func TestWatchCallsEndsWithContext(t *testing.T) {
	ctx := testContext(t)
	srv := mockserver.Start(t, kindHandler, mockserver.WithServices(routeGuide))
	client := pb.NewRouteGuideClient(srv.ClientConn())
	wctx, cancel := context.WithCancel(ctx)
	changes := srv.WatchCalls(wctx)
	cancel()
	// The watch is dropped just after cancel returns; a call made before
	// that may still signal it, one made after must not.
	require.Eventually(t, func() bool {
		select {
		case <-changes:
		default:
		}
		_, err := client.GetFeature(ctx, &pb.Point{})
		require.NoError(t, err)
		select {
		case <-changes:
			return false
		default:
			return true
		}
	}, testTimeout, time.Millisecond)
}
