package mockserver_test

import (
	"fmt"
	"io"
	"testing"

	"github.com/stretchr/testify/require"

	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
	"github.com/grpcdouble/grpcdouble/mockserver"
)

// Servers of one linked service share its method table and gRPC
// description (made once per process); each must still answer its own calls
// with its own handler and journal them in its own journal.
func TestServersOfOneServiceAnswerEachTheirOwn(t *testing.T) {
	ctx := testContext(t)
	const n = 3
	srvs := make([]*mockserver.Server, n)
	for i := range srvs {
		name := fmt.Sprintf("server %d", i)
		srvs[i] = mockserver.Start(t, mockserver.HandlerFunc(func(c *mockserver.Call) error {
			if c.Method().Name() == "ListFeatures" {
				if _, err := c.Recv(); err != nil {
					return err
				}
				for range 2 {
					if err := c.Send(&pb.Feature{Name: name}); err != nil {
						return err
					}
				}
				return nil
			}
			if _, err := c.Recv(); err != nil {
				return err
			}
			return c.Send(&pb.Feature{Name: name})
		}), mockserver.WithServices(routeGuide))
	}
	for round := range 2 {
		for i, srv := range srvs {
			want := fmt.Sprintf("server %d", i)
			client := pb.NewRouteGuideClient(srv.ClientConn())
			f, err := client.GetFeature(ctx, &pb.Point{Latitude: int32(i)})
			require.NoError(t, err)
			require.Equal(t, want, f.GetName(), "round %d", round)
			stream, err := client.ListFeatures(ctx, &pb.Rectangle{})
			require.NoError(t, err)
			got := 0
			for {
				f, err := stream.Recv()
				if err == io.EOF {
					break
				}
				require.NoError(t, err)
				require.Equal(t, want, f.GetName(), "round %d", round)
				got++
			}
			require.Equal(t, 2, got, "round %d: features from %s", round, want)
		}
	}
	for i, srv := range srvs {
		// A server of one service looks methods up in the table's own map.
		md, err := srv.Method("routeguide.RouteGuide/GetFeature")
		require.NoError(t, err)
		require.Equal(t, "GetFeature", string(md.Name()))
		_, err = srv.Method("/routeguide.RouteGuide/GetFeatur")
		require.ErrorIs(t, err, mockserver.ErrUnknownMethod)
		require.ErrorContains(t, err, "/routeguide.RouteGuide/GetFeature")
		calls := srv.Calls()
		require.Len(t, calls, 4, "server %d journals only its own calls", i)
		require.Len(t, srv.CallsTo("/routeguide.RouteGuide/GetFeature"), 2, "server %d", i)
	}
}

// Only linked services' tables are kept: descriptors loaded from .proto
// files are new at every start, and keeping theirs would grow the process
// by a table per start.
func TestOnlyLinkedServicesKeepTheirTables(t *testing.T) {
	mockserver.Start(t, kindHandler, mockserver.WithServices(routeGuide))
	linked := mockserver.LinkedTables()
	require.Positive(t, linked)
	for range 3 {
		srv := mockserver.Start(t, kindHandler, mockserver.WithServices(routeGuide), mockserver.WithProtoFiles([]string{protoDir}, echoProto))
		require.NoError(t, srv.Close())
	}
	require.Equal(t, linked, mockserver.LinkedTables(), "starts from .proto files or of a linked service already seen add no table")
}
