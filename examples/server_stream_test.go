package examples_test

import (
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"

	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
	"github.com/grpcdouble/grpcdouble/expect"
	"github.com/grpcdouble/grpcdouble/mockserver"
)

func TestServerStreamExpectation(t *testing.T) {
	m := expect.New(t)
	m.ServerStream("routeguide.RouteGuide/ListFeatures").
		WithRequestPartial(&pb.Rectangle{Lo: &pb.Point{Latitude: 1}}).
		Pace(time.Millisecond). // between messages
		Send(&pb.Feature{Name: "a"}, &pb.Feature{Name: "b"}, &pb.Feature{Name: "c"}).
		ReturnCode(codes.OK)
	client := pb.NewRouteGuideClient(mockserver.Start(t, m).ClientConn())

	stream, err := client.ListFeatures(testContext(t), &pb.Rectangle{Lo: &pb.Point{Latitude: 1}, Hi: &pb.Point{Latitude: 2}})
	require.NoError(t, err)
	var names []string
	for {
		f, err := stream.Recv()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		names = append(names, f.Name)
	}
	assert.Equal(t, []string{"a", "b", "c"}, names)
}
