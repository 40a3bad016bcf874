package expect

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"go.yaml.in/yaml/v3"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/grpcdouble/grpcdouble/mockserver"
)

// Effect is what a stub does to the stubs once it takes a call: PutStubs or
// DeleteStubs, or PutStubsFunc and DeleteStubsFunc to build them from the
// call, given to Then (stub files: then).
type Effect interface{ op() thenOp }

type thenOp struct {
	put []Stub   // add, replacing a stub with the same ID
	del []string // delete by ID

	// render makes the op for the call that takes the stub, when the
	// effect runs (templates, PutStubsFunc): what it answers replaces put
	// and del. nil: the op is fixed.
	render func(r *run) (thenOp, error)
}

func (o thenOp) op() thenOp { return o }

// PutStubs is the effect of adding stubs: a stub whose ID a stub already
// has replaces that one; a stub without an ID is added anew each time. The
// stubs are Stub values (ParseStubs, LoadStubs).
func PutStubs(stubs ...Stub) Effect { return thenOp{put: slices.Clone(stubs)} }

// DeleteStubs is the effect of deleting the stubs with these IDs; an ID
// no stub has is passed over.
func DeleteStubs(ids ...string) Effect { return thenOp{del: slices.Clone(ids)} }

// PutStubsFunc is PutStubs with the stubs made from the call that takes
// the expectation, when the effect runs: f gets the call's context and the
// call as Calls reports it (in a ForEach rule, with the message the rule
// answers as its one message), as ReturnFunc's function gets the request.
// A stub built for one caller (a login for the user who registered) is
// one of these. An error from f, or a stub that does not compile, fails
// the call with INTERNAL naming the expectation, and no effect of the call
// changes anything.
func PutStubsFunc(f func(ctx context.Context, call Received) ([]Stub, error)) Effect {
	return thenOp{render: func(r *run) (thenOp, error) {
		if f == nil {
			return thenOp{}, errors.New("PutStubsFunc: nil function")
		}
		stubs, err := f(r.ctx(), r.received())
		if err != nil {
			return thenOp{}, fmt.Errorf("PutStubsFunc: %w", err)
		}
		return thenOp{put: slices.Clone(stubs)}, nil
	}}
}

// DeleteStubsFunc is DeleteStubs with the IDs made from the call, as
// PutStubsFunc makes stubs. An ID that cannot be a stub's fails the call
// with INTERNAL, and no effect of the call changes anything.
func DeleteStubsFunc(f func(ctx context.Context, call Received) ([]string, error)) Effect {
	return thenOp{render: func(r *run) (thenOp, error) {
		if f == nil {
			return thenOp{}, errors.New("DeleteStubsFunc: nil function")
		}
		ids, err := f(r.ctx(), r.received())
		if err != nil {
			return thenOp{}, fmt.Errorf("DeleteStubsFunc: %w", err)
		}
		for i, id := range ids {
			if !validID.MatchString(id) {
				return thenOp{}, fmt.Errorf("DeleteStubsFunc: ID %d, %q, is not a stub ID", i, id)
			}
		}
		return thenOp{del: slices.Clone(ids)}, nil
	}}
}

// Then changes the stubs once the expectation takes a call, before it
// answers, so the client's next call sees the change: each effect in turn,
// PutStubs adding or replacing stubs, DeleteStubs deleting them (the
// expectation itself too, by its ID). Calls already answering are not
// affected. Under Sessions the change is the calling session's: a call in
// a session changes that session's stubs, and a call without one the
// global stubs, which every session sees.
func (b base[B]) Then(effects ...Effect) B {
	b.e.tb().Helper()
	b.e.then = appendEffects(b.e.then, effects)
	return b.self
}

// Then gives the rule effects, run each time it answers a message, before
// it answers, as Then's are for a call.
func (r *Rule) Then(effects ...Effect) *Rule {
	r.then = appendEffects(r.then, effects)
	return r
}

func appendEffects(ops []thenOp, effects []Effect) []thenOp {
	for _, ef := range effects {
		if ef != nil {
			ops = append(ops, ef.op())
		}
	}
	return ops
}

// received is the call as an effect's function sees it: in a ForEach
// rule, with the message the rule answers as its one message.
func (r *run) received() Received {
	rec := Received{Method: r.call.FullMethod(), Metadata: r.call.Metadata(), Messages: slices.Clone(r.got)}
	rec.Deadline, rec.HasDeadline = r.call.Deadline()
	if r.inRule && r.last != nil {
		rec.Messages = []proto.Message{r.last}
	}
	return rec
}

// effectSink applies a call's effects to the stubs it belongs with: the
// Mock's own, or its session's (sessions.go).
type effectSink interface {
	putStubs(stubs []Stub) error
	deleteStubs(ids []string) error
}

