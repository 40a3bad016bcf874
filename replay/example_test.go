package replay_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"

	"google.golang.org/grpc/status"

	"github.com/grpcdouble/grpcdouble/cassette"
	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
	"github.com/grpcdouble/grpcdouble/mockserver"
	"github.com/grpcdouble/grpcdouble/replay"
)

func ExampleOpen() {
	// A cassette as record writes it (usually a file under testdata/).
	dir, _ := os.MkdirTemp("", "replay")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "routeguide.cassette")
	var buf bytes.Buffer
	_ = cassette.Encode(&buf, []*cassette.Interaction{{
		Method: "/routeguide.RouteGuide/GetFeature",
		Events: []cassette.Event{
			{Type: cassette.ClientMessage, Message: cassette.NewMessage(&pb.Point{Latitude: 1})},
			{Type: cassette.HalfClose},
			{Type: cassette.ServerMessage, Message: cassette.NewMessage(&pb.Feature{Name: "summit"})},
		},
	}})
	_ = os.WriteFile(path, buf.Bytes(), 0o644)

	h, err := replay.Open(path) // in a test: replay.Open(path, replay.WithT(t))
	if err != nil {
		fmt.Println(err)
		return
	}
	srv, err := mockserver.New(h) // serves routeguide.RouteGuide: the cassette names it
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()
	client := pb.NewRouteGuideClient(srv.ClientConn())

	f, err := client.GetFeature(context.Background(), &pb.Point{Latitude: 1})
	fmt.Println(f.GetName(), err)
	_, err = client.GetFeature(context.Background(), &pb.Point{Latitude: 2})
	fmt.Println(status.Code(err) == replay.NoMatchCode)
	fmt.Println(len(h.Misses()), len(h.Unused()))
	// Output:
	// summit <nil>
	// true
	// 1 0
}
