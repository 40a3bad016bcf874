package expect_test

import (
	"context"
	"fmt"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
	"github.com/grpcdouble/grpcdouble/expect"
	"github.com/grpcdouble/grpcdouble/mockserver"
)

// Faults for a client to survive: a stream aborted after two messages, a
// message too large for the client, and a dropped connection.
func ExampleServerStreamExpectation_AbortAfter() {
	m := expect.NewMock()
	m.ServerStream("/routeguide.RouteGuide/ListFeatures").
		Send(&pb.Feature{Name: "a"}, &pb.Feature{Name: "b"}, &pb.Feature{Name: "c"}).
		AbortAfter(2, codes.Unavailable, "backend went away")
	m.Unary("/routeguide.RouteGuide/GetFeature").WithRequest(&pb.Point{Latitude: 1}).
		Return(&pb.Feature{Name: "big"}).PadTo(4<<20 + 1)
	m.Unary("/routeguide.RouteGuide/GetFeature").WithRequest(&pb.Point{Latitude: 2}).
		DropConnection()
	srv, err := mockserver.New(m)
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	client := pb.NewRouteGuideClient(srv.ClientConn())

	s, err := client.ListFeatures(ctx, &pb.Rectangle{})
	if err != nil {
		panic(err)
	}
	for {
		f, err := s.Recv()
		if err != nil {
			fmt.Println(status.Code(err), status.Convert(err).Message())
			break
		}
		fmt.Println(f.GetName())
	}
	_, err = client.GetFeature(ctx, &pb.Point{Latitude: 1})
	fmt.Println(status.Code(err))
	_, err = client.GetFeature(ctx, &pb.Point{Latitude: 2})
	fmt.Println(status.Code(err))
	fmt.Println(m.Verify())
	// Output:
	// a
	// b
	// Unavailable backend went away
	// ResourceExhausted
	// Unavailable
	// <nil>
}
