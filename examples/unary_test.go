package examples_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
	"github.com/grpcdouble/grpcdouble/expect"
	"github.com/grpcdouble/grpcdouble/mockserver"
)

func TestUnaryExpectation(t *testing.T) {
	m := expect.New(t) // at cleanup: every expectation met, no unexpected call
	m.Unary("/routeguide.RouteGuide/GetFeature").
		WithRequest(&pb.Point{Latitude: 409146138, Longitude: -746188906}).
		Return(&pb.Feature{Name: "Berkshire Valley Management Area Trail"})
	srv := mockserver.Start(t, m)

	client := pb.NewRouteGuideClient(srv.ClientConn())
	got, err := client.GetFeature(testContext(t), &pb.Point{Latitude: 409146138, Longitude: -746188906})
	require.NoError(t, err)
	assert.True(t, proto.Equal(&pb.Feature{Name: "Berkshire Valley Management Area Trail"}, got))
}
