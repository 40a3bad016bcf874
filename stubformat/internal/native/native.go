// Package native builds stubs in grpcdouble's own stub format as YAML nodes,
// for the readers of foreign formats. A node built here carries the line of
// the foreign construct it came from, so expect names that line in errors,
// and a head comment naming the source, so a converted file reads as if a
// person wrote it.
package native

import (
	"fmt"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/grpcdouble/grpcdouble/mockserver"
)

// Problem is a construct of a foreign file that cannot be served or
// converted, with where it is and why.
type Problem struct {
	File      string
	Line      int
	Construct string // the foreign construct, e.g. "input.glob" or "effects"
	Reason    string
}

func (p Problem) Error() string {
	return fmt.Sprintf("%s:%d: %s: %s", p.File, p.Line, p.Construct, p.Reason)
}

// Stub is one native stub built from a foreign one.
type Stub struct {
	Node   *yaml.Node // a mapping in the native format
	Line   int        // the line of the foreign stub
	Method string     // "/pkg.Service/Method"
	// Order ranks the stubs of a method as the foreign format does: a
	// higher Order is tried first, ties keep the file's order. Within a
	// file the stubs are sorted by it; stubs of one method in several
	// files get native priorities from it.
	Order int
	// RankFormat and RankArgs say why the stub ranks where it does, for
	// the comment beside a priority (RankNote): kept apart, as such a
	// comment is seldom made.
	RankFormat string
	RankArgs   [2]int
}

// RankNote says why the stub ranks where it does.
func (s *Stub) RankNote() string {
	args := make([]any, strings.Count(s.RankFormat, "%d"))
	for i := range args {
		args[i] = s.RankArgs[i]
	}
	return fmt.Sprintf(s.RankFormat, args...)
}

// SetAfter inserts key: value into the mapping m after the key after (at
// the end when m has no such key).
func SetAfter(m *yaml.Node, after, key string, value *yaml.Node) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == after {
			at := i + 2
			m.Content = append(m.Content[:at], append([]*yaml.Node{Str(value.Line, key), value}, m.Content[at:]...)...)
			return
		}
	}
	Set(m, key, value)
}

// Result is what a reader makes of one file.
type Result struct {
	Stubs    []Stub
	Problems []Problem
}

// Map is a mapping node at a line.
func Map(line int) *yaml.Node { return &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: line} }

// Seq is a sequence node at a line.
func Seq(line int, items ...*yaml.Node) *yaml.Node {
	return &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Line: line, Content: items}
}

// Str is a string scalar at a line.
func Str(line int, s string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s, Line: line}
}

// Int is an integer scalar at a line.
func Int(line, n int) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.Itoa(n), Line: line}
}

// Bool is a boolean scalar at a line.
func Bool(line int, b bool) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(b), Line: line}
}

// Set appends key: value to the mapping m (the key takes value's line).
func Set(m *yaml.Node, key string, value *yaml.Node) {
	m.Content = append(m.Content, Str(value.Line, key), value)
}

