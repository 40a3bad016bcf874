package expect_test

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
	"github.com/grpcdouble/grpcdouble/expect"
	"github.com/grpcdouble/grpcdouble/mockserver"
)

func parse(t *testing.T, name, body string) []expect.Stub {
	t.Helper()
	stubs, err := expect.ParseStubs(name, []byte(body), nil)
	require.NoError(t, err)
	return stubs
}

func inSession(t *testing.T, name string) context.Context {
	if name == "" {
		return ctx(t)
	}
	return metadata.AppendToOutgoingContext(ctx(t), expect.SessionKey, name)
}

func hitsOf(m *expect.Mock) map[string]int {
	out := map[string]int{}
	for _, in := range m.Stubs() {
		out[in.ID] = in.Hits
	}
	return out
}

// TestSessions: two sessions with conflicting stubs on one method each get
// their own answer, counts and misses; both see the global stubs, and a
// call without a session sees only those.
func TestSessions(t *testing.T) {
	s := expect.NewSessions()
	srv := mockserver.Start(t, s, mockserver.WithServices("routeguide.RouteGuide"))
	client := pb.NewRouteGuideClient(srv.ClientConn())
	_, err := s.ReplaceFiles(parse(t, "global.yaml", "- {id: global, method: routeguide.RouteGuide/GetFeature, response: {name: global}}\n- {id: list, method: routeguide.RouteGuide/ListFeatures, responses: [{name: l}]}\n"))
	require.NoError(t, err)
	for _, name := range []string{"a", "b"} {
		_, err := s.AddStubs(name, parse(t, "admin", fmt.Sprintf("{id: mine, method: routeguide.RouteGuide/GetFeature, response: {name: %s}}", name))...)
		require.NoError(t, err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 3*20)
	for _, name := range []string{"a", "b", ""} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			want := name
			if name == "" {
				want = "global"
			}
			for range 20 {
				f, err := client.GetFeature(inSession(t, name), &pb.Point{})
				if err != nil {
					errs <- err
					return
				}
				if f.GetName() != want {
					errs <- fmt.Errorf("session %q got %q, want %q", name, f.GetName(), want)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	a, err := s.Lookup("a")
	require.NoError(t, err)
	assert.Equal(t, map[string]int{"mine": 20, "global": 0, "list": 0}, hitsOf(a.Mock()))
	assert.Equal(t, map[string]int{"global": 20, "list": 0}, hitsOf(s.Global().Mock()))

	// A miss stays in its session.
	stream, err := client.RecordRoute(inSession(t, "b"))
	require.NoError(t, err)
	_, err = stream.CloseAndRecv()
	assert.Equal(t, expect.NoMatchCode, status.Code(err))
	b, _ := s.Lookup("b")
	assert.Len(t, b.Mock().Unexpected(), 1)
	assert.Empty(t, a.Mock().Unexpected())
	assert.Empty(t, s.Global().Mock().Unexpected())

	// A global stub added at run time reaches every session, after the
	// session's own.
	_, err = s.AddStubs("", parse(t, "admin", "{id: late, method: routeguide.RouteGuide/GetFeature, request: {equal: {latitude: 9}}, response: {name: late}}")...)
	require.NoError(t, err)
	f, err := client.GetFeature(inSession(t, "a"), &pb.Point{Latitude: 9})
	require.NoError(t, err)
	assert.Equal(t, "a", f.GetName(), "the session's own stub comes first")
	f, err = client.GetFeature(inSession(t, "new"), &pb.Point{Latitude: 9})
	require.NoError(t, err)
	assert.Equal(t, "global", f.GetName())
	// A session's stub id may not take a global one's.
	_, err = s.AddStubs("a", parse(t, "admin", "{id: late, method: routeguide.RouteGuide/GetFeature, response: {}}")...)
	assert.ErrorContains(t, err, `duplicate stub id "late"`)
	// A session cannot delete a global stub.
	assert.ErrorContains(t, s.Delete("a", "global"), "is a global stub: delete it without a session")
	require.NoError(t, s.Delete("", "late"))
	assert.NotContains(t, hitsOf(a.Mock()), "late")

	// Reset starts a session again with the global stubs only.
	require.NoError(t, s.Reset("a"))
	f, err = client.GetFeature(inSession(t, "a"), &pb.Point{})
	require.NoError(t, err)
	assert.Equal(t, "global", f.GetName())

	// Drop and expire.
	require.NoError(t, s.Drop("b"))
	assert.ErrorIs(t, s.Drop("b"), expect.ErrUnknownSession)
	_, err = s.Lookup("b")
	assert.ErrorIs(t, err, expect.ErrUnknownSession)
	assert.Equal(t, []string{"a", "new"}, names(s.List()))
	assert.Equal(t, []string{"a", "new"}, s.Expire(time.Now().Add(time.Hour), 30*time.Minute))
	assert.Empty(t, s.List())
}

func names(ss []*expect.Session) []string {
	var out []string
	for _, s := range ss {
		out = append(out, s.Name())
	}
	return out
}

// TestSessionBadName: a call with a session name a session may not have
// gets InvalidArgument saying what a name may hold.
func TestSessionBadName(t *testing.T) {
	s := expect.NewSessions()
	srv := mockserver.Start(t, s, mockserver.WithServices("routeguide.RouteGuide"))
	_, err := pb.NewRouteGuideClient(srv.ClientConn()).GetFeature(inSession(t, "a b/../c"), &pb.Point{})
	assert.Equal(t, codes.InvalidArgument, status.Code(err))
	assert.Contains(t, status.Convert(err).Message(), `metadata grpcdouble-session: bad session name "a b/../c": want 1 to 64 letters, digits, '.', '_' or '-'`)
	_, err = s.Lookup("a b")
	assert.ErrorIs(t, err, expect.ErrSessionName)
}

// TestReplaceFiles: replacing the file stubs reports what changed, keeps the
// counts of unchanged stubs, and on an error changes nothing.
func TestReplaceFiles(t *testing.T) {
	s := expect.NewSessions()
	srv := mockserver.Start(t, s, mockserver.WithServices("routeguide.RouteGuide"))
	client := pb.NewRouteGuideClient(srv.ClientConn())
	v1 := "- {id: keep, method: routeguide.RouteGuide/GetFeature, request: {equal: {latitude: 1}}, response: {name: keep}}\n" +
		"- {id: edit, method: routeguide.RouteGuide/GetFeature, response: {name: v1}}\n" +
		"- {id: drop, method: routeguide.RouteGuide/ListFeatures, responses: []}\n"
	ch, err := s.ReplaceFiles(parse(t, "f.yaml", v1))
	require.NoError(t, err)
	assert.Equal(t, []string{"keep", "edit", "drop"}, ch.Added)
	_, err = s.AddStubs("", parse(t, "admin", "{id: admin, method: routeguide.RouteGuide/RouteChat, steps: []}")...)
	require.NoError(t, err)
	for _, name := range []string{"", "sess"} {
		_, err = client.GetFeature(inSession(t, name), &pb.Point{Latitude: 1})
		require.NoError(t, err)
	}

	v2 := "- {id: keep, method: routeguide.RouteGuide/GetFeature, request: {equal: {latitude: 1}}, response: {name: keep}}\n" +
		"- {id: edit, method: routeguide.RouteGuide/GetFeature, response: {name: v2}}\n" +
		"- {id: new, method: routeguide.RouteGuide/RecordRoute, response: {}}\n"
	ch, err = s.ReplaceFiles(parse(t, "f.yaml", v2))
	require.NoError(t, err)
	assert.Equal(t, expect.StubChange{Added: []string{"new"}, Removed: []string{"drop"}, Changed: []string{"edit"}}, ch)
	for _, name := range []string{"", "sess"} {
		ss, err := s.Lookup(name)
		require.NoError(t, err)
		assert.Equal(t, map[string]int{"keep": 1, "edit": 0, "new": 0, "admin": 0}, hitsOf(ss.Mock()), "session %q", name)
		f, err := client.GetFeature(inSession(t, name), &pb.Point{})
		require.NoError(t, err)
		assert.Equal(t, "v2", f.GetName())
	}

	// A set that cannot be added changes nothing.
	_, err = s.ReplaceFiles(parse(t, "f.yaml", "- {id: x, method: routeguide.RouteGuide/GetFeature, response: {}}\n- {id: x, method: routeguide.RouteGuide/GetFeature, response: {}}\n"))
	assert.ErrorContains(t, err, `f.yaml:2: duplicate stub id "x" (first at f.yaml:1)`)
	f, err := client.GetFeature(inSession(t, "sess"), &pb.Point{})
	require.NoError(t, err)
	assert.Equal(t, "v2", f.GetName())
}

// TestSessionScenarios: a global stub's scenario moves on in each session
// alone, because the state belongs to the session's Mock.
func TestSessionScenarios(t *testing.T) {
	s := expect.NewSessions()
	srv := mockserver.Start(t, s, mockserver.WithServices("routeguide.RouteGuide"))
	client := pb.NewRouteGuideClient(srv.ClientConn())
	_, err := s.ReplaceFiles(parse(t, "flow.yaml", `
- {id: first, method: routeguide.RouteGuide/GetFeature, scenario: flow, setState: done, response: {name: one}}
- {id: then, method: routeguide.RouteGuide/GetFeature, scenario: flow, whenState: done, response: {name: two}}
`))
	require.NoError(t, err)
	answers := func(session string, n int) []string {
		var out []string
		for range n {
			f, err := client.GetFeature(inSession(t, session), &pb.Point{})
			require.NoError(t, err)
			out = append(out, f.GetName())
		}
		return out
	}
	assert.Equal(t, []string{"one", "two"}, answers("a", 2))
	assert.Equal(t, []string{"one"}, answers("b", 1), "session b starts its own scenario")
	assert.Equal(t, []string{"one", "two"}, answers("", 2))
	require.NoError(t, s.Reset("a"))
	assert.Equal(t, []string{"one"}, answers("a", 1), "a reset starts the scenario again")
}

// TestReplaceFilesAtomic: while the file stubs are swapped again and again,
// a caller that calls one method and then another never sees the new
// answer on the first and the old on the second: the swap is one step.
func TestReplaceFilesAtomic(t *testing.T) {
	s := expect.NewSessions()
	srv := mockserver.Start(t, s, mockserver.WithServices("routeguide.RouteGuide"))
	client := pb.NewRouteGuideClient(srv.ClientConn())
	version := func(v int) []expect.Stub {
		return parse(t, "f.yaml", fmt.Sprintf("- {id: get, method: routeguide.RouteGuide/GetFeature, response: {name: '%d'}}\n- {id: rec, method: routeguide.RouteGuide/RecordRoute, response: {pointCount: %d}}\n", v, v))
	}
	_, err := s.ReplaceFiles(version(0))
	require.NoError(t, err)
	const versions = 200
	stop := make(chan struct{})
	errs := make(chan error, 4)
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				f, err := client.GetFeature(ctx(t), &pb.Point{})
				if err != nil {
					errs <- err
					return
				}
				first, _ := strconv.Atoi(f.GetName())
				stream, err := client.RecordRoute(ctx(t))
				if err != nil {
					errs <- err
					return
				}
				sum, err := stream.CloseAndRecv()
				if err != nil {
					errs <- err
					return
				}
				if int(sum.GetPointCount()) < first {
					errs <- fmt.Errorf("GetFeature answered from set %d, then RecordRoute from the older set %d", first, sum.GetPointCount())
					return
				}
			}
		}()
	}
	for v := 1; v <= versions; v++ {
		_, err := s.ReplaceFiles(version(v))
		require.NoError(t, err)
	}
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// echoFallback answers a call with how many messages the Mock had read.
type echoFallback struct{}

func (echoFallback) Serve(c *mockserver.Call, received []proto.Message, halfClosed bool) error {
	return c.Send(&pb.Feature{Name: fmt.Sprintf("fallback: %d read, half-closed %v", len(received), halfClosed)})
}

// TestFallback: with WithFallback, a call no expectation matches goes to
// the fallback with the messages already read, is not a miss, and the
// journal says what answered each call.
func TestFallback(t *testing.T) {
	m := expect.NewMock(expect.WithFallback(echoFallback{}))
	_, err := m.AddStubs(parse(t, "s.yaml", "- {id: one, method: routeguide.RouteGuide/GetFeature, request: {equal: {latitude: 1}}, response: {name: stub}}\n")...)
	require.NoError(t, err)
	srv := mockserver.Start(t, m)
	client := pb.NewRouteGuideClient(srv.ClientConn())
	f, err := client.GetFeature(ctx(t), &pb.Point{Latitude: 1})
	require.NoError(t, err)
	assert.Equal(t, "stub", f.GetName())
	f, err = client.GetFeature(ctx(t), &pb.Point{Latitude: 2})
	require.NoError(t, err)
	assert.Equal(t, "fallback: 1 read, half-closed false", f.GetName())
	assert.Empty(t, m.Unexpected())
	require.NoError(t, m.Verify())
	var answers []string
	for _, c := range srv.Calls() {
		answers = append(answers, c.Answer)
	}
	assert.Equal(t, []string{"stub:one", ""}, answers, "the fallback sets its own answer")
}

// TestStubSession: a global stub with session answers only calls in that
// session, named by grpcdouble-session or by gripmock's x-gripmock-session;
// other sessions and calls without one get the stub for everyone.
func TestStubSession(t *testing.T) {
	s := expect.NewSessions()
	srv := mockserver.Start(t, s, mockserver.WithServices("routeguide.RouteGuide"))
	client := pb.NewRouteGuideClient(srv.ClientConn())
	_, err := s.ReplaceFiles(parse(t, "global.yaml", `
- {id: team, method: routeguide.RouteGuide/GetFeature, session: team-a, response: {name: team a}}
- {id: all, method: routeguide.RouteGuide/GetFeature, response: {name: everyone}}
`))
	require.NoError(t, err)
	for _, tc := range []struct {
		key, session, want string
	}{
		{expect.SessionKey, "team-a", "team a"},
		{expect.GripmockSessionKey, "team-a", "team a"},
		{expect.SessionKey, "team-b", "everyone"},
		{"", "", "everyone"},
	} {
		c := ctx(t)
		if tc.key != "" {
			c = metadata.AppendToOutgoingContext(c, tc.key, tc.session)
		}
		f, err := client.GetFeature(c, &pb.Point{})
		require.NoError(t, err, "%s: %s", tc.key, tc.session)
		assert.Equal(t, tc.want, f.GetName(), "%s: %s", tc.key, tc.session)
	}
	ss, err := s.Lookup("team-a")
	require.NoError(t, err)
	assert.Equal(t, 2, hitsOf(ss.Mock())["team"], "both calls in team-a, by either key, counted in team-a")
	assert.Equal(t, 0, hitsOf(s.Global().Mock())["team"])
}

// TestWithSession: the Go form on a plain Mock; a miss names the session.
func TestWithSession(t *testing.T) {
	m := expect.New(t)
	m.Unary("/routeguide.RouteGuide/GetFeature").WithSession("s1").Return(&pb.Feature{Name: "s1"}).AnyTimes()
	srv := mockserver.Start(t, m)
	client := pb.NewRouteGuideClient(srv.ClientConn())
	f, err := client.GetFeature(metadata.AppendToOutgoingContext(ctx(t), expect.GripmockSessionKey, "s1"), &pb.Point{})
	require.NoError(t, err)
	assert.Equal(t, "s1", f.GetName())
	x, err := m.Explain("/routeguide.RouteGuide/GetFeature", []byte(`{}`), metadata.Pairs(expect.SessionKey, "s2"))
	require.NoError(t, err)
	require.Len(t, x.Reasons, 1)
	assert.Contains(t, x.Reasons[0], `answers only calls in session "s1"`)
	assert.Contains(t, x.Reasons[0], `this call's session: "s2"`)
}
