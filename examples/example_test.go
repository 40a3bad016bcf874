package examples_test

import (
	"context"
	"fmt"
	"time"

	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
	"github.com/grpcdouble/grpcdouble/expect"
	"github.com/grpcdouble/grpcdouble/mockserver"
)

// Outside a test (a main, a demo, a standalone tool), expect.NewMock and
// mockserver.New give the same mock without a *testing.T; Verify reports
// what a test's cleanup would.
func Example() {
	m := expect.NewMock()
	m.Unary("/routeguide.RouteGuide/GetFeature").
		WithRequest(&pb.Point{Latitude: 1, Longitude: 2}).
		Return(&pb.Feature{Name: "Stub feature"})
	srv, err := mockserver.New(m)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	f, err := pb.NewRouteGuideClient(srv.ClientConn()).GetFeature(ctx, &pb.Point{Latitude: 1, Longitude: 2})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(f.GetName())
	fmt.Println("verify:", m.Verify())
	fmt.Println("calls in the journal:", len(srv.Calls()))
	// Output:
	// Stub feature
	// verify: <nil>
	// calls in the journal: 1
}
