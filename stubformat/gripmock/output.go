package gripmock

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/grpcdouble/grpcdouble/mockserver"
	"github.com/grpcdouble/grpcdouble/stubformat/internal/native"
)

// answer is a stub's output in native fields, added to each alternative.
type answer struct {
	kind      mockserver.Kind
	headers   *yaml.Node
	trailers  *yaml.Node
	delay     *yaml.Node // unary and client-stream: before answering
	pace      *yaml.Node // streams: before every message
	response  *yaml.Node
	responses []*yaml.Node
	steps     []*yaml.Node // streams with per-message directives
	status    *yaml.Node
}

func (a answer) into(r *reader, m *yaml.Node) {
	if a.headers != nil {
		native.Set(m, "headers", a.headers)
	}
	if a.trailers != nil {
		native.Set(m, "trailers", a.trailers)
	}
	if a.delay != nil {
		native.Set(m, "delay", a.delay)
	}
	if a.pace != nil {
		native.Set(m, "pace", a.pace)
	}
	if a.response != nil {
		r.set(m, "response", a.response)
	}
	if len(a.responses) > 0 {
		native.Set(m, "responses", native.Seq(a.responses[0].Line, a.responses...))
	}
	if len(a.steps) > 0 {
		native.Set(m, "steps", native.Seq(a.steps[0].Line, a.steps...))
	}
	if a.status != nil {
		native.Set(m, "status", a.status)
	}
}

// output translates the output of a stub that is no bidi stub's (those
// are forEach rules: bidiRules).
func (r *reader) output(out *yaml.Node, kind mockserver.Kind, method string) answer {
	a := answer{kind: kind}
	if out.Kind != yaml.MappingNode {
		r.problem(out, "output", "want a mapping of data, stream, error, code, details, headers, trailers, delay")
		return a
	}
	native.Pairs(out, func(k, v *yaml.Node) {
		if !outputKeys[k.Value] {
			r.problem(k, "output."+k.Value, "unknown key in output (want data, stream, error, code, details, headers, trailers, delay)")
		}
	})
	r.templates(out, "output")
	if r.failed {
		return a
	}
	data, stream := native.Get(out, "data"), native.Get(out, "stream")
	streams := kind == mockserver.ServerStream || kind == mockserver.BidiStream

	// The final status.
	st := r.status(out)

	if h := native.Get(out, "headers"); !native.Empty(h) {
		a.headers = r.metadata(h, "output.headers")
	}
	if t := native.Get(out, "trailers"); !native.Empty(t) {
		a.trailers = r.metadata(t, "output.trailers")
	}
	var delay *yaml.Node
	if d := native.Get(out, "delay"); !native.IsNull(d) {
		if _, err := time.ParseDuration(d.Value); err != nil && !isTemplateText(d.Value) {
			r.problem(d, "output.delay", "want a duration like 100ms or 2.5s, or a template giving one, got %q", d.Value)
		} else {
			delay = native.Str(d.Line, d.Value)
		}
	}
	if r.failed {
		return a
	}

	switch {
	case !streams:
		if stream != nil {
			r.problem(stream, "output.stream", "is for server-stream and bidi methods; %s is %s (use data)", method, kind)
			return a
		}
		a.delay = delay
		if st != nil {
			a.status = st
			return a
		}
		if native.IsNull(data) {
			a.response = native.Map(out.Line)
		} else {
			a.response = data
		}
	default:
		var msgs []*yaml.Node
		switch {
		case stream != nil:
			if stream.Kind != yaml.SequenceNode {
				r.problem(stream, "output.stream", "want a list of messages")
				return a
			}
			msgs = stream.Content
		case data != nil && data.Kind == yaml.SequenceNode:
			msgs = data.Content // gripmock v1: a server stream's data is the list
		case !native.IsNull(data):
			msgs = []*yaml.Node{data}
		}
		directives := false
		for _, m := range msgs {
			if native.Get(m, "_gripmock") != nil {
				directives = true
			}
		}
		if !directives {
			if len(msgs) == 0 && st != nil {
				a.delay = delay // gripmock waits before the error too
			} else {
				a.pace = delay
			}
			a.responses = msgs
			a.status = st
			return a
		}
		// Per-message delays and errors: a script.
		for i, m := range msgs {
			msg, d, end := r.element(m, i, delay)
			if r.failed {
				return a
			}
			if d != nil {
				step := native.Map(d.Line)
				native.Set(step, "delay", d)
				a.steps = append(a.steps, step)
			}
			if end != nil {
				// The element ends the stream with its status; the rest
				// are not sent.
				step := native.Map(m.Line)
				native.Set(step, "status", end)
				a.steps = append(a.steps, step)
				return a
			}
			step := native.Map(m.Line)
			native.Set(step, "send", msg)
			a.steps = append(a.steps, step)
		}
		a.status = st
	}
	return a
}

