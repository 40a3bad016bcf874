package expect

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/grpcdouble/grpcdouble/mockserver"
	"google.golang.org/protobuf/reflect/protoreflect"
)

func (s Stub) where(n *yaml.Node, field string) string {
	line := s.Line
	if n != nil && n.Line > 0 {
		line = n.Line
	}
	return fmt.Sprintf("%s:%d: %s", s.File, line, field)
}

// sendStep reads a message to send: a fixed message, or one built from
// templates for every call (a whole-message {template: ...}, or strings
// with {{ }} inside).
func (s Stub) sendStep(n *yaml.Node, field string, md protoreflect.MethodDescriptor) (step, error) {
	many := mockserver.KindOf(md) == mockserver.ServerStream || mockserver.KindOf(md) == mockserver.BidiStream
	mt, err := s.msgTmpl(n, field, md, many)
	if err != nil {
		return nil, err
	}
	if mt == nil {
		msg, err := s.message(n, field, md.Output())
		if err != nil {
			return nil, err
		}
		return sendStep{msg: msg}, nil
	}
	return tmplStep{mt}, nil
}

func (s Stub) env(md protoreflect.MethodDescriptor) tmplEnv {
	return tmplEnv{in: md.Input(), method: "/" + string(md.Parent().FullName()) + "/" + string(md.Name())}
}

// msgTmpl compiles a message node with templates, or returns nil.
func (s Stub) msgTmpl(n *yaml.Node, field string, md protoreflect.MethodDescriptor, many bool) (*msgTmpl, error) {
	out, env := md.Output(), s.env(md)
	if n.Kind == yaml.MappingNode && len(n.Content) == 2 && n.Content[0].Value == "template" && fieldByName(out, "template") == nil {
		tn := n.Content[1]
		if tn.Kind != yaml.ScalarNode {
			return nil, s.errf(tn, field+".template", "want the template's text")
		}
		where := s.where(tn, field)
		t, err := parseTemplate(where, tn.Value, env)
		if err != nil {
			return nil, s.errf(tn, field+".template", "%v", err)
		}
		mt := &msgTmpl{out: out, whole: t, where: where, many: many}
		if err := mt.dryRun(env); err != nil {
			return nil, s.errf(tn, field+".template", "for a request with every field zero, %v", trimWhere(err, where))
		}
		return mt, nil
	}
	if !nodeHasTemplate(n) {
		return nil, nil
	}
	b := &partsBuilder{s: s, env: env}
	if err := b.node(n, nil, out, field); err != nil {
		return nil, err
	}
	b.flush()
	where := s.where(n, field)
	mt := &msgTmpl{out: out, parts: b.parts, where: where}
	mt.prepareDirect()
	if err := mt.dryRun(env); err != nil {
		return nil, s.errf(n, field, "for a request with every field zero, %v", trimWhere(err, where))
	}
	return mt, nil
}

func trimWhere(err error, where string) string {
	return strings.TrimPrefix(err.Error(), where+": ")
}

func nodeHasTemplate(n *yaml.Node) bool {
	if n == nil {
		return false
	}
	if n.Kind == yaml.ScalarNode {
		return isTemplate(n.Value)
	}
	for _, c := range n.Content {
		if nodeHasTemplate(c) {
			return true
		}
	}
	return false
}

// partsBuilder turns a message node into literal JSON and templates.
type partsBuilder struct {
	s     Stub
	env   tmplEnv
	parts []tmplPart
	lit   bytes.Buffer

	path     []protoreflect.FieldDescriptor // from the root message to here
	indirect int                            // inside a list or a map: no path
}

func (b *partsBuilder) flush() {
	if b.lit.Len() > 0 {
		b.parts = append(b.parts, tmplPart{lit: bytes.Clone(b.lit.Bytes())})
		b.lit.Reset()
	}
}

