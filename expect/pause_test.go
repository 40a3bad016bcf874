package expect_test

import (
	"context"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
	"github.com/grpcdouble/grpcdouble/expect"
	"github.com/grpcdouble/grpcdouble/mockserver"
)

// short is a deadline no computed hour-long pause can meet. Only a call
// that must be held by such a pause has it (shortCtx); a call that must
// succeed has ctx(t), and a stream that must deliver messages before a pause
// has pausingCtx, so no pass depends on speed.
const short = 300 * time.Millisecond

func shortCtx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), short)
	t.Cleanup(cancel)
	return c
}

// pausingCtx is for a stream that must deliver some messages and then be
// held by an hour-long pause: it has callTimeout until window is called,
// once those messages are in, and ends short after that, when a wrong
// double would have sent what the pause holds back. It ends as Canceled.
func pausingCtx(t *testing.T) (c context.Context, window func()) {
	c, cancel := context.WithTimeout(context.Background(), callTimeout)
	t.Cleanup(cancel)
	return c, func() {
		timer := time.AfterFunc(short, cancel)
		t.Cleanup(func() { timer.Stop() })
	}
}

// namesBeforePause reads n names with the whole timeout, then the rest
// within the window: the stream ends Canceled if nothing more came.
func namesBeforePause(t *testing.T, s interface {
	Recv() (*pb.Feature, error)
}, n int, window func()) ([]string, error) {
	t.Helper()
	var names []string
	for {
		if len(names) == n {
			window()
		}
		f, err := s.Recv()
		if err != nil {
			return names, err
		}
		names = append(names, f.GetName())
	}
}

// The delay curves, rendered into a message where their values can be
// read exactly: gripmock's regressive, backoff, jitter and duration.
func TestPauseCurveFunctions(t *testing.T) {
	const file = `
- method: routeguide.RouteGuide/GetFeature
  times: {max: 4}
  response:
    name: '{{ regressive .Hit "3s" "500ms" }} {{ backoff .Hit "100ms" "250ms" }} {{ backoff .Hit 100 }} {{ duration (mul 100 .Hit) }} {{ duration 2 "s" }} {{ jitter "10ms" "20ms" }} {{ jitter "5ms" "5ms" }}'
`
	names := func() []string {
		m := expect.New(t)
		loadStubs(t, m, file)
		client := pb.NewRouteGuideClient(mockserver.Start(t, m).ClientConn())
		var out []string
		for range 4 {
			f, err := client.GetFeature(ctx(t), &pb.Point{})
			require.NoError(t, err)
			out = append(out, f.Name)
		}
		return out
	}
	got := names()
	want := []string{
		"3s 100ms 100ms 100ms 2s",
		"2.5s 200ms 200ms 200ms 2s",
		"2s 250ms 400ms 300ms 2s",
		"1.5s 250ms 800ms 400ms 2s",
	}
	for i, name := range got {
		parts := strings.Fields(name)
		require.Len(t, parts, 7, name)
		jit, same := parts[5], parts[6]
		assert.Equal(t, want[i], strings.Join(parts[:5], " "), "call %d", i+1)
		d, err := time.ParseDuration(jit)
		require.NoError(t, err)
		assert.True(t, d >= 10*time.Millisecond && d < 20*time.Millisecond, "jitter %v in [10ms, 20ms)", d)
		assert.Equal(t, "5ms", same)
	}
	// Seeded by the stub and the call's number, as randInt: the same on
	// every run.
	assert.Equal(t, got, names())
}

