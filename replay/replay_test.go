package replay_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/grpcdouble/grpcdouble/cassette"
	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
	"github.com/grpcdouble/grpcdouble/mockserver"
	"github.com/grpcdouble/grpcdouble/replay"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const callTimeout = 10 * time.Second

const getFeature = "/routeguide.RouteGuide/GetFeature"

func unary(req *pb.Point, resp *pb.Feature, md metadata.MD) *cassette.Interaction {
	return &cassette.Interaction{
		Method:   getFeature,
		Metadata: md,
		Events: []cassette.Event{
			{Type: cassette.ClientMessage, Message: cassette.NewMessage(req)},
			{Type: cassette.HalfClose},
			{Type: cassette.Header, Metadata: metadata.Pairs("x-h", "1")},
			{Type: cassette.ServerMessage, Message: cassette.NewMessage(resp)},
		},
		Trailer: metadata.Pairs("x-t", "2"),
	}
}

// write saves interactions as a cassette file and returns its path.
func write(t testing.TB, ins ...*cassette.Interaction) string {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, cassette.Encode(&buf, ins))
	path := filepath.Join(t.TempDir(), "t.cassette")
	require.NoError(t, os.WriteFile(path, buf.Bytes(), 0o644))
	return path
}

func serve(t testing.TB, path string, opts ...replay.Option) (*replay.Handler, pb.RouteGuideClient) {
	t.Helper()
	h, err := replay.Open(path, opts...)
	require.NoError(t, err)
	srv := mockserver.Start(t, h)
	return h, pb.NewRouteGuideClient(srv.ClientConn())
}

func ctx(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), callTimeout)
	t.Cleanup(cancel)
	return c
}

func TestReplaysHeadersTrailersAndMessages(t *testing.T) {
	path := write(t, unary(&pb.Point{Latitude: 1}, &pb.Feature{Name: "one"}, nil))
	_, client := serve(t, path, replay.WithT(t))
	var h, tr metadata.MD
	f, err := client.GetFeature(ctx(t), &pb.Point{Latitude: 1}, grpc.Header(&h), grpc.Trailer(&tr))
	require.NoError(t, err)
	require.True(t, proto.Equal(&pb.Feature{Name: "one"}, f))
	require.Equal(t, []string{"1"}, h.Get("x-h"))
	require.Equal(t, []string{"2"}, tr.Get("x-t"))
}

func TestMissNamesNearestInteraction(t *testing.T) {
	path := write(t,
		unary(&pb.Point{Latitude: 1, Longitude: 2}, &pb.Feature{Name: "a"}, nil),
		unary(&pb.Point{Latitude: 50, Longitude: 60}, &pb.Feature{Name: "b"}, nil))
	h, client := serve(t, path)
	_, err := client.GetFeature(ctx(t), &pb.Point{Latitude: 1, Longitude: 3})
	require.Equal(t, replay.NoMatchCode, status.Code(err))
	msg := status.Convert(err).Message()
	require.Contains(t, msg, "nearest is "+path+":5 (interaction #1)")
	require.Contains(t, msg, "client message #1 differs\n  longitude: recorded 2, got 3\n(-recorded +got):\n  routeguide.Point{")
	require.NotContains(t, msg, "Inverse")
	require.Len(t, h.Misses(), 1)
	require.ErrorIs(t, h.Misses()[0], replay.ErrNoMatch)
	require.ErrorIs(t, h.Verify(), replay.ErrUnused)

	s, err := client.ListFeatures(ctx(t), &pb.Rectangle{})
	require.NoError(t, err, "a server-stream's status comes with its first Recv")
	_, err = s.Recv()
	require.Equal(t, replay.NoMatchCode, status.Code(err))
	require.Contains(t, status.Convert(err).Message(), "they hold "+getFeature)
}

func TestOnceThenReusable(t *testing.T) {
	path := write(t, unary(&pb.Point{Latitude: 1}, &pb.Feature{Name: "a"}, nil))
	_, client := serve(t, path)
	_, err := client.GetFeature(ctx(t), &pb.Point{Latitude: 1})
	require.NoError(t, err)
	_, err = client.GetFeature(ctx(t), &pb.Point{Latitude: 1})
	require.Equal(t, replay.NoMatchCode, status.Code(err))
	require.Contains(t, status.Convert(err).Message(), "already used")

	_, client = serve(t, path, replay.Reusable(), replay.WithT(t))
	for range 3 {
		_, err := client.GetFeature(ctx(t), &pb.Point{Latitude: 1})
		require.NoError(t, err)
	}
}

func TestInOrder(t *testing.T) {
	path := write(t,
		unary(&pb.Point{Latitude: 1}, &pb.Feature{Name: "a"}, nil),
		unary(&pb.Point{Latitude: 2}, &pb.Feature{Name: "b"}, nil))
	h, client := serve(t, path, replay.InOrder())
	_, err := client.GetFeature(ctx(t), &pb.Point{Latitude: 2})
	require.Equal(t, replay.NoMatchCode, status.Code(err))
	require.Contains(t, status.Convert(err).Message(), "client message #1 differs")
	for _, lat := range []int32{1, 2} {
		_, err := client.GetFeature(ctx(t), &pb.Point{Latitude: lat})
		require.NoError(t, err)
	}
	require.Empty(t, h.Unused())
}

