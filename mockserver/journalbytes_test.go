package mockserver_test

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"

	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
	"github.com/grpcdouble/grpcdouble/mockserver"
)

// chat echoes every note back, then ends.
var chat = mockserver.HandlerFunc(func(c *mockserver.Call) error {
	for {
		m, err := c.Recv()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if err := c.Send(m); err != nil {
			return err
		}
	}
})

func echoFeature(c *mockserver.Call) error {
	m, err := c.Recv()
	if err != nil {
		return err
	}
	return c.Send(&pb.Feature{Name: "ok", Location: m.(*pb.Point)})
}

// The journal is bounded by bytes: past its budget the oldest calls go,
// and JournalStats says how many. It was bounded by count only, and 60
// calls of 50 MB each took the server to 5 GB.
func TestJournalBoundedByBytes(t *testing.T) {
	const budget = 1 << 20
	for _, tc := range []struct {
		name string
		opts []mockserver.Option
	}{
		{"fast path", nil},
		{"server options", []mockserver.Option{mockserver.WithServerOptions(grpc.MaxRecvMsgSize(8 << 20))}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := mockserver.Start(t, chat, append(tc.opts, mockserver.WithServices(routeGuide), mockserver.WithJournalBytes(budget))...)
			client := pb.NewRouteGuideClient(srv.ClientConn())
			ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
			defer cancel()
			note := &pb.RouteNote{Message: strings.Repeat("x", 40<<10)} // below budget/16
			for i := range 40 {
				s, err := client.RouteChat(ctx)
				require.NoError(t, err)
				note.Location = &pb.Point{Latitude: int32(i)}
				require.NoError(t, s.Send(note))
				_, err = s.Recv()
				require.NoError(t, err)
				require.NoError(t, s.CloseSend())
				_, err = s.Recv()
				require.Equal(t, io.EOF, err)
			}
			st := srv.JournalStats()
			t.Logf("%+v", st)
			assert.LessOrEqual(t, st.Bytes, int64(budget))
			assert.Greater(t, st.DroppedCalls, 0)
			assert.Equal(t, int64(budget), st.ByteLimit)
			calls := srv.Calls()
			require.Equal(t, st.Calls, len(calls))
			last := calls[len(calls)-1]
			require.Len(t, last.Received(), 1, "the newest call is kept whole")
			assert.Equal(t, int32(39), last.Received()[0].(*pb.RouteNote).GetLocation().GetLatitude())
			assert.False(t, last.Events[0].Truncated)

			srv.ResetJournal()
			assert.Equal(t, mockserver.JournalStats{Limit: 0, ByteLimit: budget}, srv.JournalStats(), "a reset gives every byte back")
		})
	}
}