// A templated delay is computed for each call: regressive from an hour by
// an hour holds the first attempt past any deadline and lets the second
// through at once; a header can set the pause, and an empty or negative
// result is none.
func TestPauseTemplatedDelay(t *testing.T) {
	m := expect.New(t)
	loadStubs(t, m, `
- method: routeguide.RouteGuide/GetFeature
  request: {equal: {latitude: 1}}
  delay: '{{ regressive .Hit "1h" "1h" }}'
  response: {name: retried}
- method: routeguide.RouteGuide/GetFeature
  request: {equal: {latitude: 2}}
  delay: '{{ header "x-delay" }}'
  response: {name: as asked}
`)
	client := pb.NewRouteGuideClient(mockserver.Start(t, m).ClientConn())

	_, err := client.GetFeature(shortCtx(t), &pb.Point{Latitude: 1})
	requireStatus(t, err, codes.DeadlineExceeded, "")
	f, err := client.GetFeature(ctx(t), &pb.Point{Latitude: 1})
	require.NoError(t, err, "the second attempt's delay is 0s")
	assert.Equal(t, "retried", f.Name)

	for _, d := range []string{"", "-5s", "0s"} {
		c := metadata.AppendToOutgoingContext(ctx(t), "x-delay", d)
		_, err := client.GetFeature(c, &pb.Point{Latitude: 2})
		require.NoError(t, err, "x-delay %q is no pause", d)
	}
	c := metadata.AppendToOutgoingContext(shortCtx(t), "x-delay", "1h")
	_, err = client.GetFeature(c, &pb.Point{Latitude: 2})
	requireStatus(t, err, codes.DeadlineExceeded, "")
}

// A result that is not a duration fails the call with INTERNAL naming the
// stub and the value, and the call is among the misses.
func TestPauseTemplateCallFailure(t *testing.T) {
	ft := &fakeT{}
	m := expect.New(ft)
	loadStubs(t, m, `
- method: routeguide.RouteGuide/GetFeature
  delay: '{{ header "x-delay" }}'
  response: {name: x}
- method: routeguide.RouteGuide/ListFeatures
  pace: '{{ header "x-delay" }}'
  responses: [{name: a}]
`)
	client, stop := serve(t, m, ft)
	for d, want := range map[string]string{
		"soon": `grpcdouble: template failed: t.yaml:3: delay: the template gave "soon", want a duration like 250ms or 2s`,
		"2h":   `grpcdouble: template failed: t.yaml:3: delay: the template gave 2h0m0s, longer than the longest allowed, 1h0m0s`,
	} {
		c := metadata.AppendToOutgoingContext(ctx(t), "x-delay", d)
		_, err := client.GetFeature(c, &pb.Point{})
		requireStatus(t, err, codes.Internal, want)
	}
	c := metadata.AppendToOutgoingContext(ctx(t), "x-delay", "later")
	s, err := client.ListFeatures(c, &pb.Rectangle{})
	require.NoError(t, err)
	_, err = featureNames(t, s)
	requireStatus(t, err, codes.Internal, `grpcdouble: template failed: t.yaml:6: pace: the template gave "later", want a duration like 250ms or 2s`)
	require.Len(t, m.Unexpected(), 3)
	assert.Contains(t, stop(), "its template failed: t.yaml:3: delay: the template gave")
}

// A templated pace is computed before every message, .Index counting the
// messages sent (gripmock's .MessageIndex over output.stream); so is a
// step's delay, and a forEach rule's.
func TestPauseTemplatedPaceAndSteps(t *testing.T) {
	m := expect.New(t)
	loadStubs(t, m, `
- method: routeguide.RouteGuide/ListFeatures
  request: {partial: {lo: {latitude: 1}}}
  pace: '{{ if eq .Index 2 }}1h{{ else }}{{ duration (mul 0 .Index) }}{{ end }}'
  responses: [{name: a}, {name: b}, {name: c}]
- method: routeguide.RouteGuide/ListFeatures
  request: {partial: {lo: {latitude: 2}}}
  steps:
    - send: {name: a}
    - delay: '{{ if eq .Index 1 }}1h{{ end }}'
    - send: {name: b}
- method: routeguide.RouteGuide/RouteChat
  steps:
    - forEach:
        - recv: {partial: {message: slow}}
          delay: '{{ if eq .Message.message "slow" }}1h{{ end }}'
          send: {message: late}
        - recv: {any: true}
          delay: '{{ if eq .Message.message "slow" }}1h{{ end }}'
          send: {message: now}
`)
	client := pb.NewRouteGuideClient(mockserver.Start(t, m).ClientConn())
	for lat, want := range map[int32][]string{1: {"a", "b"}, 2: {"a"}} {
		c, window := pausingCtx(t)
		s, err := client.ListFeatures(c, &pb.Rectangle{Lo: &pb.Point{Latitude: lat}})
		require.NoError(t, err)
		names, err := namesBeforePause(t, s, len(want), window)
		assert.Equal(t, want, names, "latitude %d", lat)
		requireStatus(t, err, codes.Canceled, "")
	}

	c, window := pausingCtx(t)
	chat, err := client.RouteChat(c)
	require.NoError(t, err)
	require.NoError(t, chat.Send(&pb.RouteNote{Message: "quick"}))
	got, err := chat.Recv()
	require.NoError(t, err)
	assert.Equal(t, "now", got.Message)
	require.NoError(t, chat.Send(&pb.RouteNote{Message: "slow"}))
	window()
	_, err = chat.Recv()
	requireStatus(t, err, codes.Canceled, "")
}

