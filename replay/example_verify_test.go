package replay_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	"github.com/grpcdouble/grpcdouble/cassette"
	"github.com/grpcdouble/grpcdouble/internal/verifytest"
	vpb "github.com/grpcdouble/grpcdouble/internal/verifytest/verifypb"
	"github.com/grpcdouble/grpcdouble/record"
	"github.com/grpcdouble/grpcdouble/replay"
)

// Check compares a cassette with the live service it was recorded from. Here
// the service renames an item after the recording: the check names the
// interaction and the field.
func ExampleCheck() {
	// A live service (in a real job: staging), recorded once.
	lis, _ := net.Listen("tcp", "127.0.0.1:0")
	live := verifytest.New()
	gs := grpc.NewServer()
	vpb.RegisterInventoryServer(gs, live)
	go func() { _ = gs.Serve(lis) }()
	defer gs.Stop()
	conn, _ := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	defer conn.Close()

	dir, _ := os.MkdirTemp("", "verify")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "inventory.cassette")
	rec, _ := record.Create(path, record.WithoutTiming())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	recConn, _ := grpc.NewClient(lis.Addr().String(), append(rec.DialOptions(), grpc.WithTransportCredentials(insecure.NewCredentials()))...)
	_, _ = vpb.NewInventoryClient(recConn).GetItem(metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer secret"), &vpb.GetItemRequest{Id: "b1"})
	_ = recConn.Close()
	_ = rec.Close()

	// The service changes; the check says how.
	live.SetName("b1", "pail")
	c, _ := cassette.Load(path)
	rep, err := replay.Check(ctx, c, conn, replay.SetMetadata("authorization", "Bearer secret"))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range rep.Results {
		fmt.Println(r.Outcome, r.Method)
		for _, d := range r.Diffs {
			fmt.Println(" ", d.Part)
		}
	}
	// Output:
	// drift /verifytest.v1.Inventory/GetItem
	//   server message #1
}
