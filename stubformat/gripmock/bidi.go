package gripmock

import (
	"fmt"
	"strconv"

	"go.yaml.in/yaml/v3"

	"github.com/grpcdouble/grpcdouble/stubformat/internal/native"
)

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
		r.bidi.Add(full, native.Rule{Node: rule, Line: st.Line, Order: order(a.specificity, priority), Method: meth})
	}
}

// flushBidi writes one native stub per method gathered by bidiRules, its
// rules ranked as gripmock ranks stubs.
func (r *reader) flushBidi() {
	r.out = append(r.out, r.bidi.Stubs(func(full string) string {
		return fmt.Sprintf("from the bidi stubs of %s in %s: gripmock answers each message by the best stub that matches it", full, r.file)
	}, "its rules are ranked as gripmock ranks stubs")...)
}
