package expect

import (
	"fmt"

	"go.yaml.in/yaml/v3"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/grpcdouble/grpcdouble/mockserver"
)

// putTmpl is a put stub given as {template: stub}: every string value in it
// (keys stay as written) is a template of the call that takes the stub
// putting it, rendered when the effect runs, as gripmock renders an
// effect's stub. A rendered value is a string; one that still holds a
// template ({{ "{{ .Request.name }}" }} renders {{ .Request.name }}) is a
// template of the put stub itself, rendered at its own calls.
type putTmpl struct {
	node     *yaml.Node           // the stub's mapping, as written
	tmpls    map[*yaml.Node]*tmpl // its templated values
	file     string
	index    int
	resolver mockserver.Methods
}

// putTemplate reads a put stub given as {template: stub}. Its templates
// are parsed and checked against md, the method of the call that renders
// them; the stub is rendered once for a request with every field zero,
// and must then compile.
func (s Stub) putTemplate(pn *yaml.Node, field string, index int, pd *stubDoc, resolver mockserver.Methods, md protoreflect.MethodDescriptor) (*putTmpl, error) {
	tn := mapChild(pn, "template")
	if pn.Kind != yaml.MappingNode || len(pn.Content) != 2 {
		return nil, s.errf(pn, field, "a put stub given as a template has the key template alone: {template: {method: ..., ...}}")
	}
	tn = resolveAlias(tn)
	if tn == nil || tn.Kind != yaml.MappingNode {
		return nil, s.errf(tn, field+".template", "want a stub (a mapping) whose strings are templates of the call that puts it")
	}
	pt := &putTmpl{node: tn, tmpls: map[*yaml.Node]*tmpl{}, file: s.File, index: index, resolver: resolver}
	env := s.env(md)
	var p problems
	var walk func(n *yaml.Node, path string)
	walk = func(n *yaml.Node, path string) {
		switch n.Kind {
		case yaml.ScalarNode:
			if !isTemplate(n.Value) {
				return
			}
			t, err := parseTemplate(s.where(n, path), n.Value, env)
			if err != nil {
				p.add(s.errf(n, path, "%v", err))
				return
			}
			pt.tmpls[n] = t
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				walk(n.Content[i+1], path+"."+n.Content[i].Value)
			}
		case yaml.SequenceNode:
			for i, c := range n.Content {
				walk(c, fmt.Sprintf("%s[%d]", path, i))
			}
		}
	}
	walk(tn, field+".template")
	if err := p.err(); err != nil {
		return nil, err
	}
	// A template that fails on that request is not refused: it may need
	// a real one. A stub that it renders but that does not compile is.
	d := &tmplData{in: env.in, method: env.method, hit: 1, md: metadata.MD{}}
	if n, err := pt.build(d); err == nil {
		if _, err := pt.compile(n); err != nil {
			return nil, s.errf(tn, field+".template", "for a request with every field zero, the stub it renders does not compile: %v", err)
		}
	}
	return pt, nil
}

// render makes the stub for a call.
func (p *putTmpl) render(d *tmplData) (Stub, error) {
	n, err := p.build(d)
	if err != nil {
		return Stub{}, err
	}
	return p.compile(n)
}

// build copies the stub's nodes with its templates rendered.
func (p *putTmpl) build(d *tmplData) (*yaml.Node, error) {
	var walk func(n *yaml.Node) (*yaml.Node, error)
	walk = func(n *yaml.Node) (*yaml.Node, error) {
		c := *n
		if t := p.tmpls[n]; t != nil {
			out, err := t.render(d)
			if err != nil {
				return nil, err
			}
			c.Value, c.Tag, c.Style = out, "!!str", yaml.DoubleQuotedStyle
			return &c, nil
		}
		if len(n.Content) > 0 {
			c.Content = make([]*yaml.Node, len(n.Content))
			for i, k := range n.Content {
				var err error
				if c.Content[i], err = walk(k); err != nil {
					return nil, err
				}
			}
		}
		return &c, nil
	}
	return walk(p.node)
}

// compile parses a rendered stub as a stub of the file.
func (p *putTmpl) compile(n *yaml.Node) (Stub, error) {
	var d stubDoc
	if err := n.Decode(&d); err != nil {
		return Stub{}, fmt.Errorf("%s", yamlError(p.file, err))
	}
	if k, field := unknownKey(n, stubDocType, ""); k != nil {
		return Stub{}, fmt.Errorf("%s:%d: %s: unknown field %q", p.file, k.Line, field, k.Value)
	}
	return parseStub(p.file, p.index, n, &d, p.resolver, false, false, nil)
}
