package expect

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"sync"
)

// StartedState is the state every scenario starts in, and the state an
// expectation in a scenario answers in unless WhenState says otherwise.
const StartedState = "Started"

// ErrUnknownScenario: no expectation names the scenario.
var ErrUnknownScenario = errors.New("no such scenario")

// scenarioStates is the state of every scenario of one Mock. It belongs to
// the Mock, so each Mock (and each session built over its own Mock) moves
// through its states alone.
type scenarioStates struct {
	mu sync.Mutex
	m  map[string]string // scenario -> state; absent: StartedState
}

func (s *scenarioStates) get(name string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st, ok := s.m[name]; ok {
		return st
	}
	return StartedState
}

func (s *scenarioStates) set(name, state string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string]string{}
	}
	s.m[name] = state
}

func (s *scenarioStates) reset() {
	s.mu.Lock()
	s.m = nil
	s.mu.Unlock()
}

func (d *dyn) wants() string {
	if d.whenState == "" {
		return StartedState
	}
	return d.whenState
}

// inState reports whether the expectation's scenario is in the state it
// answers in (always, outside a scenario).
func (e *expectation) inState() bool {
	return e.scenario == "" || e.m.states.get(e.scenario) == e.wants()
}

// enterState moves the scenario on once the expectation took a call.
func (e *expectation) enterState() {
	if e.scenario != "" && e.setState != "" {
		e.m.states.set(e.scenario, e.setState)
	}
}

func (e *expectation) stateReasons() []string {
	if e.scenario == "" {
		return nil
	}
	if st := e.m.states.get(e.scenario); st != e.wants() {
		return []string{fmt.Sprintf("scenario %q is in state %q; this expectation answers in %q", e.scenario, st, e.wants())}
	}
	return nil
}

func (e *expectation) stateNote() string {
	if r := e.stateReasons(); r != nil {
		return " (" + r[0] + ")"
	}
	return ""
}

// InScenario puts the expectation in a scenario, a state machine shared by
// the expectations that name it: the expectation answers only while the
// scenario is in the state WhenState names (StartedState by default), and
// SetState moves the scenario on once it has taken a call. "The first call
// fails, the retry succeeds" is two expectations in one scenario.
func (b base[B]) InScenario(name string) B {
	b.e.tb().Helper()
	if name == "" {
		b.e.setupErr(fmt.Errorf("InScenario: the scenario needs a name"))
	}
	b.e.scenario = name
	return b.self
}

// WhenState makes the expectation answer only while its scenario is in
// state (the default is StartedState). It needs InScenario.
func (b base[B]) WhenState(state string) B {
	b.e.tb().Helper()
	b.e.whenState = state
	b.e.checkScenario("WhenState")
	return b.self
}

// SetState moves the expectation's scenario to state once the expectation
// has taken a call (when it is chosen, before it answers). It needs
// InScenario.
func (b base[B]) SetState(state string) B {
	b.e.tb().Helper()
	b.e.setState = state
	b.e.checkScenario("SetState")
	return b.self
}

func (e *expectation) checkScenario(what string) {
	e.tb().Helper()
	if e.scenario == "" {
		e.setupErr(fmt.Errorf("%s: call InScenario first, to name the scenario", what))
	}
}

// Scenario is a scenario and its current state.
type Scenario struct {
	Name  string `json:"name"`
	State string `json:"state"`
}

// Scenarios lists every scenario the expectations name, by name, with its
// current state.
func (m *Mock) Scenarios() []Scenario {
	names := m.scenarioNames()
	out := make([]Scenario, len(names))
	for i, n := range names {
		out[i] = Scenario{Name: n, State: m.states.get(n)}
	}
	return out
}

func (m *Mock) scenarioNames() []string {
	m.mu.RLock()
	defer m.mu.RUnlock()
	var names []string
	add := func(name string) {
		if name != "" && !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	for _, e := range m.all {
		add(e.scenario)
		for _, r := range e.rules() {
			add(r.scenario)
		}
	}
	slices.Sort(names)
	return names
}

// SetScenario puts a scenario in a state, as if an expectation had moved it
// there. It wraps ErrUnknownScenario when no expectation names it.
func (m *Mock) SetScenario(name, state string) error {
	if !slices.Contains(m.scenarioNames(), name) {
		return fmt.Errorf("%w: %q", ErrUnknownScenario, name)
	}
	if state == "" {
		return fmt.Errorf("scenario %q: the state needs a name", name)
	}
	m.states.set(name, state)
	return nil
}

// ResetScenarios puts every scenario back in StartedState.
func (m *Mock) ResetScenarios() { m.states.reset() }

// Warnings lists what is declared but looks wrong without being an error:
// a SetState (setState) to a state no expectation of the scenario answers
// in, which leaves the scenario stuck there. Each names where the
// expectation was declared.
func (m *Mock) Warnings() []string {
	m.mu.RLock()
	exps := slices.Clone(m.all)
	m.mu.RUnlock()
	waited := map[[2]string]bool{}
	for _, e := range exps {
		if e.scenario != "" {
			waited[[2]string{e.scenario, e.wants()}] = true
		}
		for _, r := range e.rules() {
			if r.scenario != "" {
				waited[[2]string{r.scenario, cmp.Or(r.whenState, StartedState)}] = true
			}
		}
	}
	var out []string
	for _, e := range exps {
		if e.setState != "" && !waited[[2]string{e.scenario, e.setState}] {
			out = append(out, fmt.Sprintf("%s: setState: scenario %q moves to state %q, which no expectation waits on (whenState)", e.where(), e.scenario, e.setState))
		}
		for _, r := range e.rules() {
			if r.setState != "" && !waited[[2]string{r.scenario, r.setState}] {
				out = append(out, fmt.Sprintf("%s: a forEach rule's setState: scenario %q moves to state %q, which no expectation waits on (whenState)", e.where(), r.scenario, r.setState))
			}
		}
	}
	return out
}

// rules lists the forEach rules of e's script.
func (e *expectation) rules() []*Rule {
	var out []*Rule
	for _, st := range e.script {
		if f, ok := st.(forEachStep); ok {
			out = append(out, f.rules...)
		}
	}
	return out
}
