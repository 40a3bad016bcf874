package main

import (
	"context"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/testing/protocmp"

	"github.com/grpcdouble/grpcdouble/admin"
	"github.com/grpcdouble/grpcdouble/cassette"
	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
)

// recordRoute sends points on RecordRoute and returns the summary.
func recordRoute(ctx context.Context, c pb.RouteGuideClient, n int) (*pb.RouteSummary, error) {
	stream, err := c.RecordRoute(ctx)
	if err != nil {
		return nil, err
	}
	for i := range n {
		if err := stream.Send(&pb.Point{Latitude: int32(i)}); err != nil {
			return nil, err
		}
	}
	return stream.CloseAndRecv()
}

// TestUpstreamFallbackE2E: serve --upstream forwards the calls no stub
// answers to a live server, and --record appends them to a cassette; the
// journal and /misses say which calls went upstream. Then, with the
// upstream stopped, a server replays the recorded calls from the cassette.
func TestUpstreamFallbackE2E(t *testing.T) {
	t.Parallel()
	upstream, stopUpstream := startUpstream(t, nil)
	file := filepath.Join(t.TempDir(), "episodes.cassette")
	p := startProc(t, "serve", "--listen", "127.0.0.1:0", "--proto", "testdata/standalone/protos",
		"--stubs", "testdata/standalone/stubs", "--admin", "127.0.0.1:0",
		"--upstream", upstream, "--record", file)
	client := pb.NewRouteGuideClient(dial(t, p.Addr, nil))
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()

	// A stub answers what it matches...
	f, err := client.GetFeature(ctx, &pb.Point{Latitude: 1, Longitude: 2})
	if err != nil || f.GetName() != "Stub feature at 1,2" {
		t.Fatalf("GetFeature(1,2), stubbed: %v, %v", f, err)
	}
	// ... and the upstream the rest.
	f, err = client.GetFeature(ctx, &pb.Point{Latitude: 7, Longitude: 8})
	if err != nil || f.GetName() != "feature at 7,8" {
		t.Fatalf("GetFeature(7,8), no stub: %v, %v; want the upstream's answer", f, err)
	}
	sum, err := recordRoute(ctx, client, 2) // the stub wants 3 points
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&pb.RouteSummary{PointCount: 2, Distance: 20}, sum, protocmp.Transform()); diff != "" {
		t.Fatalf("RecordRoute from the upstream (-want +got):\n%s", diff)
	}

	base := "http://" + p.AdminAddr
	var calls []admin.Call
	adminDo(t, "GET", base+"/calls", "", "", &calls)
	var answers []string
	for _, c := range calls {
		answers = append(answers, c.Method+" "+c.Answer)
	}
	want := []string{
		"/routeguide.RouteGuide/GetFeature stub:feature-1-2",
		"/routeguide.RouteGuide/GetFeature upstream",
		"/routeguide.RouteGuide/RecordRoute upstream",
	}
	if diff := cmp.Diff(want, answers); diff != "" {
		t.Fatalf("journal answers (-want +got):\n%s", diff)
	}
	var misses admin.Misses
	adminDo(t, "GET", base+"/misses", "", "", &misses)
	if len(misses.Upstream) != 2 || len(misses.Stubs) != 0 ||
		!strings.HasPrefix(misses.Upstream[0], "/routeguide.RouteGuide/GetFeature (call 2): sent upstream, answered OK") {
		t.Fatalf("GET /misses: %+v", misses)
	}

	// Stop both; the cassette holds the two forwarded calls.
	if err := p.stop(t, syscall.SIGTERM); err != nil {
		t.Fatalf("serve: %v\n%s", err, p.stderr)
	}
	if !strings.Contains(p.stderr.String(), "recorded=2") {
		t.Fatalf("the stop log does not say two calls were recorded:\n%s", p.stderr)
	}
	stopUpstream()
	c, err := cassette.Load(file)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Interactions) != 2 {
		t.Fatalf("cassette holds %d interactions, want 2", len(c.Interactions))
	}

	// Replay them with the upstream gone.
	r := startProc(t, "serve", "--listen", "127.0.0.1:0", "--proto", "testdata/standalone/protos", "--cassette", file)
	replayed := pb.NewRouteGuideClient(dial(t, r.Addr, nil))
	f, err = replayed.GetFeature(ctx, &pb.Point{Latitude: 7, Longitude: 8})
	if err != nil || f.GetName() != "feature at 7,8" {
		t.Fatalf("GetFeature(7,8) replayed: %v, %v", f, err)
	}
	sum, err = recordRoute(ctx, replayed, 2)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&pb.RouteSummary{PointCount: 2, Distance: 20}, sum, protocmp.Transform()); diff != "" {
		t.Fatalf("RecordRoute replayed (-want +got):\n%s", diff)
	}
}

// TestUpstreamRefused: an upstream that refuses connections fails only the
// calls sent to it, with UNAVAILABLE naming the upstream; stubs keep
// answering.
func TestUpstreamRefused(t *testing.T) {
	root := moduleRoot(t)
	addr, _, _ := runInProcess(t, "serve", "--listen", "127.0.0.1:0", "--proto", filepath.Join(root, "testdata/standalone/protos"),
		"--stubs", filepath.Join(root, "testdata/standalone/stubs"), "--upstream", "127.0.0.1:1")
	client := pb.NewRouteGuideClient(dial(t, addr, nil))
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	for range 2 {
		_, err := client.GetFeature(ctx, &pb.Point{Latitude: 7})
		if status.Code(err) != codes.Unavailable {
			t.Fatalf("GetFeature with no stub and a refusing upstream: %v, want Unavailable", err)
		}
		msg := status.Convert(err).Message()
		if !strings.Contains(msg, "no stub or cassette answers /routeguide.RouteGuide/GetFeature, and the upstream 127.0.0.1:1 is unavailable: connection error") {
			t.Fatalf("the status does not name the upstream: %q", msg)
		}
		f, err := client.GetFeature(ctx, &pb.Point{Latitude: 1, Longitude: 2})
		if err != nil || f.GetName() != "Stub feature at 1,2" {
			t.Fatalf("a stubbed call beside a refusing upstream: %v, %v", f, err)
		}
	}
}

// TestRecordNeedsUpstream: --record without --upstream is refused at once.
func TestRecordNeedsUpstream(t *testing.T) {
	_, stderr, code := runProc(t, serveArgs("--record", filepath.Join(t.TempDir(), "x.cassette"))...)
	if code != 2 || !strings.Contains(stderr, "--record: only the calls sent to --upstream are recorded; give --upstream ADDR") {
		t.Fatalf("exit %d:\n%s", code, stderr)
	}
}
