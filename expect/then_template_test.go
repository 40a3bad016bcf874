package expect_test

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
	"github.com/grpcdouble/grpcdouble/expect"
	"github.com/grpcdouble/grpcdouble/mockserver"
)

// register puts a stub made for the caller (its longitude): its id, its
// matcher and its answer are rendered with register's call; the answer's
// escaped template is the put stub's own, rendered at its calls. logout
// deletes the caller's stub by a templated id.
const thenTemplateStubs = `
- id: register
  method: routeguide.RouteGuide/GetFeature
  request: {partial: {latitude: 1}}
  response: {name: registered}
  then:
    - putStubs:
        - template:
            id: 'user-{{ .Request.longitude }}'
            method: routeguide.RouteGuide/GetFeature
            request: {partial: {latitude: 2, longitude: '{{ .Request.longitude }}'}}
            response: {name: 'welcome {{ .Request.longitude }}, now at {{ "{{ .Request.latitude }}" }}'}
- id: logout
  method: routeguide.RouteGuide/GetFeature
  request: {partial: {latitude: 3}}
  response: {name: bye}
  then:
    - deleteStubs: ['user-{{ .Request.longitude }}']
`

func thenTemplateCalls(t *testing.T, client pb.RouteGuideClient, m interface{ Stubs() []expect.StubInfo }) {
	t.Helper()
	miss := expect.NoMatchCode.String()
	assert.Equal(t, miss, name(t, client, &pb.Point{Latitude: 2, Longitude: 7}), "before register")
	assert.Equal(t, "registered", name(t, client, &pb.Point{Latitude: 1, Longitude: 7}))
	assert.Equal(t, "registered", name(t, client, &pb.Point{Latitude: 1, Longitude: 8}))
	assert.Equal(t, "welcome 7, now at 2", name(t, client, &pb.Point{Latitude: 2, Longitude: 7}))
	assert.Equal(t, "welcome 8, now at 2", name(t, client, &pb.Point{Latitude: 2, Longitude: 8}))
	assert.Equal(t, miss, name(t, client, &pb.Point{Latitude: 2, Longitude: 9}), "no stub was made for 9")
	assert.Equal(t, "bye", name(t, client, &pb.Point{Latitude: 3, Longitude: 7}))
	assert.Equal(t, miss, name(t, client, &pb.Point{Latitude: 2, Longitude: 7}), "logout deleted user-7")
	assert.Equal(t, "welcome 8, now at 2", name(t, client, &pb.Point{Latitude: 2, Longitude: 8}), "user-8 stays")
	var ids []string
	for _, s := range m.Stubs() {
		ids = append(ids, s.ID)
	}
	assert.ElementsMatch(t, []string{"register", "logout", "user-8"}, ids)
}

// TestThenTemplateStubFile: a put stub given as a template is rendered
// with the call that puts it; a templated deleteStubs ID too.
func TestThenTemplateStubFile(t *testing.T) {
	m := expect.NewMock()
	srv := mockserver.Start(t, m, mockserver.WithServices("routeguide.RouteGuide"))
	_, err := m.AddStubs(parse(t, "then.yaml", thenTemplateStubs)...)
	require.NoError(t, err)
	thenTemplateCalls(t, pb.NewRouteGuideClient(srv.ClientConn()), m)
	assert.NoError(t, m.Err())
}