// element reads one element of a stream: the message without its
// _gripmock directives, the delay before it (its own, or delay), and the
// status its error ends the stream with (nil: none).
func (r *reader) element(m *yaml.Node, i int, delay *yaml.Node) (msg, d, end *yaml.Node) {
	where := fmt.Sprintf("output.stream[%d]", i)
	g := native.Get(m, "_gripmock")
	if g == nil {
		return m, delay, nil
	}
	d = delay
	native.Pairs(g, func(k, v *yaml.Node) {
		switch k.Value {
		case "delay":
			d = r.duration(v, where+"._gripmock.delay")
		case "error", "code", "details":
		default:
			r.problem(k, where+"._gripmock."+k.Value, "unknown directive (want delay, error, code, details)")
		}
	})
	if r.failed {
		return nil, nil, nil
	}
	return withoutKey(m, "_gripmock"), d, r.status(g)
}

// duration reads a delay: a duration, or a template giving one.
func (r *reader) duration(v *yaml.Node, where string) *yaml.Node {
	if _, err := time.ParseDuration(v.Value); err != nil && !isTemplateText(v.Value) || v.Kind != yaml.ScalarNode {
		r.problem(v, where, "want a duration like 100ms, or a template giving one, got %q", v.Value)
		return nil
	}
	return native.Str(v.Line, v.Value)
}

// status reads error, code and details; nil means OK.
func (r *reader) status(n *yaml.Node) *yaml.Node {
	errMsg, code, details := native.Get(n, "error"), native.Get(n, "code"), native.Get(n, "details")
	if native.IsNull(errMsg) && native.IsNull(code) && native.Empty(details) {
		return nil
	}
	c := 10 // gripmock answers an error without a code with ABORTED
	if !native.IsNull(code) {
		v, err := strconv.Atoi(code.Value)
		if err != nil || v < 0 || v > 16 {
			r.problem(code, "output.code", "want a gRPC status code 0-16, got %q", code.Value)
			return nil
		}
		c = v
	}
	if c == 0 {
		return nil // gripmock: code 0 is success, whatever error says
	}
	line := n.Line
	if errMsg != nil {
		line = errMsg.Line
	} else if code != nil {
		line = code.Line
	}
	st := native.Map(line)
	native.Set(st, "code", native.Str(line, codeName(c)))
	if !native.IsNull(errMsg) && errMsg.Value != "" {
		native.Set(st, "message", native.Str(errMsg.Line, errMsg.Value))
	}
	if !native.Empty(details) {
		if details.Kind != yaml.SequenceNode {
			r.problem(details, "output.details", "want a list of google.protobuf.Any objects, each with a type")
			return nil
		}
		list := native.Seq(details.Line)
		for i, d := range details.Content {
			t := native.Get(d, "type")
			if t == nil || t.Value == "" {
				r.problem(d, fmt.Sprintf("output.details[%d]", i), "want a type, e.g. type.googleapis.com/google.rpc.ErrorInfo")
				return nil
			}
			any := native.Map(d.Line)
			native.Set(any, "@type", native.Str(t.Line, t.Value))
			native.Pairs(d, func(k, v *yaml.Node) {
				if k.Value != "type" {
					any.Content = append(any.Content, native.Str(k.Line, k.Value), v)
				}
			})
			list.Content = append(list.Content, any)
		}
		native.Set(st, "details", list)
	}
	return st
}

func codeName(c int) string {
	names := []string{"OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
		"ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED",
		"OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED"}
	return names[c]
}

func (r *reader) metadata(h *yaml.Node, where string) *yaml.Node {
	if h.Kind != yaml.MappingNode {
		r.problem(h, where, "want a mapping of names to strings")
		return nil
	}
	md := native.Map(h.Line)
	native.Pairs(h, func(k, v *yaml.Node) {
		if v.Kind != yaml.ScalarNode {
			r.problem(v, where+"."+k.Value, "want a string")
			return
		}
		native.Set(md, strings.ToLower(k.Value), native.Str(v.Line, v.Value))
	})
	return md
}

// templates translates, in place, every string of the output holding a
// gripmock template into a template of grpcdouble's engine; what cannot be
// translated is a problem naming the line and the construct.
func (r *reader) templates(n *yaml.Node, where string) {
	if r.rendered {
		return // translated with the whole stub (translateAll)
	}
	if !hasTemplate(n) {
		return // most outputs: no walk building the path of every value
	}
	r.translateAll(n, where)
}

func cloneAll(ns []*yaml.Node) []*yaml.Node {
	out := make([]*yaml.Node, len(ns))
	for i, n := range ns {
		out[i] = native.Clone(n)
	}
	return out
}

func withoutKey(m *yaml.Node, key string) *yaml.Node {
	out := *m
	out.Content = nil
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value != key {
			out.Content = append(out.Content, m.Content[i], m.Content[i+1])
		}
	}
	return &out
}
