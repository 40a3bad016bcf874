package expect_test

import (
	"fmt"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
	"github.com/grpcdouble/grpcdouble/expect"
	"github.com/grpcdouble/grpcdouble/mockserver"
)

// ruleChat sends msgs in a call with metadata md, reading one answer after
// each, and returns the answers, the response headers and trailers.
func ruleChat(t *testing.T, client pb.RouteGuideClient, md metadata.MD, msgs ...string) (got []string, hdr, trl metadata.MD) {
	t.Helper()
	c := ctx(t)
	if md != nil {
		c = metadata.NewOutgoingContext(c, md)
	}
	stream, err := client.RouteChat(c, grpc.Header(&hdr), grpc.Trailer(&trl))
	require.NoError(t, err)
	for _, m := range msgs {
		require.NoError(t, stream.Send(&pb.RouteNote{Message: m}))
		n, err := stream.Recv()
		require.NoError(t, err, "answer to %q", m)
		got = append(got, n.GetMessage())
	}
	require.NoError(t, stream.CloseSend())
	_, err = stream.Recv()
	require.ErrorIs(t, err, io.EOF)
	return got, hdr, trl
}

func TestForEachRuleMatchesMetadata(t *testing.T) {
	ft := &fakeT{}
	m := expect.New(ft)
	m.Bidi(routeChat).ForEach(
		expect.OnMessage(expect.Anything()).WithMetadata("x-tenant", "acme").Send(note("for acme")),
		expect.OnMessage(expect.Anything()).WithMetadataRegexp("x-tenant", "^b").Send(note("for b")),
		expect.OnMessage(expect.Anything()).Send(note("for anyone")),
	).AnyTimes()
	client, finish := serve(t, m, ft)
	got, _, _ := ruleChat(t, client, metadata.Pairs("x-tenant", "acme"), "a", "b")
	assert.Equal(t, []string{"for acme", "for acme"}, got)
	got, _, _ = ruleChat(t, client, metadata.Pairs("x-tenant", "bravo"), "a")
	assert.Equal(t, []string{"for b"}, got)
	got, _, _ = ruleChat(t, client, nil, "a")
	assert.Equal(t, []string{"for anyone"}, got)
	assert.Empty(t, finish())
}

// A rule's MaxTimes counts the messages it answers over all calls; then
// the next rule that matches answers.
func TestForEachRuleMaxTimes(t *testing.T) {
	ft := &fakeT{}
	m := expect.New(ft)
	m.Bidi(routeChat).ForEach(
		expect.OnMessage(expect.Anything()).MaxTimes(3).Send(note("early")),
		expect.OnMessage(expect.Anything()).Send(note("late")),
	).AnyTimes()
	client, finish := serve(t, m, ft)
	got, _, _ := ruleChat(t, client, nil, "a", "b")
	assert.Equal(t, []string{"early", "early"}, got)
	got, _, _ = ruleChat(t, client, nil, "a", "b", "c")
	assert.Equal(t, []string{"early", "late", "late"}, got)
	assert.Empty(t, finish())
}

// Headers go out with the first message, from the rule that answers
// before any has gone; trailers gather from every rule that answered, a
// later rule's values replacing an earlier one's key by key.
func TestForEachRuleHeadersAndTrailers(t *testing.T) {
	ft := &fakeT{}
	m := expect.New(ft)
	m.Bidi(routeChat).ForEach(
		expect.OnMessage(expect.Partial(note("a"))).ReturnHeader("x-rule", "a").ReturnTrailer("x-last", "a").ReturnTrailer("x-a", "yes").Send(note("A")),
		expect.OnMessage(expect.Partial(note("b"))).ReturnHeader("x-rule", "b").ReturnTrailer("x-last", "b").Send(note("B")),
	).AnyTimes()
	client, finish := serve(t, m, ft)
	got, hdr, trl := ruleChat(t, client, nil, "a", "b")
	assert.Equal(t, []string{"A", "B"}, got)
	assert.Equal(t, []string{"a"}, hdr.Get("x-rule"))
	assert.Equal(t, []string{"b"}, trl.Get("x-last"))
	assert.Equal(t, []string{"yes"}, trl.Get("x-a"))
	_, hdr, trl = ruleChat(t, client, nil, "b", "a")
	assert.Equal(t, []string{"b"}, hdr.Get("x-rule"))
	assert.Equal(t, []string{"a"}, trl.Get("x-last"))
	assert.Empty(t, finish())
}