// A delay template is checked when the stub is loaded: its syntax, its
// functions and fields, and (rendered for a request with every field zero)
// that it gives a duration.
func TestPauseTemplateLoadErrors(t *testing.T) {
	for _, tc := range []struct{ stub, want string }{
		{"- method: routeguide.RouteGuide/GetFeature\n  delay: '{{ backof .Hit \"1s\" }}'\n  response: {}\n",
			`t.yaml:2: delay: template: line 1: function "backof" not defined`},
		{"- method: routeguide.RouteGuide/GetFeature\n  delay: '{{ .Request.lattitude }}ms'\n  response: {}\n",
			`t.yaml:2: delay: template: .Request.lattitude: routeguide.Point has no field "lattitude" (did you mean latitude?)`},
		{"- method: routeguide.RouteGuide/GetFeature\n  delay: '{{ \"soon\" }}'\n  response: {}\n",
			`t.yaml:2: delay: for a request with every field zero, the template gave "soon", want a duration like 250ms or 2s`},
		{"- method: routeguide.RouteGuide/ListFeatures\n  pace: '{{ .Hit }}'\n  responses: [{}]\n",
			`t.yaml:2: pace: for a request with every field zero, the template gave "1", want a duration like 250ms or 2s`},
		{"- method: routeguide.RouteGuide/ListFeatures\n  steps:\n    - delay: '{{ if }}'\n",
			`t.yaml:3: steps[0].delay: template: line 1: missing value for if`},
		{"- method: routeguide.RouteGuide/RouteChat\n  steps:\n    - forEach:\n        - recv: {any: true}\n          delay: '{{ .Hitt }}'\n",
			`t.yaml:5: steps[0].forEach[0].delay: template: .Hitt: a template has no value Hitt`},
	} {
		_, err := expect.ParseStubs("t.yaml", []byte(tc.stub), nil)
		require.Error(t, err, tc.stub)
		assert.Contains(t, err.Error(), tc.want)
		assert.ErrorIs(t, err, expect.ErrStubFile)
	}
}