// TestThenFuncGo: the Go form, PutStubsFunc and DeleteStubsFunc, a
// function of the call.
func TestThenFuncGo(t *testing.T) {
	m := expect.New(t)
	m.Unary("/routeguide.RouteGuide/GetFeature").WithRequestPartial(&pb.Point{Latitude: 1}).
		Return(&pb.Feature{Name: "registered"}).
		Then(expect.PutStubsFunc(func(_ context.Context, call expect.Received) ([]expect.Stub, error) {
			lng := call.Message().(*pb.Point).GetLongitude()
			return expect.ParseStubs("login.yaml", fmt.Appendf(nil, `
id: user-%d
method: routeguide.RouteGuide/GetFeature
request: {partial: {latitude: 2, longitude: %d}}
response: {name: 'welcome %d, now at {{ .Request.latitude }}'}`, lng, lng, lng), nil)
		})).AnyTimes()
	m.Unary("/routeguide.RouteGuide/GetFeature").WithRequestPartial(&pb.Point{Latitude: 3}).
		Return(&pb.Feature{Name: "bye"}).
		Then(expect.DeleteStubsFunc(func(_ context.Context, call expect.Received) ([]string, error) {
			return []string{fmt.Sprintf("user-%d", call.Message().(*pb.Point).GetLongitude())}, nil
		})).AnyTimes()
	srv := mockserver.Start(t, m)
	client := pb.NewRouteGuideClient(srv.ClientConn())
	assert.Equal(t, "registered", name(t, client, &pb.Point{Latitude: 1, Longitude: 7}))
	assert.Equal(t, "registered", name(t, client, &pb.Point{Latitude: 1, Longitude: 8}))
	assert.Equal(t, "welcome 7, now at 2", name(t, client, &pb.Point{Latitude: 2, Longitude: 7}))
	assert.Equal(t, "bye", name(t, client, &pb.Point{Latitude: 3, Longitude: 7}))
	assert.Equal(t, "welcome 8, now at 2", name(t, client, &pb.Point{Latitude: 2, Longitude: 8}))
	got := map[string]bool{}
	for _, s := range m.Stubs() {
		got[s.ID] = true
	}
	assert.True(t, got["user-8"])
	assert.False(t, got["user-7"])
}

// TestThenTemplateFails: an effect that cannot be made for a call (an ID
// rendered that cannot be a stub's, a function's error) fails the call
// with INTERNAL naming the stub, the effect and the ID; no effect of the
// call changes anything, and what earlier calls added stays.
func TestThenTemplateFails(t *testing.T) {
	m := expect.NewMock()
	srv := mockserver.Start(t, m, mockserver.WithServices("routeguide.RouteGuide"))
	client := pb.NewRouteGuideClient(srv.ClientConn())
	_, err := m.AddStubs(parse(t, "bad.yaml", `
- id: add
  method: routeguide.RouteGuide/GetFeature
  request: {partial: {latitude: 1}}
  response: {name: added}
  then:
    - putStubs:
        - template: {id: 'p{{ .Request.longitude }}', method: routeguide.RouteGuide/GetFeature, request: {partial: {latitude: 2}}, response: {name: 'put {{ .Request.longitude }}'}}
- id: broken
  method: routeguide.RouteGuide/GetFeature
  request: {partial: {latitude: 3}}
  response: {name: broken}
  then:
    - putStubs:
        - template: {id: 'q{{ .Request.longitude }}', method: routeguide.RouteGuide/GetFeature, request: {partial: {latitude: 4}}, response: {name: q}}
    - deleteStubs: ['p{{ .Request.longitude }}', '{{ if gt .Request.longitude 5 }}bad id{{ else }}ok{{ end }}']
`)...)
	require.NoError(t, err)
	assert.Equal(t, "added", name(t, client, &pb.Point{Latitude: 1, Longitude: 1}))
	_, err = client.GetFeature(ctx(t), &pb.Point{Latitude: 3, Longitude: 6})
	require.Error(t, err)
	assert.Equal(t, codes.Internal, status.Code(err))
	msg := status.Convert(err).Message()
	for _, want := range []string{"bad.yaml:9", "stub broken", "then[1]", `"bad id"`, "nothing changed"} {
		assert.Contains(t, msg, want)
	}
	assert.Equal(t, "put 1", name(t, client, &pb.Point{Latitude: 2}), "p1 is not deleted: nothing of the failed call's effects ran")
	assert.Equal(t, expect.NoMatchCode.String(), name(t, client, &pb.Point{Latitude: 4}), "q6 was not put")
	require.NotEmpty(t, m.Unexpected())
	assert.Contains(t, strings.Join(m.Unexpected()[0].Reasons, " "), "its effect failed")
	// The same stub, for a call whose ID renders well.
	assert.Equal(t, "broken", name(t, client, &pb.Point{Latitude: 3, Longitude: 1}))
	assert.Equal(t, expect.NoMatchCode.String(), name(t, client, &pb.Point{Latitude: 2}), "p1 deleted")
	assert.Equal(t, "q", name(t, client, &pb.Point{Latitude: 4}))

	// A put stub whose id renders to no stub ID.
	_, err = m.AddStubs(parse(t, "badput.yaml", `
- id: badput
  method: routeguide.RouteGuide/GetFeature
  request: {partial: {latitude: 5}}
  response: {name: never}
  then:
    - putStubs:
        - template: {id: 'r{{ if gt .Request.longitude 5 }} {{ end }}x', method: routeguide.RouteGuide/GetFeature, response: {name: r}}
`)...)
	require.NoError(t, err)
	_, err = client.GetFeature(ctx(t), &pb.Point{Latitude: 5, Longitude: 6})
	assert.Equal(t, codes.Internal, status.Code(err))
	for _, want := range []string{"badput.yaml:2 (stub badput)", "then[0]", `badput.yaml:8: id: "r x": want at most 128 letters`} {
		assert.Contains(t, status.Convert(err).Message(), want)
	}

	// A Go function's error.
	g := expect.NewMock()
	g.Unary("/routeguide.RouteGuide/GetFeature").Return(&pb.Feature{Name: "x"}).
		Then(expect.PutStubsFunc(func(context.Context, expect.Received) ([]expect.Stub, error) {
			return nil, fmt.Errorf("no stub for you")
		})).AnyTimes()
	gs := mockserver.Start(t, g)
	_, err = pb.NewRouteGuideClient(gs.ClientConn()).GetFeature(ctx(t), &pb.Point{})
	assert.Equal(t, codes.Internal, status.Code(err))
	assert.Contains(t, status.Convert(err).Message(), "PutStubsFunc: no stub for you")
}