// applyThen runs the effects ops of the call r answers (of its stub, or of
// the ForEach rule answering a message), in order. Those built from the
// call are made first, all of them: one that cannot be made (a template
// that fails, an ID that cannot be a stub's, a stub that does not compile)
// fails the call with INTERNAL, naming the stub and the effect, and no
// effect changes anything. An effect that then fails to apply stops the
// rest and is kept among the Mock's setup errors.
func (m *Mock) applyThen(r *run, ops []thenOp, field string) error {
	e := r.e
	ready := ops
	for i, op := range ops {
		if op.render == nil {
			continue
		}
		if len(ready) > 0 && &ready[0] == &ops[0] {
			ready = slices.Clone(ops) // ops are the stub's, shared by its calls
		}
		done, err := op.render(r)
		if err != nil {
			r.m.miss(Miss{
				Method: r.call.FullMethod(), Metadata: r.call.Metadata(), Messages: slices.Clone(r.got),
				Nearest: e.describe(), Reasons: []string{"its effect failed: " + err.Error()},
			})
			return status.Errorf(codes.Internal, "grpcdouble: %s (stub %s): %s[%d]: effect failed, nothing changed: %v", e.where(), e.id, field, i, err)
		}
		ready[i] = done
	}
	var sink effectSink = mockSink{m}
	if m.sink != nil {
		sink = m.sink
	}
	for i, op := range ready {
		var err error
		if len(op.put) > 0 {
			err = sink.putStubs(op.put)
		}
		if err == nil && len(op.del) > 0 {
			err = sink.deleteStubs(op.del)
		}
		if err != nil {
			m.effectFailed(fmt.Errorf("%s: %s[%d]: %w", e.where(), field, i, err))
			return nil
		}
	}
	return nil
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

// compileThen reads a stub's then.
func (s Stub) compileThen(e *expectation, md protoreflect.MethodDescriptor) error {
	d, n := s.src.doc, s.src.node
	if len(d.Then) == 0 {
		return nil
	}
	ops, err := s.thenOps(mapChild(n, "then"), "then", d.Then, e.resolver, md)
	e.then = ops
	return err
}

// thenOps reads a then (of a stub, or of a forEach rule): each putStubs
// stub is parsed (and checked, when its method is known) as a stub of the
// same file; one given as {template: stub} is kept to be rendered with the
// call that takes the stub, as is a deleteStubs ID holding a template. md
// is the method of that call, which the templates are checked against.
func (s Stub) thenOps(then *yaml.Node, where string, docs []thenDoc, resolver mockserver.Methods, md protoreflect.MethodDescriptor) ([]thenOp, error) {
	var ops []thenOp
	for i, td := range docs {
		field := fmt.Sprintf("%s[%d]", where, i)
		item := seqItem(then, i)
		if (len(td.PutStubs) > 0) == (len(td.DeleteStubs) > 0) {
			return nil, s.errf(item, field, "want one of putStubs (a list of stubs) or deleteStubs (a list of stub IDs)")
		}
		var op thenOp
		var puts []putItem
		putsNode := mapChild(item, "putStubs")
		var p problems
		for j, pd := range td.PutStubs {
			pn := seqItem(putsNode, j)
			pf := fmt.Sprintf("%s.putStubs[%d]", field, j)
			if pn == nil {
				return nil, s.errf(item, field+".putStubs", "stub %d not found in the file's nodes", j)
			}
			if pd.Template != nil && md == nil {
				p.add(s.errf(pn, pf, "a put stub given as a template needs its stub's method known"))
				continue
			}
			if pd.Template != nil {
				pt, err := s.putTemplate(pn, pf, j, &pd, resolver, md)
				if !p.add(err) {
					puts = append(puts, putItem{tmpl: pt})
				}
				continue
			}
			ps, err := parseStub(s.File, j, pn, &pd, resolver, false, false, nil)
			if err != nil {
				p.add(err)
				continue
			}
			op.put = append(op.put, ps)
			puts = append(puts, putItem{stub: ps})
		}
		var dels []*tmpl
		for j, id := range td.DeleteStubs {
			at := seqItem(mapChild(item, "deleteStubs"), j)
			df := field + ".deleteStubs[" + strconv.Itoa(j) + "]"
			if isTemplate(id) {
				if md == nil {
					p.add(s.errf(at, df, "a templated ID needs its stub's method known"))
					continue
				}
				t, err := parseTemplate(s.where(at, df), id, s.env(md))
				if err != nil {
					p.add(s.errf(at, df, "%v", err))
					continue
				}
				if dels == nil {
					dels = make([]*tmpl, len(td.DeleteStubs))
				}
				dels[j] = t
				continue
			}
			if !validID.MatchString(id) {
				p.add(s.errf(at, df, "%q is not a stub ID", id))
			}
		}
		if err := p.err(); err != nil {
			return nil, err
		}
		op.del = td.DeleteStubs
		if dels != nil || slices.ContainsFunc(puts, func(p putItem) bool { return p.tmpl != nil }) {
			op.render = renderOp(puts, td.DeleteStubs, dels)
		}
		ops = append(ops, op)
	}
	return ops, nil
}

// putItem is one stub of a putStubs: fixed, or a template.
type putItem struct {
	stub Stub
	tmpl *putTmpl
}

// renderOp makes an effect's op for a call: its templated put stubs and
// IDs rendered, in their places among the fixed ones.
func renderOp(puts []putItem, ids []string, dels []*tmpl) func(r *run) (thenOp, error) {
	return func(r *run) (thenOp, error) {
		var op thenOp
		for _, p := range puts {
			if p.tmpl == nil {
				op.put = append(op.put, p.stub)
				continue
			}
			st, err := p.tmpl.render(r.data())
			if err != nil {
				return thenOp{}, err
			}
			op.put = append(op.put, st)
		}
		for j, id := range ids {
			if j < len(dels) && dels[j] != nil {
				out, err := dels[j].render(r.data())
				if err != nil {
					return thenOp{}, err
				}
				if !validID.MatchString(out) {
					return thenOp{}, fmt.Errorf("%s: the ID rendered, %q, is not a stub ID", dels[j].where, out)
				}
				id = out
			}
			op.del = append(op.del, id)
		}
		return op, nil
	}
}
