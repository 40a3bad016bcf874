package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/grpcdouble/grpcdouble/admin"
	"github.com/grpcdouble/grpcdouble/cassette"
	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
)

// gripmockDeliberate answers two calls with the codes a miss can get, on
// purpose: these are answers, never misses.
const gripmockDeliberate = `- id: found
  service: RouteGuide
  method: GetFeature
  input: {equals: {latitude: 1}}
  output: {data: {name: from gripmock}}
- id: not-found
  service: RouteGuide
  method: GetFeature
  input: {equals: {latitude: 404}}
  output: {error: no feature there, code: 5}
- id: precondition
  service: RouteGuide
  method: GetFeature
  input: {equals: {latitude: 9}}
  output: {error: not yet, code: 9}
`

// missCodeFixtures writes gripmockDeliberate and a cassette of one
// ListFeatures call.
func missCodeFixtures(t *testing.T) (stubs, cas string) {
	t.Helper()
	dir := t.TempDir()
	stubs = filepath.Join(dir, "stubs")
	if err := os.Mkdir(stubs, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(stubs, "gripmock.yaml"), gripmockDeliberate)
	var buf bytes.Buffer
	err := cassette.Encode(&buf, []*cassette.Interaction{{
		Method: "/routeguide.RouteGuide/ListFeatures",
		Events: []cassette.Event{
			{Type: cassette.ClientMessage, Message: cassette.NewMessage(&pb.Rectangle{Lo: &pb.Point{Latitude: 1}})},
			{Type: cassette.HalfClose},
			{Type: cassette.ServerMessage, Message: cassette.NewMessage(&pb.Feature{Name: "replayed"})},
		},
	}})
	if err != nil {
		t.Fatal(err)
	}
	cas = filepath.Join(dir, "list.cassette")
	writeFile(t, cas, buf.String())
	return stubs, cas
}

// listFeatures returns the names a ListFeatures call streams, and its
// status.
func listFeatures(ctx context.Context, c pb.RouteGuideClient, r *pb.Rectangle) ([]string, error) {
	s, err := c.ListFeatures(ctx, r)
	if err != nil {
		return nil, err
	}
	var names []string
	for {
		f, err := s.Recv()
		if err == io.EOF {
			return names, nil
		}
		if err != nil {
			return names, err
		}
		names = append(names, f.GetName())
	}
}

// TestMissCodeE2E: serve --miss-code NOT_FOUND, with gripmock stubs as they
// are and a cassette, answers every miss NOT_FOUND with grpcdouble's
// message: no stub matches, in a session, and no interaction matches. The
// stubs' own NOT_FOUND and FAILED_PRECONDITION answers are theirs; the
// journal says which calls missed.
func TestMissCodeE2E(t *testing.T) {
	t.Parallel()
	stubs, cas := missCodeFixtures(t)
	p := startProc(t, serveArgs("--stubs", stubs, "--cassette", cas, "--admin", "127.0.0.1:0", "--miss-code", "NOT_FOUND")...)
	client := pb.NewRouteGuideClient(dial(t, p.Addr, nil))
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()

	if f, err := client.GetFeature(ctx, &pb.Point{Latitude: 1}); err != nil || f.GetName() != "from gripmock" {
		t.Fatalf("GetFeature(1): %v, %v", f, err)
	}
	for _, tc := range []struct {
		lat  int32
		want *status.Status
	}{
		{404, status.New(codes.NotFound, "no feature there")},
		{9, status.New(codes.FailedPrecondition, "not yet")},
	} {
		_, err := client.GetFeature(ctx, &pb.Point{Latitude: tc.lat})
		if got := status.Convert(err); got.Code() != tc.want.Code() || got.Message() != tc.want.Message() {
			t.Errorf("GetFeature(%d), the stub's own answer: %v, want %v", tc.lat, err, tc.want.Err())
		}
	}
	miss := func(what string, err error, words string) {
		t.Helper()
		if st := status.Convert(err); st.Code() != codes.NotFound || !strings.Contains(st.Message(), words) {
			t.Errorf("%s: %v; want NOT_FOUND saying %q", what, err, words)
		}
	}
	_, err := client.GetFeature(ctx, &pb.Point{Latitude: 3})
	miss("GetFeature(3), no stub matches", err, "grpcdouble: no expectation matches: /routeguide.RouteGuide/GetFeature")
	_, err = client.GetFeature(metadata.AppendToOutgoingContext(ctx, "grpcdouble-session", "s1"), &pb.Point{Latitude: 3})
	miss("GetFeature(3) in a session", err, "no expectation matches")

	if names, err := listFeatures(ctx, client, &pb.Rectangle{Lo: &pb.Point{Latitude: 1}}); err != nil || !slices.Equal(names, []string{"replayed"}) {
		t.Fatalf("ListFeatures replayed: %v, %v", names, err)
	}
	_, err = listFeatures(ctx, client, &pb.Rectangle{Lo: &pb.Point{Latitude: 2}})
	miss("ListFeatures, no interaction matches", err, "replay: no interaction matches: /routeguide.RouteGuide/ListFeatures")

	var calls []admin.Call
	adminDo(t, "GET", "http://"+p.AdminAddr+"/calls", "", "", &calls) // the session's call is its own
	var answers []string
	for _, c := range calls {
		answers = append(answers, c.Answer)
	}
	want := []string{"stub:found", "stub:not-found", "stub:precondition", "miss", "cassette", "miss"}
	if !slices.Equal(answers, want) {
		t.Errorf("journal answers %q, want %q", answers, want)
	}
}

