package expect_test

import (
	"context"
	"fmt"
	"io"
	"testing"

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

// talk sends each message and reads the answers the server sends before
// the next message is sent (want[i] answers for message i), then closes.
func talk(t *testing.T, client pb.RouteGuideClient, msgs []string, want [][]string) error {
	t.Helper()
	stream, err := client.RouteChat(ctx(t))
	require.NoError(t, err)
	for i, m := range msgs {
		require.NoError(t, stream.Send(&pb.RouteNote{Message: m}))
		for _, w := range want[i] {
			got, err := stream.Recv()
			if err != nil {
				return err
			}
			assert.Equal(t, w, got.GetMessage(), "answer to %q", m)
		}
	}
	require.NoError(t, stream.CloseSend())
	_, err = stream.Recv()
	if err == io.EOF {
		return nil
	}
	return err
}

func TestForEachAnswersEveryMessage(t *testing.T) {
	ft := &fakeT{}
	m := expect.New(ft)
	m.Bidi(routeChat).ForEach(
		expect.OnMessage(expect.Field("message", expect.Prefix("hi"))).Send(&pb.RouteNote{Message: "hello"}),
		expect.OnMessage(expect.Partial(&pb.RouteNote{Message: "twice"})).Send(&pb.RouteNote{Message: "one"}, &pb.RouteNote{Message: "two"}),
		expect.OnMessage(expect.Anything()).Send(&pb.RouteNote{Message: "what?"}),
	).AnyTimes()
	client, finish := serve(t, m, ft)

	err := talk(t, client, []string{"hi there", "twice", "hi again", "nonsense"},
		[][]string{{"hello"}, {"one", "two"}, {"hello"}, {"what?"}})
	require.NoError(t, err)
	// The rules hold for every call, not once.
	require.NoError(t, talk(t, client, []string{"hi"}, [][]string{{"hello"}}))
	assert.Empty(t, finish())
}

func TestForEachEndsWithAStatus(t *testing.T) {
	ft := &fakeT{}
	m := expect.New(ft)
	m.Bidi(routeChat).ForEach(
		expect.OnMessage(expect.Partial(&pb.RouteNote{Message: "ping"})).Send(&pb.RouteNote{Message: "pong"}),
		expect.OnMessage(expect.Partial(&pb.RouteNote{Message: "bye"})).Send(&pb.RouteNote{Message: "see you"}).ReturnError(codes.Aborted, "gone"),
	)
	client, finish := serve(t, m, ft)
	err := talk(t, client, []string{"ping", "ping", "bye"}, [][]string{{"pong"}, {"pong"}, {"see you"}})
	st := status.Convert(err)
	assert.Equal(t, codes.Aborted, st.Code())
	assert.Equal(t, "gone", st.Message())
	assert.Empty(t, finish())
}

func TestForEachNoRuleMatches(t *testing.T) {
	ft := &fakeT{}
	m := expect.New(ft)
	m.Bidi(routeChat).ForEach(
		expect.OnMessage(expect.Partial(&pb.RouteNote{Message: "ping"})).Send(&pb.RouteNote{Message: "pong"}),
	)
	client, finish := serve(t, m, ft)
	err := talk(t, client, []string{"ping", "pong?"}, [][]string{{"pong"}, {"never"}})
	st := status.Convert(err)
	assert.Equal(t, expect.NoMatchCode, st.Code())
	assert.Contains(t, st.Message(), `no rule matches the message received, routeguide.RouteNote {"message":"pong?"}`)
	assert.Contains(t, finish(), "no rule matches the message received")
}

// Bidi expectations whose scripts start with ForEach are told apart by
// their rules, as by a first Recv.
func TestForEachTellsExpectationsApart(t *testing.T) {
	ft := &fakeT{}
	m := expect.New(ft)
	m.Bidi(routeChat).ForEach(expect.OnMessage(expect.Partial(&pb.RouteNote{Message: "a"})).Send(&pb.RouteNote{Message: "from the first"}))
	m.Bidi(routeChat).ForEach(expect.OnMessage(expect.Partial(&pb.RouteNote{Message: "b"})).Send(&pb.RouteNote{Message: "from the second"}))
	client, finish := serve(t, m, ft)
	require.NoError(t, talk(t, client, []string{"b", "b"}, [][]string{{"from the second"}, {"from the second"}}))
	require.NoError(t, talk(t, client, []string{"a"}, [][]string{{"from the first"}}))
	assert.Empty(t, finish())
}

func TestForEachWrongTypeIsASetupError(t *testing.T) {
	ft := &fakeT{}
	m := expect.New(ft)
	m.Bidi(routeChat).ForEach(expect.OnMessage(expect.Anything()).Send(&pb.Feature{Name: "not a note"}))
	_, err := mockserver.New(m)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "ForEach: rule 0: Send")
	ft.finish()
}

