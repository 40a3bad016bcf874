package stubformat_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"

	"github.com/grpcdouble/grpcdouble/expect"

	"github.com/grpcdouble/grpcdouble/stubformat"
)

func pingPongMD(method string, md []string, reqs ...string) func(d *double) answer {
	return func(d *double) answer { return d.stream(method, true, reqs, md...) }
}

// A gripmock bidi stub with input answers the messages it matches: its
// headers match the call's metadata, options.times counts the messages it
// answers (.AttemptNumber the one it answers, .MessageIndex the message's
// place in the stream), the stub answering the first message sets the
// headers, and every answering stub adds its trailers.
var gripmockBidiRuleCalls = []call{
	{name: "headers matched, the first answer's headers, its trailers",
		do: pingPongMD(chat, []string{"x-tenant", "acme"}, `{"user": "ann", "text": "hello"}`, `{"user": "ann", "text": "count"}`),
		want: answer{Messages: []string{`{"user":"acme-bot","text":"hello from acme, ann"}`, `{"user":"bot","text":"count 1 of 2 at message 1"}`},
			Header: metadata.Pairs("x-bot", "acme"), Trailer: metadata.Pairs("x-last", "acme")}},
	{name: "headers not matched; the count used up over calls; trailers of every answer",
		do: pingPong(chat, `{"user": "carl", "text": "count"}`, `{"user": "carl", "text": "hello"}`, `{"user": "carl", "text": "count"}`),
		want: answer{Messages: []string{`{"user":"bot","text":"count 2 of 2 at message 0"}`, `{"user":"bot","text":"hello carl"}`,
			`{"user":"bot","text":"no more counts"}`, `{"user":"bot","text":"at message 2"}`},
			Trailer: metadata.Pairs("x-last", "plain", "x-plain", "yes")}},
	{name: "the headers of the stub answering the first message",
		do:   pingPong(chat, `{"user": "dora", "text": "hello"}`),
		want: answer{Messages: []string{`{"user":"bot","text":"hello dora"}`}, Header: metadata.Pairs("x-bot", "plain 0")}},
	{name: "an element's _gripmock error ends the call after the messages before it",
		do:   pingPong(chat, `{"user": "fay", "text": "stop"}`, `{"user": "fay", "text": "hello"}`),
		want: answer{Messages: []string{`{"user":"bot","text":"stopping"}`}, Code: codes.FailedPrecondition, Message: "stopped"}},
	{name: "a stub's error ends the call before its data",
		do:   pingPong(chat, `{"user": "gus", "text": "fail"}`),
		want: failed(codes.InvalidArgument, "failed here for gus")},
	{name: "options.times over input.anyOf: one count for both alternatives",
		do:   pingPong(chat, `{"text": "red"}`, `{"text": "blue"}`),
		want: ok(`{"user":"bot","text":"colour 1 of 2"}`, `{"user":"bot","text":"colour 2 of 2"}`)},
	{name: "options.times over input.anyOf: used up", do: pingPong(chat, `{"text": "blue"}`), noMatch: true},
}

func checkBidiRules(t *testing.T, d *double) {
	t.Helper()
	runCalls(t, d, gripmockBidiRuleCalls)
	// A stub answering a later message sets no headers: they went with
	// the first answer.
	a := d.stream(chat, true, []string{`{"user": "eve", "text": "count"}`, `{"user": "eve", "text": "hello"}`})
	if got := a.Header.Get("x-bot"); len(got) != 0 {
		t.Errorf("x-bot header %q, want none (the first message's stub sets none)", got)
	}
	if len(a.Messages) != 3 {
		t.Errorf("answers %q, want 3", a.Messages)
	}
}

func TestGripmockBidiRulesAsIs(t *testing.T) {
	checkBidiRules(t, serve(t, stubformat.Auto, "testdata/gripmock/bidi-rules.yaml"))
}

