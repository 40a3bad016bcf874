package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
	"github.com/grpcdouble/grpcdouble/expect"
)

// gripmockChatRules are gripmock bidi stubs with input whose answers
// depend on the call's metadata, count the messages they answer, and set
// response headers and trailers.
const gripmockChatRules = `- service: RouteGuide
  method: RouteChat
  headers: {equals: {x-tenant: acme}}
  input: {equals: {message: hi}}
  output:
    data: {message: "hi acme, message {{ .MessageIndex }}"}
    headers: {x-bot: acme}
    trailers: {x-last: acme}
- service: RouteGuide
  method: RouteChat
  priority: 1
  input: {equals: {message: count}}
  options: {times: 2}
  output:
    data: {message: "count {{ .AttemptNumber }}"}
    trailers: {x-last: count}
- service: RouteGuide
  method: RouteChat
  input:
    anyOf:
      - equals: {message: red}
      - equals: {message: blue}
  options: {times: 2}
  output:
    data: {message: "colour {{ .AttemptNumber }}"}
- service: RouteGuide
  method: RouteChat
  input: {}
  output:
    data: {message: "anything else"}
`

// chatCall sends msgs in one call with metadata md (key, value pairs),
// one answer read after each, and returns the answers, headers, trailers.
func chatCall(t *testing.T, client pb.RouteGuideClient, md []string, msgs ...string) (got []string, hdr, trl metadata.MD) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	if len(md) > 0 {
		ctx = metadata.AppendToOutgoingContext(ctx, md...)
	}
	stream, err := client.RouteChat(ctx, grpc.Header(&hdr), grpc.Trailer(&trl))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		if err := stream.Send(&pb.RouteNote{Message: m}); err != nil {
			t.Fatal(err)
		}
		n, err := stream.Recv()
		if err != nil {
			t.Fatalf("answer to %q: %v", m, err)
		}
		got = append(got, n.GetMessage())
	}
	if err := stream.CloseSend(); err != nil {
		t.Fatal(err)
	}
	if _, err := stream.Recv(); err != io.EOF {
		t.Fatalf("end: %v", err)
	}
	return got, hdr, trl
}

// checkChatRules runs the calls gripmockChatRules answer, in order.
func checkChatRules(t *testing.T, client pb.RouteGuideClient) {
	t.Helper()
	got, hdr, trl := chatCall(t, client, []string{"x-tenant", "acme"}, "hi", "count", "hi")
	if want := []string{"hi acme, message 0", "count 1", "hi acme, message 2"}; !slices.Equal(got, want) {
		t.Errorf("acme: %q, want %q", got, want)
	}
	if !slices.Equal(hdr.Get("x-bot"), []string{"acme"}) || !slices.Equal(trl.Get("x-last"), []string{"acme"}) {
		t.Errorf("acme: headers %v, trailers %v", hdr, trl)
	}
	got, hdr, trl = chatCall(t, client, nil, "hi", "count", "count")
	if want := []string{"anything else", "count 2", "anything else"}; !slices.Equal(got, want) {
		t.Errorf("no tenant: %q, want %q", got, want)
	}
	if len(hdr.Get("x-bot")) != 0 || !slices.Equal(trl.Get("x-last"), []string{"count"}) {
		t.Errorf("no tenant: headers %v, trailers %v", hdr, trl)
	}
	// options.times over input.anyOf: one count for both alternatives.
	got, _, _ = chatCall(t, client, nil, "red", "blue", "red")
	if want := []string{"colour 1", "colour 2", "anything else"}; !slices.Equal(got, want) {
		t.Errorf("times over anyOf: %q, want %q", got, want)
	}
}

// TestServeGripmockBidiRules: the binary serves gripmock bidi stubs with
// input that match headers, count messages and set headers and trailers,
// as they are and after convert; and a native stub with the same rule
// keys goes in through the admin API.
func TestServeGripmockBidiRules(t *testing.T) {
	serveGripmockBothWays(t, gripmockChatRules, func(t *testing.T, client pb.RouteGuideClient, adminAddr string) {
		checkChatRules(t, client)

		// A native stub's rule keys, through the admin API, in a session.
		code := adminDoHeader(t, "POST", "http://"+adminAddr+"/stubs", map[string]string{"grpcdouble-session": "s1"}, `
- method: routeguide.RouteGuide/RouteChat
  steps:
    - forEach:
        - recv: {any: true}
          metadata: {x-plan: {regex: "^trial"}}
          times: {max: 1}
          headers: {x-plan: trial}
          trailers: {x-rule: trial}
          send: {message: 'trial {{ .RuleHit }} at {{ .MessageIndex }}'}
        - recv: {any: true}
          trailers: {x-rule: paid}
          pace: 0s
          send: [{message: 'paid {{ .RuleHit }} at {{ .MessageIndex }}'}, {message: 'sent {{ .Index }}'}]
`, nil)
		if code != http.StatusCreated {
			t.Fatalf("POST /stubs: %d", code)
		}
		ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
		defer cancel()
		ctx = metadata.AppendToOutgoingContext(ctx, expect.SessionKey, "s1", "x-plan", "trial-7")
		var hdr, trl metadata.MD
		stream, err := client.RouteChat(ctx, grpc.Header(&hdr), grpc.Trailer(&trl))
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for i, n := range []int{1, 2} {
			if err := stream.Send(&pb.RouteNote{Message: "x"}); err != nil {
				t.Fatal(err)
			}
			for range n {
				m, err := stream.Recv()
				if err != nil {
					t.Fatalf("message %d: %v", i, err)
				}
				got = append(got, m.GetMessage())
			}
		}
		if err := stream.CloseSend(); err != nil {
			t.Fatal(err)
		}
		if _, err := stream.Recv(); err != io.EOF {
			t.Fatalf("end: %v", err)
		}
		if want := []string{"trial 1 at 0", "paid 1 at 1", "sent 2"}; !slices.Equal(got, want) {
			t.Errorf("admin stub: %q, want %q", got, want)
		}
		if !slices.Equal(hdr.Get("x-plan"), []string{"trial"}) || !slices.Equal(trl.Get("x-rule"), []string{"paid"}) {
			t.Errorf("admin stub: headers %v, trailers %v", hdr, trl)
		}
	})
}

// serveGripmockBothWays writes gripmock stubs for the routeguide service,
// converts them, and runs check against the binary serving each: the
// file as it is, then the converted one, with an admin API.
func serveGripmockBothWays(t *testing.T, gripmock string, check func(t *testing.T, client pb.RouteGuideClient, adminAddr string)) {
	t.Helper()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "in.yaml"), gripmock)
	protos := filepath.Join(moduleRoot(t), "testdata/standalone/protos")
	out := filepath.Join(dir, "out")
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), []string{"convert", "--from", "gripmock", "--proto", protos, "--out", out, filepath.Join(dir, "in.yaml")}, &stdout, &stderr); err != nil {
		t.Fatalf("convert: %v\n%s", err, stderr.String())
	}
	for _, stubs := range []string{filepath.Join(dir, "in.yaml"), out} {
		t.Run(filepath.Base(stubs), func(t *testing.T) {
			addr, adminAddr, stop := runInProcess(t, "serve", "--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0", "--proto", protos, "--stubs", stubs)
			defer func() {
				if err := stop(); err != nil {
					t.Error(err)
				}
			}()
			check(t, pb.NewRouteGuideClient(dial(t, addr, nil)), adminAddr)
		})
	}
}
