package main

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
)

// TestServeGripmockState: gripmock's .State, an empty map there, renders
// as one from a file as it is, converted, and a stub posted to the admin
// API in gripmock's format.
func TestServeGripmockState(t *testing.T) {
	const stub = `- service: RouteGuide
  method: GetFeature
  input: {equals: {latitude: %d}}
  output:
    data: {name: '{{ .State }} {{ .State.step }} {{ len .State }}'}
`
	serveGripmockBothWays(t, fmt.Sprintf(stub, 1), func(t *testing.T, client pb.RouteGuideClient, adminAddr string) {
		if code := adminDo(t, "POST", "http://"+adminAddr+"/stubs", "", fmt.Sprintf(stub, 2), nil); code != http.StatusCreated {
			t.Fatalf("POST /stubs: %d", code)
		}
		for _, lat := range []int32{1, 2} {
			ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
			f, err := client.GetFeature(ctx, &pb.Point{Latitude: lat})
			cancel()
			if want := "map[] <no value> 0"; err != nil || f.GetName() != want {
				t.Errorf("latitude %d: %q, %v; want %q", lat, f.GetName(), err, want)
			}
		}
	})
}