// TestMissCodeUpstreamE2E: with --upstream, every miss is forwarded whatever
// --miss-code is, and a stub's own NOT_FOUND or FAILED_PRECONDITION answer
// never is: with the default miss code (FAILED_PRECONDITION), with
// NOT_FOUND, and with a code no stub answers.
func TestMissCodeUpstreamE2E(t *testing.T) {
	t.Parallel()
	upstream, _ := startUpstream(t, nil)
	stubs, _ := missCodeFixtures(t)
	for _, flags := range [][]string{nil, {"--miss-code", "NOT_FOUND"}, {"--miss-code", "unavailable"}} {
		args := append([]string{"--stubs", stubs, "--admin", "127.0.0.1:0", "--upstream", upstream}, flags...)
		p := startProc(t, serveArgs(args...)...)
		client := pb.NewRouteGuideClient(dial(t, p.Addr, nil))
		ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
		defer cancel()
		for _, tc := range []struct {
			lat  int32
			want *status.Status
		}{
			{404, status.New(codes.NotFound, "no feature there")},
			{9, status.New(codes.FailedPrecondition, "not yet")},
		} {
			_, err := client.GetFeature(ctx, &pb.Point{Latitude: tc.lat})
			if got := status.Convert(err); got.Code() != tc.want.Code() || got.Message() != tc.want.Message() {
				t.Errorf("%v: GetFeature(%d), the stub's own answer: %v, want %v", flags, tc.lat, err, tc.want.Err())
			}
		}
		if f, err := client.GetFeature(ctx, &pb.Point{Latitude: 3}); err != nil || f.GetName() != "feature at 3,0" {
			t.Errorf("%v: GetFeature(3), no stub: %v, %v; want the upstream's answer", flags, f, err)
		}
		var calls []admin.Call
		adminDo(t, "GET", "http://"+p.AdminAddr+"/calls", "", "", &calls)
		var answers []string
		for _, c := range calls {
			answers = append(answers, c.Answer)
		}
		if want := []string{"stub:not-found", "stub:precondition", "upstream"}; !slices.Equal(answers, want) {
			t.Errorf("%v: journal answers %q, want %q", flags, answers, want)
		}
	}
}

// TestMissCodeNames: --miss-code takes, in any case, the name of every
// status code but OK, and its error lists exactly those.
func TestMissCodeNames(t *testing.T) {
	names := strings.Split(strings.Replace(missCodeNames, " or ", ", ", 1), ", ")
	var got []codes.Code
	for _, n := range names {
		for _, spelling := range []string{n, strings.ToLower(n)} {
			c, err := parseMissCode(spelling)
			if err != nil {
				t.Fatalf("--miss-code %s: %v", spelling, err)
			}
			if spelling == n {
				got = append(got, c)
			}
		}
	}
	var want []codes.Code
	for c := codes.Canceled; c <= codes.Unauthenticated; c++ {
		want = append(want, c)
	}
	if !slices.Equal(got, want) {
		t.Errorf("the names listed parse to %v, want every code but OK in order: %v", got, want)
	}
}

// TestMissStatusHidesCredentialsE2E: the status of a miss sent by the
// binary names the credential key that differed, for a native stub and a
// gripmock one, but carries neither the client's token nor the stub's.
func TestMissStatusHidesCredentialsE2E(t *testing.T) {
	t.Parallel()
	native, gripmock := filepath.Join(t.TempDir(), "native.yaml"), filepath.Join(t.TempDir(), "gripmock.yaml")
	writeFile(t, native, `- method: /routeguide.RouteGuide/GetFeature
  metadata: {authorization: Bearer let-me-in}
  request: {equal: {latitude: 42}}
  response: {name: secret}
`)
	writeFile(t, gripmock, `- service: RouteGuide
  method: GetFeature
  headers: {equals: {x-api-key: stub-key}}
  input: {equals: {latitude: 43}}
  output: {data: {name: keyed}}
`)
	for _, tc := range []struct {
		stubs           string
		lat             int32
		key, sent, want string // want: the stub's value
	}{
		{native, 42, "authorization", "Bearer client-s3cret", "let-me-in"},
		{gripmock, 43, "x-api-key", "client-key-s3cret", "stub-key"},
	} {
		p := startProc(t, "serve", "--listen", "127.0.0.1:0", "--proto", "testdata/standalone/protos", "--stubs", tc.stubs)
		client := pb.NewRouteGuideClient(dial(t, p.Addr, nil))
		ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
		defer cancel()
		_, err := client.GetFeature(metadata.AppendToOutgoingContext(ctx, tc.key, tc.sent), &pb.Point{Latitude: tc.lat})
		msg := status.Convert(err).Message()
		if status.Code(err) != codes.FailedPrecondition || !strings.Contains(msg, `metadata "`+tc.key+`": [REDACTED] (credentials are not sent back to the client)`) {
			t.Errorf("%s: GetFeature(%d) with a wrong %s: %v; want a miss naming the key", tc.stubs, tc.lat, tc.key, err)
		}
		if strings.Contains(msg, "s3cret") || strings.Contains(msg, tc.want) {
			t.Errorf("%s: GetFeature(%d): the miss's status carries a credential: %q", tc.stubs, tc.lat, msg)
		}
	}
}