// Get returns the value of key in the mapping m, or nil.
func Get(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// Pairs calls f for every key and value of the mapping m, in order.
func Pairs(m *yaml.Node, f func(k, v *yaml.Node)) {
	if m == nil || m.Kind != yaml.MappingNode {
		return
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		f(m.Content[i], m.Content[i+1])
	}
}

// Items returns the stubs of a file: the items of a top-level sequence, or
// the document itself.
func Items(root *yaml.Node) []*yaml.Node {
	doc := Doc(root)
	if doc == nil {
		return nil
	}
	if doc.Kind == yaml.SequenceNode {
		return doc.Content
	}
	return []*yaml.Node{doc}
}

// Doc is the content of a document node (aliases resolved), or nil.
func Doc(root *yaml.Node) *yaml.Node {
	if root == nil {
		return nil
	}
	if root.Kind == yaml.DocumentNode {
		if len(root.Content) == 0 {
			return nil
		}
		return root.Content[0]
	}
	return root
}

// IsNull reports whether n is absent or an explicit null.
func IsNull(n *yaml.Node) bool {
	return n == nil || (n.Kind == yaml.ScalarNode && n.Tag == "!!null")
}

// Empty reports whether n is absent, null, or an empty mapping.
func Empty(n *yaml.Node) bool {
	return IsNull(n) || (n.Kind == yaml.MappingNode && len(n.Content) == 0)
}

// Plain clears the styles a JSON source gives its nodes (flow mappings,
// quoted strings), so a converted file is written in block YAML. Strings
// that need quotes get them from the encoder.
func Plain(n *yaml.Node) {
	if n == nil {
		return
	}
	n.Style &^= yaml.FlowStyle | yaml.DoubleQuotedStyle | yaml.SingleQuotedStyle
	scalars := n.Kind == yaml.SequenceNode && len(n.Content) > 0
	for _, c := range n.Content {
		Plain(c)
		scalars = scalars && c.Kind == yaml.ScalarNode && !strings.Contains(c.Value, "\n")
	}
	if scalars {
		n.Style |= yaml.FlowStyle // [a, b] reads better than a list of lines
	}
}

// Unalias replaces every alias (*name) in the tree with a copy of what it
// names, so readers see plain nodes; the copy keeps the alias's line. A
// chain of aliases deeper than the tree (a cycle) is left as it is.
func Unalias(n *yaml.Node) {
	unalias(n, 0)
}

func unalias(n *yaml.Node, depth int) {
	if n == nil || depth > 200 {
		return
	}
	for i, c := range n.Content {
		if c.Kind == yaml.AliasNode && c.Alias != nil {
			line := c.Line
			t := c.Alias
			for t.Kind == yaml.AliasNode && t.Alias != nil && depth < 200 {
				t = t.Alias
				depth++
			}
			cp := Clone(t)
			cp.Anchor = ""
			cp.Line = line
			n.Content[i] = cp
			c = cp
		}
		unalias(c, depth+1)
	}
}

// HasAlias reports whether any of the trees holds an alias.
func HasAlias(trees []*yaml.Node) bool {
	for _, n := range trees {
		if n.Kind == yaml.AliasNode || HasAlias(n.Content) {
			return true
		}
	}
	return false
}

// Clone copies a node tree.
func Clone(n *yaml.Node) *yaml.Node {
	if n == nil {
		return nil
	}
	c := *n
	c.Content = make([]*yaml.Node, len(n.Content))
	for i, x := range n.Content {
		c.Content[i] = Clone(x)
	}
	return &c
}

// servicer is what mockserver.Server offers beyond Methods: the services it
// serves, to resolve a service given by its short name.
type servicer interface {
	Services() []protoreflect.ServiceDescriptor
}

// Method finds a method by service and method name. The service may be
// given by full name, or by its short name when the resolver or the
// compiled Go types hold exactly one service of that name. It returns the
// "/pkg.Service/Method" name, and the descriptor when it is known (nil when
// neither the resolver nor the compiled types know the service).
func Method(resolver mockserver.Methods, service, method string) (string, protoreflect.MethodDescriptor, error) {
	service = strings.Trim(service, "/ ")
	method = strings.Trim(method, "/ ")
	if service == "" || method == "" {
		return "", nil, fmt.Errorf("want a service and a method, got %q and %q", service, method)
	}
	full, err := mockserver.NormalizeMethod(service + "/" + method)
	if err != nil {
		return "", nil, err
	}
	if resolver != nil {
		if md, err := resolver.Method(full); err == nil {
			return full, md, nil
		}
		if s, ok := resolver.(servicer); ok && !strings.Contains(service, ".") {
			var found []protoreflect.ServiceDescriptor
			for _, sd := range s.Services() {
				if string(sd.Name()) == service {
					found = append(found, sd)
				}
			}
			if len(found) > 1 {
				return "", nil, fmt.Errorf("service %q is ambiguous: %s and %s both serve it; give the full name", service, found[0].FullName(), found[1].FullName())
			}
			if len(found) == 1 {
				md := found[0].Methods().ByName(protoreflect.Name(method))
				if md == nil {
					return "", nil, fmt.Errorf("service %s has no method %s", found[0].FullName(), method)
				}
				return "/" + string(found[0].FullName()) + "/" + method, md, nil
			}
		}
	}
	svc, name, _ := strings.Cut(strings.TrimPrefix(full, "/"), "/")
	if d, err := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(svc)); err == nil {
		if sd, ok := d.(protoreflect.ServiceDescriptor); ok {
			if md := sd.Methods().ByName(protoreflect.Name(name)); md != nil {
				return full, md, nil
			}
			return "", nil, fmt.Errorf("service %s has no method %s", svc, name)
		}
	}
	if resolver != nil {
		// Let the resolver say what it knows.
		if _, err := resolver.Method(full); err != nil {
			return "", nil, err
		}
	}
	return full, nil, nil
}

// Delete removes key from the mapping m.
func Delete(m *yaml.Node, key string) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			m.Content = append(m.Content[:i], m.Content[i+2:]...)
			return
		}
	}
}
