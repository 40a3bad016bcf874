package mockserver_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc"

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
	}
	return nil
})

func benchServers(b *testing.B) map[string]*grpc.ClientConn {
	srv := mockserver.Start(b, benchHandler, mockserver.WithServices(routeGuide))
	bare := mockserver.Start(b, benchHandler, mockserver.WithServices(routeGuide), mockserver.WithoutJournal())
	return map[string]*grpc.ClientConn{
		"generated":            startGeneratedServer(b),
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
// reports the ratio of the totals.
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
	for _, name := range []string{"unary", "stream100"} {
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
}