// A message over a sixteenth of the budget is kept truncated: its leading
// whole fields, marked, with its real size. One call keeps at most half the
// budget; later messages are only counted.
func TestJournalTruncatesLargeMessages(t *testing.T) {
	const budget = 1 << 20
	for _, tc := range []struct {
		name string
		opts []mockserver.Option
	}{
		{"fast path", nil},
		{"server options", []mockserver.Option{mockserver.WithServerOptions(grpc.MaxRecvMsgSize(8 << 20))}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := mockserver.Start(t, chat, append(tc.opts, mockserver.WithServices(routeGuide), mockserver.WithJournalBytes(budget))...)
			client := pb.NewRouteGuideClient(srv.ClientConn())
			ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
			defer cancel()
			s, err := client.RouteChat(ctx)
			require.NoError(t, err)
			big := &pb.RouteNote{Location: &pb.Point{Latitude: 7}, Message: strings.Repeat("y", 1<<20)}
			for range 3 {
				require.NoError(t, s.Send(big))
				got, err := s.Recv()
				require.NoError(t, err)
				require.Len(t, got.GetMessage(), 1<<20, "the client gets the whole message")
			}
			small := &pb.RouteNote{Message: strings.Repeat("z", 30<<10)}
			for range 40 { // 1.2 MB: over the call's half of the budget
				require.NoError(t, s.Send(small))
				_, err := s.Recv()
				require.NoError(t, err)
			}
			require.NoError(t, s.CloseSend())
			_, err = s.Recv()
			require.Equal(t, io.EOF, err)

			st := srv.JournalStats()
			assert.LessOrEqual(t, st.Bytes, int64(budget/2+8<<10), "%+v", st)
			calls := srv.Calls()
			require.Len(t, calls, 1)
			c := calls[0]
			ev := c.Events[0]
			require.Equal(t, mockserver.EventRecv, ev.Type)
			assert.True(t, ev.Truncated)
			assert.Equal(t, proto.Size(big), ev.Size)
			assert.Equal(t, int32(7), ev.Message.(*pb.RouteNote).GetLocation().GetLatitude(), "the leading whole fields are kept")
			assert.Empty(t, ev.Message.(*pb.RouteNote).GetMessage(), "the cut field is left out")
			assert.True(t, c.Events[1].Truncated, "sent messages are cut too")
			assert.Greater(t, c.DroppedMessages, 0)
			assert.Greater(t, c.DroppedBytes, 0)
			t.Logf("events %d, dropped %d messages (%d bytes), %+v", len(c.Events), c.DroppedMessages, c.DroppedBytes, st)
		})
	}
}

// Incoming metadata over a sixteenth of the budget is cut: 100 calls with
// 16 MB of (HPACK-compressed) metadata each held 1.6 GB.
func TestJournalCutsLargeMetadata(t *testing.T) {
	const budget = 1 << 20
	srv := mockserver.Start(t, mockserver.HandlerFunc(echoFeature), mockserver.WithServices(routeGuide), mockserver.WithJournalBytes(budget))
	client := pb.NewRouteGuideClient(srv.ClientConn())
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	v := strings.Repeat("v", 4<<10)
	md := metadata.MD{}
	for range 50 {
		md.Append("x-big", v) // 200 KB
	}
	md.Set("x-small", "kept")
	_, err := client.GetFeature(metadata.NewOutgoingContext(ctx, md), &pb.Point{})
	require.NoError(t, err)
	c := srv.Calls()[0]
	assert.True(t, c.MetadataTruncated)
	n := 0
	for _, vs := range c.Metadata {
		for _, v := range vs {
			n += len(v)
		}
	}
	assert.LessOrEqual(t, n, budget/16)
	assert.Greater(t, n, 0)
}

// A unary response too large to keep is cut in the journal, and goes out
// whole.
func TestJournalCutsUnaryResponse(t *testing.T) {
	const budget = 1 << 20
	name := strings.Repeat("n", 200<<10)
	h := mockserver.HandlerFunc(func(c *mockserver.Call) error {
		if _, err := c.Recv(); err != nil {
			return err
		}
		return c.Send(&pb.Feature{Location: &pb.Point{Latitude: 3}, Name: name})
	})
	for _, tc := range []struct {
		name string
		opts []mockserver.Option
	}{
		{"fast path", nil},
		{"server options", []mockserver.Option{mockserver.WithServerOptions(grpc.MaxRecvMsgSize(8 << 20))}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := mockserver.Start(t, h, append(tc.opts, mockserver.WithServices(routeGuide), mockserver.WithJournalBytes(budget))...)
			ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
			defer cancel()
			f, err := pb.NewRouteGuideClient(srv.ClientConn()).GetFeature(ctx, &pb.Point{})
			require.NoError(t, err)
			require.Equal(t, name, f.GetName())
			sent := srv.Calls()[0].Events[1]
			require.Equal(t, mockserver.EventSend, sent.Type)
			assert.True(t, sent.Truncated)
			assert.Equal(t, proto.Size(f), sent.Size)
			assert.Empty(t, sent.Message.(*pb.Feature).GetName())
		})
	}
}
