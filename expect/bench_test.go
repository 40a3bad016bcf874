package expect_test

import (
	"context"
	"fmt"
	"net"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/test/bufconn"

	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
	"github.com/grpcdouble/grpcdouble/expect"
	"github.com/grpcdouble/grpcdouble/mockserver"
)

// generated is the baseline: a hand-written server on the generated code.
type generated struct {
	pb.UnimplementedRouteGuideServer
	resp *pb.Feature
}

func (g *generated) GetFeature(context.Context, *pb.Point) (*pb.Feature, error) { return g.resp, nil }

var (
	benchReq  = &pb.Point{Latitude: 1, Longitude: 2}
	benchResp = &pb.Feature{Name: "x", Location: benchReq, Tags: []string{"a", "b"}}
)

func runUnary(b *testing.B, conn grpc.ClientConnInterface) {
	client := pb.NewRouteGuideClient(conn)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := client.GetFeature(ctx, benchReq); err != nil {
			b.Fatal(err)
		}
	}
}

// startGenerated serves the baseline on bufconn until the benchmark ends.
func startGenerated(b *testing.B) *grpc.ClientConn {
	lis := bufconn.Listen(1 << 20)
	s := grpc.NewServer()
	pb.RegisterRouteGuideServer(s, &generated{resp: benchResp})
	served := make(chan struct{})
	go func() { defer close(served); _ = s.Serve(lis) }()
	b.Cleanup(func() { s.Stop(); <-served })
	conn, err := grpc.NewClient("passthrough:///bufnet",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = conn.Close() })
	return conn
}

// startExpect serves GetFeature through expect, with others expectations on
// the other methods that a call must not pay for.
func startExpect(b *testing.B, journal bool, others int) *grpc.ClientConn {
	m := expect.NewMock()
	m.Unary(getFeature).WithRequest(benchReq).AnyTimes().Return(benchResp)
	for i := range others {
		switch i % 3 {
		case 0:
			m.ServerStream(listFeatures).WithRequest(&pb.Rectangle{Lo: &pb.Point{Latitude: int32(i)}}).Send(benchResp)
		case 1:
			m.ClientStream(recordRoute).WithRequestCount(i).Return(&pb.RouteSummary{})
		default:
			m.Bidi(routeChat).Recv(note(fmt.Sprint(i)))
		}
	}
	var opts []mockserver.Option
	if !journal {
		opts = append(opts, mockserver.WithoutJournal())
	}
	srv, err := mockserver.New(m, opts...)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = srv.Close() })
	return srv.ClientConn()
}

func BenchmarkUnary(b *testing.B) {
	b.Run("generated", func(b *testing.B) { runUnary(b, startGenerated(b)) })
	// journal=on is what a user gets; journal=off shows what the
	// mockserver journal costs apart from matching.
	for _, journal := range []bool{true, false} {
		for _, others := range []int{0, 1000} {
			b.Run(fmt.Sprintf("expect/journal=%v/others=%d", journal, others), func(b *testing.B) {
				runUnary(b, startExpect(b, journal, others))
			})
		}
	}
}

// BenchmarkUnaryPaired alternates the generated server and expect (journal
// on) call by call and reports expect's time over the baseline's as
// "x-generated": on a shared machine, drift between separate benchmarks
// is larger than the difference measured.
func BenchmarkUnaryPaired(b *testing.B) {
	for _, others := range []int{0, 1000} {
		b.Run(fmt.Sprintf("others=%d", others), func(b *testing.B) {
			clients := [2]pb.RouteGuideClient{pb.NewRouteGuideClient(startGenerated(b)), pb.NewRouteGuideClient(startExpect(b, true, others))}
			var total [2]time.Duration
			ctx := context.Background()
			for i := 0; b.Loop(); i++ {
				for j := range 2 {
					k := (i + j) % 2 // alternate which goes first
					start := time.Now()
					if _, err := clients[k].GetFeature(ctx, benchReq); err != nil {
						b.Fatal(err)
					}
					total[k] += time.Since(start)
				}
			}
			if total[0] > 0 {
				b.ReportMetric(float64(total[1])/float64(total[0]), "x-generated")
			}
		})
	}
}
