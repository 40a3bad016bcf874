package gripmock

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/grpcdouble/grpcdouble/stubformat/internal/native"
)

// bidiRule is one rule of a native forEach step, from a gripmock bidi stub
// with input (or none): gripmock matches each message of the stream against
// every such stub of the method and answers with the best one's output.
type bidiRule struct {
	node  *yaml.Node // the rule: recv, delay, send, status
	line  int
	order int
	meth  *yaml.Node
}

// bidiKey is what a native stub of gathered rules answers: a method, in a
// session ("" for none), as gripmock shows a session's stubs in it alone.
type bidiKey struct{ method, session string }

func (r *reader) bidiRules(st *yaml.Node, full string, meth *yaml.Node, inputAlts, headerAlts []alt, out, then *yaml.Node) {
	times := r.times
	if times > 0 && len(inputAlts)*len(headerAlts) > 1 {
		r.notYet(native.Get(st, "options"), "options.times", "a count shared by the alternatives of anyOf")
		return
	}
	r.templates(out, "output")
	if r.failed {
		return
	}
	// gripmock sets the headers of the stub answering the first message,
	// which go with its first answer; a rule's headers go out when it
	// answers before any message has. It gathers every answering stub's
	// trailers, a later one's replacing key by key, as a rule's do.
	var hdr, trl *yaml.Node
	if h := native.Get(out, "headers"); !native.Empty(h) {
		hdr = r.metadata(h, "output.headers")
	}
	if t := native.Get(out, "trailers"); !native.Empty(t) {
		trl = r.metadata(t, "output.trailers")
	}
	if r.failed {
		return
	}
	priority := 0
	if p := native.Get(st, "priority"); p != nil {
		n, err := strconv.Atoi(p.Value)
		if err != nil {
			r.problem(p, "priority", "want an integer, got %q", p.Value)
			return
		}
		priority = n
	}
	// What each message is answered with. gripmock ends the call with a
	// bidi stub's error before it sends anything, after the delay when it
	// has no stream; with a stream it waits the delay before each message.
	status := r.status(out)
	if r.failed {
		return
	}
	var send []*yaml.Node
	var delay, pace *yaml.Node
	if d := native.Get(out, "delay"); !native.IsNull(d) {
		delay = native.Str(d.Line, d.Value)
	}
	if stream := native.Get(out, "stream"); stream != nil && len(stream.Content) > 0 {
		if stream.Kind != yaml.SequenceNode {
			r.problem(stream, "output.stream", "want a list of messages")
			return
		}
		pace, delay = delay, nil
		if status == nil {
			send, status = r.bidiStream(stream)
		}
	} else if data := native.Get(out, "data"); !native.IsNull(data) && status == nil {
		send = append(send, native.Clone(data))
	} else if stream != nil && stream.Kind != yaml.SequenceNode {
		r.problem(stream, "output.stream", "want a list of messages")
	}
	if r.failed {
		return
	}
	if len(send) == 0 && status == nil {
		send = append(send, native.Map(out.Line)) // gripmock answers an empty message
	}
	if status != nil && len(send) == 0 {
		pace = nil
	}
	if r.bidi == nil {
		r.bidi = map[bidiKey][]bidiRule{}
	}
	key := bidiKey{method: full}
	if s := native.Get(st, "session"); s != nil {
		key.session = s.Value
	}
	if _, ok := r.bidi[key]; !ok {
		r.bidiOrder = append(r.bidiOrder, key)
	}
	ans := bidiAnswer{priority: priority, times: times, delay: delay, pace: pace, hdr: hdr, trl: trl, send: send, status: status, then: then}
	for _, a := range inputAlts {
		for _, ha := range headerAlts {
			r.addBidiRule(st, key, meth, a, ha, ans)
		}
	}
}

// bidiStream reads a bidi stub's stream: the messages it sends, and the
// status an element's _gripmock error ends the call with (the elements
// after it are not sent, as gripmock's).
func (r *reader) bidiStream(stream *yaml.Node) (send []*yaml.Node, status *yaml.Node) {
	for i, m := range stream.Content {
		where := fmt.Sprintf("output.stream[%d]", i)
		g := native.Get(m, "_gripmock")
		if g == nil {
			send = append(send, native.Clone(m))
			continue
		}
		native.Pairs(g, func(k, v *yaml.Node) {
			switch k.Value {
			case "delay":
				r.notYet(k, where+"._gripmock.delay", "a delay of its own for one message of a bidi stub with input (a rule paces every message it sends alike)")
			case "error", "code", "details":
			default:
				r.problem(k, where+"._gripmock."+k.Value, "unknown directive (want delay, error, code, details)")
			}
		})
		if r.failed {
			return nil, nil
		}
		if end := r.status(g); end != nil {
			return send, end
		}
		send = append(send, withoutKey(native.Clone(m), "_gripmock"))
	}
	return send, nil
}

