package expect

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/grpcdouble/grpcdouble/mockserver"
)

// Rule answers one message of a bidi stream, in BidiExpectation.ForEach:
// the messages it sends, or the status it ends the call with. Make one with
// OnMessage.
type Rule struct {
	m     Matcher
	delay pause
	send  []proto.Message
	sendT []step // stub files: what send sends, templates among it
	st    *status.Status
	then  []thenOp
	err   error // a setup error, reported when the rule is added
}

// OnMessage starts a rule for the messages m accepts.
func OnMessage(m Matcher) *Rule {
	r := &Rule{m: m}
	if m == nil {
		r.err = errors.New("OnMessage: nil Matcher")
	}
	return r
}

// Send answers the message with msgs, in order.
func (r *Rule) Send(msgs ...proto.Message) *Rule { r.send = append(r.send, msgs...); return r }

// Delay waits d (honouring the call's context) before answering.
func (r *Rule) Delay(d time.Duration) *Rule { r.delay = fixedPause(d); return r }

// ReturnError ends the call with code and msg after what the rule sends.
func (r *Rule) ReturnError(code codes.Code, msg string, details ...proto.Message) *Rule {
	st, err := newStatus(code, msg, details)
	if err != nil {
		r.err = fmt.Errorf("ReturnError: %w", err)
	}
	r.st = st
	return r
}

// ReturnStatus ends the call with st after what the rule sends.
func (r *Rule) ReturnStatus(st *status.Status) *Rule { r.st = st; return r }

// ReturnCode ends the call with code (OK too) after what the rule sends.
func (r *Rule) ReturnCode(code codes.Code) *Rule { r.st = status.New(code, ""); return r }

func (r *Rule) String() string {
	var do []string
	for _, m := range r.send {
		do = append(do, "send "+messageText(m))
	}
	for _, st := range r.sendT {
		do = append(do, st.String())
	}
	if r.st != nil {
		do = append(do, fmt.Sprintf("end with %s", r.st.Code()))
	}
	if len(do) == 0 {
		do = []string{"nothing"}
	}
	return fmt.Sprintf("on a message %s: %s", r.m, strings.Join(do, ", "))
}

// ForEach answers every message the client sends by the first rule that
// matches it, until the client half-closes; the script then goes on (with
// nothing after it, the call ends OK). A message no rule matches ends the
// call with the miss code (NoMatchCode, or WithMissCode's), naming the
// message, and Verify reports it. This is
// how chat-style doubles answer, and how gripmock answers bidi streams.
//
//	m.Bidi("/chat.Chat/Talk").ForEach(
//		expect.OnMessage(expect.Partial(&pb.Msg{Text: "hi"})).Send(&pb.Msg{Text: "hello"}),
//		expect.OnMessage(expect.Anything()).ReturnError(codes.NotFound, "who?"),
//	)
//
// As the first step it also tells bidi expectations of one method apart:
// a call takes the first whose rules accept its first message.
func (b *BidiExpectation) ForEach(rules ...*Rule) *BidiExpectation {
	for i, r := range rules {
		if r == nil {
			b.e.setupErr(fmt.Errorf("ForEach: rule %d is nil", i))
			continue
		}
		if r.err != nil {
			b.e.setupErr(fmt.Errorf("ForEach: rule %d: %w", i, r.err))
		}
		b.e.bindInput(fmt.Sprintf("ForEach: rule %d", i), r.m)
		b.e.checkOut(fmt.Sprintf("ForEach: rule %d: Send", i), r.send...)
	}
	b.e.script = append(b.e.script, forEachStep{rules: rules})
	return b
}

type forEachStep struct{ rules []*Rule }

func (s forEachStep) find(msg proto.Message) *Rule {
	_, r := s.findAt(msg)
	return r
}

func (s forEachStep) findAt(msg proto.Message) (int, *Rule) {
	for i, r := range s.rules {
		if r != nil && r.m != nil && r.m.Match(msg) {
			return i, r
		}
	}
	return -1, nil
}

func (s forEachStep) run(r *run) error {
	for {
		msg, err := r.recv()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		at, rule := s.findAt(msg)
		if rule == nil {
			return r.fail("no rule matches the message received, %s", messageText(msg))
		}
		if len(rule.then) > 0 {
			r.inRule = true
			err := r.m.applyThen(r, rule.then, fmt.Sprintf("forEach[%d].then", at))
			r.inRule = false
			if err != nil {
				return err
			}
		}
		if rule.delay.set() {
			if err := rule.delay.wait(r); err != nil {
				return err
			}
		}
		for _, m := range rule.send {
			if err := (sendStep{msg: m}).run(r); err != nil {
				return err
			}
		}
		for _, st := range rule.sendT {
			if err := st.run(r); err != nil {
				return err
			}
		}
		if rule.st != nil {
			r.final = rule.st
			return errStop
		}
	}
}

