package examples_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
	"github.com/grpcdouble/grpcdouble/expect"
	"github.com/grpcdouble/grpcdouble/mockserver"
)

// getWithRetry stands for the code under test: it retries Unavailable.
func getWithRetry(ctx context.Context, c pb.RouteGuideClient, p *pb.Point) (*pb.Feature, int, error) {
	for attempt := 1; ; attempt++ {
		f, err := c.GetFeature(ctx, p)
		if status.Code(err) != codes.Unavailable || attempt == 3 {
			return f, attempt, err
		}
	}
}

func TestRetryScenario(t *testing.T) {
	m := expect.New(t)
	m.Unary("/routeguide.RouteGuide/GetFeature").Times(2).ReturnError(codes.Unavailable, "warming up")
	m.Unary("/routeguide.RouteGuide/GetFeature").Return(&pb.Feature{Name: "ready"})
	client := pb.NewRouteGuideClient(mockserver.Start(t, m).ClientConn())

	f, attempts, err := getWithRetry(testContext(t), client, &pb.Point{})
	require.NoError(t, err)
	assert.Equal(t, "ready", f.Name)
	assert.Equal(t, 3, attempts)
}