// In a stub file: metadata, times, headers and trailers on a rule, and
// .RuleHit and .MessageIndex in its templates.
func TestForEachRuleKeysInAStubFile(t *testing.T) {
	ft := &fakeT{}
	m := expect.New(ft)
	stubs, err := expect.ParseStubs("chat.yaml", []byte(`
- method: routeguide.RouteGuide/RouteChat
  times: any
  steps:
    - forEach:
        - recv: {any: true}
          metadata: {x-tenant: acme}
          times: {max: 2}
          headers: {x-first: '{{ .RuleHit }}'}
          trailers: {x-seen: 'acme {{ .MessageIndex }}'}
          send: {message: 'acme {{ .RuleHit }} at {{ .MessageIndex }} after {{ .Index }}'}
        - recv: {any: true}
          trailers: {x-seen: 'other {{ .MessageIndex }}'}
          send: [{message: 'other {{ .RuleHit }} at {{ .MessageIndex }}'}, {message: 'and {{ .Index }}'}]
`), nil)
	require.NoError(t, err)
	_, err = m.AddStubs(stubs...)
	require.NoError(t, err)
	client, finish := serve(t, m, ft)
	acme := metadata.Pairs("x-tenant", "acme")
	got, hdr, trl := ruleChat(t, client, acme, "a")
	assert.Equal(t, []string{"acme 1 at 0 after 0"}, got)
	assert.Equal(t, []string{"1"}, hdr.Get("x-first"))
	assert.Equal(t, []string{"acme 0"}, trl.Get("x-seen"))

	// ruleChat reads one answer a message: the second rule sends two.
	stream, err := client.RouteChat(metadata.NewOutgoingContext(ctx(t), acme))
	require.NoError(t, err)
	for _, want := range [][]string{{"acme 2 at 0 after 0"}, {"other 1 at 1", "and 2"}, {"other 2 at 2", "and 4"}} {
		require.NoError(t, stream.Send(note("x")))
		for _, w := range want {
			n, err := stream.Recv()
			require.NoError(t, err)
			assert.Equal(t, w, n.GetMessage())
		}
	}
	hdr, err = stream.Header()
	require.NoError(t, err)
	assert.Equal(t, []string{"2"}, hdr.Get("x-first"))
	require.NoError(t, stream.CloseSend())
	_, err = stream.Recv()
	require.ErrorIs(t, err, io.EOF)
	assert.Equal(t, []string{"other 2"}, stream.Trailer().Get("x-seen"))
	assert.Empty(t, finish())
}

// A rule's pace is computed before each message it sends, seeing the
// call so far: a.Index the messages sent, a.RuleHit and a.MessageIndex.
func TestForEachRulePaceFunc(t *testing.T) {
	ft := &fakeT{}
	m := expect.New(ft)
	var mu sync.Mutex
	var seen []string
	m.Bidi(routeChat).ForEach(
		expect.OnMessage(expect.Anything()).PaceFunc(func(a expect.Attempt) time.Duration {
			mu.Lock()
			defer mu.Unlock()
			seen = append(seen, fmt.Sprintf("sent %d, rule hit %d, message %d", a.Index, a.RuleHit, a.MessageIndex))
			return 0
		}).Send(note("one"), note("two")),
	)
	client, finish := serve(t, m, ft)
	stream, err := client.RouteChat(ctx(t))
	require.NoError(t, err)
	for range 2 {
		require.NoError(t, stream.Send(note("x")))
		for range 2 {
			_, err := stream.Recv()
			require.NoError(t, err)
		}
	}
	require.NoError(t, stream.CloseSend())
	_, err = stream.Recv()
	require.ErrorIs(t, err, io.EOF)
	mu.Lock()
	assert.Equal(t, []string{"sent 0, rule hit 1, message 0", "sent 1, rule hit 1, message 0", "sent 2, rule hit 2, message 1", "sent 3, rule hit 2, message 1"}, seen)
	mu.Unlock()
	assert.Empty(t, finish())
}

// A stub file's rule pace is rendered before each message the rule sends:
// one that gives no duration fails the call there.
func TestForEachRulePaceInAStubFile(t *testing.T) {
	ft := &fakeT{}
	m := expect.New(ft)
	stubs, err := expect.ParseStubs("chat.yaml", []byte(`
- method: routeguide.RouteGuide/RouteChat
  steps:
    - forEach:
        - recv: {any: true}
          pace: '{{ if eq .Index 1 }}soon{{ end }}'
          send: [{message: one}, {message: two}]
`), nil)
	require.NoError(t, err)
	_, err = m.AddStubs(stubs...)
	require.NoError(t, err)
	client, _ := serve(t, m, ft)
	stream, err := client.RouteChat(ctx(t))
	require.NoError(t, err)
	require.NoError(t, stream.Send(note("x")))
	got, err := stream.Recv()
	require.NoError(t, err)
	assert.Equal(t, "one", got.GetMessage())
	_, err = stream.Recv()
	assert.Equal(t, codes.Internal, status.Code(err))
	assert.Contains(t, status.Convert(err).Message(), `chat.yaml:6: steps[0].forEach[0].pace: the template gave "soon"`)
	ft.finish()
}

