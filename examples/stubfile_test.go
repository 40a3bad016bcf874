package examples_test

import (
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
	"github.com/grpcdouble/grpcdouble/expect"
	"github.com/grpcdouble/grpcdouble/mockserver"
)

func TestStubFile(t *testing.T) {
	m := expect.New(t)
	require.NoError(t, m.LoadStubs("stubs"))
	client := pb.NewRouteGuideClient(mockserver.Start(t, m).ClientConn())

	f, err := client.GetFeature(testContext(t), &pb.Point{Latitude: 1})
	require.NoError(t, err)
	assert.Equal(t, "from a stub file", f.Name)
	assert.Equal(t, pb.Terrain_TERRAIN_WATER, f.Terrain)

	_, err = client.GetFeature(testContext(t), &pb.Point{Latitude: 404})
	st := status.Convert(err)
	assert.Equal(t, codes.NotFound, st.Code())
	require.Len(t, st.Details(), 1)
	assert.Equal(t, "FEATURE_MISSING", st.Details()[0].(*errdetails.ErrorInfo).Reason)

	chat, err := client.RouteChat(testContext(t))
	require.NoError(t, err)
	require.NoError(t, chat.Send(&pb.RouteNote{Message: "ping"}))
	reply, err := chat.Recv()
	require.NoError(t, err)
	assert.Equal(t, "pong", reply.Message)
	require.NoError(t, chat.CloseSend())
	_, err = chat.Recv()
	assert.Equal(t, io.EOF, err)
}
