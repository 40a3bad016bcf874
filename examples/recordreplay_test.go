package examples_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
	"github.com/grpcdouble/grpcdouble/mockserver"
	"github.com/grpcdouble/grpcdouble/record"
)

// liveRouteGuide stands in for the real service a team would record.
type liveRouteGuide struct {
	pb.UnimplementedRouteGuideServer
}

func (liveRouteGuide) GetFeature(ctx context.Context, p *pb.Point) (*pb.Feature, error) {
	_ = grpc.SetHeader(ctx, metadata.Pairs("x-region", "eu"))
	if p.Latitude < 0 {
		return nil, status.Error(codes.InvalidArgument, "latitude must be ≥ 0")
	}
	return &pb.Feature{Name: fmt.Sprintf("peak %d", p.Latitude), Location: p}, nil
}

func (liveRouteGuide) ListFeatures(r *pb.Rectangle, s pb.RouteGuide_ListFeaturesServer) error {
	for i := r.GetLo().GetLatitude(); i < r.GetHi().GetLatitude(); i++ {
		if err := s.Send(&pb.Feature{Name: fmt.Sprintf("f%d", i)}); err != nil {
			return err
		}
	}
	return nil
}

// codeUnderTest is what the test is about: it does not know whether it
// talks to the live service or to a cassette.
func codeUnderTest(ctx context.Context, client pb.RouteGuideClient) ([]string, error) {
	var names []string
	f, err := client.GetFeature(ctx, &pb.Point{Latitude: 7})
	if err != nil {
		return nil, err
	}
	names = append(names, f.Name)
	s, err := client.ListFeatures(ctx, &pb.Rectangle{Lo: &pb.Point{}, Hi: &pb.Point{Latitude: 3}})
	if err != nil {
		return nil, err
	}
	for {
		f, err := s.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		names = append(names, f.Name)
	}
	_, err = client.GetFeature(ctx, &pb.Point{Latitude: -1})
	return names, err
}

// TestRecordThenReplay records a live routeguide server on loopback TCP,
// stops it, and replays the cassette. In a real project the cassette lives
// in testdata/ and is committed; `GRPCDOUBLE_RECORD=all go test` re-records.
func TestRecordThenReplay(t *testing.T) {
	t.Setenv(record.EnvMode, "") // this example picks its modes itself
	cassettePath := filepath.Join(t.TempDir(), "routeguide.cassette")

	// A live server on TCP.
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	live := grpc.NewServer()
	pb.RegisterRouteGuideServer(live, liveRouteGuide{})
	served := make(chan struct{})
	go func() { defer close(served); _ = live.Serve(lis) }()

	var recorded []string
	t.Run("record", func(t *testing.T) {
		conn := record.Connect(t, cassettePath,
			record.WithMode(record.ModeRecord),
			record.Upstream(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials())),
			record.WithServerOptions(mockserver.WithServices("routeguide.RouteGuide")))
		names, err := codeUnderTest(testContext(t), pb.NewRouteGuideClient(conn))
		require.Equal(t, codes.InvalidArgument, status.Code(err))
		recorded = names
	})

	live.Stop() // the live server is gone from here on
	<-served

	t.Run("replay", func(t *testing.T) {
		conn := record.Connect(t, cassettePath, record.WithMode(record.ModeReplay))
		names, err := codeUnderTest(testContext(t), pb.NewRouteGuideClient(conn))
		require.Equal(t, codes.InvalidArgument, status.Code(err))
		require.Equal(t, "latitude must be ≥ 0", status.Convert(err).Message())
		require.Equal(t, recorded, names)
		require.Equal(t, []string{"peak 7", "f0", "f1", "f2"}, names)
	})
}
