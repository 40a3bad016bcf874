package replay_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/test/bufconn"

	"github.com/grpcdouble/grpcdouble/cassette"
	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
	"github.com/grpcdouble/grpcdouble/mockserver"
	"github.com/grpcdouble/grpcdouble/replay"
)

// baseline is a hand-written generated-code server doing what a replayed
// unary call does: a header, one response, a trailer.
type baseline struct {
	pb.UnimplementedRouteGuideServer
}

func (baseline) GetFeature(ctx context.Context, p *pb.Point) (*pb.Feature, error) {
	_ = grpc.SetHeader(ctx, metadata.Pairs("x-h", "1"))
	_ = grpc.SetTrailer(ctx, metadata.Pairs("x-t", "2"))
	return &pb.Feature{Name: "one", Location: p}, nil
}

func runUnary(b *testing.B, client pb.RouteGuideClient) {
	ctx := context.Background()
	req := &pb.Point{Latitude: 1, Longitude: 2}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := client.GetFeature(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkUnaryBaselineGenerated(b *testing.B) {
	lis := bufconn.Listen(1 << 20)
	s := grpc.NewServer()
	pb.RegisterRouteGuideServer(s, baseline{})
	done := make(chan struct{})
	go func() { defer close(done); _ = s.Serve(lis) }()
	cc, err := grpc.NewClient("passthrough:///bufconn",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		b.Fatal(err)
	}
	runUnary(b, pb.NewRouteGuideClient(cc))
	b.StopTimer()
	_ = cc.Close()
	s.Stop()
	<-done
}

func benchReplay(b *testing.B, opts ...mockserver.Option) {
	in := unary(&pb.Point{Latitude: 1, Longitude: 2}, &pb.Feature{Name: "one", Location: &pb.Point{Latitude: 1, Longitude: 2}}, nil)
	path := write(b, in)
	h, err := replay.Open(path, replay.Reusable())
	if err != nil {
		b.Fatal(err)
	}
	srv := mockserver.Start(b, h, opts...)
	runUnary(b, pb.NewRouteGuideClient(srv.ClientConn()))
}

func BenchmarkUnaryReplay(b *testing.B) { benchReplay(b) }

func BenchmarkUnaryReplayNoJournal(b *testing.B) { benchReplay(b, mockserver.WithoutJournal()) }

// BenchmarkLoad10k parses a cassette of 10,000 interactions.
func BenchmarkLoad10k(b *testing.B) {
	ins := make([]*cassette.Interaction, 10000)
	for i := range ins {
		ins[i] = unary(&pb.Point{Latitude: int32(i), Longitude: int32(-i)},
			&pb.Feature{Name: fmt.Sprintf("feature %d", i), Location: &pb.Point{Latitude: int32(i)}, Tags: []string{"a", "b"}},
			metadata.Pairs("x-user", "ann"))
	}
	var buf bytes.Buffer
	if err := cassette.Encode(&buf, ins); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for b.Loop() {
		c, err := cassette.Parse(data, "bench")
		if err != nil {
			b.Fatal(err)
		}
		if len(c.Interactions) != len(ins) {
			b.Fatal("lost interactions")
		}
	}
}

// BenchmarkLoadAndBind10k parses 10,000 interactions and decodes every
// message, as serving them requires.
func BenchmarkLoadAndBind10k(b *testing.B) {
	ins := make([]*cassette.Interaction, 10000)
	for i := range ins {
		ins[i] = unary(&pb.Point{Latitude: int32(i)}, &pb.Feature{Name: fmt.Sprintf("feature %d", i)}, nil)
	}
	path := write(b, ins...)
	b.ResetTimer()
	for b.Loop() {
		h, err := replay.Open(path, replay.Reusable())
		if err != nil {
			b.Fatal(err)
		}
		srv, err := mockserver.New(h)
		if err != nil {
			b.Fatal(err)
		}
		_ = srv.Close()
	}
}
