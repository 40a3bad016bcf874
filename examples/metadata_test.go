package examples_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
	"github.com/grpcdouble/grpcdouble/expect"
	"github.com/grpcdouble/grpcdouble/mockserver"
)

func TestAssertOnReceivedMetadata(t *testing.T) {
	m := expect.New(t)
	get := m.Unary("/routeguide.RouteGuide/GetFeature").
		WithMetadataRegexp("authorization", "^Bearer ").
		WithMetadataAbsent("x-debug").
		Return(&pb.Feature{Name: "x"}).
		ReturnHeader("x-served-by", "double").
		ReturnTrailer("x-cost", "1")
	srv := mockserver.Start(t, m)
	client := pb.NewRouteGuideClient(srv.ClientConn())

	ctx := metadata.AppendToOutgoingContext(testContext(t), "authorization", "Bearer secret", "trace-bin", "\x01\x02")
	var header, trailer metadata.MD
	_, err := client.GetFeature(ctx, &pb.Point{}, grpc.Header(&header), grpc.Trailer(&trailer))
	require.NoError(t, err)
	assert.Equal(t, []string{"double"}, header.Get("x-served-by"))
	assert.Equal(t, []string{"1"}, trailer.Get("x-cost"))

	calls := get.Calls()
	require.Len(t, calls, 1)
	assert.Equal(t, []string{"Bearer secret"}, calls[0].Metadata.Get("authorization"))
	assert.Equal(t, []string{"\x01\x02"}, calls[0].Metadata.Get("trace-bin")) // -bin values arrive decoded
	assert.True(t, calls[0].HasDeadline)
}