func TestForEachInAStubFile(t *testing.T) {
	ft := &fakeT{}
	m := expect.New(ft)
	stubs, err := expect.ParseStubs("chat.yaml", []byte(`
- method: routeguide.RouteGuide/RouteChat
  times: any
  steps:
    - forEach:
        - recv: {fields: {message: {prefix: hi}}}
          send: {message: hello}
        - recv: {partial: {message: twice}}
          send: [{message: one}, {message: two}]
        - recv: {partial: {message: bye}}
          status: {code: ABORTED, message: gone}
`), nil)
	require.NoError(t, err)
	_, err = m.AddStubs(stubs...)
	require.NoError(t, err)
	client, finish := serve(t, m, ft)
	err = talk(t, client, []string{"hi", "twice", "bye"}, [][]string{{"hello"}, {"one", "two"}, nil})
	assert.Equal(t, codes.Aborted, status.Code(err))
	assert.Empty(t, finish())
}

func TestForEachStubErrors(t *testing.T) {
	for _, tc := range []struct{ doc, want string }{
		{"- method: routeguide.RouteGuide/RouteChat\n  steps:\n    - forEach:\n        - send: {message: x}\n", "f.yaml:4: steps[0].forEach[0].recv: each rule needs recv"},
		{"- method: routeguide.RouteGuide/RouteChat\n  steps:\n    - forEach:\n        - recv: {any: true}\n", "f.yaml:4: steps[0].forEach[0]: a rule answers: give send (a message or a list), steps, status or answers"},
		{"- method: routeguide.RouteGuide/RouteChat\n  steps:\n    - forEach:\n        - recv: {any: true}\n          answers:\n            - send: {message: x}\n            - recv: {any: true}\n              send: {message: y}\n            - {}\n", "f.yaml:7: steps[0].forEach[0].answers[1]: an answer gives delay, send, steps and status: the rule's recv, metadata, times, headers, trailers, pace, then and scenario hold for every answer"},
		{"- method: routeguide.RouteGuide/RouteChat\n  steps:\n    - forEach:\n        - recv: {any: true}\n          answers: [{send: {message: x}}, {}]\n", "f.yaml:5: steps[0].forEach[0].answers[1]: an answer answers: give send (a message or a list), steps or status"},
		{"- method: routeguide.RouteGuide/RouteChat\n  steps:\n    - forEach:\n        - recv: {any: true}\n          send: {mesage: x}\n", `f.yaml:5: steps[0].forEach[0].send[0]: not a routeguide.RouteNote: unknown field "mesage"`},
		{"- method: routeguide.RouteGuide/RouteChat\n  steps:\n    - forEach:\n        - recv: {any: true}\n          send: {message: x}\n          steps: [{send: {message: y}}]\n", "f.yaml:4: steps[0].forEach[0]: a rule sends by send or by steps, not both"},
		{"- method: routeguide.RouteGuide/RouteChat\n  steps:\n    - forEach:\n        - recv: {any: true}\n          steps:\n            - recv: {any: true}\n", "f.yaml:6: steps[0].forEach[0].steps[0]: a rule's steps answer the message its recv took: send, delay, status, sendHeader, keepOpen, dropConnection or sendOversized (not recv, recvAll or forEach)"},
		{"- method: routeguide.RouteGuide/RouteChat\n  steps:\n    - forEach:\n        - recv: {any: true}\n          steps:\n            - send: {message: x}\n            - delay: soon\n", `f.yaml:7: steps[0].forEach[0].steps[1].delay: want a duration like 250ms or 2s, got "soon"`},
		{"- method: routeguide.RouteGuide/ListFeatures\n  steps:\n    - forEach:\n        - recv: {any: true}\n          send: {name: x}\n", "f.yaml:4: steps[0].forEach: only bidi streams answer message by message"},
	} {
		_, err := expect.ParseStubs("f.yaml", []byte(tc.doc), nil)
		require.Error(t, err, tc.doc)
		assert.ErrorIs(t, err, expect.ErrStubFile)
		assert.Contains(t, err.Error(), tc.want)
	}
}