// In Go, DelayFunc and PaceFunc compute the pause per call: f sees the
// attempt number, the messages sent and the request.
func TestPauseGoDSL(t *testing.T) {
	var mu sync.Mutex
	var seen []expect.Attempt
	record := func(a expect.Attempt) {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, a)
	}
	m := expect.New(t)
	m.Unary(getFeature).WithRequestPartial(&pb.Point{Latitude: 1}).Times(2).
		DelayFunc(func(a expect.Attempt) time.Duration {
			record(a)
			if a.Hit == 1 {
				return time.Hour
			}
			return -time.Second // none
		}).
		Return(&pb.Feature{Name: "second try"})
	m.ServerStream(listFeatures).
		PaceFunc(func(a expect.Attempt) time.Duration {
			record(a)
			if a.Index == 1 {
				return time.Hour
			}
			return 0
		}).
		Send(&pb.Feature{Name: "a"}, &pb.Feature{Name: "b"})
	client := pb.NewRouteGuideClient(mockserver.Start(t, m).ClientConn())

	_, err := client.GetFeature(shortCtx(t), &pb.Point{Latitude: 1})
	requireStatus(t, err, codes.DeadlineExceeded, "")
	f, err := client.GetFeature(ctx(t), &pb.Point{Latitude: 1})
	require.NoError(t, err)
	assert.Equal(t, "second try", f.Name)
	c, window := pausingCtx(t)
	s, err := client.ListFeatures(c, &pb.Rectangle{})
	require.NoError(t, err)
	names, err := namesBeforePause(t, s, 1, window)
	assert.Equal(t, []string{"a"}, names)
	requireStatus(t, err, codes.Canceled, "")

	mu.Lock()
	defer mu.Unlock()
	require.Len(t, seen, 4)
	assert.Equal(t, []int{1, 2, 1, 1}, []int{seen[0].Hit, seen[1].Hit, seen[2].Hit, seen[3].Hit})
	assert.Equal(t, []int{0, 0, 0, 1}, []int{seen[0].Index, seen[1].Index, seen[2].Index, seen[3].Index})
	assert.Equal(t, int32(1), seen[0].Message.(*pb.Point).Latitude)
	require.Len(t, seen[0].Requests, 1)
}

// A nil func is a setup error naming the method, not a panic at call time.
func TestPauseGoDSLNilFunc(t *testing.T) {
	ft := &fakeT{}
	m := expect.New(ft)
	m.Unary(getFeature).DelayFunc(nil).Return(&pb.Feature{})
	assert.Contains(t, ft.finish(), "DelayFunc: nil func")
}

// DelayFunc on client streams, bidi scripts and forEach rules: the same
// pause, seeing the messages received.
func TestPauseGoDSLStreams(t *testing.T) {
	hourIf := func(cond func(a expect.Attempt) bool) func(a expect.Attempt) time.Duration {
		return func(a expect.Attempt) time.Duration {
			if cond(a) {
				return time.Hour
			}
			return 0
		}
	}
	m := expect.New(t)
	m.ClientStream(recordRoute).Times(2).
		DelayFunc(hourIf(func(a expect.Attempt) bool { return len(a.Requests) > 1 })).
		Return(&pb.RouteSummary{PointCount: 1})
	m.Bidi(routeChat).Times(2).
		ForEach(expect.OnMessage(expect.Anything()).
			DelayFunc(hourIf(func(a expect.Attempt) bool { return a.Message.(*pb.RouteNote).Message == "slow" })).
			Send(&pb.RouteNote{Message: "ok"}))
	client := pb.NewRouteGuideClient(mockserver.Start(t, m).ClientConn())

	// A call that must succeed has the whole timeout; one that must be
	// held by the pause, a short deadline.
	callCtx := func(want codes.Code) context.Context {
		if want == codes.OK {
			return ctx(t)
		}
		return shortCtx(t)
	}
	for n, want := range map[int]codes.Code{1: codes.OK, 2: codes.DeadlineExceeded} {
		s, err := client.RecordRoute(callCtx(want))
		require.NoError(t, err)
		for range n {
			require.NoError(t, s.Send(&pb.Point{}))
		}
		_, err = s.CloseAndRecv()
		assert.Equal(t, want, status.Code(err), "%d points", n)
	}
	for msg, want := range map[string]codes.Code{"quick": codes.OK, "slow": codes.DeadlineExceeded} {
		chat, err := client.RouteChat(callCtx(want))
		require.NoError(t, err)
		require.NoError(t, chat.Send(&pb.RouteNote{Message: msg}))
		_, err = chat.Recv()
		assert.Equal(t, want, status.Code(err), "message %q", msg)
		if err == nil {
			require.NoError(t, chat.CloseSend())
			_, err = chat.Recv()
			require.Equal(t, io.EOF, err)
		}
	}
}
