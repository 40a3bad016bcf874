package examples_test

import (
	"testing"

	"connectrpc.com/connect"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
	"github.com/grpcdouble/grpcdouble/examples/routeguide/routeguideconnect"
	"github.com/grpcdouble/grpcdouble/expect"
	"github.com/grpcdouble/grpcdouble/mockserver"
	"github.com/grpcdouble/grpcdouble/mockserver/transcoder"
)

// TestConnectClient is the README's Connect snippet: the same expectation
// answers a connect-go client, in memory.
func TestConnectClient(t *testing.T) {
	m := expect.New(t)
	m.Unary("/routeguide.RouteGuide/GetFeature").WithRequest(&pb.Point{Latitude: 1}).Return(&pb.Feature{Name: "x"})

	srv := mockserver.Start(t, m)
	web := transcoder.Start(t, srv)
	client := routeguideconnect.NewRouteGuideClient(web.Client(), web.URL()) // connect.WithGRPCWeb(), connect.WithProtoJSON(), ...

	resp, err := client.GetFeature(testContext(t), connect.NewRequest(&pb.Point{Latitude: 1}))
	require.NoError(t, err)
	assert.Equal(t, "x", resp.Msg.GetName())
	assert.Equal(t, mockserver.ProtocolConnect, srv.Calls()[0].Protocol.Name)
}