func TestThenTemplateBadStubs(t *testing.T) {
	head := "- method: routeguide.RouteGuide/GetFeature\n  response: {}\n  then:\n"
	for _, tc := range []struct{ doc, want string }{
		{head + "    - putStubs:\n        - template: {method: routeguide.RouteGuide/GetFeature, response: {name: '{{ .Request.lattitude }}'}}\n",
			`t.yaml:5: then[0].putStubs[0].template.response.name: template: `},
		{head + "    - putStubs:\n        - template: {method: routeguide.RouteGuide/GetFeature, response: {name: '{{ shout .Request }}'}}\n",
			`t.yaml:5: then[0].putStubs[0].template.response.name: template: `},
		{head + "    - deleteStubs: ['{{ .Request.latitude'] \n",
			`t.yaml:4: then[0].deleteStubs[0]: template: `},
		{head + "    - putStubs:\n        - template: {method: routeguide.RouteGuide/GetFeature, response: {nmae: '{{ .Request.latitude }}'}}\n",
			`t.yaml:5: then[0].putStubs[0].template: for a request with every field zero, the stub it renders does not compile`},
		{head + "    - putStubs:\n        - template: {method: routeguide.RouteGuide/GetFeature, respons: {}}\n",
			`unknown field "respons"`},
		{head + "    - putStubs:\n        - template: {method: routeguide.RouteGuide/GetFeature, response: {}}\n          id: x\n",
			`t.yaml:5: then[0].putStubs[0]: a put stub given as a template has the key template alone`},
		{"- method: routeguide.RouteGuide/GetFeature\n  template: {response: {}}\n",
			`t.yaml:2: template: only a put stub is given as a template`},
	} {
		_, err := expect.ParseStubs("t.yaml", []byte(tc.doc), nil)
		require.Error(t, err, tc.doc)
		assert.ErrorIs(t, err, expect.ErrStubFile)
		assert.Contains(t, err.Error(), tc.want, tc.doc)
	}
}

