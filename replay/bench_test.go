package replay_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"slices"
	"testing"
	"time"

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

// startBaseline serves the baseline on bufconn until the benchmark ends.
func startBaseline(b *testing.B) pb.RouteGuideClient {
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
	b.Cleanup(func() {
		_ = cc.Close()
		s.Stop()
		<-done
	})
	return pb.NewRouteGuideClient(cc)
}

func BenchmarkUnaryBaselineGenerated(b *testing.B) { runUnary(b, startBaseline(b)) }

// startReplay serves one reusable recorded unary call.
func startReplay(b *testing.B, opts ...mockserver.Option) pb.RouteGuideClient {
	in := unary(&pb.Point{Latitude: 1, Longitude: 2}, &pb.Feature{Name: "one", Location: &pb.Point{Latitude: 1, Longitude: 2}}, nil)
	path := write(b, in)
	h, err := replay.Open(path, replay.Reusable())
	if err != nil {
		b.Fatal(err)
	}
	srv := mockserver.Start(b, h, opts...)
	return pb.NewRouteGuideClient(srv.ClientConn())
}

// BenchmarkUnaryPaired alternates the baseline and replay (journal on) call
// by call and reports replay's time over the baseline's as "x-generated",
// which drift on a shared machine cannot skew.
func BenchmarkUnaryPaired(b *testing.B) {
	clients := [2]pb.RouteGuideClient{startBaseline(b), startReplay(b)}
	req := &pb.Point{Latitude: 1, Longitude: 2}
	var total [2]time.Duration
	for i := 0; b.Loop(); i++ {
		for j := range 2 {
			k := (i + j) % 2 // alternate which goes first
			start := time.Now()
			if _, err := clients[k].GetFeature(context.Background(), req); err != nil {
				b.Fatal(err)
			}
			total[k] += time.Since(start)
		}
	}
	if total[0] > 0 {
		b.ReportMetric(float64(total[1])/float64(total[0]), "x-generated")
	}
}

func benchReplay(b *testing.B, opts ...mockserver.Option) { runUnary(b, startReplay(b, opts...)) }

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

// identical is n recorded calls of one request, each answered with its own
// feature ("feature 0", "feature 1", ...).
func identical(n int) []*cassette.Interaction {
	ins := make([]*cassette.Interaction, n)
	for i := range ins {
		ins[i] = unary(&pb.Point{Latitude: 7, Longitude: 7}, &pb.Feature{Name: fmt.Sprintf("feature %d", i)}, nil)
	}
	return ins
}

// BenchmarkReplayIdentical replays cassettes of n interactions of one
// identical request, each used once, as a client making the same call
// again and again gets them: in recorded order. A cassette used up is
// loaded afresh (untimed). calls/s is the rate of the timed calls;
// replay's work per call must not grow with n (the 10,000 case answered
// 71 calls/s against 2,804 for 100).
func BenchmarkReplayIdentical(b *testing.B) {
	for _, n := range []int{100, 1000, 10000} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			c, err := cassette.Load(write(b, identical(n)...))
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			req := &pb.Point{Latitude: 7, Longitude: 7}
			var srv *mockserver.Server
			var client pb.RouteGuideClient
			open := func() {
				if srv != nil {
					_ = srv.Close()
				}
				h, err := replay.New([]*cassette.Cassette{c})
				if err != nil {
					b.Fatal(err)
				}
				if srv, err = mockserver.New(h, mockserver.WithoutJournal()); err != nil {
					b.Fatal(err)
				}
				client = pb.NewRouteGuideClient(srv.ClientConn())
			}
			b.Cleanup(func() {
				if srv != nil {
					_ = srv.Close()
				}
			})
			open()
			var timed time.Duration
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if i > 0 && i%n == 0 {
					b.StopTimer()
					open()
					b.StartTimer()
				}
				start := time.Now()
				f, err := client.GetFeature(ctx, req)
				timed += time.Since(start)
				if err != nil {
					b.Fatal(err)
				}
				if want := fmt.Sprintf("feature %d", i%n); f.GetName() != want {
					b.Fatalf("call %d got %q, want %q", i, f.GetName(), want)
				}
			}
			b.ReportMetric(float64(b.N)/timed.Seconds(), "calls/s")
		})
	}
}

// BenchmarkReplayIdenticalPaired replays three cassettes of one identical
// request (100, 1,000 and 10,000 recordings, each used once, loaded afresh
// when used up) call by call in turn, and reports each one's time per call
// over the 100 one's: drift of a shared machine hits all three alike, so
// "x-100" can be read off one run (within 2 means independent of size).
func BenchmarkReplayIdenticalPaired(b *testing.B) {
	sizes := []int{100, 1000, 10000}
	type side struct {
		n      int
		c      *cassette.Cassette
		srv    *mockserver.Server
		client pb.RouteGuideClient
		used   int
		took   []time.Duration
	}
	sides := make([]*side, len(sizes))
	open := func(s *side) {
		if s.srv != nil {
			_ = s.srv.Close()
		}
		h, err := replay.New([]*cassette.Cassette{s.c})
		if err != nil {
			b.Fatal(err)
		}
		if s.srv, err = mockserver.New(h, mockserver.WithoutJournal()); err != nil {
			b.Fatal(err)
		}
		s.client, s.used = pb.NewRouteGuideClient(s.srv.ClientConn()), 0
	}
	for i, n := range sizes {
		c, err := cassette.Load(write(b, identical(n)...))
		if err != nil {
			b.Fatal(err)
		}
		sides[i] = &side{n: n, c: c}
		open(sides[i])
	}
	b.Cleanup(func() {
		for _, s := range sides {
			_ = s.srv.Close()
		}
	})
	ctx := context.Background()
	req := &pb.Point{Latitude: 7, Longitude: 7}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for j := range sides {
			s := sides[(i+j)%len(sides)] // rotate which goes first
			if s.used == s.n {
				b.StopTimer()
				open(s)
				b.StartTimer()
			}
			start := time.Now()
			f, err := s.client.GetFeature(ctx, req)
			s.took = append(s.took, time.Since(start))
			if err != nil {
				b.Fatal(err)
			}
			if want := fmt.Sprintf("feature %d", s.used); f.GetName() != want {
				b.Fatalf("n=%d: got %q, want %q", s.n, f.GetName(), want)
			}
			s.used++
		}
	}
	// Medians: a call that a busy machine stalls says nothing of replay.
	median := func(d []time.Duration) time.Duration {
		d = slices.Clone(d)
		slices.Sort(d)
		return d[len(d)/2]
	}
	base := median(sides[0].took)
	for _, s := range sides[1:] {
		b.ReportMetric(float64(median(s.took))/float64(base), fmt.Sprintf("x-100(n=%d)", s.n))
	}
	b.ReportMetric(1/median(sides[len(sides)-1].took).Seconds(), "calls/s(n=10000)")
	b.ReportMetric(1/base.Seconds(), "calls/s(n=100)")
}
