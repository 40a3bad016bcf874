package expect_test

import (
	"context"
	"fmt"
	"time"

	"google.golang.org/grpc/status"

	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
	"github.com/grpcdouble/grpcdouble/expect"
	"github.com/grpcdouble/grpcdouble/mockserver"
)

// A slow backend that recovers: the first attempt takes an hour (past any
// client deadline), the retry answers at once. In a stub file the same
// delay is a template: delay: '{{ regressive .Hit "1h" "1h" }}'.
func ExampleUnaryExpectation_DelayFunc() {
	m := expect.NewMock()
	m.Unary("/routeguide.RouteGuide/GetFeature").Times(2).
		DelayFunc(func(a expect.Attempt) time.Duration {
			if a.Hit == 1 {
				return time.Hour
			}
			return 0
		}).
		Return(&pb.Feature{Name: "recovered"})
	srv, err := mockserver.New(m)
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	client := pb.NewRouteGuideClient(srv.ClientConn())
	// The first attempt gives up after half a second; the retry may wait
	// longer, and is answered at once.
	for attempt, timeout := range []time.Duration{500 * time.Millisecond, 10 * time.Second} {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		f, err := client.GetFeature(ctx, &pb.Point{})
		cancel()
		fmt.Println(attempt+1, f.GetName(), status.Code(err))
	}
	// Output:
	// 1  DeadlineExceeded
	// 2 recovered OK
}
