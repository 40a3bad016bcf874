package main

import (
	"context"
	"testing"

	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
)

// TestServeGripmockClientEmptyInput: the binary serves a gripmock client
// stream stub whose one input names an empty strategy as gripmock does,
// taking every stream, none of its messages too (as it is and after
// convert).
func TestServeGripmockClientEmptyInput(t *testing.T) {
	serveGripmockBothWays(t, `- service: RouteGuide
  method: RecordRoute
  inputs:
    - equals: {}
  output:
    data: {point_count: 7}
`, func(t *testing.T, client pb.RouteGuideClient, _ string) {
		ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
		defer cancel()
		for n, want := range map[int]int32{0: 7, 1: 7, 3: 7} {
			sum, err := recordRoute(ctx, client, n)
			if err != nil || sum.GetPointCount() != want {
				t.Errorf("%d points: %v, %v; want point_count %d", n, sum, err, want)
			}
		}
	})
}