// A rule's Delay pauses where it is chained: before the answer, or
// between two messages it sends; each pause sees the call so far.
func TestForEachRuleDelayWhereChained(t *testing.T) {
	ft := &fakeT{}
	m := expect.New(ft)
	var mu sync.Mutex
	var seen []string
	record := func(name string) func(a expect.Attempt) time.Duration {
		return func(a expect.Attempt) time.Duration {
			mu.Lock()
			defer mu.Unlock()
			seen = append(seen, fmt.Sprintf("%s after %d sent", name, a.Index))
			return 0
		}
	}
	m.Bidi(routeChat).ForEach(
		expect.OnMessage(expect.Anything()).DelayFunc(record("before")).Send(note("one")).DelayFunc(record("between")).Send(note("two")),
	)
	client, finish := serve(t, m, ft)
	require.NoError(t, talk(t, client, []string{"x"}, [][]string{{"one", "two"}}))
	mu.Lock()
	assert.Equal(t, []string{"before after 0 sent", "between after 1 sent"}, seen)
	mu.Unlock()
	assert.Empty(t, finish())
}

// A stub file's rule may answer with steps: each message with a pause of
// its own, and a status that ends the call there.
func TestForEachRuleStepsInAStubFile(t *testing.T) {
	ft := &fakeT{}
	m := expect.New(ft)
	addStubs(t, m, `
- method: routeguide.RouteGuide/RouteChat
  times: any
  steps:
    - forEach:
        - recv: {partial: {message: stop}}
          steps:
            - send: {message: stopping}
            - status: {code: ABORTED, message: stopped}
            - send: {message: never sent}
        - recv: {any: true}
          pace: 0s
          steps:
            - delay: 0s
            - send: {message: 'one for {{ .Message.message }}'}
            - delay: '{{ if eq .Message.message "slow" }}soon{{ end }}'
            - send: {message: two}
`)
	client, _ := serve(t, m, ft)
	require.NoError(t, talk(t, client, []string{"a", "b"}, [][]string{{"one for a", "two"}, {"one for b", "two"}}))
	err := talk(t, client, []string{"a", "stop"}, [][]string{{"one for a", "two"}, {"stopping"}})
	assert.Equal(t, codes.Aborted, status.Code(err))
	assert.Equal(t, "stopped", status.Convert(err).Message())
	// The second pause is rendered after the first message went out.
	err = talk(t, client, []string{"slow"}, [][]string{{"one for slow", "two"}})
	assert.Equal(t, codes.Internal, status.Code(err))
	assert.Contains(t, status.Convert(err).Message(), `faults.yaml:16: steps[0].forEach[1].steps[2].delay: the template gave "soon"`)
	ft.finish()
}

// .MessageHit (Attempt.MessageHit in Go) counts the messages a bidi
// expectation's calls took, over all its calls: in steps, and in a forEach
// rule (the stub's messages, where .RuleHit counts the rule's).
func TestMessageHitCountsOverCalls(t *testing.T) {
	ft := &fakeT{}
	m := expect.New(ft)
	var mu sync.Mutex
	var seen []int
	m.Bidi(routeChat).RecvMatching(expect.Anything()).DelayFunc(func(a expect.Attempt) time.Duration {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, a.MessageHit)
		return 0
	}).Send(note("one")).RecvMatching(expect.Anything()).Send(note("two")).Times(2)
	client, finish := serve(t, m, ft)
	for range 2 {
		require.NoError(t, talk(t, client, []string{"a", "b"}, [][]string{{"one"}, {"two"}}))
	}
	mu.Lock()
	assert.Equal(t, []int{1, 3}, seen)
	mu.Unlock()
	assert.Empty(t, finish())

	ft = &fakeT{}
	m = expect.New(ft)
	addStubs(t, m, `
- method: routeguide.RouteGuide/RouteChat
  priority: 1
  times: any
  steps:
    - recv: {partial: {message: steps}}
    - send: {message: 'step {{ .MessageHit }}'}
    - recv: {any: true}
    - send: {message: 'step {{ .MessageHit }}'}
- method: routeguide.RouteGuide/RouteChat
  times: any
  steps:
    - forEach:
        - recv: {partial: {message: b}}
          send: {message: 'b: message {{ .MessageHit }}, rule {{ .RuleHit }}'}
        - recv: {any: true}
          send: {message: 'message {{ .MessageHit }}, rule {{ .RuleHit }}'}
`)
	client, finish = serve(t, m, ft)
	require.NoError(t, talk(t, client, []string{"steps", "x"}, [][]string{{"step 1"}, {"step 2"}}))
	require.NoError(t, talk(t, client, []string{"steps", "x"}, [][]string{{"step 3"}, {"step 4"}}))
	require.NoError(t, talk(t, client, []string{"a", "b", "a"}, [][]string{{"message 1, rule 1"}, {"b: message 2, rule 1"}, {"message 3, rule 2"}}))
	assert.Empty(t, finish())
}

