package record_test

import (
	"context"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/grpcdouble/grpcdouble/cassette"
	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
	"github.com/grpcdouble/grpcdouble/mockserver"
	"github.com/grpcdouble/grpcdouble/record"
)

// sampleCassette is committed: a recording of the real routeGuide
// implementation (server_test.go) answering the calls in
// TestSampleCassette. Re-record it, from the module root, with
//
//	GRPCDOUBLE_RECORD=all go test ./record/ -run TestSampleCassette
//
// and review the diff. Without the variable the test replays it with no
// server at all.
const sampleCassette = "../testdata/cassettes/routeguide.cassette"

func TestSampleCassette(t *testing.T) {
	mode, err := record.ModeFromEnv(record.ModeRecordOnce)
	require.NoError(t, err)
	_, statErr := os.Stat(sampleCassette)
	opts := []record.Option{record.WithoutTiming(), record.WithServerOptions(mockserver.WithServices("routeguide.RouteGuide"))}
	if mode != record.ModeReplay && (mode != record.ModeRecordOnce || statErr != nil) {
		upstream, _ := startReal(t)
		opts = append(opts, record.UpstreamConn(upstream))
		t.Logf("recording %s (mode %v)", sampleCassette, mode)
	}
	client := pb.NewRouteGuideClient(record.Connect(t, sampleCassette, opts...))
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	ctx = metadata.AppendToOutgoingContext(ctx, "x-user", "ann", "authorization", "Bearer sample-secret")

	var h, tr metadata.MD
	f, err := client.GetFeature(ctx, &pb.Point{Latitude: 1, Longitude: 2}, grpc.Header(&h), grpc.Trailer(&tr))
	require.NoError(t, err)
	require.Equal(t, "feature 1,2", f.Name)
	require.Equal(t, []string{"real"}, h.Get("x-served-by"))
	require.Equal(t, []string{"ann"}, h.Get("x-echo-user"))
	require.Equal(t, []string{"t1"}, tr.Get("x-trailer"))
	require.Equal(t, []string{string([]byte{0, 1, 2, 255})}, tr.Get("x-cost-bin"))

	_, err = client.GetFeature(ctx, &pb.Point{Latitude: latError})
	st := status.Convert(err)
	require.Equal(t, codes.NotFound, st.Code())
	require.Equal(t, unicodeMessage, st.Message())
	require.Len(t, st.Details(), 2)

	ls, err := client.ListFeatures(ctx, &pb.Rectangle{Lo: &pb.Point{}, Hi: &pb.Point{Latitude: 3}})
	require.NoError(t, err)
	var names []string
	for {
		f, err := ls.Recv()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		names = append(names, f.Name)
	}
	require.Equal(t, []string{"f0", "f1", "f2"}, names)

	rs, err := client.RecordRoute(ctx)
	require.NoError(t, err)
	for i := int32(1); i <= 3; i++ {
		require.NoError(t, rs.Send(&pb.Point{Latitude: i}))
	}
	sum, err := rs.CloseAndRecv()
	require.NoError(t, err)
	require.Equal(t, int32(3), sum.PointCount)
	require.Equal(t, int32(6), sum.Distance)

	chat, err := client.RouteChat(ctx)
	require.NoError(t, err)
	n, err := chat.Recv()
	require.NoError(t, err)
	require.Equal(t, "hello", n.Message)
	require.NoError(t, chat.Send(&pb.RouteNote{Message: "a"}))
	n, err = chat.Recv()
	require.NoError(t, err)
	require.Equal(t, "re:a", n.Message)
	require.NoError(t, chat.Send(&pb.RouteNote{Message: "bye"}))
	_, err = chat.Recv()
	require.Equal(t, codes.Aborted, status.Code(err))
	require.Equal(t, "au revoir — さようなら", status.Convert(err).Message())

	// What is on disk (read after the calls: in record mode it is the file
	// just written) holds the five calls and no secret.
	data, err := os.ReadFile(sampleCassette)
	require.NoError(t, err)
	require.NotContains(t, string(data), "sample-secret")
	require.NotContains(t, string(data), "s3cr3t-cookie")
	require.True(t, strings.Contains(string(data), cassette.Redacted))
	c, err := cassette.Parse(data, sampleCassette)
	require.NoError(t, err)
	require.Len(t, c.Interactions, 5)
}
