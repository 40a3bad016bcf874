package examples_test

import (
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
	"github.com/grpcdouble/grpcdouble/expect"
	"github.com/grpcdouble/grpcdouble/mockserver"
)

func note(s string) *pb.RouteNote { return &pb.RouteNote{Message: s} }

func TestBidiPingPong(t *testing.T) {
	m := expect.New(t)
	m.Bidi("/routeguide.RouteGuide/RouteChat").
		Recv(note("a")).Send(note("A")).
		Recv(note("b")).Send(note("B"))
	client := pb.NewRouteGuideClient(mockserver.Start(t, m).ClientConn())

	stream, err := client.RouteChat(testContext(t))
	require.NoError(t, err)
	for _, s := range []string{"a", "b"} {
		require.NoError(t, stream.Send(note(s)))
		reply, err := stream.Recv()
		require.NoError(t, err)
		assert.Equal(t, map[string]string{"a": "A", "b": "B"}[s], reply.Message)
	}
	require.NoError(t, stream.CloseSend())
	_, err = stream.Recv()
	assert.Equal(t, io.EOF, err)
}