func TestIgnoreFieldsAndMetadata(t *testing.T) {
	path := write(t, unary(&pb.Point{Latitude: 1, Longitude: 5}, &pb.Feature{Name: "a"},
		metadata.Pairs("x-request-id", "r1", "authorization", cassette.Redacted)))
	withMD := func(c context.Context, id string) context.Context {
		return metadata.AppendToOutgoingContext(c, "x-request-id", id, "authorization", "Bearer any")
	}
	_, client := serve(t, path, replay.Reusable())
	_, err := client.GetFeature(withMD(ctx(t), "r1"), &pb.Point{Latitude: 1, Longitude: 9})
	require.Equal(t, replay.NoMatchCode, status.Code(err), "strict by default")
	_, err = client.GetFeature(withMD(ctx(t), "r2"), &pb.Point{Latitude: 1, Longitude: 5})
	require.Equal(t, replay.NoMatchCode, status.Code(err))
	require.Contains(t, status.Convert(err).Message(), `metadata "x-request-id": recorded ["r1"], got ["r2"]`)

	_, client = serve(t, path, replay.WithT(t), replay.Reusable(),
		replay.IgnoreFields(&pb.Point{}, "longitude"), replay.IgnoreMetadata("x-request-id"))
	_, err = client.GetFeature(withMD(ctx(t), "r2"), &pb.Point{Latitude: 1, Longitude: 9})
	require.NoError(t, err, "a redacted value matches any value")
}

// The server greets before the client says anything: replay must send the
// greeting without waiting for a client message.
func TestBidiKeepsInterleaving(t *testing.T) {
	note := func(s string) *cassette.Message { return cassette.NewMessage(&pb.RouteNote{Message: s}) }
	path := write(t, &cassette.Interaction{
		Method: "/routeguide.RouteGuide/RouteChat",
		Events: []cassette.Event{
			{Type: cassette.Header},
			{Type: cassette.ServerMessage, Message: note("hello")},
			{Type: cassette.ClientMessage, Message: note("a")},
			{Type: cassette.ServerMessage, Message: note("re:a")},
			{Type: cassette.ServerMessage, Message: note("and more")},
			{Type: cassette.ClientMessage, Message: note("b")},
			{Type: cassette.HalfClose},
		},
		Status: cassette.Status{Code: codes.Aborted, Message: "fin ✓"},
	})
	_, client := serve(t, path, replay.WithT(t))
	s, err := client.RouteChat(ctx(t))
	require.NoError(t, err)
	got, err := s.Recv()
	require.NoError(t, err)
	require.Equal(t, "hello", got.Message)
	require.NoError(t, s.Send(&pb.RouteNote{Message: "a"}))
	for _, want := range []string{"re:a", "and more"} {
		got, err := s.Recv()
		require.NoError(t, err)
		require.Equal(t, want, got.Message)
	}
	require.NoError(t, s.Send(&pb.RouteNote{Message: "b"}))
	require.NoError(t, s.CloseSend())
	_, err = s.Recv()
	require.Equal(t, codes.Aborted, status.Code(err))
	require.Equal(t, "fin ✓", status.Convert(err).Message())
}

func TestOpenMissingCassette(t *testing.T) {
	_, err := replay.Open(filepath.Join(t.TempDir(), "nope.cassette"))
	require.ErrorIs(t, err, replay.ErrCassetteNotFound)
}

// Many recorded calls to one method replay in any order, each to its own
// answer; identical requests take their interactions in recorded order; a
// request recorded with different metadata is told apart. (The lookup by
// first message made this fast; this checks it kept the matching exact.)
func TestManyInteractionsOfOneMethod(t *testing.T) {
	const n = 2000
	var ins []*cassette.Interaction
	for i := range n {
		ins = append(ins, unary(&pb.Point{Latitude: int32(i)}, &pb.Feature{Name: fmt.Sprintf("feature %d", i)}, nil))
	}
	// Twice the same request: used in recorded order.
	ins = append(ins, unary(&pb.Point{Latitude: -1}, &pb.Feature{Name: "first"}, nil),
		unary(&pb.Point{Latitude: -1}, &pb.Feature{Name: "second"}, nil),
		unary(&pb.Point{Latitude: -2}, &pb.Feature{Name: "ann's"}, metadata.Pairs("x-user", "ann")),
		unary(&pb.Point{Latitude: -2}, &pb.Feature{Name: "bob's"}, metadata.Pairs("x-user", "bob")))
	h, client := serve(t, write(t, ins...))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	start := time.Now()
	for i := n - 1; i >= 0; i-- {
		f, err := client.GetFeature(ctx, &pb.Point{Latitude: int32(i)})
		require.NoError(t, err)
		require.Equal(t, fmt.Sprintf("feature %d", i), f.GetName())
	}
	t.Logf("%d calls to one method, in reverse recorded order: %v", n, time.Since(start))
	for _, want := range []string{"first", "second"} {
		f, err := client.GetFeature(ctx, &pb.Point{Latitude: -1})
		require.NoError(t, err)
		assert.Equal(t, want, f.GetName())
	}
	f, err := client.GetFeature(metadata.AppendToOutgoingContext(ctx, "x-user", "bob"), &pb.Point{Latitude: -2})
	require.NoError(t, err)
	assert.Equal(t, "bob's", f.GetName())
	_, err = client.GetFeature(ctx, &pb.Point{Latitude: -1})
	assert.Equal(t, replay.NoMatchCode, status.Code(err), "both recordings of latitude -1 are used up")
	assert.ErrorContains(t, err, "(1 client message(s)): nearest is ")
	assert.ErrorContains(t, err, "(interaction #2001): it matches but was already used")
	assert.Len(t, h.Unused(), 1, "ann's call was never made")
}
