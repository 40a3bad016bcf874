package expect_test

import (
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"

	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
	"github.com/grpcdouble/grpcdouble/expect"
	"github.com/grpcdouble/grpcdouble/mockserver"
)

// What Calls returns once the calls have ended (each kept packed: see
// expect's callLog) is what the server received: every message in order,
// every header (-bin and long values too), the deadline, with or without
// the server's journal (without it, the messages are marshaled to be
// kept). Each Calls decodes them afresh, so changing what one returned
// changes nothing kept.
func TestCallsKeepWhatArrived(t *testing.T) {
	long := strings.Repeat("v", 300)
	for _, journal := range []bool{true, false} {
		t.Run(fmt.Sprintf("journal=%v", journal), func(t *testing.T) {
			m := expect.New(t)
			u := m.Unary(getFeature).WithRequest(&pb.Point{Latitude: 1}).Return(&pb.Feature{}).Times(2)
			cs := m.ClientStream(recordRoute).Return(&pb.RouteSummary{})
			bd := m.Bidi(routeChat).Recv(note("a")).Send(note("A")).Recv(note("b")).Send(note("B"))
			var opts []mockserver.Option
			if !journal {
				opts = append(opts, mockserver.WithoutJournal())
			}
			client := pb.NewRouteGuideClient(mockserver.Start(t, m, opts...).ClientConn())

			c := metadata.AppendToOutgoingContext(ctx(t), "x-long", long, "x-two", "1", "x-two", "2", "x-raw-bin", "\x00\xff")
			for range 2 {
				_, err := client.GetFeature(c, &pb.Point{Latitude: 1})
				require.NoError(t, err)
			}
			rs, err := client.RecordRoute(ctx(t))
			require.NoError(t, err)
			for i := range 3 {
				require.NoError(t, rs.Send(&pb.Point{Latitude: int32(i), Longitude: -int32(i)}))
			}
			_, err = rs.CloseAndRecv()
			require.NoError(t, err)
			chat, err := client.RouteChat(ctx(t))
			require.NoError(t, err)
			for _, s := range []string{"a", "b"} {
				require.NoError(t, chat.Send(note(s)))
				_, err := chat.Recv()
				require.NoError(t, err)
			}
			require.NoError(t, chat.CloseSend())
			_, err = chat.Recv()
			require.Equal(t, io.EOF, err)

			calls := u.Calls()
			require.Len(t, calls, 2)
			for _, call := range calls {
				assert.Equal(t, getFeature, call.Method)
				assert.Equal(t, []string{long}, call.Metadata.Get("x-long"))
				assert.Equal(t, []string{"1", "2"}, call.Metadata.Get("x-two"))
				assert.Equal(t, []string{"\x00\xff"}, call.Metadata.Get("x-raw-bin"))
				assert.True(t, call.HasDeadline)
				require.Len(t, call.Messages, 1)
				assert.True(t, proto.Equal(&pb.Point{Latitude: 1}, call.Message()), "%v", call.Message())
			}
			calls[0].Message().(*pb.Point).Latitude = 99
			calls[0].Metadata.Set("x-long", "changed")
			again := u.Calls()
			assert.True(t, proto.Equal(&pb.Point{Latitude: 1}, again[0].Message()), "changing a returned message changed what was kept")
			assert.Equal(t, []string{long}, again[0].Metadata.Get("x-long"))

			got := cs.Calls()
			require.Len(t, got, 1)
			require.Len(t, got[0].Messages, 3)
			for i, msg := range got[0].Messages {
				assert.True(t, proto.Equal(&pb.Point{Latitude: int32(i), Longitude: -int32(i)}, msg), "%d: %v", i, msg)
			}
			got = bd.Calls()
			require.Len(t, got, 1)
			require.Len(t, got[0].Messages, 2)
			assert.Equal(t, "a", got[0].Messages[0].(*pb.RouteNote).GetMessage())
			assert.Equal(t, "b", got[0].Messages[1].(*pb.RouteNote).GetMessage())
		})
	}
}

// A running call shows in Calls with the messages it has received so far.
func TestCallsWhileRunning(t *testing.T) {
	m := expect.New(t)
	bd := m.Bidi(routeChat).Recv(note("a")).Send(note("A")).Recv(note("b")).Send(note("B"))
	client := pb.NewRouteGuideClient(mockserver.Start(t, m).ClientConn())
	chat, err := client.RouteChat(ctx(t))
	require.NoError(t, err)
	require.NoError(t, chat.Send(note("a")))
	_, err = chat.Recv() // the server has received "a"
	require.NoError(t, err)
	got := bd.Calls()
	require.Len(t, got, 1)
	require.Len(t, got[0].Messages, 1)
	assert.Equal(t, "a", got[0].Messages[0].(*pb.RouteNote).GetMessage())
	require.NoError(t, chat.Send(note("b")))
	_, err = chat.Recv()
	require.NoError(t, err)
	require.NoError(t, chat.CloseSend())
	_, err = chat.Recv()
	require.Equal(t, io.EOF, err)
	require.Len(t, bd.Calls()[0].Messages, 2)
}

// Messages of a service known only from its .proto file come back as the
// dynamic messages the server decoded.
func TestCallsOfDynamicMessages(t *testing.T) {
	const echo = "/echo.v1.EchoService/Echo"
	m := expect.New(t)
	srv, err := mockserver.New(m, mockserver.WithProtoFiles([]string{"../testdata/protos"}, "echo/v1/echo.proto"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Close() })
	md, err := srv.Method(echo)
	require.NoError(t, err)
	req := dynamicpb.NewMessage(md.Input())
	req.Set(md.Input().Fields().ByName("message"), protoreflect.ValueOfString("ping"))
	e := m.Unary(echo).WithRequest(req).Return(dynamicpb.NewMessage(md.Output()))
	require.NoError(t, srv.ClientConn().Invoke(ctx(t), echo, req, dynamicpb.NewMessage(md.Output())))
	calls := e.Calls()
	require.Len(t, calls, 1)
	_, dynamic := calls[0].Message().(*dynamicpb.Message)
	assert.True(t, dynamic, "got a %T", calls[0].Message())
	assert.True(t, proto.Equal(req, calls[0].Message()))
}

// The calls an expectation keeps hold (next to) no object each for the GC
// to trace: kept as Receiveds, each held a dozen (its metadata map and
// slices, its messages, the Received), which a long test paid for in GC
// work on every cycle.
func TestCallsKeepFewObjects(t *testing.T) {
	m := expect.New(t)
	e := m.Unary(getFeature).WithRequest(&pb.Point{Latitude: 1}).Return(&pb.Feature{}).AnyTimes()
	client := pb.NewRouteGuideClient(mockserver.Start(t, m, mockserver.WithoutJournal()).ClientConn())
	c := ctx(t)
	call := func() {
		_, err := client.GetFeature(c, &pb.Point{Latitude: 1})
		require.NoError(t, err)
	}
	for range 100 { // warm up: connection, pools
		call()
	}
	objects := func() uint64 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapObjects
	}
	const calls = 2000
	before := objects()
	for range calls {
		call()
	}
	after := objects()
	require.Len(t, e.Calls(), calls+100)
	perCall := (float64(after) - float64(before)) / calls
	t.Logf("%.2f heap objects kept per call", perCall)
	assert.Less(t, perCall, 1.0)
}
