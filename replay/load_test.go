package replay_test

import (
	"context"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"

	"github.com/grpcdouble/grpcdouble/cassette"
	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
	"github.com/grpcdouble/grpcdouble/mockserver"
	"github.com/grpcdouble/grpcdouble/replay"
)

const (
	loadUnary   = 1000 // concurrent unary calls
	loadStreams = 100  // concurrent bidi streams, at the same time
	loadRounds  = 10   // ping-pong rounds per stream
	loadTimeout = 60 * time.Second
)

const routeChat = "/routeguide.RouteGuide/RouteChat"

// gated holds every call at the door until all loadUnary+loadStreams calls
// are inside the server at once, then lets the replay handler answer them.
// Embedding keeps replay's Methods and Bind.
type gated struct {
	*replay.Handler
	in  atomic.Int64
	all chan struct{}
}

func (g *gated) Handle(c *mockserver.Call) error {
	if g.in.Add(1) == loadUnary+loadStreams {
		close(g.all)
	}
	select {
	case <-g.all:
	case <-c.Context().Done():
		return c.Context().Err()
	}
	return g.Handler.Handle(c)
}

func loadPoint(i int) *pb.Point { return &pb.Point{Latitude: int32(i), Longitude: int32(i * 7)} }
func loadFeature(i int) *pb.Feature {
	return &pb.Feature{Name: fmt.Sprintf("u%d/%d", i, i*7), Location: loadPoint(i)}
}
func loadPing(s, r int) *pb.RouteNote {
	return &pb.RouteNote{Message: fmt.Sprintf("ping s%d r%d", s, r), Location: &pb.Point{Latitude: int32(s)}}
}
func loadPong(s, r int) *pb.RouteNote {
	return &pb.RouteNote{Message: fmt.Sprintf("pong s%d r%d", s, r), Location: &pb.Point{Longitude: int32(r)}}
}

// loadCassette writes 1,000 distinct unary interactions and 100 distinct
// bidi ping-pong interactions, each with its own header and trailer.
func loadCassette(t *testing.T) string {
	ins := make([]*cassette.Interaction, 0, loadUnary+loadStreams)
	for i := range loadUnary {
		ins = append(ins, &cassette.Interaction{
			Method: getFeature,
			Kind:   "unary",
			Events: []cassette.Event{
				{Type: cassette.ClientMessage, Message: cassette.NewMessage(loadPoint(i))},
				{Type: cassette.HalfClose},
				{Type: cassette.Header, Metadata: metadata.Pairs("x-call", fmt.Sprint("u", i))},
				{Type: cassette.ServerMessage, Message: cassette.NewMessage(loadFeature(i))},
			},
			Trailer: metadata.Pairs("x-call", fmt.Sprint("u", i)),
		})
	}
	for s := range loadStreams {
		in := &cassette.Interaction{
			Method:  routeChat,
			Kind:    "bidi-stream",
			Trailer: metadata.Pairs("x-call", fmt.Sprint("s", s)),
		}
		for r := range loadRounds {
			in.Events = append(in.Events, cassette.Event{Type: cassette.ClientMessage, Message: cassette.NewMessage(loadPing(s, r))})
			if r == 0 {
				in.Events = append(in.Events, cassette.Event{Type: cassette.Header, Metadata: metadata.Pairs("x-call", fmt.Sprint("s", s))})
			}
			in.Events = append(in.Events, cassette.Event{Type: cassette.ServerMessage, Message: cassette.NewMessage(loadPong(s, r))})
		}
		in.Events = append(in.Events, cassette.Event{Type: cassette.HalfClose})
		ins = append(ins, in)
	}
	return write(t, ins...)
}

