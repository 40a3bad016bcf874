package replay_test

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/status"

	"github.com/grpcdouble/grpcdouble/cassette"
	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
	"github.com/grpcdouble/grpcdouble/replay"
)

// A cassette of many recordings of one request answers them in recorded
// order, each once; then the request misses, naming the first as used.
// With Reusable, the first answers every call. InOrder takes them in order
// too.
func TestIdenticalInteractionsAnsweredInOrder(t *testing.T) {
	const n = 3000
	path := write(t, identical(n)...)
	req := &pb.Point{Latitude: 7, Longitude: 7}
	// One bound for the whole test, loose for a loaded machine and -race.
	c, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	h, client := serve(t, path)
	for i := range n {
		f, err := client.GetFeature(c, req)
		require.NoError(t, err)
		require.Equal(t, fmt.Sprintf("feature %d", i), f.GetName(), "call %d", i)
	}
	_, err := client.GetFeature(c, req)
	require.Equal(t, replay.NoMatchCode, status.Code(err))
	assert.Contains(t, status.Convert(err).Message(), "(1 client message(s)): nearest is "+path+":5 (interaction #1): it matches but was already used")
	assert.Empty(t, h.Unused())

	_, client = serve(t, path, replay.Reusable())
	for range 3 {
		f, err := client.GetFeature(c, req)
		require.NoError(t, err)
		require.Equal(t, "feature 0", f.GetName())
	}

	h, client = serve(t, path, replay.InOrder())
	for i := range n {
		f, err := client.GetFeature(c, req)
		require.NoError(t, err)
		require.Equal(t, fmt.Sprintf("feature %d", i), f.GetName(), "call %d", i)
	}
	_, err = client.GetFeature(c, req)
	require.Equal(t, replay.NoMatchCode, status.Code(err))
	assert.Contains(t, status.Convert(err).Message(), "replay.InOrder: every interaction is used")
	assert.Empty(t, h.Unused())
}

// Streams that start alike and part later: the call follows the first
// recording, and when its next message parts from it, goes on with the
// first other recording that sent what was sent so far.
func TestStreamsThatPartLater(t *testing.T) {
	note := func(s string) *cassette.Message { return cassette.NewMessage(&pb.RouteNote{Message: s}) }
	chat := func(reply, second, end string) *cassette.Interaction {
		return &cassette.Interaction{Method: "/routeguide.RouteGuide/RouteChat", Events: []cassette.Event{
			{Type: cassette.ClientMessage, Message: note("a")},
			{Type: cassette.ServerMessage, Message: note(reply)},
			{Type: cassette.ClientMessage, Message: note(second)},
			{Type: cassette.ServerMessage, Message: note(end)},
			{Type: cassette.HalfClose},
		}}
	}
	var ins []*cassette.Interaction
	for range 20 { // many recordings alike, so that classes and the index are used
		ins = append(ins, chat("r1", "x", "A"))
	}
	ins = append(ins, chat("r2", "y", "C"), chat("r1", "y", "B"), chat("r1", "y", "B2"))
	for i := range 20 {
		ins = append(ins, chat("r1", fmt.Sprint("z", i), "Z"))
	}
	_, client := serve(t, write(t, ins...))
	talk := func(second string) (reply, end string) {
		s, err := client.RouteChat(ctx(t))
		require.NoError(t, err)
		require.NoError(t, s.Send(&pb.RouteNote{Message: "a"}))
		r, err := s.Recv()
		require.NoError(t, err)
		require.NoError(t, s.Send(&pb.RouteNote{Message: second}))
		e, err := s.Recv()
		require.NoError(t, err)
		require.NoError(t, s.CloseSend())
		return r.GetMessage(), e.GetMessage()
	}
	for _, want := range []string{"B", "B2"} {
		r, e := talk("y")
		assert.Equal(t, "r1", r)
		assert.Equal(t, want, e, "C sent r2, not r1: not a candidate")
	}
	r, e := talk("x")
	assert.Equal(t, "r1", r)
	assert.Equal(t, "A", e)
}

// The work replay does for a call does not grow with the cassette: bytes
// allocated per call (a count no load on the machine changes) are the same
// with 50 recordings of the request as with 5,000. They grew from 12 KB to
// 50 KB, every unused recording being copied and compared on every call.
func TestReplayWorkIndependentOfCassetteSize(t *testing.T) {
	perCall := func(n int) float64 {
		_, client := serve(t, write(t, identical(n)...))
		req := &pb.Point{Latitude: 7, Longitude: 7}
		c := ctx(t)
		call := func() {
			_, err := client.GetFeature(c, req)
			require.NoError(t, err)
		}
		call() // warm
		const calls = 40
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		for range calls {
			call()
		}
		runtime.ReadMemStats(&after)
		return float64(after.TotalAlloc-before.TotalAlloc) / calls
	}
	small, large := perCall(50), perCall(5000)
	t.Logf("bytes allocated per call: %.0f with 50 recordings, %.0f with 5,000", small, large)
	if raceBuild {
		// .ci/run runs this test once more without -race, where it holds.
		t.Skip("a -race build's allocations per call vary too much to compare; run without -race")
	}
	require.Less(t, large, 1.5*small, "bytes per call with 5,000 recordings against 50")
}
