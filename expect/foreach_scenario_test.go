package expect_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grpcdouble/grpcdouble/expect"
)

// A forEach rule in a scenario answers only in its state and moves the
// scenario as it answers, message by message: the next message, in the
// same call or another, sees the new state. The state is the Mock's.
func TestForEachRuleScenario(t *testing.T) {
	check := func(t *testing.T, m *expect.Mock, ft *fakeT) {
		t.Helper()
		client, finish := serve(t, m, ft)
		got, _, _ := ruleChat(t, client, nil, "next", "next", "next")
		assert.Equal(t, []string{"one", "two", "no more"}, got)
		got, _, _ = ruleChat(t, client, nil, "next", "reset", "next")
		assert.Equal(t, []string{"no more", "again", "one"}, got)
		assert.Equal(t, []expect.Scenario{{Name: "chat", State: "two"}}, m.Scenarios())
		assert.Empty(t, m.Warnings())
		m.ResetScenarios()
		got, _, _ = ruleChat(t, client, nil, "next")
		assert.Equal(t, []string{"one"}, got)
		assert.Empty(t, finish())
	}
	t.Run("Go", func(t *testing.T) {
		ft := &fakeT{}
		m := expect.New(ft)
		next := expect.OnMessage(expect.Field("message", expect.Eq("next")))
		m.Bidi(routeChat).ForEach(
			next.InScenario("chat").SetState("two").Send(note("one")),
			expect.OnMessage(expect.Field("message", expect.Eq("next"))).InScenario("chat").WhenState("two").SetState("done").Send(note("two")),
			expect.OnMessage(expect.Field("message", expect.Eq("next"))).InScenario("chat").WhenState("done").Send(note("no more")),
			expect.OnMessage(expect.Field("message", expect.Eq("reset"))).InScenario("chat").WhenState("done").SetState(expect.StartedState).Send(note("again")),
		).AnyTimes()
		check(t, m, ft)
	})
	t.Run("stub file", func(t *testing.T) {
		ft := &fakeT{}
		m := expect.New(ft)
		stubs, err := expect.ParseStubs("chat.yaml", []byte(`
- method: routeguide.RouteGuide/RouteChat
  steps:
    - forEach:
        - recv: {fields: {message: next}}
          scenario: chat
          setState: two
          send: {message: one}
        - recv: {fields: {message: next}}
          scenario: chat
          whenState: two
          setState: done
          send: {message: two}
        - recv: {fields: {message: next}}
          scenario: chat
          whenState: done
          send: {message: no more}
        - recv: {fields: {message: reset}}
          scenario: chat
          whenState: done
          setState: Started
          send: {message: again}
`), nil)
		require.NoError(t, err)
		_, err = m.AddStubs(stubs...)
		require.NoError(t, err)
		check(t, m, ft)
	})
}

// A message whose rules are all out of state is a miss; a setState to a
// state no rule or expectation waits on is a warning; whenState without
// scenario is an error naming the line.
func TestForEachRuleScenarioMissAndWarnings(t *testing.T) {
	ft := &fakeT{}
	m := expect.New(ft)
	m.Bidi(routeChat).ForEach(
		expect.OnMessage(expect.Anything()).InScenario("once").SetState("gone").Send(note("first")),
	).AnyTimes()
	w := m.Warnings()
	require.Len(t, w, 1)
	assert.Contains(t, w[0], `a forEach rule's setState: scenario "once" moves to state "gone", which no expectation waits on (whenState)`)
	client, finish := serve(t, m, ft)
	got, _, _ := ruleChat(t, client, nil, "a")
	assert.Equal(t, []string{"first"}, got)
	err := talk(t, client, []string{"a"}, [][]string{{"x"}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "no rule matches the message received")
	assert.NotEmpty(t, finish())

	_, err = expect.ParseStubs("chat.yaml", []byte(`
- method: routeguide.RouteGuide/RouteChat
  steps:
    - forEach:
        - recv: {any: true}
          whenState: two
          send: {message: one}
`), nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "chat.yaml:6: steps[0].forEach[0].whenState: needs scenario: the name of the state machine the rule belongs to")
}
