package record_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/grpcdouble/grpcdouble/cassette"
	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
	"github.com/grpcdouble/grpcdouble/mockserver"
	"github.com/grpcdouble/grpcdouble/record"
)

func ExampleRecorder_Proxy() {
	// A live server (in real life: somewhere on the network).
	lis, _ := net.Listen("tcp", "127.0.0.1:0")
	live := grpc.NewServer()
	pb.RegisterRouteGuideServer(live, routeGuide{})
	go func() { _ = live.Serve(lis) }()
	defer live.Stop()
	upstream, _ := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	defer upstream.Close()

	dir, _ := os.MkdirTemp("", "record")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "routeguide.cassette")

	// The recording proxy, served by a mock server.
	rec, err := record.Create(path)
	if err != nil {
		fmt.Println(err)
		return
	}
	srv, err := mockserver.New(rec.Proxy(upstream), mockserver.WithServices("routeguide.RouteGuide"))
	if err != nil {
		fmt.Println(err)
		return
	}
	f, err := pb.NewRouteGuideClient(srv.ClientConn()).GetFeature(context.Background(), &pb.Point{Latitude: 3, Longitude: 4})
	fmt.Println(f.GetName(), err)
	_ = srv.Close()
	_ = rec.Close()

	c, _ := cassette.Load(path)
	fmt.Println(len(c.Interactions), c.Interactions[0].Method)
	// Output:
	// feature 3,4 <nil>
	// 1 /routeguide.RouteGuide/GetFeature
}
