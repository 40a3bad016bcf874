package mockserver_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/test/bufconn"

	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
	"github.com/grpcdouble/grpcdouble/mockserver"
)

// The benchmarks compare mockserver with a trivial handler against the
// hand-written generated server (routeGuideServer) on a stock bufconn
// listener, in the same run:
//
//	go test -run '^$' -bench . -benchtime 2000x -count 6 ./mockserver/ | tee bench.txt
//	benchstat -col /server bench.txt
//
// On a shared machine, wall time drifts by ±20% between runs; BenchmarkPaired
// alternates the two servers call by call, so drift hits both alike, and
// reports mockserver's time over the generated server's as "x-generated".

// benchHandler is the trivial handler: what routeGuideServer does, through
// the Handler seam.
var benchHandler = mockserver.HandlerFunc(func(c *mockserver.Call) error {
	m, err := c.Recv()
	if err != nil {
		return err
	}
	switch r := m.(type) {
	case *pb.Point:
		return c.Send(&pb.Feature{Name: "f", Location: r})
	case *pb.Rectangle:
		for i := 0; i < streamLen(r); i++ {
			if err := c.Send(&pb.Feature{Name: "f", Location: r.GetLo()}); err != nil {
				return err
			}
		}
	case *pb.RouteNote: // a ping-pong: one note back per note, until the client closes
		for {
			if err := c.Send(&pb.RouteNote{Message: r.GetMessage()}); err != nil {
				return err
			}
			m, err := c.Recv()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return err
			}
			r = m.(*pb.RouteNote)
		}
	}
	return nil
})

// benchGenerated is the baseline with RouteChat too: what benchHandler does.
type benchGenerated struct{ routeGuideServer }

func (benchGenerated) RouteChat(s grpc.BidiStreamingServer[pb.RouteNote, pb.RouteNote]) error {
	for {
		n, err := s.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := s.Send(&pb.RouteNote{Message: n.GetMessage()}); err != nil {
			return err
		}
	}
}

// generatedBuf is the baseline's bufconn buffer: 1 MiB, as grpc-go's
// examples and most hand-written tests have it.
const generatedBuf = 1 << 20

// generated is a hand-written generated server on bufconn, as a test
// starts one; stop it with stop.
type generated struct {
	lis    *bufconn.Listener
	srv    *grpc.Server
	served chan struct{}
}

func startGenerated() *generated {
	g := &generated{lis: bufconn.Listen(generatedBuf), srv: grpc.NewServer(), served: make(chan struct{})}
	pb.RegisterRouteGuideServer(g.srv, benchGenerated{})
	go func() { defer close(g.served); _ = g.srv.Serve(g.lis) }()
	return g
}

func (g *generated) client() (*grpc.ClientConn, error) {
	return grpc.NewClient("passthrough:///bufnet",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return g.lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
}

func (g *generated) stop() { g.srv.Stop(); <-g.served }

func startGeneratedConn(b *testing.B) *grpc.ClientConn {
	g := startGenerated()
	b.Cleanup(g.stop)
	cc, err := g.client()
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = cc.Close() })
	return cc
}

func benchServers(b *testing.B) map[string]*grpc.ClientConn {
	srv := mockserver.Start(b, benchHandler, mockserver.WithServices(routeGuide))
	bare := mockserver.Start(b, benchHandler, mockserver.WithServices(routeGuide), mockserver.WithoutJournal())
	return map[string]*grpc.ClientConn{
		"generated":            startGeneratedConn(b),
		"mockserver":           srv.ClientConn(),
		"mockserver-nojournal": bare.ClientConn(),
	}
}