// node emits n, the value of field fd, or (fd nil) a message of type md;
// both nil: something the descriptor does not describe (inside an Any or a
// Struct).
func (b *partsBuilder) node(n *yaml.Node, fd protoreflect.FieldDescriptor, md protoreflect.MessageDescriptor, field string) error {
	switch n.Kind {
	case yaml.AliasNode:
		return b.node(n.Alias, fd, md, field)
	case yaml.MappingNode:
		// Every field of the mapping is checked; the parts are of no use
		// once one is wrong, the problems are.
		var p problems
		b.lit.WriteByte('{')
		for i := 0; i+1 < len(n.Content); i += 2 {
			if i > 0 {
				b.lit.WriteByte(',')
			}
			k, v := n.Content[i], n.Content[i+1]
			kb, _ := json.Marshal(k.Value)
			b.lit.Write(kb)
			b.lit.WriteByte(':')
			var sub protoreflect.FieldDescriptor
			switch {
			case fd != nil && fd.IsMap():
				sub = fd.MapValue()
			case md != nil && !isWellKnown(md):
				sub = fieldByName(md, k.Value)
				if sub == nil && k.Value != "@type" {
					p.add(b.s.errf(k, field, "not a %s: unknown field %q%s", md.FullName(), k.Value, didYouMean(k.Value, fieldNames(md))))
					continue
				}
			}
			var subMD protoreflect.MessageDescriptor
			if sub != nil && sub.Message() != nil && !sub.IsMap() {
				subMD = sub.Message()
			}
			isMap := fd != nil && fd.IsMap()
			if isMap || sub == nil {
				b.indirect++
			} else {
				b.path = append(b.path, sub)
			}
			err := b.node(v, sub, subMD, field+"."+k.Value)
			if isMap || sub == nil {
				b.indirect--
			} else {
				b.path = b.path[:len(b.path)-1]
			}
			p.add(err)
		}
		b.lit.WriteByte('}')
		return p.err()
	case yaml.SequenceNode:
		var p problems
		b.lit.WriteByte('[')
		for i, c := range n.Content {
			if i > 0 {
				b.lit.WriteByte(',')
			}
			b.indirect++
			p.add(b.node(c, fd, md, fmt.Sprintf("%s[%d]", field, i)))
			b.indirect--
		}
		b.lit.WriteByte(']')
		return p.err()
	case yaml.ScalarNode:
		if isTemplate(n.Value) {
			t, err := parseTemplate(b.s.where(n, field), n.Value, b.env)
			if err != nil {
				return b.s.errf(n, field, "%v", err)
			}
			b.flush()
			quote := fd != nil && (fd.Kind() == protoreflect.StringKind || fd.Kind() == protoreflect.BytesKind)
			part := tmplPart{t: t, quote: quote}
			if b.indirect == 0 && fd != nil && fd.Message() == nil && !fd.IsList() && !fd.IsMap() {
				part.path = slices.Clone(b.path)
			}
			b.parts = append(b.parts, part)
			return nil
		}
		var v any
		if err := n.Decode(&v); err != nil {
			return b.s.errf(n, field, "%v", err)
		}
		js, err := json.Marshal(v)
		if err != nil {
			return b.s.errf(n, field, "%v", err)
		}
		b.lit.Write(js)
		return nil
	}
	return b.s.errf(n, field, "want a message")
}

// outTmpls finds the templates among response metadata values.
func (s Stub) outTmpls(m map[string]yaml.Node, field string, md protoreflect.MethodDescriptor) ([]mdTmpl, error) {
	var out []mdTmpl
	var p problems
	for _, k := range sortedKeys(m) {
		n := m[k]
		vals := []*yaml.Node{&n}
		if n.Kind == yaml.SequenceNode {
			vals = n.Content
		}
		for i, v := range vals {
			if v.Kind != yaml.ScalarNode || !isTemplate(v.Value) {
				continue
			}
			f := field + "." + k
			t, err := parseTemplate(s.where(v, f), v.Value, s.env(md))
			if err != nil {
				p.add(s.errf(v, f, "%v", err))
				continue
			}
			out = append(out, mdTmpl{key: strings.ToLower(k), i: i, t: t})
		}
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	return out, nil
}

// statusTmpl parses a templated status message, or returns nil.
func (s Stub) statusTmpl(n *yaml.Node, field, msg string, md protoreflect.MethodDescriptor) (*tmpl, error) {
	if !isTemplate(msg) {
		return nil, nil
	}
	at := mapChild(n, "message")
	t, err := parseTemplate(s.where(at, field+".message"), msg, s.env(md))
	if err != nil {
		return nil, s.errf(at, field+".message", "%v", err)
	}
	return t, nil
}