// TestThenTemplateConcurrent: calls racing on templated puts and deletes of
// the same IDs, each effect whole.
func TestThenTemplateConcurrent(t *testing.T) {
	m := expect.NewMock()
	srv := mockserver.Start(t, m, mockserver.WithServices("routeguide.RouteGuide"))
	client := pb.NewRouteGuideClient(srv.ClientConn())
	_, err := m.AddStubs(parse(t, "race.yaml", `
- method: routeguide.RouteGuide/GetFeature
  request: {partial: {latitude: 1}}
  response: {name: put}
  then: [{putStubs: [{template: {id: 't{{ .Request.longitude }}', method: routeguide.RouteGuide/GetFeature, request: {partial: {latitude: 2, longitude: '{{ .Request.longitude }}'}}, response: {name: 'target {{ .Request.longitude }}'}}}]}]
- method: routeguide.RouteGuide/GetFeature
  request: {partial: {latitude: 3}}
  response: {name: deleted}
  then: [{deleteStubs: ['t{{ .Request.longitude }}']}]
`)...)
	require.NoError(t, err)
	var wg sync.WaitGroup
	errs := make(chan error, 300)
	for g := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				lat, lng := []int32{1, 2, 3}[(g+i)%3], int32(1+i%2)
				f, err := client.GetFeature(ctx(t), &pb.Point{Latitude: lat, Longitude: lng})
				want := map[int32]string{1: "put", 2: fmt.Sprintf("target %d", lng), 3: "deleted"}[lat]
				switch {
				case lat == 2 && status.Code(err) == expect.NoMatchCode:
				case err != nil:
					errs <- err
				case f.GetName() != want:
					errs <- fmt.Errorf("latitude %d answered %q, want %q", lat, f.GetName(), want)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	n := map[string]int{}
	for _, s := range m.Stubs() {
		n[s.ID]++
	}
	assert.LessOrEqual(t, n["t2"], 1)
	assert.LessOrEqual(t, n["t1"], 1)
	assert.NoError(t, m.Err())
}

// A forEach rule's effects run each time it answers a message, before it
// answers: here "join NAME" puts a stub answering GetFeature for NAME's
// latitude, and "leave" deletes it, rendered with the message answered.
const forEachThenStubs = `
- method: routeguide.RouteGuide/RouteChat
  steps:
    - forEach:
        - recv: {fields: {message: {prefix: "join "}}}
          send: {message: joined}
          then:
            - putStubs:
                - template:
                    id: 'member-{{ .Message.location.latitude }}'
                    method: routeguide.RouteGuide/GetFeature
                    request: {partial: {latitude: '{{ .Message.location.latitude }}'}}
                    response: {name: '{{ trimPrefix "join " .Message.message }}'}
        - recv: {partial: {message: leave}}
          send: {message: 'left {{ .Message.location.latitude }}'}
          then:
            - deleteStubs: ['member-{{ .Message.location.latitude }}']
`

func chatOnce(t *testing.T, client pb.RouteGuideClient, notes ...*pb.RouteNote) []string {
	t.Helper()
	stream, err := client.RouteChat(ctx(t))
	require.NoError(t, err)
	var got []string
	for _, n := range notes {
		require.NoError(t, stream.Send(n))
		r, err := stream.Recv()
		require.NoError(t, err)
		got = append(got, r.GetMessage())
	}
	require.NoError(t, stream.CloseSend())
	_, err = stream.Recv()
	require.ErrorIs(t, err, io.EOF)
	return got
}

func forEachThenCalls(t *testing.T, client pb.RouteGuideClient) {
	t.Helper()
	at := func(lat int32, msg string) *pb.RouteNote {
		return &pb.RouteNote{Location: &pb.Point{Latitude: lat}, Message: msg}
	}
	miss := expect.NoMatchCode.String()
	assert.Equal(t, []string{"joined", "joined"}, chatOnce(t, client, at(1, "join ann"), at(2, "join bob")))
	assert.Equal(t, "ann", name(t, client, &pb.Point{Latitude: 1}))
	assert.Equal(t, "bob", name(t, client, &pb.Point{Latitude: 2}))
	// Each message's effects run before its answer: a unary call made once
	// "left" arrives sees ann gone, while the stream is still open.
	stream, err := client.RouteChat(ctx(t))
	require.NoError(t, err)
	require.NoError(t, stream.Send(at(1, "leave")))
	r, err := stream.Recv()
	require.NoError(t, err)
	assert.Equal(t, "left 1", r.GetMessage())
	assert.Equal(t, miss, name(t, client, &pb.Point{Latitude: 1}), "ann left")
	require.NoError(t, stream.CloseSend())
	_, err = stream.Recv()
	require.ErrorIs(t, err, io.EOF)
	assert.Equal(t, "bob", name(t, client, &pb.Point{Latitude: 2}))
}

func TestForEachThenStubFile(t *testing.T) {
	m := expect.NewMock()
	srv := mockserver.Start(t, m, mockserver.WithServices("routeguide.RouteGuide"))
	_, err := m.AddStubs(parse(t, "chat.yaml", forEachThenStubs)...)
	require.NoError(t, err)
	forEachThenCalls(t, pb.NewRouteGuideClient(srv.ClientConn()))
	assert.NoError(t, m.Err())
}

func TestForEachThenGo(t *testing.T) {
	m := expect.NewMock()
	member := func(n *pb.RouteNote) string { return fmt.Sprintf("member-%d", n.GetLocation().GetLatitude()) }
	m.Bidi(routeChat).ForEach(
		expect.OnMessage(expect.Field("message", expect.Prefix("join "))).Send(&pb.RouteNote{Message: "joined"}).
			Then(expect.PutStubsFunc(func(_ context.Context, call expect.Received) ([]expect.Stub, error) {
				n := call.Message().(*pb.RouteNote)
				return expect.ParseStubs("member.yaml", fmt.Appendf(nil, "{id: %s, method: routeguide.RouteGuide/GetFeature, request: {partial: {latitude: %d}}, response: {name: %q}}",
					member(n), n.GetLocation().GetLatitude(), strings.TrimPrefix(n.GetMessage(), "join ")), nil)
			})),
		expect.OnMessage(expect.Partial(&pb.RouteNote{Message: "leave"})).Send(&pb.RouteNote{Message: "left 1"}).
			Then(expect.DeleteStubsFunc(func(_ context.Context, call expect.Received) ([]string, error) {
				return []string{member(call.Message().(*pb.RouteNote))}, nil
			})),
	).AnyTimes()
	srv := mockserver.Start(t, m)
	forEachThenCalls(t, pb.NewRouteGuideClient(srv.ClientConn()))
	assert.NoError(t, m.Err())
}

// TestThenTemplateSessions: sessions racing on one file's templated
// effects each get the stubs made from their own calls, and only those.
func TestThenTemplateSessions(t *testing.T) {
	s := expect.NewSessions()
	srv := mockserver.Start(t, s, mockserver.WithServices("routeguide.RouteGuide"))
	client := pb.NewRouteGuideClient(srv.ClientConn())
	_, err := s.ReplaceFiles(parse(t, "then.yaml", thenTemplateStubs))
	require.NoError(t, err)
	get := func(session string, lat, lng int32) string {
		f, err := client.GetFeature(inSession(t, session), &pb.Point{Latitude: lat, Longitude: lng})
		if err != nil {
			return status.Code(err).String()
		}
		return f.GetName()
	}
	miss := expect.NoMatchCode.String()
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for g := range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			session, lng, other := fmt.Sprintf("s%d", g), int32(g+1), int32((g+1)%5+1)
			for range 10 {
				for _, c := range []struct {
					lat, lng int32
					want     string
				}{
					{1, lng, "registered"}, {2, lng, fmt.Sprintf("welcome %d, now at 2", lng)}, {2, other, miss},
					{3, lng, "bye"}, {2, lng, miss},
				} {
					if got := get(session, c.lat, c.lng); got != c.want {
						errs <- fmt.Errorf("%s: latitude %d, longitude %d: %q, want %q", session, c.lat, c.lng, got, c.want)
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	assert.Equal(t, miss, get("", 2, 1), "the global stubs got nothing")
}
