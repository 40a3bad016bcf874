package main

import (
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
)

// TestServeTemplatedDelays: a delay computed by a template, in a native
// file, in a gripmock file and through the admin API in both formats. The
// pause is read by a short deadline that an hour trips, and a call with no
// pause succeeds within callTimeout; no clock is compared. The attempt number is the stub's calls per session.
func TestServeTemplatedDelays(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "native.yaml"), `- method: routeguide.RouteGuide/GetFeature
  request: {equal: {latitude: 1}}
  delay: '{{ regressive .Hit "1h" "1h" }}'
  response: {name: native retried}
- method: routeguide.RouteGuide/ListFeatures
  pace: '{{ if eq .Index 1 }}1h{{ end }}'
  responses: [{name: a}, {name: b}]
`)
	writeFile(t, filepath.Join(dir, "gripmock.yaml"), `- service: RouteGuide
  method: GetFeature
  input: {equals: {latitude: 2}}
  output:
    delay: '{{ regressive .AttemptNumber "1h" "1h" }}'
    data: {name: gripmock retried}
`)
	addr, adminAddr, stop := runInProcess(t, "serve", "--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0",
		"--proto", filepath.Join(moduleRoot(t), "testdata/standalone/protos"), "--stubs", dir)
	defer func() {
		if err := stop(); err != nil {
			t.Error(err)
		}
	}()
	client := pb.NewRouteGuideClient(dial(t, addr, nil))
	late := codes.DeadlineExceeded.String()
	// call answers the feature's name or the status code. A call that must
	// be held by an hour-long pause has a deadline it trips; any other has
	// callTimeout, so a slow machine does not fail it.
	call := func(want string, lat int32, md ...string) string {
		t.Helper()
		timeout := callTimeout
		if want == late {
			timeout = 500 * time.Millisecond
		}
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		ctx = metadata.AppendToOutgoingContext(ctx, md...)
		f, err := client.GetFeature(ctx, &pb.Point{Latitude: lat})
		if err != nil {
			return status.Code(err).String()
		}
		return f.GetName()
	}
	for _, step := range []struct {
		lat     int32
		session string
		want    string
	}{
		{1, "", late}, {1, "", "native retried"},
		{2, "", late}, {2, "", "gripmock retried"},
		// Each session counts its own attempts.
		{1, "s1", late}, {2, "s1", late}, {1, "s1", "native retried"}, {2, "s2", late}, {2, "s1", "gripmock retried"},
	} {
		var md []string
		if step.session != "" {
			md = []string{"x-gripmock-session", step.session}
		}
		if got := call(step.want, step.lat, md...); got != step.want {
			t.Errorf("latitude %d, session %q: got %s, want %s", step.lat, step.session, got, step.want)
		}
	}

	// A templated pace: the second message waits an hour. The first has
	// callTimeout to come; then the call ends 500ms on, when a wrong double
	// would have sent the second.
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	s, err := client.ListFeatures(ctx, &pb.Rectangle{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for {
		f, err := s.Recv()
		if err != nil {
			if status.Code(err) != codes.Canceled {
				t.Errorf("ListFeatures: %v, want the window to end the call before the second message", err)
			}
			break
		}
		names = append(names, f.GetName())
		if len(names) == 1 {
			defer time.AfterFunc(500*time.Millisecond, cancel).Stop()
		}
	}
	if strings.Join(names, ",") != "a" {
		t.Errorf("ListFeatures sent %q before the pause, want a", names)
	}

	// Through the admin API: a native stub whose pause the client asks
	// for, and a gripmock stub with backoff.
	if code := adminDo(t, "POST", "http://"+adminAddr+"/stubs", "", `- method: routeguide.RouteGuide/GetFeature
  request: {equal: {latitude: 3}}
  delay: '{{ header "x-delay" }}'
  response: {name: as asked}
`, nil); code != http.StatusCreated {
		t.Fatalf("POST /stubs with a templated delay: %d", code)
	}
	if code := adminDo(t, "POST", "http://"+adminAddr+"/stubs", "", `{"service": "RouteGuide", "method": "GetFeature",
  "input": {"equals": {"latitude": 4}}, "output": {"delay": "{{ backoff .AttemptNumber \"1h\" \"2h\" }}", "data": {"name": "never"}}}`, nil); code != http.StatusCreated {
		t.Fatalf("POST /stubs with a gripmock templated delay: %d", code)
	}
	if got := call("as asked", 3); got != "as asked" {
		t.Errorf("latitude 3 without x-delay: %s, want no pause", got)
	}
	if got := call(late, 3, "x-delay", "1h"); got != late {
		t.Errorf("latitude 3 with x-delay 1h: %s, want %s", got, late)
	}
	if got := call(late, 4); got != late {
		t.Errorf("latitude 4: %s, want %s", got, late)
	}
	// A result that is not a duration fails the call, naming the stub and
	// the value.
	ctx2, cancel2 := context.WithTimeout(context.Background(), callTimeout)
	defer cancel2()
	_, err = client.GetFeature(metadata.AppendToOutgoingContext(ctx2, "x-delay", "soon"), &pb.Point{Latitude: 3})
	if st := status.Convert(err); st.Code() != codes.Internal || !strings.Contains(st.Message(), `:3: delay: the template gave "soon", want a duration like 250ms or 2s`) {
		t.Errorf("x-delay soon: %v, want INTERNAL naming the stub's delay and the value", err)
	}
	// A broken delay template is refused, naming the line and the field.
	var out struct{ Error string }
	if code := adminDo(t, "POST", "http://"+adminAddr+"/stubs", "", `- method: routeguide.RouteGuide/GetFeature
  delay: '{{ backof .Hit "1s" }}'
  response: {}
`, &out); code != http.StatusBadRequest || !strings.Contains(out.Error, `:2: delay: template: line 1: function "backof" not defined`) {
		t.Errorf("POST /stubs with a broken delay template: %d %q", code, out.Error)
	}
}
