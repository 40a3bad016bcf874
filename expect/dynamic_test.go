package expect_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pb "github.com/grpcdouble/grpcdouble/examples/routeguide"
	"github.com/grpcdouble/grpcdouble/expect"
	"github.com/grpcdouble/grpcdouble/mockserver"
)

// A higher priority is tried first; equal priorities keep declared order,
// in Go and in stub files, whatever file the catch-all sits in.
func TestPriority(t *testing.T) {
	m := expect.New(t)
	m.Unary(getFeature).Priority(-1).AnyTimes().Return(&pb.Feature{Name: "catch-all"})
	m.Unary(getFeature).WithRequest(&pb.Point{Latitude: 1}).AnyTimes().Return(&pb.Feature{Name: "first"})
	m.Unary(getFeature).WithRequest(&pb.Point{Latitude: 1}).AnyTimes().Optional().Return(&pb.Feature{Name: "second"})
	stubs, err := expect.ParseStubs("p.yaml", []byte(`
- method: routeguide.RouteGuide/GetFeature
  request: {equal: {latitude: 2}}
  response: {name: stub low}
- method: routeguide.RouteGuide/GetFeature
  priority: 10
  request: {equal: {latitude: 2}}
  response: {name: stub high}
`), nil)
	require.NoError(t, err)
	_, err = m.AddStubs(stubs...)
	require.NoError(t, err)
	client := pb.NewRouteGuideClient(mockserver.Start(t, m).ClientConn())
	for lat, want := range map[int32]string{1: "first", 2: "stub high", 3: "catch-all"} {
		f, err := client.GetFeature(ctx(t), &pb.Point{Latitude: lat})
		require.NoError(t, err)
		assert.Equal(t, want, f.Name, "latitude %d", lat)
	}
	m.Reset() // "stub low" and "second" were never called, by design
}

func TestPriorityStubErrors(t *testing.T) {
	_, err := expect.ParseStubs("s.yaml", []byte("- method: routeguide.RouteGuide/GetFeature\n  priority: high\n  response: {}\n"), nil)
	assert.ErrorIs(t, err, expect.ErrStubFile)
	assert.ErrorContains(t, err, `s.yaml:2: priority: want an integer (higher is tried first), got "high"`)
	_, err = expect.ParseStubs("s.yaml", []byte("- method: routeguide.RouteGuide/GetFeature\n  priority: 1.5\n  response: {}\n"), nil)
	assert.ErrorContains(t, err, `s.yaml:2: priority: want an integer`)
}

// A script step after one that ends the call would never run: a setup
// error, in Go and in stub files.
func TestStepsAfterTheEnd(t *testing.T) {
	for _, tc := range []struct {
		name string
		decl func(m *expect.Mock)
		want string
	}{
		{"send after a code", func(m *expect.Mock) {
			m.ServerStream(listFeatures).ReturnCode(codes.Unavailable).Send(&pb.Feature{})
		}, "step 1 (end with Unavailable) ends the call, so step 2 (send routeguide.Feature {}) would never run"},
		{"send after KeepOpen", func(m *expect.Mock) {
			m.Bidi(routeChat).KeepOpen().Send(note("x"))
		}, "step 1 (keep open until the client cancels) ends the call"},
		{"send after DropConnection", func(m *expect.Mock) {
			m.ServerStream(listFeatures).DropConnection().Send(&pb.Feature{})
		}, "step 1 (drop the connection) ends the call"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ft := &fakeT{}
			m := expect.New(ft)
			tc.decl(m)
			_, err := mockserver.New(m)
			require.Error(t, err)
			assert.ErrorIs(t, err, expect.ErrSetup)
			assert.Contains(t, err.Error(), tc.want)
			assert.Contains(t, err.Error(), "dynamic_test.go:")
			ft.finish()
		})
	}
	_, err := expect.ParseStubs("s.yaml", []byte("- method: routeguide.RouteGuide/ListFeatures\n  steps:\n    - status: {code: UNAVAILABLE}\n    - send: {name: never}\n"), nil)
	assert.ErrorIs(t, err, expect.ErrStubFile)
	assert.ErrorContains(t, err, "s.yaml:1: steps: step 1 (end with Unavailable) ends the call, so step 2 (send routeguide.Feature {\"name\":\"never\"}) would never run")
	_, err = expect.ParseStubs("s.yaml", []byte("- method: routeguide.RouteGuide/ListFeatures\n  status: {code: OK}\n  keepOpen: true\n"), nil)
	assert.ErrorContains(t, err, "s.yaml:1: steps: step 1 (end with OK) ends the call")
}