// bidiAnswer is what every rule made from one gripmock bidi stub answers.
type bidiAnswer struct {
	priority, times                     int
	delay, pace, hdr, trl, status, then *yaml.Node
	send                                []*yaml.Node
}

// addBidiRule adds the rule for one alternative of a stub's input and
// headers (anyOf).
func (r *reader) addBidiRule(st *yaml.Node, key bidiKey, meth *yaml.Node, a, ha alt, ans bidiAnswer) {
	rule := native.Map(st.Line)
	rule.HeadComment = fmt.Sprintf("from %s:%d", r.file, st.Line)
	var labels []string
	for _, l := range []string{a.label, ha.label} {
		if l != "" {
			labels = append(labels, l)
		}
	}
	if len(labels) > 0 {
		rule.HeadComment += " (" + strings.Join(labels, ", ") + ")"
	}
	recv := native.Map(st.Line)
	if a.partial != nil {
		native.Set(recv, "fields", a.partial)
	} else {
		native.Set(recv, "any", native.Bool(st.Line, true))
	}
	native.Set(rule, "recv", recv)
	if ha.metadata != nil {
		// gripmock matches a bidi stub's headers against the call's
		// metadata at every message.
		native.Set(rule, "metadata", native.Clone(ha.metadata))
	}
	if ans.times > 0 {
		// gripmock's options.times counts the messages a bidi stub answers.
		t := native.Map(native.Get(st, "options").Line)
		native.Set(t, "max", native.Int(t.Line, ans.times))
		native.Set(rule, "times", t)
	}
	if ans.hdr != nil {
		native.Set(rule, "headers", native.Clone(ans.hdr))
	}
	if ans.trl != nil {
		native.Set(rule, "trailers", native.Clone(ans.trl))
	}
	if ans.delay != nil {
		native.Set(rule, "delay", ans.delay)
	}
	if ans.pace != nil {
		native.Set(rule, "pace", ans.pace)
	}
	switch len(ans.send) {
	case 0:
	case 1:
		native.Set(rule, "send", ans.send[0])
	default:
		native.Set(rule, "send", native.Seq(ans.send[0].Line, ans.send...))
	}
	if ans.status != nil {
		native.Set(rule, "status", ans.status)
	}
	if ans.then != nil {
		// gripmock runs a bidi stub's effects for each message it answers.
		native.Set(rule, "then", native.Clone(ans.then))
	}
	r.bidi[key] = append(r.bidi[key], bidiRule{node: rule, line: st.Line, order: order(a.specificity+ha.specificity, ans.priority), meth: meth})
}

// flushBidi writes one native stub per method (and session) gathered by
// bidiRules: a forEach step with the rules, best first, as gripmock ranks
// them. In a session gripmock picks among the session's stubs and the
// global ones, so a session's stub holds the global rules too (counted
// apart, as gripmock counts a stub's uses per session).
func (r *reader) flushBidi() {
	for _, key := range r.bidiOrder {
		rules := r.bidi[key]
		if key.session != "" {
			for _, g := range r.bidi[bidiKey{method: key.method}] {
				g.node = native.Clone(g.node)
				rules = append(rules, g)
			}
		}
		slices.SortStableFunc(rules, func(a, b bidiRule) int { return cmp.Compare(b.order, a.order) })
		first := rules[0]
		m := native.Map(first.line)
		m.HeadComment = fmt.Sprintf("from the bidi stubs of %s in %s: gripmock answers each message by the best stub that matches it", key.method, r.file)
		if key.session != "" {
			m.HeadComment = fmt.Sprintf("from the bidi stubs of %s in %s for session %s (and the global ones): gripmock answers each message by the best stub that matches it", key.method, r.file, key.session)
		}
		native.Set(m, "method", native.Str(first.meth.Line, key.method))
		if key.session != "" {
			native.Set(m, "session", native.Str(first.line, key.session))
		}
		step := native.Map(first.line)
		list := native.Seq(first.line)
		for _, rl := range rules {
			list.Content = append(list.Content, rl.node)
		}
		native.Set(step, "forEach", list)
		native.Set(m, "steps", native.Seq(first.line, step))
		r.out = append(r.out, native.Stub{Node: m, Line: first.line, Method: key.method, Order: first.order,
			RankNote: "its rules are ranked as gripmock ranks stubs"})
	}
}
