package mockserver_test

import (
	"context"
	"errors"
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
