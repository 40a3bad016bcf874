package expect

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/grpcdouble/grpcdouble/mockserver"
)

// Rule answers one message of a bidi stream, in BidiExpectation.ForEach:
// the messages it sends, or the status it ends the call with. Make one with
// OnMessage.
type Rule struct {
	m    Matcher
	pace pause // before each message it sends, after the stub's pace
	// answer is what the rule does, in order: the messages it sends and
	// the pauses between them (Send and Delay chained, or a stub file's
	// delay and send, or its steps), so each message may have a pause of
	// its own.
	answer []step
	st     *status.Status
	stT    *tmpl // stub files: st's message, a template
	// answers, when set, answer the call's messages by their index:
	// answers[i] message i; past them the rule's own answer does.
	answers []*Rule
	then    []thenOp
	err     error // a setup error, reported when the rule is added

	mdm      []mdMatcher // the call's metadata the rule answers
	max      int         // the messages it answers at most, over all calls; -1: no cap
	hdr      metadata.MD // response headers, set if none has gone out yet
	hdrT     []mdTmpl
	trailer  metadata.MD // response trailers, replacing earlier rules' key by key
	trailerT []mdTmpl

	// The rule answers only while its scenario is in whenState (default
	// Started), and moves it to setState when it answers.
	scenario, whenState, setState string
}

// OnMessage starts a rule for the messages m accepts.
func OnMessage(m Matcher) *Rule {
	r := &Rule{m: m, max: -1}
	if m == nil {
		r.err = errors.New("OnMessage: nil Matcher")
	}
	return r
}

// Answer starts an answer for Rule.Answers: chain Send, Delay and
// ReturnError (or ReturnStatus, ReturnCode) on it, as on a rule.
func Answer() *Rule { return &Rule{max: -1} }

// Answers makes the rule answer the call's messages by their index among
// those the client sent: answers[0] the first, answers[1] the second, and
// so on; from the message past them on, the rule's own answer (its Send,
// ReturnError). The rule's matcher, metadata, count, headers, trailers,
// pace and effects hold for all of them. This is a scripted exchange that
// takes its messages wherever they come in a forEach, as gripmock's bidi
// stubs with inputs do.
func (r *Rule) Answers(answers ...*Rule) *Rule {
	for i, a := range answers {
		switch {
		case a == nil:
			r.err = fmt.Errorf("Answers: answer %d is nil", i)
		case a.err != nil:
			r.err = fmt.Errorf("Answers: answer %d: %w", i, a.err)
		case a.m != nil || a.pace.set() || len(a.mdm) > 0 || a.max >= 0 || len(a.hdr) > 0 || len(a.trailer) > 0 || len(a.then) > 0 || a.answers != nil || a.scenario != "" || a.whenState != "" || a.setState != "":
			r.err = fmt.Errorf("Answers: answer %d: make it with Answer() and give it Send, Delay and Return*: the rule's own matcher, metadata, count, headers, trailers, pace, effects and scenario hold for every answer", i)
		}
	}
	r.answers = append(r.answers, answers...)
	return r
}

// at is what the rule does at the call's message i (from 0): its answer
// there and the status it ends the call with, if any.
func (r *Rule) at(i int) (answer []step, st *status.Status, stT *tmpl) {
	if i >= 0 && i < len(r.answers) {
		a := r.answers[i]
		return a.answer, a.st, a.stT
	}
	return r.answer, r.st, r.stT
}

// Send answers the message with msgs, in order, after what is chained
// before.
func (r *Rule) Send(msgs ...proto.Message) *Rule {
	for _, m := range msgs {
		r.answer = append(r.answer, sendStep{msg: m})
	}
	return r
}

// Delay pauses for d (honouring the call's context) where it is chained:
// OnMessage(m).Delay(d).Send(a) waits before answering, and
// Send(a).Delay(d).Send(b) between a and b, as a stream's Delay does.
func (r *Rule) Delay(d time.Duration) *Rule {
	r.answer = append(r.answer, waitStep{fixedPause(d)})
	return r
}

