package main

import (
	"context"
	"errors"
	"io"
	"net/http"
	"path/filepath"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/grpcdouble/grpcdouble/admin"
	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
)

// TestStubsAndCassettesMix serves a cassette and a stub together: the
// method with a stub answers from it, the others from the cassette; with
// --replay-once an interaction answers once, until POST /reset.
func TestStubsAndCassettesMix(t *testing.T) {
	t.Parallel()
	upstream, stopUpstream := startUpstream(t, nil)
	file := filepath.Join(t.TempDir(), "mix.cassette")
	addr, _, stop := runInProcess(t, "record", "--listen", "127.0.0.1:0", "--upstream", upstream, "--cassette", file)
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	c := pb.NewRouteGuideClient(dial(t, addr, nil))
	if _, err := c.GetFeature(ctx, &pb.Point{Latitude: 1, Longitude: 2}); err != nil {
		t.Fatal(err)
	}
	listFeatures := func(c pb.RouteGuideClient) (int, error) {
		s, err := c.ListFeatures(ctx, &pb.Rectangle{Lo: &pb.Point{}, Hi: &pb.Point{Latitude: 3}})
		if err != nil {
			return 0, err
		}
		n := 0
		for {
			_, err := s.Recv()
			if errors.Is(err, io.EOF) {
				return n, nil
			}
			if err != nil {
				return n, err
			}
			n++
		}
	}
	if n, err := listFeatures(c); err != nil || n != 3 {
		t.Fatalf("ListFeatures through the recorder: %d, %v", n, err)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	stopUpstream()

	root := moduleRoot(t)
	addr, adminAddr, _ := runInProcess(t, "serve", "--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0",
		"--proto", filepath.Join(root, "testdata/standalone/protos"),
		"--stubs", filepath.Join(root, "testdata/standalone/stubs"),
		"--cassette", file, "--replay-once")
	c = pb.NewRouteGuideClient(dial(t, addr, nil))
	// GetFeature has stubs: the stub answers, not the cassette.
	f, err := c.GetFeature(ctx, &pb.Point{Latitude: 1, Longitude: 2})
	if err != nil || f.GetName() != "Stub feature at 1,2" {
		t.Fatalf("GetFeature = %v, %v; want the stub's answer", f, err)
	}
	// ListFeatures has a stub in the standalone file too: once it is
	// deleted, the cassette answers.
	if code := adminDo(t, "DELETE", "http://"+adminAddr+"/stubs/list-features", "", "", nil); code != http.StatusNoContent {
		t.Fatalf("DELETE list-features: %d", code)
	}
	if n, err := listFeatures(c); err != nil || n != 3 {
		t.Fatalf("ListFeatures from the cassette: %d, %v", n, err)
	}
	// --replay-once: the interaction is used up.
	if _, err := listFeatures(c); status.Code(err) != codes.FailedPrecondition {
		t.Fatalf("ListFeatures again: %v, want FailedPrecondition", err)
	}
	var misses admin.Misses
	if adminDo(t, "GET", "http://"+adminAddr+"/misses", "", "", &misses); len(misses.Cassettes) != 1 || len(misses.Stubs) != 0 {
		t.Fatalf("GET /misses: %+v", misses)
	}
	var x admin.Explanation
	if adminDo(t, "POST", "http://"+adminAddr+"/explain", "", `{"method": "/routeguide.RouteGuide/ListFeatures", "request": {}}`, &x); !x.Cassettes {
		t.Fatalf("POST /explain for a cassette method: %+v", x)
	}
	// Reset restores the stub files and the cassette.
	if code := adminDo(t, "POST", "http://"+adminAddr+"/reset", "", "", nil); code != http.StatusOK {
		t.Fatalf("POST /reset: %d", code)
	}
	if code := adminDo(t, "DELETE", "http://"+adminAddr+"/stubs/list-features", "", "", nil); code != http.StatusNoContent {
		t.Fatalf("DELETE list-features after reset: %d", code)
	}
	if n, err := listFeatures(c); err != nil || n != 3 {
		t.Fatalf("ListFeatures after reset: %d, %v", n, err)
	}
}
