package gripmock

import (
	"fmt"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/grpcdouble/grpcdouble/stubformat/internal/native"
)

// bidiRules makes a gripmock bidi stub rules of the method's forEach: one
// per alternative of its input and headers (one for all, with
// options.times). inputs is how many inputs it has (0: it has input, or
// none): gripmock answers the call's message i by its stream's element i.
func (r *reader) bidiRules(st *yaml.Node, full string, meth *yaml.Node, inputAlts, headerAlts []alt, out, then *yaml.Node, inputs int) {
	times := r.times
	if times > 0 && len(inputAlts) > 1 {
		// One count over the alternatives: one rule whose recv takes any
		// of them.
		inputAlts = []alt{fold(inputAlts, st.Line)}
	}
	if times > 0 && len(headerAlts) > 1 {
		// And over the header alternatives: the rule's metadata is one
		// of them.
		headerAlts = []alt{foldHeaders(headerAlts, st.Line)}
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
	var send, steps, answers []*yaml.Node
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
		switch {
		case status == nil && inputs > 0:
			answers, pace, status = r.bidiAnswers(st, inputs, stream.Content, pace)
		case status == nil:
			send, steps, status = r.bidiStream(stream, pace)
			if steps != nil {
				pace = nil // each message's own pause is a step
			}
		}
	} else if data := native.Get(out, "data"); !native.IsNull(data) && status == nil {
		send = append(send, native.Clone(data))
	} else if stream != nil && stream.Kind != yaml.SequenceNode {
		r.problem(stream, "output.stream", "want a list of messages")
	}
	if r.failed {
		return
	}
	if len(send) == 0 && len(steps) == 0 && status == nil && answers == nil {
		send = append(send, native.Map(out.Line)) // gripmock answers an empty message
	}
	if status != nil && len(send) == 0 && len(steps) == 0 && answers == nil {
		pace = nil
	}
	session := ""
	if s := native.Get(st, "session"); s != nil {
		session = s.Value
	}
	ans := bidiAnswer{priority: priority, times: times, delay: delay, pace: pace, hdr: hdr, trl: trl, send: send, steps: steps, answers: answers, status: status, then: then}
	for _, a := range inputAlts {
		for _, ha := range headerAlts {
			r.addBidiRule(st, full, session, meth, a, ha, ans)
		}
	}
}

// bidiStream reads a bidi stub's stream: the messages it sends, and the
// status an element's _gripmock error ends the call with (the elements
// after it are not sent, as gripmock's). When an element has a delay of
// its own, gripmock waits it before that element and the stub's delay
// (pace) before each other: the answer is then steps, a pause of its own
// before each message.
func (r *reader) bidiStream(stream, pace *yaml.Node) (send, steps []*yaml.Node, status *yaml.Node) {
	own := false
	for _, m := range stream.Content {
		if d := native.Get(native.Get(m, "_gripmock"), "delay"); !native.IsNull(d) {
			own = true
		}
	}
	for i, m := range stream.Content {
		msg, d, end := r.element(m, i, pace)
		if r.failed {
			return nil, nil, nil
		}
		if end != nil {
			return send, steps, end // gripmock ends before the element's delay
		}
		if !own {
			send = append(send, msg)
			continue
		}
		if d != nil {
			step := native.Map(d.Line)
			native.Set(step, "delay", native.Clone(d))
			steps = append(steps, step)
		}
		step := native.Map(m.Line)
		native.Set(step, "send", msg)
		steps = append(steps, step)
	}
	return send, steps, nil
}

