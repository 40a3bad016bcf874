package expect_test

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
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"

	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
	"github.com/grpcdouble/grpcdouble/expect"
	"github.com/grpcdouble/grpcdouble/mockserver"
)

const (
	loadUnary   = 1000 // concurrent unary calls
	loadStreams = 100  // concurrent bidi streams, at the same time
	loadRounds  = 10   // ping-pong rounds per stream
	loadTimeout = 60 * time.Second
)

// One server, through expect, holds 1,000 unary calls and 100 bidi streams
// open at the same moment: every unary handler waits until all 1,000
// requests have arrived and every stream has finished its first round, and
// the streams go on only once all unary calls are in. Each unary reply
// echoes its own request; each stream has its own expectation, told apart by
// its first message, whose script checks every message and answers with a
// reply unique to the stream and round. Nothing may be lost or cross over.
func TestLoad(t *testing.T) {
	c, cancel := context.WithTimeout(context.Background(), loadTimeout)
	defer cancel()

	var unaryIn, streamsIn atomic.Int64
	allUnaryIn, allStreamsIn := make(chan struct{}), make(chan struct{})
	m := expect.New(t)
	m.Unary(getFeature).Times(loadUnary).
		ReturnFunc(func(ctx context.Context, req proto.Message) (proto.Message, error) {
			if unaryIn.Add(1) == loadUnary {
				close(allUnaryIn)
			}
			for _, ch := range []chan struct{}{allUnaryIn, allStreamsIn} {
				select {
				case <-ch:
				case <-ctx.Done():
					return nil, ctx.Err()
				}
			}
			p := req.(*pb.Point)
			return &pb.Feature{Name: fmt.Sprintf("u%d/%d", p.Latitude, p.Longitude), Location: p}, nil
		})
	ping := func(s, r int) *pb.RouteNote { return &pb.RouteNote{Message: fmt.Sprintf("ping s%d r%d", s, r)} }
	pong := func(s, r int) *pb.RouteNote { return &pb.RouteNote{Message: fmt.Sprintf("pong s%d r%d", s, r)} }
	for s := range loadStreams {
		b := m.Bidi(routeChat)
		for r := range loadRounds {
			b.Recv(ping(s, r)).Send(pong(s, r))
		}
	}
	srv := mockserver.Start(t, m)
	client := pb.NewRouteGuideClient(srv.ClientConn())

	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, loadUnary+loadStreams)
	var unaryOK, streamsOK, repliesChecked atomic.Int64
	for i := range loadUnary {
		wg.Go(func() {
			req := &pb.Point{Latitude: int32(i), Longitude: int32(i * 7)}
			f, err := client.GetFeature(c, req)
			switch {
			case err != nil:
				errs <- fmt.Errorf("unary %d: %w", i, err)
			case f.GetName() != fmt.Sprintf("u%d/%d", i, i*7) || !proto.Equal(req, f.GetLocation()):
				errs <- fmt.Errorf("unary %d: got the reply %v", i, f)
			default:
				unaryOK.Add(1)
			}
		})
	}
	for s := range loadStreams {
		wg.Go(func() {
			if err := chat(c, client, s, ping, pong, func() {
				if streamsIn.Add(1) == loadStreams {
					close(allStreamsIn)
				}
			}, allUnaryIn, &repliesChecked); err != nil {
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

	// What the server received agrees: every call, each finished OK.
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
	t.Logf("load: %d/%d unary calls and %d/%d bidi streams completed at once in %v; "+
		"%d unary replies and %d stream replies checked by the clients, %d stream messages matched by the scripts, "+
		"%d messages in the journal; none lost or crossed",
		unaryOK.Load(), loadUnary, streamsOK.Load(), loadStreams, elapsed.Round(time.Millisecond),
		unaryOK.Load(), repliesChecked.Load(), loadStreams*loadRounds, serverMsgs)
}

// chat runs one stream's ping-pong, checking every reply, and signals after
// the first round; it waits for go before the other rounds.
func chat(c context.Context, client pb.RouteGuideClient, s int, ping, pong func(s, r int) *pb.RouteNote,
	firstRound func(), goOn <-chan struct{}, checked *atomic.Int64) error {
	stream, err := client.RouteChat(c)
	if err != nil {
		return err
	}
	for r := range loadRounds {
		if err := stream.Send(ping(s, r)); err != nil {
			return fmt.Errorf("round %d: send: %w", r, err)
		}
		got, err := stream.Recv()
		if err != nil {
			return fmt.Errorf("round %d: recv: %w", r, err)
		}
		if !proto.Equal(pong(s, r), got) {
			return fmt.Errorf("round %d: got %v, want %v", r, got, pong(s, r))
		}
		checked.Add(1)
		if r == 0 {
			firstRound()
			select {
			case <-goOn:
			case <-c.Done():
				return c.Err()
			}
		}
	}
	if err := stream.CloseSend(); err != nil {
		return err
	}
	if _, err := stream.Recv(); err != io.EOF {
		return fmt.Errorf("after the last round: got %v, want io.EOF", err)
	}
	return nil
}
