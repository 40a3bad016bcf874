package examples_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
	"github.com/grpcdouble/grpcdouble/expect"
	"github.com/grpcdouble/grpcdouble/mockserver"
)

func TestClientStreamExpectation(t *testing.T) {
	m := expect.New(t)
	route := m.ClientStream("/routeguide.RouteGuide/RecordRoute").
		WithRequests(&pb.Point{Latitude: 1}, &pb.Point{Latitude: 2}, &pb.Point{Latitude: 3}).
		Return(&pb.RouteSummary{PointCount: 3, Distance: 42})
	client := pb.NewRouteGuideClient(mockserver.Start(t, m).ClientConn())

	stream, err := client.RecordRoute(testContext(t))
	require.NoError(t, err)
	for i := int32(1); i <= 3; i++ {
		require.NoError(t, stream.Send(&pb.Point{Latitude: i}))
	}
	sum, err := stream.CloseAndRecv()
	require.NoError(t, err)
	assert.Equal(t, int32(42), sum.Distance)

	// What the server received, for assertions of your own.
	require.Len(t, route.Calls(), 1)
	assert.Len(t, route.Calls()[0].Messages, 3)
}