// sent is the messages the rule sends that are known before a call: the
// Go values given to Send.
func (r *Rule) sent() []proto.Message {
	var out []proto.Message
	for _, st := range r.answer {
		if s, ok := st.(sendStep); ok && s.msg != nil {
			out = append(out, s.msg)
		}
	}
	for _, a := range r.answers {
		if a != nil {
			out = append(out, a.sent()...)
		}
	}
	return out
}

// Pace waits d before every message the rule sends (after the
// expectation's own pace, if it has one).
func (r *Rule) Pace(d time.Duration) *Rule { r.pace = fixedPause(d); return r }

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

// WithMetadata makes the rule answer only in calls whose request metadata
// key has exactly these values, as the expectations' WithMetadata.
func (r *Rule) WithMetadata(key string, values ...string) *Rule {
	r.mdm = append(r.mdm, mdEqual(strings.ToLower(key), values))
	return r
}

// WithMetadataPresent makes the rule answer only in calls that carry key.
func (r *Rule) WithMetadataPresent(key string) *Rule {
	r.mdm = append(r.mdm, mdPresent(strings.ToLower(key)))
	return r
}

// WithMetadataAbsent makes the rule answer only in calls without key.
func (r *Rule) WithMetadataAbsent(key string) *Rule {
	r.mdm = append(r.mdm, mdAbsent(strings.ToLower(key)))
	return r
}

// WithMetadataRegexp makes the rule answer only in calls whose metadata key
// has values, every one matching expr.
func (r *Rule) WithMetadataRegexp(key, expr string) *Rule {
	re, err := regexp.Compile(expr)
	if err != nil {
		r.err = fmt.Errorf("WithMetadataRegexp(%q): %w", key, err)
		return r
	}
	r.mdm = append(r.mdm, mdRegexp(strings.ToLower(key), re))
	return r
}

// WithMetadataFunc makes the rule answer only in calls for whose metadata
// values f returns true.
func (r *Rule) WithMetadataFunc(key string, f func(values []string) bool) *Rule {
	r.mdm = append(r.mdm, mdFunc(strings.ToLower(key), f))
	return r
}

// MaxTimes makes the rule answer at most n messages, over all calls; the
// messages after those go to the next rule that matches them. In the
// rule's templates .RuleHit counts the messages it answered.
func (r *Rule) MaxTimes(n int) *Rule {
	if n < 0 {
		r.err = fmt.Errorf("MaxTimes(%d): want 0 or more", n)
		return r
	}
	r.max = n
	return r
}

// ReturnHeader adds a response header, sent with the call's first message
// when the rule answers before any message has gone out (the headers go
// with the first message; later a rule's headers are not sent).
func (r *Rule) ReturnHeader(key string, values ...string) *Rule {
	r.hdr = metadata.Join(r.hdr, metadata.Pairs(pairs(key, values)...))
	return r
}

// ReturnTrailer adds a response trailer, sent with the call's status when
// the rule has answered a message; a key a later answer's rule sets again
// takes that rule's values.
func (r *Rule) ReturnTrailer(key string, values ...string) *Rule {
	r.trailer = metadata.Join(r.trailer, metadata.Pairs(pairs(key, values)...))
	return r
}

// InScenario makes the rule answer only while the scenario name is in the
// rule's WhenState (Started unless it says otherwise), as an expectation's
// InScenario: the state is the Mock's, shared with the expectations and
// rules of the scenario, and checked for each message.
func (r *Rule) InScenario(name string) *Rule { r.scenario = name; return r }

// WhenState makes the rule answer only while its scenario is in state.
func (r *Rule) WhenState(state string) *Rule { r.whenState = state; return r }

// SetState moves the rule's scenario to state each time the rule answers a
// message, before it answers: the next message sees the new state.
func (r *Rule) SetState(state string) *Rule { r.setState = state; return r }

// inState reports whether the rule's scenario is in the state it answers
// in (always, outside a scenario).
func (r *Rule) inState(e *expectation) bool {
	if r.scenario == "" {
		return true
	}
	want := r.whenState
	if want == "" {
		want = StartedState
	}
	return e.m.states.get(r.scenario) == want
}

func (r *Rule) mdMatch(md metadata.MD) bool {
	return mdAll(r.mdm, md)
}