func TestGripmockBidiRulesConverted(t *testing.T) {
	checkBidiRules(t, serveConverted(t, stubformat.Gripmock, "testdata/gripmock/bidi-rules.yaml"))
	// The stream's delay is the rule's pace, before each message.
	data, err := os.ReadFile(filepath.Join(convertTo(t, stubformat.Gripmock, "testdata/gripmock/bidi-rules.yaml"), "bidi-rules.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), "pace: 1ms") {
		t.Errorf("the converted stub has no pace: 1ms:\n%s", data)
	}
}

var gripmockBidiSessionCalls = []call{
	{name: "in the session: its stub, then a global one",
		do:   pingPongMD(chat, []string{expect.GripmockSessionKey, "team-a"}, `{"text": "hello"}`, `{"text": "count"}`, `{"text": "count"}`),
		want: ok(`{"user":"team-a-bot","text":"hello team a"}`, `{"user":"bot","text":"count 1"}`, `{"user":"bot","text":"count 2"}`)},
	{name: "in the session: the count used up", do: pingPongMD(chat, []string{expect.GripmockSessionKey, "team-a"}, `{"text": "count"}`), noMatch: true},
	{name: "no session: the global stubs, counted apart",
		do:   pingPong(chat, `{"text": "hello"}`, `{"text": "count"}`),
		want: ok(`{"user":"bot","text":"hello everyone"}`, `{"user":"bot","text":"count 1"}`)},
	{name: "another session: the global stubs, counted in it", do: pingPongMD(chat, []string{expect.GripmockSessionKey, "team-b"}, `{"text": "hello"}`, `{"text": "count"}`),
		want: ok(`{"user":"bot","text":"hello everyone"}`, `{"user":"bot","text":"count 1"}`)},
}

func TestGripmockBidiSessionsAsIs(t *testing.T) {
	runCalls(t, serveSessionsAsIs(t, "testdata/gripmock/bidi-sessions.yaml"), gripmockBidiSessionCalls)
}

func TestGripmockBidiSessionsConverted(t *testing.T) {
	runCalls(t, serveSessionsConverted(t, "testdata/gripmock/bidi-sessions.yaml"), gripmockBidiSessionCalls)
}

// A gripmock bidi stub with input whose stream elements have delays of
// their own: each element waits its own, the others the stub's; the hour
// holds the second message back, and a pause rendered for the message
// answered fails the call after the messages before it.
var gripmockBidiElementDelayCalls = []call{
	{name: "an element's own hour after the stub's delay", do: pausedAfter(1, stream(chat, `{"text": "slow"}`)),
		want: windowEnded(`{"user":"bot","text":"first, after the stub's delay"}`)},
	{name: "pauses of their own, then an element's error",
		do:   stream(chat, `{"user": "ann", "text": "quick"}`),
		want: answer{Messages: []string{`{"user":"bot","text":"no pause"}`, `{"user":"bot","text":"at message 0"}`}, Code: codes.FailedPrecondition, Message: "done for ann"}},
	{name: "a pause rendered for the message answered", do: stubless(stream(chat, `{"user": "bad", "text": "quick"}`)),
		want: answer{Messages: []string{`{"user":"bot","text":"no pause"}`}, Code: codes.Internal,
			Message: `grpcdouble: template failed: STUB: steps[0].forEach[1].steps[2].delay: the template gave "soon", want a duration like 250ms or 2s`}},
}

func TestGripmockBidiElementDelaysAsIs(t *testing.T) {
	runCalls(t, serve(t, stubformat.Auto, "testdata/gripmock/bidi-element-delays.yaml"), gripmockBidiElementDelayCalls)
}

func TestGripmockBidiElementDelaysConverted(t *testing.T) {
	runCalls(t, serveConverted(t, stubformat.Gripmock, "testdata/gripmock/bidi-element-delays.yaml"), gripmockBidiElementDelayCalls)
}

// gripmock bidi stubs with inputs: _gripmock directives per element, the
// rest of the stream after the last message, a stub's error at once.
var gripmockBidiInputsCalls = []call{
	{name: "an element's pause of its own, then its error",
		do:   pingPong(chat, `{"user": "ann", "text": "start"}`, `{"user": "ann", "text": "yes"}`),
		want: answer{Messages: []string{`{"user":"bot","text":"started"}`, `{"user":"bot","text":"agreed at 1"}`}, Code: codes.Aborted, Message: "no more for ann"}},
	{name: "an input's other anyOf alternative",
		do:   pingPong(chat, `{"user": "ann", "text": "start"}`, `{"user": "ann", "text": "sure"}`),
		want: answer{Messages: []string{`{"user":"bot","text":"started"}`, `{"user":"bot","text":"agreed at 1"}`}, Code: codes.Aborted, Message: "no more for ann"}},
	{name: "no anyOf alternative: the stub whose empty input takes any message answers", do: pingPong(chat, `{"user": "ann", "text": "start"}`, `{"user": "ann", "text": "no"}`),
		want: ok(`{"user":"bot","text":"started"}`, `{"user":"bot","text":"each, at 1"}`)},
	{name: "an alternative, but not the input's own fields: likewise", do: pingPong(chat, `{"user": "ann", "text": "start"}`, `{"user": "al", "text": "yes"}`),
		want: ok(`{"user":"bot","text":"started"}`, `{"user":"bot","text":"each, at 1"}`)},
	{name: "the last message answered by the rest of the stream, an hour before its second",
		do: pausedAfter(1, stream(chat, `{"user": "bo", "text": "wait"}`)), want: windowEnded(`{"user":"bot","text":"first of the rest"}`)},
	{name: "a stub's error at its first message", do: stream(chat, `{"user": "cy"}`, `{"user": "cy"}`),
		want: failed(codes.PermissionDenied, "refused")},
	{name: "data, no stream: each message answered with it; an empty input takes any message",
		do: pingPong(chat, `{"user": "di"}`, `{"user": "anyone"}`), want: ok(`{"user":"bot","text":"each, at 0"}`, `{"user":"bot","text":"each, at 1"}`)},
	{name: ".AttemptNumber: the messages the stub answered", do: pingPong(chat, `{"user": "ed", "text": "one"}`, `{"user": "ed", "text": "two"}`),
		want: ok(`{"user":"bot","text":"attempt 1"}`, `{"user":"bot","text":"attempt 2 at message 1"}`)},
	{name: ".AttemptNumber: over the stub's calls", do: pingPong(chat, `{"user": "ed", "text": "one"}`, `{"user": "ed", "text": "two"}`),
		want: ok(`{"user":"bot","text":"attempt 3"}`, `{"user":"bot","text":"attempt 4 at message 1"}`)},
}

func TestGripmockBidiInputsAsIs(t *testing.T) {
	runCalls(t, serve(t, stubformat.Auto, "testdata/gripmock/bidi-inputs.yaml"), gripmockBidiInputsCalls)
}

func TestGripmockBidiInputsConverted(t *testing.T) {
	runCalls(t, serveConverted(t, stubformat.Gripmock, "testdata/gripmock/bidi-inputs.yaml"), gripmockBidiInputsCalls)
}

// gripmock counts a bidi stub's messages per session: a session's
// .AttemptNumber starts at 1 whatever the global calls counted.
var gripmockBidiAttemptSessionCalls = []call{
	{name: "global", do: pingPong(chat, `{"user": "ed", "text": "one"}`, `{"user": "ed", "text": "two"}`),
		want: ok(`{"user":"bot","text":"attempt 1"}`, `{"user":"bot","text":"attempt 2 at message 1"}`)},
	{name: "in a session: counted apart", do: pingPongMD(chat, []string{expect.GripmockSessionKey, "s1"}, `{"user": "ed", "text": "one"}`, `{"user": "ed", "text": "two"}`),
		want: ok(`{"user":"bot","text":"attempt 1"}`, `{"user":"bot","text":"attempt 2 at message 1"}`)},
}

func TestGripmockBidiInputsAttemptPerSessionAsIs(t *testing.T) {
	runCalls(t, serveSessionsAsIs(t, "testdata/gripmock/bidi-inputs.yaml"), gripmockBidiAttemptSessionCalls)
}

func TestGripmockBidiInputsAttemptPerSessionConverted(t *testing.T) {
	runCalls(t, serveSessionsConverted(t, "testdata/gripmock/bidi-inputs.yaml"), gripmockBidiAttemptSessionCalls)
}

// gripmock takes a message for a bidi stub with inputs when it passes any
// of them, answers it by the element at its place in the call, ends a call
// with NOT_FOUND at a message past the inputs, counts options.times in
// messages and runs effects at each message.
var gripmockBidiInputsAnyCalls = []call{
	{name: "the inputs in any order, answered by place", do: pingPong(chat, `{"user": "kim", "text": "next"}`, `{"user": "kim", "text": "open"}`),
		want: ok(`{"user":"bot","text":"first answer, 1 of 5, to next"}`, `{"user":"bot","text":"second answer, 2, to open"}`)},
	{name: "a message past the inputs: NOT_FOUND", do: pingPong(chat, `{"user": "kim", "text": "open"}`, `{"user": "kim", "text": "open"}`, `{"user": "kim", "text": "next"}`),
		want: answer{Messages: []string{`{"user":"bot","text":"first answer, 3 of 5, to open"}`, `{"user":"bot","text":"second answer, 4, to open"}`}, Code: codes.NotFound,
			Message: "stub 3c9e2a14-0000-4000-8000-000000000001 scripts 2 message(s) for shop.v1.ShopService/Chat, but the client sent message #3; declare another inputs/output.stream pair or stop sending"}},
	{name: "options.times counted the messages: used up", do: pingPong(chat, `{"user": "kim", "text": "open"}`), noMatch: true},
	{name: "effects at each message", do: pingPong(chat, `{"user": "lee", "text": "0000a"}`, `{"user": "lee", "text": "0000b"}`),
		want: ok(`{"user":"bot","text":"hello 0000a"}`, `{"user":"bot","text":"hello 0000b"}`)},
	{name: "the first message's effect", do: unary(getItem, `{"id": "seen-0000a"}`), want: ok(`{"name":"seen 0000a"}`)},
	{name: "the second message's effect", do: unary(getItem, `{"id": "seen-0000b"}`), want: ok(`{"name":"seen 0000b"}`)},
}

func TestGripmockBidiInputsAnyAsIs(t *testing.T) {
	runCalls(t, serve(t, stubformat.Auto, "testdata/gripmock/bidi-inputs-any.yaml"), gripmockBidiInputsAnyCalls)
}

func TestGripmockBidiInputsAnyConverted(t *testing.T) {
	runCalls(t, serveConverted(t, stubformat.Gripmock, "testdata/gripmock/bidi-inputs-any.yaml"), gripmockBidiInputsAnyCalls)
}
