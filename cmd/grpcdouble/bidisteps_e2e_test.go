package main

import (
	"context"
	"io"
	"net/http"
	"slices"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
)

// gripmockChatSteps are gripmock bidi stubs whose stream elements carry
// _gripmock directives of their own: a delay before one message, an
// error that ends the call; with input, and with inputs (one with anyOf,
// one counting the messages it answered).
const gripmockChatSteps = `- service: RouteGuide
  method: RouteChat
  inputs:
    - equals: {message: count}
    - equals: {message: again}
  output:
    stream:
      - {message: "attempt {{ .AttemptNumber }}"}
      - {message: "attempt {{ .AttemptNumber }}"}
- service: RouteGuide
  method: RouteChat
  inputs:
    - equals: {message: open}
    - anyOf:
        - equals: {message: a}
        - equals: {message: b}
  output:
    stream:
      - {message: opened}
      - {message: "got it", _gripmock: {delay: 1ms}}
      - {message: "and the rest"}
- service: RouteGuide
  method: RouteChat
  input: {equals: {message: go}}
  output:
    delay: 0s
    stream:
      - {message: "first", _gripmock: {delay: 1ms}}
      - {message: "second"}
      - {_gripmock: {error: "stream over at {{ .MessageIndex }}", code: 10}}
      - {message: "never sent"}
`

// chatAll sends msgs, half-closes, and reads every answer and the status.
func chatAll(t *testing.T, client pb.RouteGuideClient, msgs ...string) ([]string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	stream, err := client.RouteChat(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		if err := stream.Send(&pb.RouteNote{Message: m}); err != nil {
			break // the server ended the call: Recv says how
		}
	}
	if err := stream.CloseSend(); err != nil {
		t.Fatal(err)
	}
	var got []string
	for {
		n, err := stream.Recv()
		if err == io.EOF {
			return got, nil
		}
		if err != nil {
			return got, err
		}
		got = append(got, n.GetMessage())
	}
}

// TestServeGripmockBidiSteps: the binary serves gripmock bidi stubs whose
// elements have directives of their own, as they are and after convert;
// and a native rule with steps goes in through the admin API.
func TestServeGripmockBidiSteps(t *testing.T) {
	serveGripmockBothWays(t, gripmockChatSteps, func(t *testing.T, client pb.RouteGuideClient, adminAddr string) {
		got, err := chatAll(t, client, "go")
		if want := []string{"first", "second"}; !slices.Equal(got, want) || status.Code(err) != codes.Aborted || status.Convert(err).Message() != "stream over at 0" {
			t.Errorf("element directives: %q, %v; want %q, ABORTED stream over at 0", got, err, want)
		}

		// A native rule with steps, through the admin API.
		code := adminDo(t, "POST", "http://"+adminAddr+"/stubs", "", `
- method: routeguide.RouteGuide/RouteChat
  priority: 1
  steps:
    - forEach:
        - recv: {partial: {message: native}}
          steps:
            - send: {message: 'native {{ .MessageIndex }}'}
            - delay: 1ms
            - send: {message: after a pause}
          status: {code: OUT_OF_RANGE, message: 'done at {{ .MessageIndex }}'}
- method: routeguide.RouteGuide/RouteChat
  priority: 1
  steps:
    - recv: {partial: {message: hits}}
    - send: {message: 'hit {{ .MessageHit }}'}
`, nil)
		if code != http.StatusCreated {
			t.Fatalf("POST /stubs: %d", code)
		}
		got, err = chatAll(t, client, "native")
		if want := []string{"native 0", "after a pause"}; !slices.Equal(got, want) || status.Code(err) != codes.OutOfRange || status.Convert(err).Message() != "done at 0" {
			t.Errorf("admin rule steps: %q, %v; want %q, OUT_OF_RANGE done at 0", got, err, want)
		}
		for _, want := range []string{"hit 1", "hit 2"} {
			if got, err := chatAll(t, client, "hits"); !slices.Equal(got, []string{want}) || err != nil {
				t.Errorf("admin .MessageHit: %q, %v; want %q, OK", got, err, want)
			}
		}
	})
}

// TestServeGripmockBidiInputsAnyOrder: the binary serves a gripmock bidi
// stub with inputs as gripmock does (as it is and after convert): messages
// passing any input, in any order, answered by their place in the call,
// NOT_FOUND past the inputs, options.times counting messages; and a
// native rule's answers go in through the admin API.
func TestServeGripmockBidiInputsAnyOrder(t *testing.T) {
	serveGripmockBothWays(t, `- id: 5b2f7c10-0000-4000-8000-000000000001
  service: RouteGuide
  method: RouteChat
  options: {times: 3}
  inputs:
    - equals: {message: open}
    - equals: {message: next}
  output:
    stream:
      - {message: "first, {{ .AttemptNumber }}"}
      - {message: "second, {{ .AttemptNumber }}"}
`, func(t *testing.T, client pb.RouteGuideClient, adminAddr string) {
		got, err := chatAll(t, client, "next", "open", "open")
		if want := []string{"first, 1", "second, 2"}; !slices.Equal(got, want) || status.Code(err) != codes.NotFound ||
			status.Convert(err).Message() != "stub 5b2f7c10-0000-4000-8000-000000000001 scripts 2 message(s) for RouteGuide/RouteChat, but the client sent message #3; declare another inputs/output.stream pair or stop sending" {
			t.Errorf("inputs in any order, then past them: %q, %v; want %q, NOT_FOUND", got, err, want)
		}
		if got, err := chatAll(t, client, "open"); len(got) != 0 || status.Code(err) != codes.FailedPrecondition {
			t.Errorf("options.times used up by messages: %q, %v; want no answer, FAILED_PRECONDITION", got, err)
		}

		code := adminDo(t, "POST", "http://"+adminAddr+"/stubs", "", `
- method: routeguide.RouteGuide/RouteChat
  steps:
    - forEach:
        - recv: {partial: {message: other}}
          send: {message: the other rule}
        - recv: {partial: {message: scripted}}
          answers:
            - send: {message: 'one at {{ .MessageIndex }}'}
            - send: [{message: 'two at {{ .MessageIndex }}'}, {message: and more}]
          status: {code: OUT_OF_RANGE, message: 'no answer for message {{ .MessageIndex }}'}
`, nil)
		if code != http.StatusCreated {
			t.Fatalf("POST /stubs: %d", code)
		}
		got, err = chatAll(t, client, "other", "scripted", "scripted")
		if want := []string{"the other rule", "two at 1", "and more"}; !slices.Equal(got, want) || status.Code(err) != codes.OutOfRange || status.Convert(err).Message() != "no answer for message 2" {
			t.Errorf("admin rule answers: %q, %v; want %q, OUT_OF_RANGE no answer for message 2", got, err, want)
		}
	})
}