// reserve counts a message the rule answers for e: false when it has
// answered its MaxTimes already. n is the message's number among the
// rule's, from 1. The count is the expectation's: a compiled stub's rules
// are shared by every expectation made from it.
func (r *Rule) reserve(e *expectation) (n int, ok bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	h := e.ruleHits[r]
	if r.max >= 0 && h >= r.max {
		return 0, false
	}
	if e.ruleHits == nil {
		e.ruleHits = map[*Rule]int{}
	}
	e.ruleHits[r] = h + 1
	return h + 1, true
}

func (r *Rule) String() string {
	var do []string
	for _, st := range r.answer {
		do = append(do, st.String())
	}
	if r.st != nil {
		do = append(do, fmt.Sprintf("end with %s", r.st.Code()))
	}
	if len(r.answers) > 0 {
		do = append([]string{fmt.Sprintf("answer by %d answers, one a message, then", len(r.answers))}, do...)
	}
	if len(do) == 0 {
		do = []string{"nothing"}
	}
	on := fmt.Sprintf("on a message %s", r.m)
	for _, m := range r.mdm {
		if m.anyOf != nil {
			on += " with metadata " + m.desc
			continue
		}
		on += fmt.Sprintf(" with metadata %q %s", m.key, m.desc)
	}
	if r.scenario != "" {
		want := r.whenState
		if want == "" {
			want = StartedState
		}
		on += fmt.Sprintf(" in scenario %q state %q", r.scenario, want)
	}
	if r.max >= 0 {
		on += fmt.Sprintf(" (at most %d)", r.max)
	}
	return fmt.Sprintf("%s: %s", on, strings.Join(do, ", "))
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
		b.e.checkOut(fmt.Sprintf("ForEach: rule %d: Send", i), r.sent()...)
	}
	b.e.script = append(b.e.script, forEachStep{rules: rules})
	return b
}

type forEachStep struct{ rules []*Rule }

func (s forEachStep) find(md metadata.MD, msg proto.Message) *Rule {
	for _, r := range s.rules {
		if r != nil && r.m != nil && r.mdMatch(md) && r.m.Match(msg) {
			return r
		}
	}
	return nil
}

// claim finds the rule that answers msg and counts the message against it:
// a rule that has answered its MaxTimes is passed over, as gripmock passes
// over a stub that has used up its options.times.
func (s forEachStep) claim(e *expectation, md metadata.MD, msg proto.Message) (at int, rule *Rule, hit int) {
	for i, r := range s.rules {
		if r == nil || r.m == nil || !r.inState(e) || !r.mdMatch(md) || !r.m.Match(msg) {
			continue
		}
		if n, ok := r.reserve(e); ok {
			if r.setState != "" {
				e.m.states.set(r.scenario, r.setState)
			}
			return i, r, n
		}
	}
	return -1, nil, 0
}

func (s forEachStep) run(r *run) error {
	md := r.call.Metadata()
	var trailer metadata.MD // the rules' trailers, key by key the last rule's
	defer func() {
		r.ruleHit = 0
		if len(trailer) > 0 {
			r.call.SetTrailer(trailer)
		}
	}()
	for {
		msg, err := r.recv()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		at, rule, hit := s.claim(r.e, md, msg)
		if rule == nil {
			return r.fail("no rule matches the message received, %s", messageText(msg))
		}
		r.ruleHit = hit
		if len(rule.trailer) > 0 || len(rule.trailerT) > 0 {
			t, err := r.outMD(rule.trailer, rule.trailerT)
			if err != nil {
				return err
			}
			if trailer == nil {
				trailer = metadata.MD{}
			}
			maps.Copy(trailer, t)
		}
		if (len(rule.hdr) > 0 || len(rule.hdrT) > 0) && !r.headerSent {
			h, err := r.outMD(rule.hdr, rule.hdrT)
			if err != nil {
				return err
			}
			if err := r.call.SetHeader(h); err != nil {
				return err
			}
		}
		if len(rule.then) > 0 {
			r.inRule = true
			err := r.m.applyThen(r, rule.then, fmt.Sprintf("forEach[%d].then", at))
			r.inRule = false
			if err != nil {
				return err
			}
		}
		answer, st, stT := rule.at(r.nrecv - 1)
		for _, step := range answer {
			if sends(step) {
				if err := rule.wait(r); err != nil {
					return err
				}
			}
			if err := step.run(r); err != nil {
				return err // a status step ends the call here (errStop)
			}
		}
		if st != nil {
			return statusStep{st: st, msg: stT}.run(r)
		}
	}
}