// reportCPU reports the process's CPU time (user+system, every goroutine,
// client and server alike) per operation as "cpu-ns/op": on a shared machine
// it varies far less than wall time. Call it as defer reportCPU(b)().
func reportCPU(b *testing.B) func() {
	start := cpuTime()
	return func() {
		if b.N > 0 {
			b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
		}
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchNames: the baseline, mockserver as a user gets it, and mockserver
// without its journal (to show what the journal costs).
var benchNames = []string{"generated", "mockserver", "mockserver-nojournal"}

func BenchmarkUnary(b *testing.B) {
	for _, name := range benchNames {
		b.Run("server="+name, func(b *testing.B) {
			client := pb.NewRouteGuideClient(benchServers(b)[name])
			ctx := context.Background()
			req := &pb.Point{Latitude: 1, Longitude: 2}
			b.ReportAllocs()
			defer reportCPU(b)()
			for b.Loop() {
				f, err := client.GetFeature(ctx, req)
				if err != nil {
					b.Fatal(err)
				}
				if f.GetLocation().GetLatitude() != 1 {
					b.Fatalf("got %v", f)
				}
			}
		})
	}
}

func BenchmarkServerStream100(b *testing.B) {
	const n = 100
	for _, name := range benchNames {
		b.Run("server="+name, func(b *testing.B) {
			client := pb.NewRouteGuideClient(benchServers(b)[name])
			ctx := context.Background()
			req := &pb.Rectangle{Lo: &pb.Point{Latitude: 1}, Hi: &pb.Point{Latitude: n}}
			b.ReportAllocs()
			defer reportCPU(b)()
			for b.Loop() {
				stream, err := client.ListFeatures(ctx, req)
				if err != nil {
					b.Fatal(err)
				}
				got := 0
				for {
					_, err := stream.Recv()
					if errors.Is(err, io.EOF) {
						break
					}
					if err != nil {
						b.Fatal(err)
					}
					got++
				}
				if got != n {
					b.Fatalf("got %d features, want %d", got, n)
				}
			}
		})
	}
}

// BenchmarkPaired makes one call to the generated server and one to
// mockserver (journal on, as users get it) per iteration, timing each, and
// reports the ratio of the totals. pingpong10 is ten rounds of a bidi
// stream; cycle is a test's whole use of a server: start, ClientConn, the
// first unary, Close (the baseline: bufconn.Listen, NewServer, Serve,
// NewClient, the first unary, conn Close, Stop).
func BenchmarkPaired(b *testing.B) {
	const n = 100
	calls := map[string]func(pb.RouteGuideClient) error{
		"unary": func(c pb.RouteGuideClient) error {
			f, err := c.GetFeature(context.Background(), &pb.Point{Latitude: 1, Longitude: 2})
			if err == nil && f.GetLocation().GetLatitude() != 1 {
				err = fmt.Errorf("got %v", f)
			}
			return err
		},
		"stream100": func(c pb.RouteGuideClient) error {
			s, err := c.ListFeatures(context.Background(), &pb.Rectangle{Lo: &pb.Point{Latitude: 1}, Hi: &pb.Point{Latitude: n}})
			if err != nil {
				return err
			}
			got := 0
			for {
				if _, err := s.Recv(); errors.Is(err, io.EOF) {
					break
				} else if err != nil {
					return err
				}
				got++
			}
			if got != n {
				return fmt.Errorf("got %d features, want %d", got, n)
			}
			return nil
		},
	}
	calls["pingpong10"] = pingPong
	for _, name := range []string{"unary", "stream100", "pingpong10"} {
		call := calls[name]
		b.Run(name, func(b *testing.B) {
			conns := benchServers(b)
			gen, mock := pb.NewRouteGuideClient(conns["generated"]), pb.NewRouteGuideClient(conns["mockserver"])
			var tGen, tMock time.Duration
			for i := 0; b.Loop(); i++ {
				// Alternate which goes first, so neither always runs on a
				// warmer cache.
				first, second, t1, t2 := gen, mock, &tGen, &tMock
				if i%2 == 1 {
					first, second, t1, t2 = mock, gen, &tMock, &tGen
				}
				for _, c := range []struct {
					client pb.RouteGuideClient
					total  *time.Duration
				}{{first, t1}, {second, t2}} {
					start := time.Now()
					if err := call(c.client); err != nil {
						b.Fatal(err)
					}
					*c.total += time.Since(start)
				}
			}
			if tGen > 0 {
				b.ReportMetric(float64(tMock)/float64(tGen), "x-generated")
			}
		})
	}
	b.Run("cycle", func(b *testing.B) {
		cycles := [2]func() error{
			func() error {
				g := startGenerated()
				defer g.stop()
				cc, err := g.client()
				if err != nil {
					return err
				}
				defer cc.Close()
				return getFeature(pb.NewRouteGuideClient(cc))
			},
			func() error {
				srv, err := mockserver.New(benchHandler, mockserver.WithServices(routeGuide))
				if err != nil {
					return err
				}
				defer srv.Close()
				return getFeature(pb.NewRouteGuideClient(srv.ClientConn()))
			},
		}
		var total [2]time.Duration
		for i := 0; b.Loop(); i++ {
			for j := range 2 {
				k := (i + j) % 2
				start := time.Now()
				if err := cycles[k](); err != nil {
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

func getFeature(c pb.RouteGuideClient) error {
	f, err := c.GetFeature(context.Background(), &pb.Point{Latitude: 1, Longitude: 2})
	if err == nil && f.GetLocation().GetLatitude() != 1 {
		err = fmt.Errorf("got %v", f)
	}
	return err
}

// pingPong is ten rounds of RouteChat, then the client closes its side.
func pingPong(c pb.RouteGuideClient) error {
	s, err := c.RouteChat(context.Background())
	if err != nil {
		return err
	}
	for i := range 10 {
		msg := fmt.Sprint("n", i)
		if err := s.Send(&pb.RouteNote{Message: msg}); err != nil {
			return err
		}
		n, err := s.Recv()
		if err != nil {
			return err
		}
		if n.GetMessage() != msg {
			return fmt.Errorf("round %d: got %q, want %q", i, n.GetMessage(), msg)
		}
	}
	if err := s.CloseSend(); err != nil {
		return err
	}
	if _, err := s.Recv(); !errors.Is(err, io.EOF) {
		return fmt.Errorf("after the last round: got %v, want io.EOF", err)
	}
	return nil
}

// BenchmarkStarts is what a suite of many small tests pays per server:
// Start, ClientConn (which waits until connected), the first unary and
// Close, each phase's wall time per start, and "s/5000-starts", what 5,000
// such tests spend on it. None of it is a sleep or a poll: ClientConn's
// wait is the connection's own handshake, the same a generated client's
// first call waits for (BenchmarkPaired/connect in package expect).
//
// cpu-ns/op is the process's CPU time per start: on a machine that is not
// loaded, ns/op is about cpu-ns/op over the cores used, so what a start
// costs is work, not waiting.
func BenchmarkStarts(b *testing.B) {
	var start, connect, call, stop time.Duration
	defer reportCPU(b)()
	for b.Loop() {
		t0 := time.Now()
		srv, err := mockserver.New(benchHandler, mockserver.WithServices(routeGuide))
		if err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		conn := srv.ClientConn()
		t2 := time.Now()
		err = getFeature(pb.NewRouteGuideClient(conn))
		t3 := time.Now()
		_ = srv.Close()
		t4 := time.Now()
		if err != nil {
			b.Fatal(err)
		}
		start, connect, call, stop = start+t1.Sub(t0), connect+t2.Sub(t1), call+t3.Sub(t2), stop+t4.Sub(t3)
	}
	n := float64(b.N)
	b.ReportMetric(float64(start)/n, "start-ns")
	b.ReportMetric(float64(connect)/n, "connect-ns")
	b.ReportMetric(float64(call)/n, "first-call-ns")
	b.ReportMetric(float64(stop)/n, "close-ns")
	b.ReportMetric(float64(start+connect+call+stop)/n*5000/1e9, "s/5000-starts")
}
