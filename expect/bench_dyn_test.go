package expect_test

import (
	"context"
	"testing"
	"time"

	"google.golang.org/grpc"

	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
	"github.com/grpcdouble/grpcdouble/expect"
	"github.com/grpcdouble/grpcdouble/mockserver"
)

// pairedRatio alternates two clients call by call and reports the second's
// time over the first's as unit: on a shared machine, drift between
// separate benchmarks is larger than the difference measured. It also
// reports the ratio of the process CPU time each side's calls took, as
// "cpu-"+unit, which load disturbs less.
func pairedRatio(b *testing.B, base, other pb.RouteGuideClient, otherReq *pb.Point, unit string) {
	clients := [2]pb.RouteGuideClient{base, other}
	reqs := [2]*pb.Point{benchReq, otherReq}
	var total, cpu [2]time.Duration
	ctx := context.Background()
	for i := 0; b.Loop(); i++ {
		for j := range 2 {
			k := (i + j) % 2
			c0, start := cpuTime(), time.Now()
			if _, err := clients[k].GetFeature(ctx, reqs[k]); err != nil {
				b.Fatal(err)
			}
			total[k] += time.Since(start)
			cpu[k] += cpuTime() - c0
		}
	}
	if total[0] > 0 {
		b.ReportMetric(float64(total[1])/float64(total[0]), unit)
	}
	if cpu[0] > 0 {
		b.ReportMetric(float64(cpu[1])/float64(cpu[0]), "cpu-"+unit)
	}
}

func serveMock(b *testing.B, m *expect.Mock) pb.RouteGuideClient {
	srv, err := mockserver.New(m)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = srv.Close() })
	return pb.NewRouteGuideClient(srv.ClientConn())
}

// BenchmarkTemplatePaired: a unary call through a templated stub (the
// response built from the request), against the generated server.
func BenchmarkTemplatePaired(b *testing.B) { templatePaired(b, startGenerated) }

// BenchmarkTemplatePairedSameOpts is BenchmarkTemplatePaired against a
// generated server given the double's own gRPC settings.
func BenchmarkTemplatePairedSameOpts(b *testing.B) { templatePaired(b, startGeneratedSameOptions) }

func templatePaired(b *testing.B, gen func(*testing.B) *grpc.ClientConn) {
	m := expect.NewMock()
	stubs, err := expect.ParseStubs("bench.yaml", []byte(`
- method: routeguide.RouteGuide/GetFeature
  response:
    name: '{{ .Request.latitude }}'
    location: {latitude: "{{ .Request.latitude }}", longitude: "{{ .Request.longitude }}"}
    tags: [a, b]
`), nil)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := m.AddStubs(stubs...); err != nil {
		b.Fatal(err)
	}
	pairedRatio(b, pb.NewRouteGuideClient(gen(b)), serveMock(b, m), benchReq, "x-generated")
}

// BenchmarkFieldMatchersPaired: a unary call through a stub with three
// field matchers, against the generated server.
func BenchmarkFieldMatchersPaired(b *testing.B) { fieldMatchersPaired(b, startGenerated) }

// BenchmarkFieldMatchersPairedSameOpts is BenchmarkFieldMatchersPaired
// against a generated server given the double's own gRPC settings.
func BenchmarkFieldMatchersPairedSameOpts(b *testing.B) {
	fieldMatchersPaired(b, startGeneratedSameOptions)
}

func fieldMatchersPaired(b *testing.B, gen func(*testing.B) *grpc.ClientConn) {
	m := expect.NewMock()
	m.Unary(getFeature).
		WithRequestField("latitude", expect.Eq(1)).
		WithRequestField("longitude", expect.Gt(0)).
		WithRequestField("latitude", expect.Lt(100)).
		AnyTimes().Return(benchResp)
	pairedRatio(b, pb.NewRouteGuideClient(gen(b)), serveMock(b, m), benchReq, "x-generated")
}

// BenchmarkIndexedPaired: the last of 10,000 stubs on one method, each for
// a different latitude (by equal, partial or a field's Eq), against the same
// call with one stub.
func BenchmarkIndexedPaired(b *testing.B) {
	const n = 10_000
	for _, kind := range []string{"equal", "partial", "field"} {
		b.Run(kind, func(b *testing.B) {
			stub := func(m *expect.Mock, lat int) {
				u := m.Unary(getFeature)
				switch kind {
				case "equal":
					u.WithRequest(&pb.Point{Latitude: int32(lat), Longitude: 2})
				case "partial":
					u.WithRequestPartial(&pb.Point{Latitude: int32(lat)})
				default:
					u.WithRequestField("latitude", expect.Eq(lat))
				}
				u.AnyTimes().Return(benchResp)
			}
			one, many := expect.NewMock(), expect.NewMock()
			stub(one, n)
			for i := 1; i <= n; i++ {
				stub(many, i)
			}
			last := &pb.Point{Latitude: n, Longitude: 2}
			clients := [2]pb.RouteGuideClient{serveMock(b, one), serveMock(b, many)}
			var total [2]time.Duration
			ctx := context.Background()
			for i := 0; b.Loop(); i++ {
				for j := range 2 {
					k := (i + j) % 2
					start := time.Now()
					if _, err := clients[k].GetFeature(ctx, last); err != nil {
						b.Fatal(err)
					}
					total[k] += time.Since(start)
				}
			}
			if total[0] > 0 {
				b.ReportMetric(float64(total[1])/float64(total[0]), "x-one-stub")
			}
		})
	}
}
