package examples_test

import (
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

func TestErrorWithDetails(t *testing.T) {
	m := expect.New(t)
	m.Unary("/routeguide.RouteGuide/GetFeature").
		ReturnError(codes.InvalidArgument, "latitude out of range",
			&errdetails.BadRequest{FieldViolations: []*errdetails.BadRequest_FieldViolation{
				{Field: "latitude", Description: "must be within ±90°"},
			}},
			&errdetails.ErrorInfo{Reason: "OUT_OF_RANGE", Domain: "routeguide.example"})
	client := pb.NewRouteGuideClient(mockserver.Start(t, m).ClientConn())

	_, err := client.GetFeature(testContext(t), &pb.Point{Latitude: 1e9})
	st := status.Convert(err)
	assert.Equal(t, codes.InvalidArgument, st.Code())
	require.Len(t, st.Details(), 2)
	assert.Equal(t, "must be within ±90°", st.Details()[0].(*errdetails.BadRequest).FieldViolations[0].Description)
	assert.Equal(t, "OUT_OF_RANGE", st.Details()[1].(*errdetails.ErrorInfo).Reason)
}