// sends reports whether a step of a rule's answer sends messages: the
// rule's pace goes before it.
func sends(st step) bool {
	switch st.(type) {
	case sendStep, tmplStep:
		return true
	}
	return false
}

// wait is the rule's pace before a message it sends.
func (r *Rule) wait(run *run) error {
	if !r.pace.set() {
		return nil
	}
	return r.pace.wait(run)
}

func (s forEachStep) String() string {
	return fmt.Sprintf("answer each message by %d rules until the client closes", len(s.rules))
}

// Match reports whether some rule accepts msg: a forEach that starts a
// script tells expectations apart by the first message as a recv does.
// Rules that match metadata see the call's, md.
func (s forEachStep) Match(md metadata.MD, msg proto.Message) bool { return s.find(md, msg) != nil }

// firstRecv is the matcher the first message of a bidi call must pass for
// the script to take it: its first step's, when that step receives.
// md is the call's metadata, for rules that match it.
func firstRecv(script []step, md metadata.MD) Matcher {
	if len(script) == 0 {
		return nil
	}
	switch s := script[0].(type) {
	case recvStep:
		return s.m
	case forEachStep:
		return forEachMatcher{s, md}
	}
	return nil
}

type forEachMatcher struct {
	s  forEachStep
	md metadata.MD
}

func (m forEachMatcher) Match(msg proto.Message) bool { return m.s.Match(m.md, msg) }
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
	Recv     *matchDoc            `yaml:"recv"`
	Metadata map[string]yaml.Node `yaml:"metadata"`
	Times    yaml.Node            `yaml:"times"`
	Headers  map[string]yaml.Node `yaml:"headers"`
	Trailers map[string]yaml.Node `yaml:"trailers"`
	Delay    yaml.Node            `yaml:"delay"`
	Pace     yaml.Node            `yaml:"pace"`
	Send     yaml.Node            `yaml:"send"`
	Steps    []stepDoc            `yaml:"steps"`
	Status   *statusDoc           `yaml:"status"`
	Then     []thenDoc            `yaml:"then"`
	// A rule's scenario, as a stub's.
	Scenario  string    `yaml:"scenario"`
	WhenState string    `yaml:"whenState"`
	SetState  string    `yaml:"setState"`
	Answers   []ruleDoc `yaml:"answers"`
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
	r := &Rule{max: -1, scenario: d.Scenario, whenState: d.WhenState, setState: d.SetState}
	var p problems
	if d.Scenario == "" {
		for _, k := range []string{"whenState", "setState"} {
			if c := mapChild(rn, k); c != nil {
				p.add(s.errf(c, where+"."+k, "needs scenario: the name of the state machine the rule belongs to"))
			}
		}
	}
	mdm, mdErr := s.mdMatchers(d.Metadata, where+".metadata", true)
	p.add(mdErr)
	r.mdm = append(r.mdm, mdm...)
	if t := &d.Times; present(*t) {
		var mm struct {
			Max *int `yaml:"max"`
		}
		if t.Kind != yaml.MappingNode || t.Decode(&mm) != nil || mm.Max == nil || *mm.Max < 0 || len(t.Content) != 2 {
			p.add(s.errf(t, where+".times", "a rule takes {max: N}: the messages it answers at most, over all calls"))
		} else {
			r.max = *mm.Max
		}
	}
	var err error
	if r.hdr, err = s.metadataOut(d.Headers, where+".headers"); p.add(err) {
		r.hdr = nil
	}
	if r.trailer, err = s.metadataOut(d.Trailers, where+".trailers"); p.add(err) {
		r.trailer = nil
	}
	if r.hdrT, err = s.outTmpls(d.Headers, where+".headers", e.md); p.add(err) {
		r.hdrT = nil
	}
	if r.trailerT, err = s.outTmpls(d.Trailers, where+".trailers", e.md); p.add(err) {
		r.trailerT = nil
	}
	if d.Recv == nil {
		p.add(s.errf(rn, where+".recv", "each rule needs recv: the messages it answers ({any: true} for every one)"))
	} else if m, err := s.matcher(mapChild(rn, "recv"), where+".recv", d.Recv, in); !p.add(err) {
		r.m = m
	}
	if r.pace, err = s.pause(&d.Pace, where+".pace", tmplEnv{in: in, method: s.Method}); p.add(err) {
		r.pace = pause{}
	}
	answers := s.ruleAnswer(e, rn, where, d, in, out, r, &p)
	if d.Answers != nil {
		an := mapChild(rn, "answers")
		answers = answers || len(d.Answers) > 0
		for i := range d.Answers {
			field := fmt.Sprintf("%s.answers[%d]", where, i)
			n, ad := seqItem(an, i), &d.Answers[i]
			if ad.Recv != nil || ad.Metadata != nil || present(ad.Times) || ad.Headers != nil || ad.Trailers != nil || present(ad.Pace) || ad.Then != nil || ad.Answers != nil || ad.Scenario != "" || ad.WhenState != "" || ad.SetState != "" {
				p.add(s.errf(n, field, "an answer gives delay, send, steps and status: the rule's recv, metadata, times, headers, trailers, pace, then and scenario hold for every answer"))
				continue
			}
			a := &Rule{max: -1}
			if !s.ruleAnswer(e, n, field, ad, in, out, a, &p) {
				p.add(s.errf(n, field, "an answer answers: give send (a message or a list), steps or status"))
			}
			r.answers = append(r.answers, a)
		}
	}
	if len(d.Then) > 0 {
		if r.then, err = s.thenOps(mapChild(rn, "then"), where+".then", d.Then, e.resolver, e.md); p.add(err) {
			r.then = nil
		}
	}
	if !answers {
		p.add(s.errf(rn, where, "a rule answers: give send (a message or a list), steps, status or answers"))
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	return r, nil
}

