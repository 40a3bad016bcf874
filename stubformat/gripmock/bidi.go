package gripmock

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"

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

func (r *reader) bidiRules(st *yaml.Node, full string, meth *yaml.Node, inputAlts, headerAlts []alt, out, then *yaml.Node) {
	for _, h := range headerAlts {
		if h.metadata != nil {
			r.notYet(native.Get(st, "headers"), "headers", "header matchers on a bidi stub answered message by message")
			return
		}
	}
	if o := native.Get(st, "options"); o != nil && native.Get(o, "times") != nil && native.Get(o, "times").Value != "0" {
		r.notYet(native.Get(o, "times"), "options.times", "a count on a bidi stub answered message by message")
		return
	}
	for _, k := range []string{"headers", "trailers"} {
		if h := native.Get(out, k); !native.Empty(h) {
			r.notYet(h, "output."+k, "response "+k+" on a bidi stub answered message by message")
			return
		}
	}
	r.templates(out, "output")
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
	// What each message is answered with.
	var send []*yaml.Node
	var delay *yaml.Node
	if d := native.Get(out, "delay"); !native.IsNull(d) {
		delay = native.Str(d.Line, d.Value)
	}
	if stream := native.Get(out, "stream"); stream != nil {
		if stream.Kind != yaml.SequenceNode {
			r.problem(stream, "output.stream", "want a list of messages")
			return
		}
		for i, m := range stream.Content {
			if native.Get(m, "_gripmock") != nil {
				r.notYet(m, fmt.Sprintf("output.stream[%d]._gripmock", i), "per-message directives in a bidi stub")
				return
			}
			send = append(send, native.Clone(m))
		}
	} else if data := native.Get(out, "data"); !native.IsNull(data) {
		send = append(send, native.Clone(data))
	}
	status := r.status(out)
	if r.failed {
		return
	}
	if len(send) == 0 && status == nil {
		send = append(send, native.Map(out.Line)) // gripmock answers an empty message
	}
	if r.bidi == nil {
		r.bidi = map[string][]bidiRule{}
	}
	if _, ok := r.bidi[full]; !ok {
		r.bidiOrder = append(r.bidiOrder, full)
	}
	for _, a := range inputAlts {
		rule := native.Map(st.Line)
		rule.HeadComment = fmt.Sprintf("from %s:%d", r.file, st.Line)
		if a.label != "" {
			rule.HeadComment += " (" + a.label + ")"
		}
		recv := native.Map(st.Line)
		if a.partial != nil {
			native.Set(recv, "fields", a.partial)
		} else {
			native.Set(recv, "any", native.Bool(st.Line, true))
		}
		native.Set(rule, "recv", recv)
		if delay != nil {
			native.Set(rule, "delay", delay)
		}
		switch len(send) {
		case 0:
		case 1:
			native.Set(rule, "send", send[0])
		default:
			native.Set(rule, "send", native.Seq(send[0].Line, send...))
		}
		if status != nil {
			native.Set(rule, "status", status)
		}
		if then != nil {
			// gripmock runs a bidi stub's effects for each message it answers.
			native.Set(rule, "then", native.Clone(then))
		}
		r.bidi[full] = append(r.bidi[full], bidiRule{node: rule, line: st.Line, order: order(a.specificity, priority), meth: meth})
	}
}

// flushBidi writes one native stub per method gathered by bidiRules: a
// forEach step with the rules, best first, as gripmock ranks them.
func (r *reader) flushBidi() {
	for _, full := range r.bidiOrder {
		rules := r.bidi[full]
		slices.SortStableFunc(rules, func(a, b bidiRule) int { return cmp.Compare(b.order, a.order) })
		first := rules[0]
		m := native.Map(first.line)
		m.HeadComment = fmt.Sprintf("from the bidi stubs of %s in %s: gripmock answers each message by the best stub that matches it", full, r.file)
		native.Set(m, "method", native.Str(first.meth.Line, full))
		step := native.Map(first.line)
		list := native.Seq(first.line)
		for _, rl := range rules {
			list.Content = append(list.Content, rl.node)
		}
		native.Set(step, "forEach", list)
		native.Set(m, "steps", native.Seq(first.line, step))
		r.out = append(r.out, native.Stub{Node: m, Line: first.line, Method: full, Order: first.order,
			RankNote: "its rules are ranked as gripmock ranks stubs"})
	}
}
