package expect_test

import (
	"fmt"
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

const thenStubs = `
- id: register
  method: routeguide.RouteGuide/GetFeature
  request: {partial: {latitude: 1}}
  response: {name: registered}
  then:
    - putStubs:
        - id: login
          method: routeguide.RouteGuide/GetFeature
          request: {partial: {latitude: 2}}
          response: {name: 'logged in at {{ .Request.longitude }}'}
          then:
            - deleteStubs: [login, profile]
    - deleteStubs: [register]
- id: profile
  method: routeguide.RouteGuide/GetFeature
  request: {partial: {latitude: 3}}
  response: {name: profile}
`

func name(t *testing.T, client pb.RouteGuideClient, p *pb.Point) string {
	t.Helper()
	f, err := client.GetFeature(ctx(t), p)
	if err != nil {
		return status.Code(err).String()
	}
	return f.GetName()
}

// TestThenStubFile: register puts login and deletes itself; login, a stub
// an effect made, deletes itself and profile: each change is seen by the
// next call.
func TestThenStubFile(t *testing.T) {
	m := expect.NewMock()
	srv := mockserver.Start(t, m, mockserver.WithServices("routeguide.RouteGuide"))
	client := pb.NewRouteGuideClient(srv.ClientConn())
	_, err := m.AddStubs(parse(t, "then.yaml", thenStubs)...)
	require.NoError(t, err)
	miss := expect.NoMatchCode.String()
	assert.Equal(t, miss, name(t, client, &pb.Point{Latitude: 2}), "login before register")
	assert.Equal(t, "profile", name(t, client, &pb.Point{Latitude: 3}))
	assert.Equal(t, "registered", name(t, client, &pb.Point{Latitude: 1}))
	assert.Equal(t, miss, name(t, client, &pb.Point{Latitude: 1}), "register deleted itself")
	assert.Equal(t, "logged in at 7", name(t, client, &pb.Point{Latitude: 2, Longitude: 7}), "the put stub's template sees its own call")
	assert.Equal(t, miss, name(t, client, &pb.Point{Latitude: 2}), "login deleted itself")
	assert.Equal(t, miss, name(t, client, &pb.Point{Latitude: 3}), "login deleted profile")
	assert.Empty(t, m.Stubs())
}

// TestThenGo: the Go form. PutStubs replaces the stub with the same ID.
func TestThenGo(t *testing.T) {
	m := expect.New(t)
	v1 := parse(t, "v1.yaml", "{id: next, method: routeguide.RouteGuide/GetFeature, request: {partial: {latitude: 2}}, response: {name: v1}}")
	v2 := parse(t, "v2.yaml", "{id: next, method: routeguide.RouteGuide/GetFeature, request: {partial: {latitude: 2}}, response: {name: v2}}")
	m.Unary("/routeguide.RouteGuide/GetFeature").WithRequest(&pb.Point{Latitude: 1}).Return(&pb.Feature{Name: "one"}).
		Then(expect.PutStubs(v1...)).Times(1)
	m.Unary("/routeguide.RouteGuide/GetFeature").WithRequest(&pb.Point{Latitude: 3}).Return(&pb.Feature{Name: "three"}).
		Then(expect.PutStubs(v2...)).Times(1)
	srv := mockserver.Start(t, m)
	client := pb.NewRouteGuideClient(srv.ClientConn())
	assert.Equal(t, "one", name(t, client, &pb.Point{Latitude: 1}))
	assert.Equal(t, "v1", name(t, client, &pb.Point{Latitude: 2}))
	assert.Equal(t, "three", name(t, client, &pb.Point{Latitude: 3}))
	assert.Equal(t, "v2", name(t, client, &pb.Point{Latitude: 2}), "v2 replaced v1")
	n := 0
	for _, s := range m.Stubs() {
		if s.ID == "next" {
			n++
		}
	}
	assert.Equal(t, 1, n)
}

// TestThenConcurrent: calls racing on stubs whose effects put and delete
// the same IDs leave one consistent set, and every call gets an answer of
// a stub it could match.
func TestThenConcurrent(t *testing.T) {
	m := expect.NewMock()
	srv := mockserver.Start(t, m, mockserver.WithServices("routeguide.RouteGuide"))
	client := pb.NewRouteGuideClient(srv.ClientConn())
	_, err := m.AddStubs(parse(t, "race.yaml", `
- method: routeguide.RouteGuide/GetFeature
  request: {partial: {latitude: 1}}
  response: {name: put}
  then: [{putStubs: [{id: target, method: routeguide.RouteGuide/GetFeature, request: {partial: {latitude: 2}}, response: {name: target}}]}]
- method: routeguide.RouteGuide/GetFeature
  request: {partial: {latitude: 3}}
  response: {name: deleted}
  then: [{deleteStubs: [target]}]
`)...)
	require.NoError(t, err)
	var wg sync.WaitGroup
	errs := make(chan error, 300)
	for g := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				lat := []int32{1, 2, 3}[(g+i)%3]
				f, err := client.GetFeature(ctx(t), &pb.Point{Latitude: lat})
				switch {
				case lat == 2 && status.Code(err) == expect.NoMatchCode:
				case err != nil:
					errs <- err
				case lat == 2 && f.GetName() != "target", lat == 1 && f.GetName() != "put", lat == 3 && f.GetName() != "deleted":
					errs <- fmt.Errorf("latitude %d answered %q", lat, f.GetName())
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	n := 0
	for _, s := range m.Stubs() {
		if s.ID == "target" {
			n++
		}
	}
	assert.LessOrEqual(t, n, 1, "at most one stub named target")
	assert.NoError(t, m.Err())
}

// TestThenSessions: a call in a session changes that session's stubs only;
// a call without one changes the global stubs, which every session sees.
func TestThenSessions(t *testing.T) {
	s := expect.NewSessions()
	srv := mockserver.Start(t, s, mockserver.WithServices("routeguide.RouteGuide"))
	client := pb.NewRouteGuideClient(srv.ClientConn())
	_, err := s.ReplaceFiles(parse(t, "then.yaml", thenStubs))
	require.NoError(t, err)
	get := func(session string, lat int32) string {
		f, err := client.GetFeature(inSession(t, session), &pb.Point{Latitude: lat})
		if err != nil {
			return status.Code(err).String()
		}
		return f.GetName()
	}
	miss := expect.NoMatchCode.String()
	assert.Equal(t, "registered", get("a", 1))
	assert.Equal(t, miss, get("a", 1), "register is gone in session a")
	assert.Equal(t, "logged in at 0", get("a", 2))
	assert.Equal(t, miss, get("a", 3), "profile is gone in session a")
	assert.Equal(t, miss, get("b", 2), "session b has no login")
	assert.Equal(t, "profile", get("b", 3), "session b keeps profile")
	assert.Equal(t, "profile", get("", 3), "the global stubs keep profile")

	assert.Equal(t, "registered", get("", 1))
	assert.Equal(t, "logged in at 0", get("c", 2), "a global put is seen in every session")
	assert.Equal(t, miss, get("c", 3), "session c's login deleted c's copy of profile")
	assert.Equal(t, "profile", get("", 3), "not the global one")
	require.NoError(t, s.Reset("a"))
	assert.Equal(t, "profile", get("a", 3), "a reset brings the global stubs back")
}

func TestThenBadStubs(t *testing.T) {
	for _, tc := range []struct{ doc, want string }{
		{"- method: routeguide.RouteGuide/GetFeature\n  response: {}\n  then:\n    - {putStubs: [{method: routeguide.RouteGuide/GetFeature, response: {}}], deleteStubs: [x]}\n",
			"t.yaml:4: then[0]: want one of putStubs (a list of stubs) or deleteStubs (a list of stub IDs)"},
		{"- method: routeguide.RouteGuide/GetFeature\n  response: {}\n  then:\n    - putStubs:\n        - method: routeguide.RouteGuide/GetFeature\n          response: {nmae: x}\n",
			`t.yaml:6: response: not a routeguide.Feature: unknown field "nmae"`},
		{"- method: routeguide.RouteGuide/GetFeature\n  response: {}\n  then:\n    - putStubs:\n        - method: routeguide.RouteGuide/GetFeature\n          respons: {}\n",
			"t.yaml:6: field respons not found in type"},
		{"- method: routeguide.RouteGuide/GetFeature\n  response: {}\n  then:\n    - deleteStubs: [\"a b\"]\n",
			`t.yaml:4: then[0].deleteStubs[0]: "a b" is not a stub ID`},
		{"- method: routeguide.RouteGuide/GetFeature\n  response: {}\n  then: {deleteStubs: [a]}\n",
			"t.yaml:3: cannot unmarshal !!map into []then effect"},
		{"- method: routeguide.RouteGuide/GetFeature\n  response: {}\n  then:\n    - deleteStubs: [a]\n    - putStubs:\n        - ~\n",
			"t.yaml:6: then[1].putStubs[0]: an empty item (null)"},
	} {
		_, err := expect.ParseStubs("t.yaml", []byte(tc.doc), nil)
		require.Error(t, err, tc.doc)
		assert.ErrorIs(t, err, expect.ErrStubFile)
		assert.Contains(t, err.Error(), tc.want)
	}
	_ = codes.OK
}
