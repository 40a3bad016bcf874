package mockserver_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"

	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
	"github.com/grpcdouble/grpcdouble/mockserver"
)

// TestJournalProtocol: the journal says a gRPC call is gRPC, with the codec
// its content-subtype names, and believes a context that WithProtocol
// marked (as the transcoder marks the HTTP protocols).
func TestJournalProtocol(t *testing.T) {
	ms := mockserver.Start(t, kindHandler, mockserver.WithSource(mockserver.GoTypes(routeGuide)))
	client := pb.NewRouteGuideClient(ms.ClientConn())
	_, err := client.GetFeature(testContext(t), &pb.Point{})
	require.NoError(t, err)
	_, err = client.GetFeature(testContext(t), &pb.Point{}, grpc.CallContentSubtype(jsonCodecV1))
	require.NoError(t, err)
	calls := ms.Calls()
	require.Len(t, calls, 2)
	assert.Equal(t, mockserver.Protocol{Name: mockserver.ProtocolGRPC, Codec: "proto"}, calls[0].Protocol)
	assert.Equal(t, mockserver.Protocol{Name: mockserver.ProtocolGRPC, Codec: jsonCodecV1}, calls[1].Protocol)

	p := mockserver.Protocol{Name: mockserver.ProtocolREST, Codec: "json"}
	got, ok := mockserver.ProtocolFrom(mockserver.WithProtocol(context.Background(), p))
	assert.True(t, ok)
	assert.Equal(t, p, got)
}