// ruleAnswer compiles what a rule (or one of its answers) does into r: its
// delay, send or steps, and status. It reports whether d gives any.
func (s Stub) ruleAnswer(e *expectation, rn *yaml.Node, where string, d *ruleDoc, in, out protoreflect.MessageDescriptor, r *Rule, p *problems) bool {
	var err error
	if present(d.Delay) {
		if ps, err := s.pause(&d.Delay, where+".delay", tmplEnv{in: in, method: s.Method}); !p.add(err) {
			r.answer = append(r.answer, waitStep{ps})
		}
	}
	answers := d.Status != nil
	if present(d.Send) && d.Steps != nil {
		p.add(s.errf(rn, where, "a rule sends by send or by steps, not both (put the messages in steps)"))
	}
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
					r.answer = append(r.answer, st)
				}
				continue
			}
			if msg, err := s.message(mn, field, out); !p.add(err) {
				r.answer = append(r.answer, sendStep{msg: msg})
			}
		}
	}
	if d.Steps != nil {
		sn := mapChild(rn, "steps")
		answers = answers || len(d.Steps) > 0
		for j := range d.Steps {
			field := fmt.Sprintf("%s.steps[%d]", where, j)
			n := seqItem(sn, j)
			if sd := &d.Steps[j]; sd.Recv != nil || sd.RecvAll != nil || sd.ForEach != nil {
				p.add(s.errf(n, field, "a rule's steps answer the message its recv took: send, delay, status, sendHeader, keepOpen, dropConnection or sendOversized (not recv, recvAll or forEach)"))
				continue
			}
			if st, err := s.step(e, n, field, &d.Steps[j], mockserver.BidiStream, in, out); !p.add(err) {
				r.answer = append(r.answer, st)
			}
		}
	}
	if d.Status != nil {
		if r.st, err = s.status(mapChild(rn, "status"), where+".status", d.Status); p.add(err) {
			r.st = nil
		}
		if r.stT, err = s.statusTmpl(mapChild(rn, "status"), where+".status", d.Status.Message, e.md); p.add(err) {
			r.stT = nil
		}
	}
	return answers
}
