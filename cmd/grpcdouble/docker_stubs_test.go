package main

import (
	"context"
	"errors"
	"io"
	"path/filepath"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
)

// standaloneStubs is the stub file README and the image test serve.
const standaloneStubs = "testdata/standalone/stubs/routeguide.yaml"

// writeDockerStubs copies the standalone stubs into dir.
func writeDockerStubs(t *testing.T, dir string) {
	t.Helper()
	copyFile(t, filepath.Join(moduleRoot(t), standaloneStubs), filepath.Join(dir, "routeguide.yaml"), 0o644)
}

// checkStandaloneStubs checks the answers of testdata/standalone/stubs for
// every RPC kind.
func checkStandaloneStubs(ctx context.Context, t *testing.T, c pb.RouteGuideClient) {
	t.Helper()
	// Unary, with headers and trailers.
	var header, trailer metadata.MD
	f, err := c.GetFeature(ctx, &pb.Point{Latitude: 1, Longitude: 2}, grpc.Header(&header), grpc.Trailer(&trailer))
	if err != nil || f.GetName() != "Stub feature at 1,2" || f.GetTerrain() != pb.Terrain_TERRAIN_FOREST {
		t.Fatalf("GetFeature(1,2) = %v, %v", f, err)
	}
	if got := header.Get("x-stub"); len(got) != 1 || got[0] != "feature-1-2" {
		t.Errorf("header x-stub = %q", got)
	}
	if got := trailer.Get("x-cost"); len(got) != 1 || got[0] != "1" {
		t.Errorf("trailer x-cost = %q", got)
	}
	// Unary error with a Unicode message, matched on metadata.
	actx := metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer let-me-in")
	_, err = c.GetFeature(actx, &pb.Point{Latitude: 42})
	if st := status.Convert(err); st.Code() != codes.PermissionDenied || st.Message() != "Zutritt verboten — 立入禁止" {
		t.Errorf("GetFeature(42) with token: %v", err)
	}
	// A miss names the nearest stub.
	_, err = c.GetFeature(ctx, &pb.Point{Latitude: 42})
	if st := status.Convert(err); st.Code() != codes.FailedPrecondition {
		t.Errorf("GetFeature(42) without token: %v, want FailedPrecondition", err)
	}
	// Server streaming.
	ls, err := c.ListFeatures(ctx, &pb.Rectangle{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for {
		f, err := ls.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("ListFeatures: %v", err)
		}
		names = append(names, f.GetName())
	}
	if len(names) != 3 || names[0] != "first" || names[2] != "third" {
		t.Errorf("ListFeatures = %v", names)
	}
	// Client streaming.
	rr, err := c.RecordRoute(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if err := rr.Send(&pb.Point{Latitude: int32(i)}); err != nil {
			t.Fatal(err)
		}
	}
	sum, err := rr.CloseAndRecv()
	if err != nil || sum.GetPointCount() != 3 || sum.GetDistance() != 30 {
		t.Errorf("RecordRoute = %v, %v", sum, err)
	}
	// Bidi ping-pong.
	chat, err := c.RouteChat(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []string{"hello", "bye"} {
		if err := chat.Send(&pb.RouteNote{Message: m}); err != nil {
			t.Fatal(err)
		}
		got, err := chat.Recv()
		if err != nil {
			t.Fatalf("RouteChat after %q: %v", m, err)
		}
		if want := map[string]string{"hello": "HELLO", "bye": "BYE"}[m]; got.GetMessage() != want {
			t.Errorf("RouteChat(%q) = %q, want %q", m, got.GetMessage(), want)
		}
	}
	if err := chat.CloseSend(); err != nil {
		t.Fatal(err)
	}
	if _, err := chat.Recv(); !errors.Is(err, io.EOF) {
		t.Errorf("RouteChat end: %v, want EOF", err)
	}
}
