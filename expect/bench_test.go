package expect_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/credentials/insecure"
	testpb "google.golang.org/grpc/interop/grpc_testing"
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
func startGenerated(b *testing.B) *grpc.ClientConn { return startGeneratedWith(b, baselineBuf) }

// startGeneratedSameOptions is startGenerated with the double's own gRPC
// settings (see startSameOptions).
func startGeneratedSameOptions(b *testing.B) *grpc.ClientConn {
	return startGeneratedWith(b, doubleBuf, grpc.NumStreamWorkers(uint32(runtime.GOMAXPROCS(0))))
}

func startGeneratedWith(b *testing.B, buf int, opts ...grpc.ServerOption) *grpc.ClientConn {
	lis := bufconn.Listen(buf)
	s := grpc.NewServer(opts...)
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
//
// The "-sameopts" runs pair it with a generated server given the double's
// own gRPC settings (see startSameOptions) instead.
func BenchmarkUnaryPaired(b *testing.B) {
	for _, others := range []int{0, 1000} {
		for _, variant := range []string{"", "-sameopts"} {
			b.Run(fmt.Sprintf("others=%d%s", others, variant), func(b *testing.B) {
				gen := startGenerated
				if variant != "" {
					gen = startGeneratedSameOptions
				}
				pairedRatio(b, pb.NewRouteGuideClient(gen(b)), pb.NewRouteGuideClient(startExpect(b, true, others)), benchReq, "x-generated")
			})
		}
	}
}

// The interop benchmarks measure what issue 9 measured: the grpc interop
// TestService (google.golang.org/grpc/interop/grpc_testing) served through
// expect, the request matched by proto equality, against a hand-written
// server on the generated code, both on bufconn, alternated call by call:
//
//	go test -run '^$' -bench 'Paired' -count 10 ./expect/ | tee paired.txt
//
// Each reports "x-generated" (expect's total time over the baseline's),
// both sides' times per call, and "allocs-x-generated", the ratio of
// allocations per call measured apart from the timed loop (allocation
// counts do not drift with machine load, so they need no pairing).
const (
	tsUnary  = "/grpc.testing.TestService/UnaryCall"
	tsStream = "/grpc.testing.TestService/StreamingOutputCall"
	tsBidi   = "/grpc.testing.TestService/FullDuplexCall"

	streamLen = 100 // messages in the server stream
	rounds    = 10  // ping-pong rounds
)

var (
	tsReq    = &testpb.SimpleRequest{ResponseSize: 16, Payload: &testpb.Payload{Body: []byte("0123456789abcdef")}}
	tsResp   = &testpb.SimpleResponse{Payload: &testpb.Payload{Body: []byte("fedcba9876543210")}, Username: "u"}
	tsStrReq = &testpb.StreamingOutputCallRequest{ResponseParameters: []*testpb.ResponseParameters{{Size: 16}}}
	tsItem   = &testpb.StreamingOutputCallResponse{Payload: &testpb.Payload{Body: []byte("fedcba9876543210")}}
	tsPing   = &testpb.StreamingOutputCallRequest{Payload: &testpb.Payload{Body: []byte("ping")}}
	tsPong   = &testpb.StreamingOutputCallResponse{Payload: &testpb.Payload{Body: []byte("pong")}}
)

// testService is the baseline: what a hand-written test server does.
type testService struct {
	testpb.UnimplementedTestServiceServer
}

func (testService) UnaryCall(context.Context, *testpb.SimpleRequest) (*testpb.SimpleResponse, error) {
	return tsResp, nil
}

func (testService) StreamingOutputCall(_ *testpb.StreamingOutputCallRequest, s testpb.TestService_StreamingOutputCallServer) error {
	for range streamLen {
		if err := s.Send(tsItem); err != nil {
			return err
		}
	}
	return nil
}

func (testService) FullDuplexCall(s testpb.TestService_FullDuplexCallServer) error {
	for {
		if _, err := s.Recv(); err == io.EOF {
			return nil
		} else if err != nil {
			return err
		}
		if err := s.Send(tsPong); err != nil {
			return err
		}
	}
}

// baseline is a generated server on a bufconn listener, as a hand-written
// test starts one: bufconn.Listen, grpc.NewServer, Serve, grpc.NewClient.
type baseline struct {
	lis    *bufconn.Listener
	srv    *grpc.Server
	served chan struct{}
}

// baselineBuf is the baseline's bufconn buffer size: grpc-go's examples
// and most hand-written tests use 1 MiB.
const baselineBuf = 1 << 20

// doubleBuf is the double's own bufconn buffer size (mockserver's default,
// see mockserver.WithBufferSize), for baselines on the same buffers.
const doubleBuf = 64 << 10

func startBaseline() *baseline { return startBaselineWith(baselineBuf) }

// startBaselineWith is the baseline on buffers of buf bytes, its gRPC
// server made with opts.
func startBaselineWith(buf int, opts ...grpc.ServerOption) *baseline {
	bl := &baseline{lis: bufconn.Listen(buf), srv: grpc.NewServer(opts...), served: make(chan struct{})}
	testpb.RegisterTestServiceServer(bl.srv, testService{})
	go func() { defer close(bl.served); _ = bl.srv.Serve(bl.lis) }()
	return bl
}

// sameOptions are the gRPC server settings the double uses (see
// mockserver's serverOptions): its buffer size, and handlers run on one
// long-lived goroutine per CPU. A baseline made with them shows what the
// double costs beyond a generated server set up as it is.
func startSameOptions() *baseline {
	return startBaselineWith(doubleBuf, grpc.NumStreamWorkers(uint32(runtime.GOMAXPROCS(0))))
}

func (bl *baseline) client() (*grpc.ClientConn, error) {
	return grpc.NewClient("passthrough:///bufnet",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return bl.lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
}

func (bl *baseline) stop() { bl.srv.Stop(); <-bl.served }

// tsMock is the double: the same three methods through expect.
func tsMock() *expect.Mock {
	m := expect.NewMock()
	m.Unary(tsUnary).WithRequest(tsReq).AnyTimes().Return(tsResp)
	s := m.ServerStream(tsStream).WithRequest(tsStrReq).AnyTimes()
	for range streamLen {
		s.Send(tsItem)
	}
	bd := m.Bidi(tsBidi).AnyTimes()
	for range rounds {
		bd.Recv(tsPing).Send(tsPong)
	}
	return m
}

func unaryCall(conn grpc.ClientConnInterface) error {
	resp, err := testpb.NewTestServiceClient(conn).UnaryCall(context.Background(), tsReq)
	if err == nil && string(resp.GetPayload().GetBody()) != "fedcba9876543210" {
		err = fmt.Errorf("got %v", resp)
	}
	return err
}

func streamCall(conn grpc.ClientConnInterface) error {
	s, err := testpb.NewTestServiceClient(conn).StreamingOutputCall(context.Background(), tsStrReq)
	if err != nil {
		return err
	}
	n := 0
	for {
		if _, err := s.Recv(); err == io.EOF {
			break
		} else if err != nil {
			return err
		}
		n++
	}
	if n != streamLen {
		return fmt.Errorf("got %d messages, want %d", n, streamLen)
	}
	return nil
}

func pingPong(conn grpc.ClientConnInterface) error {
	s, err := testpb.NewTestServiceClient(conn).FullDuplexCall(context.Background())
	if err != nil {
		return err
	}
	for range rounds {
		if err := s.Send(tsPing); err != nil {
			return err
		}
		if _, err := s.Recv(); err != nil {
			return err
		}
	}
	if err := s.CloseSend(); err != nil {
		return err
	}
	if _, err := s.Recv(); err != io.EOF {
		return fmt.Errorf("after the last round: got %v, want io.EOF", err)
	}
	return nil
}

// pairedOp is one side of a paired benchmark: op runs once and returns the
// time to count (a cycle's connect wait is timed within it).
type pairedOp func() (time.Duration, error)

func timed(f func() error) pairedOp {
	return func() (time.Duration, error) {
		start := time.Now()
		err := f()
		return time.Since(start), err
	}
}

// paired runs gen and dbl once each per iteration, alternating which goes
// first, and reports the ratio of their totals. It also reports the ratio
// of the process CPU time each side's runs used ("cpu-x-generated": client
// and server goroutines alike, and whatever GC work fell in the run), which
// a loaded machine disturbs less than wall time. Then it counts each side's
// allocations per op over allocRuns more runs, apart.
func paired(b *testing.B, gen, dbl pairedOp) {
	b.Helper()
	ops := [2]pairedOp{gen, dbl}
	for _, op := range ops { // warm up: first calls connect
		if _, err := op(); err != nil {
			b.Fatal(err)
		}
	}
	var total, cpu [2]time.Duration
	n := 0
	for i := 0; b.Loop(); i++ {
		for j := range 2 {
			k := (i + j) % 2
			c0 := cpuTime()
			d, err := ops[k]()
			cpu[k] += cpuTime() - c0
			if err != nil {
				b.Fatal(err)
			}
			total[k] += d
		}
		n++
	}
	if total[0] == 0 || n == 0 {
		return
	}
	b.ReportMetric(float64(total[1])/float64(total[0]), "x-generated")
	if cpu[0] > 0 {
		b.ReportMetric(float64(cpu[1])/float64(cpu[0]), "cpu-x-generated")
	}
	b.ReportMetric(float64(total[0].Nanoseconds())/float64(n), "generated-ns/op")
	b.ReportMetric(float64(total[1].Nanoseconds())/float64(n), "expect-ns/op")
	const allocRuns = 100
	var allocs [2]float64
	for k, op := range ops {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		for range allocRuns {
			if _, err := op(); err != nil {
				b.Fatal(err)
			}
		}
		runtime.ReadMemStats(&after)
		allocs[k] = float64(after.Mallocs-before.Mallocs) / allocRuns
	}
	b.ReportMetric(allocs[0], "generated-allocs/op")
	b.ReportMetric(allocs[1], "expect-allocs/op")
	b.ReportMetric(allocs[1]/allocs[0], "allocs-x-generated")
}

// BenchmarkPaired: unary, the 100-message server stream and the 10-round
// ping-pong on one running server each; cycle is a whole test's worth,
// Start + ClientConn() + first unary + Close (the baseline: bufconn.Listen,
// NewServer, Serve, NewClient, first unary, conn Close, Stop); connect is
// ClientConn()'s wait against a generated client's NewClient + Connect +
// wait until ready, on servers started untimed.
//
// Each is measured twice: against the baseline as a hand-written test
// makes it (gRPC's defaults on a 1 MiB bufconn), and, named "-sameopts",
// against a baseline given the double's own gRPC settings (its 64 KiB
// bufconn and a handler goroutine per CPU), which is the double's cost
// beyond a generated server set up as it is.
func BenchmarkPaired(b *testing.B) {
	calls := map[string]func(grpc.ClientConnInterface) error{"unary": unaryCall, "stream100": streamCall, "pingpong10": pingPong}
	baselines := map[string]func() *baseline{"": startBaseline, "-sameopts": startSameOptions}
	for _, name := range []string{"unary", "stream100", "pingpong10"} {
		for _, variant := range []string{"", "-sameopts"} {
			call, start := calls[name], baselines[variant]
			b.Run(name+variant, func(b *testing.B) {
				bl := start()
				b.Cleanup(bl.stop)
				cc, err := bl.client()
				if err != nil {
					b.Fatal(err)
				}
				b.Cleanup(func() { _ = cc.Close() })
				m := tsMock()
				srv, err := mockserver.New(m)
				if err != nil {
					b.Fatal(err)
				}
				b.Cleanup(func() {
					_ = srv.Close()
					if err := m.Verify(); err != nil {
						b.Error(err)
					}
				})
				conn := srv.ClientConn()
				paired(b, timed(func() error { return call(cc) }), timed(func() error { return call(conn) }))
			})
		}
	}
	for _, variant := range []string{"", "-sameopts"} {
		startBL := baselines[variant]
		b.Run("cycle"+variant, func(b *testing.B) {
			gen := timed(func() error {
				bl := startBL()
				defer bl.stop()
				cc, err := bl.client()
				if err != nil {
					return err
				}
				defer cc.Close()
				return unaryCall(cc)
			})
			dbl := timed(func() error {
				m := expect.NewMock()
				m.Unary(tsUnary).WithRequest(tsReq).Return(tsResp)
				srv, err := mockserver.New(m)
				if err != nil {
					return err
				}
				err = unaryCall(srv.ClientConn())
				_ = srv.Close()
				return errors.Join(err, m.Verify())
			})
			paired(b, gen, dbl)
		})
		b.Run("connect"+variant, func(b *testing.B) {
			gen := func() (time.Duration, error) {
				bl := startBL()
				defer bl.stop()
				start := time.Now()
				cc, err := bl.client()
				if err != nil {
					return 0, err
				}
				defer cc.Close()
				if err := awaitReady(cc); err != nil {
					return 0, err
				}
				return time.Since(start), nil
			}
			dbl := func() (time.Duration, error) {
				m := expect.NewMock()
				m.Unary(tsUnary).WithRequest(tsReq).Return(tsResp).Optional()
				srv, err := mockserver.New(m)
				if err != nil {
					return 0, err
				}
				defer srv.Close()
				start := time.Now()
				if st := srv.ClientConn().GetState(); st != connectivity.Ready {
					return 0, fmt.Errorf("ClientConn came back %v", st)
				}
				return time.Since(start), nil
			}
			paired(b, gen, dbl)
		})
	}
}

// awaitReady connects cc and waits until it is ready.
func awaitReady(cc *grpc.ClientConn) error {
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	cc.Connect()
	for st := cc.GetState(); st != connectivity.Ready; st = cc.GetState() {
		if !cc.WaitForStateChange(ctx, st) {
			return fmt.Errorf("not ready within %v: %v", callTimeout, st)
		}
	}
	return nil
}

// cpuTime is the process's CPU time so far, user and system, every thread.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
