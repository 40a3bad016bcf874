package examples_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
	"github.com/grpcdouble/grpcdouble/expect"
	"github.com/grpcdouble/grpcdouble/mockserver"
)

func TestDelayTripsDeadline(t *testing.T) {
	m := expect.New(t)
	m.Unary("/routeguide.RouteGuide/GetFeature").Delay(time.Hour).Return(&pb.Feature{})
	client := pb.NewRouteGuideClient(mockserver.Start(t, m).ClientConn())

	// The code under test gives the server 100ms; the double takes longer.
	ctx, cancel := context.WithTimeout(testContext(t), 100*time.Millisecond)
	defer cancel()
	_, err := client.GetFeature(ctx, &pb.Point{})
	assert.Equal(t, codes.DeadlineExceeded, status.Code(err))
}