// bidiAnswers answers a bidi stub with inputs (n of them) and a stream
// as gripmock does, by the call's message index: message i with stream
// element i, and the last input's message with the rest of the stream; an
// element waits its own _gripmock delay, or the stub's (the pace, when no
// element has its own), and an element's error ends the call there. A
// message past them ends the call with gripmock's NOT_FOUND: the stub
// scripts no more (end).
func (r *reader) bidiAnswers(st *yaml.Node, n int, msgs []*yaml.Node, delay *yaml.Node) (answers []*yaml.Node, pace, end *yaml.Node) {
	own := false
	for _, m := range msgs {
		if d := native.Get(native.Get(m, "_gripmock"), "delay"); !native.IsNull(d) {
			own = true
		}
	}
	if !own {
		pace = delay
	}
	for i := range min(n, len(msgs)) {
		last := i + 1
		if i == n-1 {
			last = len(msgs)
		}
		var steps []*yaml.Node
		add := func(key string, v *yaml.Node) {
			step := native.Map(v.Line)
			native.Set(step, key, native.Clone(v))
			steps = append(steps, step)
		}
		stopped := false
		for j := i; j < last && !stopped; j++ {
			msg, d, stop := r.element(msgs[j], j, delay)
			if r.failed {
				return nil, nil, nil
			}
			if stop != nil {
				add("status", stop) // gripmock ends before the element's delay
				stopped = true
				continue
			}
			if own && d != nil {
				add("delay", d)
			}
			add("send", msg)
		}
		a := native.Map(msgs[i].Line)
		native.Set(a, "steps", native.Seq(msgs[i].Line, steps...))
		answers = append(answers, a)
		if stopped {
			break // the call ends there: no later message is answered
		}
	}
	id := ""
	if v := native.Get(st, "id"); v != nil && v.Value != "" {
		id = " " + v.Value
	}
	end = native.Map(st.Line)
	native.Set(end, "code", native.Int(st.Line, 5))
	native.Set(end, "message", native.Str(st.Line, fmt.Sprintf("stub%s scripts %d message(s) for %s/%s, but the client sent message #{{ add .MessageIndex 1 }}; declare another inputs/output.stream pair or stop sending",
		id, n, native.Get(st, "service").Value, native.Get(st, "method").Value)))
	return answers, pace, end
}

// bidiAnswer is what every rule made from one gripmock bidi stub answers.
type bidiAnswer struct {
	priority, times                     int
	delay, pace, hdr, trl, status, then *yaml.Node
	send, steps                         []*yaml.Node
	answers                             []*yaml.Node // by the call's message index (a stub with inputs)
}

// addBidiRule adds the rule for one alternative of a stub's input and
// headers (anyOf).
func (r *reader) addBidiRule(st *yaml.Node, full, session string, meth *yaml.Node, a, ha alt, ans bidiAnswer) {
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
	switch {
	case a.anyOf != nil:
		native.Set(recv, "anyOf", native.Clone(a.anyOf))
	case a.partial != nil:
		native.Set(recv, "fields", a.partial)
	default:
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
	if ans.steps != nil {
		native.Set(rule, "steps", native.Seq(ans.steps[0].Line, cloneAll(ans.steps)...))
	}
	if ans.answers != nil {
		// gripmock answers a stub's message i by its stream's element i,
		// whichever stubs answered the messages before.
		native.Set(rule, "answers", native.Seq(ans.answers[0].Line, cloneAll(ans.answers)...))
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
	r.bidi.Add(full, native.Rule{Node: rule, Line: st.Line, Order: order(a.specificity+ha.specificity, ans.priority), Method: meth, Session: session})
}

// flushBidi writes one native stub per method (and session) gathered by
// bidiRules, its rules ranked as gripmock ranks stubs. In a session
// gripmock picks among the session's stubs and the global ones, so a
// session's stub holds the global rules too (counted apart, as gripmock
// counts a stub's uses per session).
func (r *reader) flushBidi() {
	r.out = append(r.out, r.bidi.Stubs(func(full, session string) string {
		if session != "" {
			return fmt.Sprintf("from the bidi stubs of %s in %s for session %s (and the global ones): gripmock answers each message by the best stub that matches it", full, r.file, session)
		}
		return fmt.Sprintf("from the bidi stubs of %s in %s: gripmock answers each message by the best stub that matches it", full, r.file)
	}, "its rules are ranked as gripmock ranks stubs")...)
}