// A chat-style double: every message is answered by the first rule that
// matches it.
func ExampleBidiExpectation_ForEach() {
	m := expect.NewMock()
	m.Bidi("/routeguide.RouteGuide/RouteChat").ForEach(
		expect.OnMessage(expect.Field("message", expect.Prefix("hi"))).Send(&pb.RouteNote{Message: "hello"}),
		expect.OnMessage(expect.Anything()).Send(&pb.RouteNote{Message: "what?"}),
	)
	printChat(m, "hi there", "how are you", "hi again")
	// Output:
	// hi there -> hello OK
	// how are you -> what? OK
	// hi again -> hello OK
}

// Rules may hold for some calls only (their metadata) and for a number of
// messages: a trial tenant's first two messages get the trial answer.
func ExampleRule_MaxTimes() {
	m := expect.NewMock()
	m.Bidi("/routeguide.RouteGuide/RouteChat").ForEach(
		expect.OnMessage(expect.Anything()).WithMetadata("x-plan", "trial").MaxTimes(2).
			ReturnHeader("x-plan", "trial").Send(&pb.RouteNote{Message: "trial answer"}),
		expect.OnMessage(expect.Anything()).Send(&pb.RouteNote{Message: "please subscribe"}),
	)
	srv, err := mockserver.New(m)
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	c, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	c = metadata.AppendToOutgoingContext(c, "x-plan", "trial")
	var hdr metadata.MD
	stream, err := pb.NewRouteGuideClient(srv.ClientConn()).RouteChat(c, grpc.Header(&hdr))
	if err != nil {
		panic(err)
	}
	for range 3 {
		if err := stream.Send(&pb.RouteNote{Message: "hello"}); err != nil {
			panic(err)
		}
		answer, err := stream.Recv()
		fmt.Println(answer.GetMessage(), err)
	}
	_ = stream.CloseSend()
	_, err = stream.Recv()
	fmt.Println(err, hdr.Get("x-plan"))
	// Output:
	// trial answer <nil>
	// trial answer <nil>
	// please subscribe <nil>
	// EOF [trial]
}

// A rule that answers by the message's place in the call: the first
// message it takes is the call's second, so the second answer goes out;
// past its answers the rule's own ends the call.
func ExampleRule_Answers() {
	m := expect.NewMock()
	m.Bidi("/routeguide.RouteGuide/RouteChat").ForEach(
		expect.OnMessage(expect.Partial(&pb.RouteNote{Message: "hello"})).Send(&pb.RouteNote{Message: "hi"}),
		expect.OnMessage(expect.Anything()).Answers(
			expect.Answer().Send(&pb.RouteNote{Message: "first"}),
			expect.Answer().Send(&pb.RouteNote{Message: "second"}),
		).ReturnError(codes.NotFound, "nothing more scripted"),
	)
	printChat(m, "hello", "how are you", "and then?")
	// Output:
	// hello -> hi OK
	// how are you -> second OK
	// and then? ->  NotFound
}

// printChat sends says on RouteChat to a server of m, printing the answer
// to each and its status.
func printChat(m *expect.Mock, says ...string) {
	srv, err := mockserver.New(m)
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	c, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	stream, err := pb.NewRouteGuideClient(srv.ClientConn()).RouteChat(c)
	if err != nil {
		panic(err)
	}
	for _, say := range says {
		if err := stream.Send(&pb.RouteNote{Message: say}); err != nil {
			panic(err)
		}
		answer, err := stream.Recv()
		fmt.Println(say, "->", answer.GetMessage(), status.Code(err))
	}
}