// "The first call fails with UNAVAILABLE, the retry succeeds", written as
// a scenario; the state belongs to the Mock, which shows and sets it.
func TestScenarioRetry(t *testing.T) {
	m := expect.New(t)
	m.Unary(getFeature).InScenario("retry").SetState("recovered").
		ReturnError(codes.Unavailable, "try again")
	m.Unary(getFeature).InScenario("retry").WhenState("recovered").AnyTimes().
		Return(&pb.Feature{Name: "ok"})
	client := pb.NewRouteGuideClient(mockserver.Start(t, m).ClientConn())

	assert.Equal(t, []expect.Scenario{{Name: "retry", State: expect.StartedState}}, m.Scenarios())
	_, err := client.GetFeature(ctx(t), &pb.Point{})
	assert.Equal(t, codes.Unavailable, status.Code(err))
	assert.Equal(t, []expect.Scenario{{Name: "retry", State: "recovered"}}, m.Scenarios())
	for range 2 {
		f, err := client.GetFeature(ctx(t), &pb.Point{})
		require.NoError(t, err)
		assert.Equal(t, "ok", f.Name)
	}

	// Set it back, and the failure comes again; but it wanted one call.
	require.NoError(t, m.SetScenario("retry", expect.StartedState))
	x, err := m.Explain(getFeature, []byte(`{}`), nil)
	require.NoError(t, err)
	assert.Empty(t, x.Match)
	assert.Contains(t, x.String(), "it was already called 1 time(s)")
	require.NoError(t, m.SetScenario("retry", "elsewhere"))
	x, err = m.Explain(getFeature, []byte(`{}`), nil)
	require.NoError(t, err)
	assert.Contains(t, x.String(), `scenario "retry" is in state "elsewhere"; this expectation answers in "recovered"`)
	assert.ErrorIs(t, m.SetScenario("nope", "x"), expect.ErrUnknownScenario)
	m.ResetScenarios()
	assert.Equal(t, expect.StartedState, m.Scenarios()[0].State)
	assert.Empty(t, m.Warnings())
}

// Register, then login works: a scenario across two methods, from a stub
// file; a setState nobody waits on is a warning naming file:line.
func TestScenarioStubs(t *testing.T) {
	stubs, err := expect.ParseStubs("s.yaml", []byte(`
- method: routeguide.RouteGuide/GetFeature      # login before register
  scenario: account
  response: {name: "who are you?"}
- method: routeguide.RouteGuide/RecordRoute     # register
  scenario: account
  setState: Registered
  response: {pointCount: 1}
- method: routeguide.RouteGuide/GetFeature      # login after register
  scenario: account
  whenState: Registered
  setState: LoggedIn
  response: {name: welcome}
`), nil)
	require.NoError(t, err)
	m := expect.New(t)
	_, err = m.AddStubs(stubs...)
	require.NoError(t, err)
	client := pb.NewRouteGuideClient(mockserver.Start(t, m).ClientConn())
	f, err := client.GetFeature(ctx(t), &pb.Point{})
	require.NoError(t, err)
	assert.Equal(t, "who are you?", f.Name)
	rs, err := client.RecordRoute(ctx(t))
	require.NoError(t, err)
	_, err = rs.CloseAndRecv()
	require.NoError(t, err)
	f, err = client.GetFeature(ctx(t), &pb.Point{})
	require.NoError(t, err)
	assert.Equal(t, "welcome", f.Name)
	assert.Equal(t, []expect.Scenario{{Name: "account", State: "LoggedIn"}}, m.Scenarios())
	assert.Equal(t, []string{`s.yaml:9: setState: scenario "account" moves to state "LoggedIn", which no expectation waits on (whenState)`}, m.Warnings())

	_, err = expect.ParseStubs("s.yaml", []byte("- method: routeguide.RouteGuide/GetFeature\n  whenState: x\n  response: {}\n"), nil)
	assert.ErrorContains(t, err, "s.yaml:2: whenState: needs scenario")
	_, err = expect.ParseStubs("s.yaml", []byte("- method: routeguide.RouteGuide/GetFeature\n  scenarios: x\n  response: {}\n"), nil)
	assert.ErrorContains(t, err, "s.yaml:2: field scenarios not found in type stub")
}

// An unmet expectation in a scenario says what state held it back.
func TestScenarioVerify(t *testing.T) {
	ft := &fakeT{}
	m := expect.New(ft)
	m.Unary(getFeature).InScenario("s").WhenState("later").Return(&pb.Feature{})
	m.Unary(getFeature).WhenState("x").Return(&pb.Feature{})
	report := ft.finish()
	assert.Contains(t, report, "WhenState: call InScenario first")
	m2 := expect.NewMock()
	m2.Unary(getFeature).InScenario("s").WhenState("later").Return(&pb.Feature{})
	err := m2.Verify()
	assert.ErrorIs(t, err, expect.ErrUnmet)
	assert.True(t, strings.Contains(err.Error(), `(scenario "s" is in state "Started"; this expectation answers in "later")`), err.Error())
}