// A rule's status message may be a template, rendered for the message
// the rule answers, as every status message is.
func TestForEachRuleStatusTemplate(t *testing.T) {
	ft := &fakeT{}
	m := expect.New(ft)
	addStubs(t, m, `
- method: routeguide.RouteGuide/RouteChat
  steps:
    - forEach:
        - recv: {any: true}
          status: {code: ABORTED, message: 'no {{ .Message.message }} at {{ .MessageIndex }}'}
`)
	client, _ := serve(t, m, ft)
	err := talk(t, client, []string{"tea"}, [][]string{nil})
	assert.Equal(t, codes.Aborted, status.Code(err))
	assert.Equal(t, "no tea at 0", status.Convert(err).Message())
	ft.finish()
}

// A rule's Answers answer the call's messages by their index, wherever
// the rule takes them among others; past them the rule's own answer does.
// Its count and effects are the rule's, per message.
func TestForEachRuleAnswersByIndex(t *testing.T) {
	ft := &fakeT{}
	m := expect.New(ft)
	m.Bidi(routeChat).ForEach(
		expect.OnMessage(expect.Partial(&pb.RouteNote{Message: "other"})).Send(note("the other rule")),
		expect.OnMessage(expect.Anything()).MaxTimes(4).Answers(
			expect.Answer().Send(note("first")),
			expect.Answer().Send(note("second"), note("and more")),
		).ReturnError(codes.NotFound, "past the script"),
	).AnyTimes()
	client, finish := serve(t, m, ft)
	require.NoError(t, talk(t, client, []string{"other", "b"}, [][]string{{"the other rule"}, {"second", "and more"}}))
	err := talk(t, client, []string{"a", "b", "c"}, [][]string{{"first"}, {"second", "and more"}, {}})
	assert.Equal(t, codes.NotFound, status.Code(err))
	assert.Equal(t, "past the script", status.Convert(err).Message())
	// Its count (4) is used up: the messages it took over calls.
	err = talk(t, client, []string{"a"}, [][]string{{}})
	assert.Equal(t, expect.NoMatchCode, status.Code(err))
	assert.Contains(t, finish(), "no rule matches the message received")

	ft = &fakeT{}
	m = expect.New(ft)
	m.Bidi(routeChat).ForEach(expect.OnMessage(expect.Anything()).Answers(expect.Answer().Pace(time.Second)))
	_, err = mockserver.New(m)
	require.ErrorContains(t, err, "ForEach: rule 0: Answers: answer 0: make it with Answer() and give it Send, Delay and Return*")
}

// answersStub answers by index with answers: each a delay, send or steps,
// and status; the answer at message 2 is the third, templated.
const answersStub = `
- method: routeguide.RouteGuide/RouteChat
  times: any
  steps:
    - forEach:
        - recv: {partial: {message: other}}
          send: {message: the other rule}
        - recv: {any: true}
          then: [{deleteStubs: ['gone-{{ .MessageIndex }}']}]
          answers:
            - send: {message: first}
            - steps: [{delay: 1ms}, {send: {message: second}}]
            - send: {message: 'third, {{ .Message.message }} at {{ .MessageIndex }}'}
              status: {code: ABORTED, message: 'ended at {{ .MessageIndex }}'}
          status: {code: NOT_FOUND, message: past the script}
`

// A stub file's rule answers by the message's place in the call.
func TestForEachRuleAnswersInAStubFile(t *testing.T) {
	ft := &fakeT{}
	m := expect.New(ft)
	addStubs(t, m, answersStub)
	client, _ := serve(t, m, ft)
	err := talk(t, client, []string{"a", "other", "c"}, [][]string{{"first"}, {"the other rule"}, {"third, c at 2"}})
	assert.Equal(t, codes.Aborted, status.Code(err))
	assert.Equal(t, "ended at 2", status.Convert(err).Message())
	require.NoError(t, talk(t, client, []string{"a", "b"}, [][]string{{"first"}, {"second"}}))
	ft.finish()
}
