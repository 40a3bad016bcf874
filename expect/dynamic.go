package expect

import (
	"fmt"
	"slices"
	"sort"

	"google.golang.org/protobuf/proto"
)

// dyn is what an expectation holds for priority and scenarios.
type dyn struct {
	priority  int
	scenario  string // "" : in no scenario
	whenState string // the state it answers in ("" : StartedState)
	setState  string // the state to move to once it takes a call ("" : stay)
}

// reqMatch checks the request of a unary or server-stream call against the
// request matcher and every field test.
func (e *expectation) reqMatch(got []proto.Message, wire []byte) bool {
	if e.req == nil && len(e.fields) == 0 {
		return true
	}
	if len(got) != 1 {
		return false
	}
	if e.req != nil && !matchWith(e.req, got[0], wire) {
		return false
	}
	for _, f := range e.fields {
		if !f.Match(got[0]) {
			return false
		}
	}
	return true
}

func (e *expectation) reqReasons(got []proto.Message) []string {
	if len(got) != 1 {
		return nil
	}
	var out []string
	if e.req != nil && !e.req.Match(got[0]) {
		out = append(out, "request: "+explain(e.req, got[0]))
	}
	for _, f := range e.fields {
		if !f.Match(got[0]) {
			out = append(out, "request: "+explain(f, got[0]))
		}
	}
	return out
}

// Priority ranks the expectation among those of its method: a call tries a
// higher priority first, and expectations of equal priority in the order
// they were declared. The default is 0; a catch-all can take a negative one.
func (b base[B]) Priority(n int) B {
	b.e.tb().Helper()
	b.e.priority = n
	b.e.m.reorder(b.e.method)
	return b.self
}

// before orders a methodSet: higher priority first; at equal priority, a
// session's own expectations before its copies of the global stubs
// (sessions.go); then declared order.
func before(a, b *expectation) bool {
	if a.priority != b.priority {
		return a.priority > b.priority
	}
	if a.shared != b.shared {
		return !a.shared
	}
	return a.seq < b.seq
}

// add puts e in its place. The caller holds s.mu.
func (s *methodSet) add(e *expectation) {
	e.answer = "stub:" + e.id
	i := sort.Search(len(s.exps), func(i int) bool { return before(e, s.exps[i]) })
	s.exps = slices.Insert(s.exps, i, e)
	s.changed()
}

// reorder sorts a method's expectations again after a priority changed.
func (m *Mock) reorder(method string) {
	m.mu.RLock()
	set := m.byMethod[method]
	m.mu.RUnlock()
	if set == nil {
		return
	}
	set.mu.Lock()
	slices.SortStableFunc(set.exps, func(a, b *expectation) int {
		switch {
		case before(a, b):
			return -1
		case before(b, a):
			return 1
		}
		return 0
	})
	set.changed()
	set.mu.Unlock()
}

// checkScript refuses a script with steps that can never run: anything
// after a step that ends the call (a status, KeepOpen, DropConnection).
func checkScript(script []step) error {
	for i, st := range script[:max(len(script)-1, 0)] {
		switch st.(type) {
		case statusStep, holdStep, dropStep:
			return fmt.Errorf("step %d (%s) ends the call, so step %d (%s) would never run; put the end last", i+1, st, i+2, script[i+1])
		}
	}
	return nil
}

// changed tells the methodSet its expectations changed. The caller holds
// s.mu.
func (s *methodSet) changed() { s.idx, s.indexed = nil, false }
