package transcoder_test

import (
	"context"
	"fmt"
	"log"

	"connectrpc.com/connect"

	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
	"github.com/grpcdouble/grpcdouble/examples/routeguide/routeguideconnect"
	"github.com/grpcdouble/grpcdouble/mockserver"
	"github.com/grpcdouble/grpcdouble/mockserver/transcoder"
)

// A connect-go client reaches the same handler as a grpc-go client, over an
// in-memory HTTP/2 connection; the journal says how each call came in.
func Example() {
	h := mockserver.HandlerFunc(func(c *mockserver.Call) error {
		req, err := c.Recv()
		if err != nil {
			return err
		}
		return c.Send(&pb.Feature{Name: fmt.Sprintf("feature at %d", req.(*pb.Point).Latitude)})
	})
	ms, err := mockserver.New(h, mockserver.WithSource(mockserver.GoTypes("routeguide.RouteGuide")))
	if err != nil {
		log.Fatal(err)
	}
	defer ms.Close()
	web, err := transcoder.New(ms)
	if err != nil {
		log.Fatal(err)
	}
	defer web.Close()

	client := routeguideconnect.NewRouteGuideClient(web.Client(), web.URL(), connect.WithProtoJSON())
	resp, err := client.GetFeature(context.Background(), connect.NewRequest(&pb.Point{Latitude: 42}))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(resp.Msg.Name)
	call := ms.Calls()[0]
	fmt.Println(call.Method, call.Protocol.Name, call.Protocol.Codec)
	// Output:
	// feature at 42
	// /routeguide.RouteGuide/GetFeature connect json
}
