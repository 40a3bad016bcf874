package mockserver_test

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/metadata"

	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
	"github.com/grpcdouble/grpcdouble/mockserver"
)

func TestSmoke(t *testing.T) {
	h := mockserver.HandlerFunc(func(c *mockserver.Call) error {
		for {
			m, err := c.Recv()
			if err == io.EOF {
				if c.Kind() == mockserver.ClientStream {
					return c.Send(&pb.RouteSummary{PointCount: 3})
				}
				return nil
			}
			if err != nil {
				return err
			}
			switch r := m.(type) {
			case *pb.Point:
				if c.Kind() == mockserver.Unary {
					return c.Send(&pb.Feature{Name: "f", Location: r})
				}
			case *pb.Rectangle:
				for i := 0; i < 3; i++ {
					if err := c.Send(&pb.Feature{Name: "s"}); err != nil {
						return err
					}
				}
				return nil
			case *pb.RouteNote:
				if err := c.Send(&pb.RouteNote{Message: "re:" + r.Message}); err != nil {
					return err
				}
			}
		}
	})
	srv := mockserver.Start(t, h, mockserver.WithServices("routeguide.RouteGuide"))
	client := pb.NewRouteGuideClient(srv.ClientConn())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ctx = metadata.AppendToOutgoingContext(ctx, "x-a", "1")
	f, err := client.GetFeature(ctx, &pb.Point{Latitude: 5})
	require.NoError(t, err)
	require.Equal(t, int32(5), f.Location.Latitude)
	calls := srv.Calls()
	require.Len(t, calls, 1)
	require.Equal(t, []string{"1"}, calls[0].Metadata.Get("x-a"))
}
