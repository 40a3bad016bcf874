package main

import (
	"context"
	"net/http"
	"path/filepath"
	"testing"

	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
)

// Of client-stream stubs that each look for one message, the one about the
// later message answers: natively with requests: {latest: ...}, and for
// gripmock's input on a client stream, from a file and through the admin
// API of the binary.
func TestServeLatestClientStreamStubs(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "native.yaml"), `- method: routeguide.RouteGuide/RecordRoute
  requests: {latest: {partial: {latitude: 1}}}
  response: {pointCount: 1}
- method: routeguide.RouteGuide/RecordRoute
  requests: {latest: {partial: {latitude: 2}}}
  response: {pointCount: 2}
`)
	writeFile(t, filepath.Join(dir, "gripmock.yaml"), `- service: RouteGuide
  method: RecordRoute
  input: {equals: {latitude: 11, longitude: 1}}
  output: {data: {pointCount: 11}}
- service: RouteGuide
  method: RecordRoute
  input: {equals: {latitude: 12, longitude: 1}}
  output: {data: {pointCount: 12}}
`)
	p := startProc(t, serveArgs("--stubs", dir, "--admin", "127.0.0.1:0")...)
	base := "http://" + p.AdminAddr
	for _, body := range []string{
		"method: routeguide.RouteGuide/RecordRoute\nrequests: {latest: {partial: {latitude: 21}}}\nresponse: {pointCount: 21}\n",
		`{"service": "RouteGuide", "method": "RecordRoute", "input": {"equals": {"latitude": 22, "longitude": 1}}, "output": {"data": {"pointCount": 22}}}`,
		"method: routeguide.RouteGuide/RecordRoute\nrequests: {latest: {partial: {latitude: 23}}}\nresponse: {pointCount: 23}\n",
	} {
		if code := adminDo(t, "POST", base+"/stubs", "", body, nil); code != http.StatusCreated {
			t.Fatalf("POST /stubs %s: %d", body, code)
		}
	}
	client := pb.NewRouteGuideClient(dial(t, p.Addr, nil))
	for _, tc := range []struct {
		lats []int32
		want int32
	}{
		{[]int32{1, 2}, 2}, {[]int32{2, 1}, 1}, {[]int32{2, 1, 5}, 1},
		{[]int32{11, 12}, 12}, {[]int32{12, 11}, 11},
		{[]int32{23, 21}, 21}, {[]int32{21, 23}, 23},
		{[]int32{22, 21}, 21}, {[]int32{21, 22}, 22},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
		stream, err := client.RecordRoute(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range tc.lats {
			if err := stream.Send(&pb.Point{Latitude: l, Longitude: 1}); err != nil {
				t.Fatal(err)
			}
		}
		got, err := stream.CloseAndRecv()
		cancel()
		if err != nil || got.GetPointCount() != tc.want {
			t.Errorf("RecordRoute%v = %v, %v; want pointCount %d", tc.lats, got, err, tc.want)
		}
	}
}
