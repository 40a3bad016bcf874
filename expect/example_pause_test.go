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

// A chat bot that answers at once, then thinks before its second message:
// a rule's Delay pauses where it is chained, so each message it sends may
// have a pause of its own. In a stub file the rule's answer is steps:
// [{send: ...}, {delay: 1h}, {send: ...}].
func ExampleRule_Delay() {
	m := expect.NewMock()
	m.Bidi("/routeguide.RouteGuide/RouteChat").ForEach(
		expect.OnMessage(expect.Anything()).
			Send(&pb.RouteNote{Message: "got it"}).
			Delay(time.Hour).
			Send(&pb.RouteNote{Message: "thought it over"}),
	)
	srv, err := mockserver.New(m)
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	client := pb.NewRouteGuideClient(srv.ClientConn())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stream, err := client.RouteChat(ctx)
	if err != nil {
		panic(err)
	}
	if err := stream.Send(&pb.RouteNote{Message: "hello"}); err != nil {
		panic(err)
	}
	n, err := stream.Recv()
	if err != nil {
		panic(err)
	}
	fmt.Println(n.GetMessage())
	cancel() // not waiting the hour out
	_, err = stream.Recv()
	fmt.Println(status.Code(err))
	// Output:
	// got it
	// Canceled
}