// One replay server holds 1,000 unary calls and 100 bidi streams open at
// the same moment (a gate in front of the replay handler lets none through
// until all 1,100 have arrived), then answers every one from a cassette of
// 1,100 distinct interactions, each usable once, matched in any order.
// Every reply, header and trailer is checked against the call's own
// request: nothing may be lost, answered twice or cross over.
func TestLoad(t *testing.T) {
	c, cancel := context.WithTimeout(context.Background(), loadTimeout)
	defer cancel()

	path := loadCassette(t)
	h, err := replay.Open(path, replay.WithT(t)) // at cleanup: no miss, no interaction unused
	require.NoError(t, err)
	g := &gated{Handler: h, all: make(chan struct{})}
	srv := mockserver.Start(t, g)
	client := pb.NewRouteGuideClient(srv.ClientConn())

	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, loadUnary+loadStreams)
	var unaryOK, streamsOK, checked atomic.Int64
	for i := range loadUnary {
		wg.Go(func() {
			var hd, tr metadata.MD
			f, err := client.GetFeature(c, loadPoint(i), grpc.Header(&hd), grpc.Trailer(&tr))
			want := fmt.Sprint("u", i)
			switch {
			case err != nil:
				errs <- fmt.Errorf("unary %d: %w", i, err)
			case !proto.Equal(loadFeature(i), f):
				errs <- fmt.Errorf("unary %d: got the reply %v", i, f)
			case !equalStrings(hd.Get("x-call"), want) || !equalStrings(tr.Get("x-call"), want):
				errs <- fmt.Errorf("unary %d: header %v, trailer %v, want x-call %s", i, hd, tr, want)
			default:
				checked.Add(3)
				unaryOK.Add(1)
			}
		})
	}
	for s := range loadStreams {
		wg.Go(func() {
			if err := loadChat(c, client, s, &checked); err != nil {
				errs <- fmt.Errorf("stream %d: %w", s, err)
				return
			}
			streamsOK.Add(1)
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	require.Empty(t, h.Misses())
	require.Empty(t, h.Unused())
	calls := srv.Calls()
	require.Len(t, calls, loadUnary+loadStreams)
	var serverMsgs int
	for _, r := range calls {
		assert.True(t, r.Done)
		assert.Equal(t, codes.OK, r.Code(), "%s", r.Method)
		serverMsgs += len(r.Received()) + len(r.Sent())
	}
	assert.Equal(t, int64(loadUnary), unaryOK.Load())
	assert.Equal(t, int64(loadStreams), streamsOK.Load())
	assert.Equal(t, 2*(loadUnary+loadStreams*loadRounds), serverMsgs)
	t.Logf("replay load: %d/%d unary calls and %d/%d bidi streams, all %d in the server at once, completed in %v; "+
		"%d checks by the clients (%d unary replies with their header and trailer, %d stream replies, %d stream headers and trailers); "+
		"%d messages in the journal; %d interactions used once each, none missed, none lost or crossed",
		unaryOK.Load(), loadUnary, streamsOK.Load(), loadStreams, loadUnary+loadStreams, elapsed.Round(time.Millisecond),
		checked.Load(), unaryOK.Load(), streamsOK.Load()*loadRounds, 2*streamsOK.Load(),
		serverMsgs, loadUnary+loadStreams)
}

// loadChat runs stream s's ping-pong, checking every reply and the
// stream's own header and trailer.
func loadChat(c context.Context, client pb.RouteGuideClient, s int, checked *atomic.Int64) error {
	stream, err := client.RouteChat(c)
	if err != nil {
		return err
	}
	for r := range loadRounds {
		if err := stream.Send(loadPing(s, r)); err != nil {
			return fmt.Errorf("round %d: send: %w", r, err)
		}
		got, err := stream.Recv()
		if err != nil {
			return fmt.Errorf("round %d: recv: %w", r, err)
		}
		if !proto.Equal(loadPong(s, r), got) {
			return fmt.Errorf("round %d: got %v, want %v", r, got, loadPong(s, r))
		}
		checked.Add(1)
	}
	if err := stream.CloseSend(); err != nil {
		return err
	}
	if _, err := stream.Recv(); err != io.EOF {
		return fmt.Errorf("after the last round: got %v, want io.EOF", err)
	}
	want := fmt.Sprint("s", s)
	hd, err := stream.Header()
	if err != nil {
		return fmt.Errorf("header: %w", err)
	}
	if !equalStrings(hd.Get("x-call"), want) || !equalStrings(stream.Trailer().Get("x-call"), want) {
		return fmt.Errorf("header %v, trailer %v, want x-call %s", hd, stream.Trailer(), want)
	}
	checked.Add(2)
	return nil
}

func equalStrings(got []string, want string) bool { return len(got) == 1 && got[0] == want }
