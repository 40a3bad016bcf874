package expect

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
)

// Effect is what a stub does to the stubs once it takes a call: PutStubs or
// DeleteStubs, given to Then (stub files: then).
type Effect interface{ op() thenOp }

type thenOp struct {
	put []Stub   // add, replacing a stub with the same ID
	del []string // delete by ID
}

func (o thenOp) op() thenOp { return o }

// PutStubs is the effect of adding stubs: a stub whose ID a stub already
// has replaces that one; a stub without an ID is added anew each time. The
// stubs are Stub values (ParseStubs, LoadStubs).
func PutStubs(stubs ...Stub) Effect { return thenOp{put: slices.Clone(stubs)} }

// DeleteStubs is the effect of deleting the stubs with these IDs; an ID
// no stub has is passed over.
func DeleteStubs(ids ...string) Effect { return thenOp{del: slices.Clone(ids)} }

// Then changes the stubs once the expectation takes a call, before it
// answers, so the client's next call sees the change: each effect in turn,
// PutStubs adding or replacing stubs, DeleteStubs deleting them (the
// expectation itself too, by its ID). Calls already answering are not
// affected. Under Sessions the change is the calling session's: a call in
// a session changes that session's stubs, and a call without one the
// global stubs, which every session sees.
func (b base[B]) Then(effects ...Effect) B {
	b.e.tb().Helper()
	for _, ef := range effects {
		if ef != nil {
			b.e.then = append(b.e.then, ef.op())
		}
	}
	return b.self
}

// effectSink applies a call's effects to the stubs it belongs with: the
// Mock's own, or its session's (sessions.go).
type effectSink interface {
	putStubs(stubs []Stub) error
	deleteStubs(ids []string) error
}

// applyThen runs e's effects, in order. An effect that fails (a stub that
// does not compile: ParseStubs checked it at load when the method was
// known) stops the rest and is kept among the Mock's setup errors.
func (m *Mock) applyThen(e *expectation) {
	var sink effectSink = mockSink{m}
	if m.sink != nil {
		sink = m.sink
	}
	for i, op := range e.then {
		var err error
		if len(op.put) > 0 {
			err = sink.putStubs(op.put)
		}
		if err == nil && len(op.del) > 0 {
			err = sink.deleteStubs(op.del)
		}
		if err != nil {
			m.effectFailed(fmt.Errorf("%s: then[%d]: %w", e.where(), i, err))
			return
		}
	}
}

func (m *Mock) effectFailed(err error) {
	m.mu.Lock()
	m.setupErr = append(m.setupErr, err)
	m.mu.Unlock()
}

// mockSink applies effects to the Mock itself.
type mockSink struct{ m *Mock }

func (s mockSink) putStubs(stubs []Stub) error {
	_, err := s.m.putStubs(stubs, false)
	return err
}

func (s mockSink) deleteStubs(ids []string) error {
	for _, id := range ids {
		if err := s.m.Delete(id); err != nil && !errors.Is(err, ErrUnknownStub) {
			return err
		}
	}
	return nil
}

// putStubs adds stubs, replacing the expectations with their IDs, in one
// step.
func (m *Mock) putStubs(stubs []Stub, shared bool) ([]string, error) {
	return m.replaceStubsUpsert(nil, stubs, shared, true)
}

// thenDoc is one effect of a stub file's then.
type thenDoc struct {
	PutStubs    []stubDoc `yaml:"putStubs"`
	DeleteStubs []string  `yaml:"deleteStubs"`
}

// compileThen reads a stub's then: each putStubs stub is parsed (and
// checked, when its method is known) as a stub of the same file.
func (s Stub) compileThen(e *expectation) error {
	d, n := s.src.doc, s.src.node
	if len(d.Then) == 0 {
		return nil
	}
	then := mapChild(n, "then")
	e.then = nil
	for i, td := range d.Then {
		field := fmt.Sprintf("then[%d]", i)
		item := seqItem(then, i)
		if (len(td.PutStubs) > 0) == (len(td.DeleteStubs) > 0) {
			return s.errf(item, field, "want one of putStubs (a list of stubs) or deleteStubs (a list of stub IDs)")
		}
		var op thenOp
		puts := mapChild(item, "putStubs")
		for j, pd := range td.PutStubs {
			pn := seqItem(puts, j)
			if pn == nil {
				return s.errf(item, field+".putStubs", "stub %d not found in the file's nodes", j)
			}
			ps, err := parseStub(s.File, j, pn, &pd, e.resolver, false, false, nil)
			if err != nil {
				return err
			}
			op.put = append(op.put, ps)
		}
		for j, id := range td.DeleteStubs {
			if !validID.MatchString(id) {
				return s.errf(seqItem(mapChild(item, "deleteStubs"), j), field+".deleteStubs["+strconv.Itoa(j)+"]", "%q is not a stub ID", id)
			}
		}
		op.del = td.DeleteStubs
		e.then = append(e.then, op)
	}
	return nil
}