func (s forEachStep) String() string {
	return fmt.Sprintf("answer each message by %d rules until the client closes", len(s.rules))
}

// Match reports whether some rule accepts msg: a forEach that starts a
// script tells expectations apart by the first message as a recv does.
func (s forEachStep) Match(msg proto.Message) bool { return s.find(msg) != nil }

// firstRecv is the matcher the first message of a bidi call must pass for
// the script to take it: its first step's, when that step receives.
func firstRecv(script []step) Matcher {
	if len(script) == 0 {
		return nil
	}
	switch s := script[0].(type) {
	case recvStep:
		return s.m
	case forEachStep:
		return forEachMatcher{s}
	}
	return nil
}

type forEachMatcher struct{ s forEachStep }

func (m forEachMatcher) Match(msg proto.Message) bool { return m.s.Match(msg) }
func (m forEachMatcher) String() string {
	parts := make([]string, 0, len(m.s.rules))
	for _, r := range m.s.rules {
		if r != nil && r.m != nil {
			parts = append(parts, r.m.String())
		}
	}
	return "one of: " + strings.Join(parts, "; ")
}

// ruleDoc is one rule of a stub's forEach step.
type ruleDoc struct {
	Recv   *matchDoc  `yaml:"recv"`
	Delay  yaml.Node  `yaml:"delay"`
	Send   yaml.Node  `yaml:"send"`
	Status *statusDoc `yaml:"status"`
	Then   []thenDoc  `yaml:"then"`
}

// forEach compiles a stub's forEach step: a list of rules, each a recv
// match and what to answer (send: a message or a list; status).
func (s Stub) forEach(e *expectation, n *yaml.Node, field string, rules []ruleDoc, kind mockserver.Kind, in, out protoreflect.MessageDescriptor) (step, error) {
	if kind != mockserver.BidiStream {
		return nil, s.errf(n, field, "only bidi streams answer message by message")
	}
	if len(rules) == 0 {
		return nil, s.errf(n, field, "want a list of rules, each {recv: ..., send: ... or status: ...}")
	}
	st := forEachStep{}
	var p problems
	for i := range rules {
		r, err := s.rule(e, seqItem(n, i), fmt.Sprintf("%s[%d]", field, i), &rules[i], in, out)
		if !p.add(err) {
			st.rules = append(st.rules, r)
		}
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	return st, nil
}

// rule compiles one rule of a forEach step; its parts are checked apart.
func (s Stub) rule(e *expectation, rn *yaml.Node, where string, d *ruleDoc, in, out protoreflect.MessageDescriptor) (*Rule, error) {
	r := &Rule{}
	var p problems
	if d.Recv == nil {
		p.add(s.errf(rn, where+".recv", "each rule needs recv: the messages it answers ({any: true} for every one)"))
	} else if m, err := s.matcher(mapChild(rn, "recv"), where+".recv", d.Recv, in); !p.add(err) {
		r.m = m
	}
	var err error
	if r.delay, err = s.pause(&d.Delay, where+".delay", tmplEnv{in: in, method: s.Method}); p.add(err) {
		r.delay = pause{}
	}
	answers := d.Status != nil
	if present(d.Send) {
		msgs := []*yaml.Node{&d.Send}
		if d.Send.Kind == yaml.SequenceNode {
			msgs = d.Send.Content
		}
		answers = answers || len(msgs) > 0
		templated := e.md != nil && slices.ContainsFunc(msgs, nodeHasTemplate)
		for j, mn := range msgs {
			field := fmt.Sprintf("%s.send[%d]", where, j)
			if templated {
				// Rendered for each message answered, as a send step's.
				if st, err := s.sendStep(mn, field, e.md); !p.add(err) {
					r.sendT = append(r.sendT, st)
				}
				continue
			}
			if msg, err := s.message(mn, field, out); !p.add(err) {
				r.send = append(r.send, msg)
			}
		}
	}
	if d.Status != nil {
		if r.st, err = s.status(mapChild(rn, "status"), where+".status", d.Status); p.add(err) {
			r.st = nil
		}
	}
	if len(d.Then) > 0 {
		if r.then, err = s.thenOps(mapChild(rn, "then"), where+".then", d.Then, e.resolver, e.md); p.add(err) {
			r.then = nil
		}
	}
	if !answers {
		p.add(s.errf(rn, where, "a rule answers: give send (a message or a list) or status"))
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	return r, nil
}
