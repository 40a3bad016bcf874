package wiremock

import (
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/grpcdouble/grpcdouble/stubformat/internal/native"
)

// json-unit placeholders stand for a whole JSON value in equalToJson. The
// extension prints a request as protojson without its zero fields, so a
// placeholder that wants a value (anything but ignore-element) wants the
// field set, and not zero: the native present.
const (
	jsonUnit      = "${json-unit."
	regexHolder   = "${json-unit.regex}"
	ignoreElement = "${json-unit.ignore-element}"
)

// holderKinds are the type placeholders and the JSON kind each accepts.
var holderKinds = map[string]string{
	"${json-unit.any-string}":  "string",
	"${json-unit.any-number}":  "number",
	"${json-unit.any-boolean}": "boolean",
	"${json-unit.ignore}":      "",
}

func isHolder(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!str" && strings.HasPrefix(n.Value, jsonUnit)
}

func hasList(n *yaml.Node) bool {
	if n.Kind == yaml.SequenceNode {
		return true
	}
	for _, c := range n.Content {
		if hasList(c) {
			return true
		}
	}
	return false
}

// fieldwise reports whether a value of an equalToJson is translated field
// by field: it holds a placeholder, or a list whose order is ignored.
func (r *reader) fieldwise(n *yaml.Node) bool {
	return hasPlaceholder(n) || (r.anyOrder && hasList(n))
}

func hasPlaceholder(n *yaml.Node) bool {
	if isHolder(n) {
		return true
	}
	for _, c := range n.Content {
		if hasPlaceholder(c) {
			return true
		}
	}
	return false
}

// placeholders translates an equalToJson holding json-unit placeholders,
// or lists compared in any order (ignoreArrayOrder), into field tests
// (set into fields) and, with ignoreExtraElements, a
// partial match of the rest (returned; nil when nothing is left). Without
// it, every field of a message the JSON names no value for must be unset,
// which takes the method's descriptors.
func (r *reader) placeholders(js *yaml.Node, partial bool, fields *yaml.Node, where string) (*yaml.Node, bool) {
	if js.Kind != yaml.MappingNode {
		r.problem(js, where, "not supported yet: json-unit placeholders or ignoreArrayOrder in JSON that is not an object")
		return nil, false
	}
	if !partial && r.in == nil {
		r.problem(js, where, "json-unit placeholders or ignoreArrayOrder in an exact equalToJson need the method's descriptors (--proto or --protoset) to convert")
		return nil, false
	}
	rest, ok := r.holderLevel(js, "", r.in, partial, fields, where)
	if !ok || !partial || len(rest.Content) == 0 {
		return nil, ok
	}
	return rest, true
}

// holderLevel walks one JSON object (of the message md, when known): it sets
// a field test for each placeholder and, exactly, for each other value and
// each field the object leaves out; partially, it returns the object with
// its placeholders taken out.
func (r *reader) holderLevel(obj *yaml.Node, prefix string, md protoreflect.MessageDescriptor, partial bool, fields *yaml.Node, where string) (*yaml.Node, bool) {
	rest := native.Map(obj.Line)
	named := map[protoreflect.FieldNumber]bool{}
	ok := true
	native.Pairs(obj, func(k, v *yaml.Node) {
		if !ok {
			return
		}
		path := prefix + k.Value
		var fd protoreflect.FieldDescriptor
		if md != nil {
			if fd = md.Fields().ByJSONName(k.Value); fd == nil {
				fd = md.Fields().ByName(protoreflect.Name(k.Value))
			}
			if fd == nil {
				r.problem(k, where, "%s has no field %q", md.FullName(), k.Value)
				ok = false
				return
			}
			named[fd.Number()] = true
		}
		switch {
		case isHolder(v):
			op, good := r.holder(v, fd, path, where)
			if !good {
				ok = false
				return
			}
			if op != nil {
				ok = r.setField(fields, path, op, v, where)
			}
		case r.anyOrder && v.Kind == yaml.SequenceNode && !hasPlaceholder(v):
			op, good := r.unordered(v, path, where)
			if !good {
				ok = false
				return
			}
			ok = r.setField(fields, path, op, v, where)
		case !r.fieldwise(v):
			if partial {
				native.Set(rest, k.Value, native.Clone(v))
				return
			}
			op := native.Map(v.Line)
			native.Set(op, "equal", native.Clone(v))
			ok = r.setField(fields, path, op, v, where)
		case v.Kind == yaml.MappingNode && (fd == nil || (fd.Message() != nil && !fd.IsMap() && !fd.IsList())):
			var sub protoreflect.MessageDescriptor
			if fd != nil {
				sub = fd.Message()
			}
			nested, good := r.holderLevel(v, path+".", sub, partial, fields, where)
			if !good {
				ok = false
				return
			}
			if partial && len(nested.Content) > 0 {
				native.Set(rest, k.Value, nested)
			}
		default:
			r.problem(v, where, "not supported yet: json-unit placeholders inside a list or a map, or a map holding lists whose order is ignored (%s)", path)
			ok = false
		}
	})
	if !ok || partial || md == nil {
		return rest, ok
	}
	for i := 0; i < md.Fields().Len(); i++ {
		fd := md.Fields().Get(i)
		if named[fd.Number()] {
			continue
		}
		op := native.Map(obj.Line)
		native.Set(op, "absent", native.Bool(obj.Line, true))
		if !r.setField(fields, prefix+fd.JSONName(), op, obj, where) {
			return rest, false
		}
	}
	return rest, true
}

// unordered translates a list whose order ignoreArrayOrder ignores: the
// same elements, each as often, in any order.
func (r *reader) unordered(list *yaml.Node, path, where string) (*yaml.Node, bool) {
	elems := native.Seq(list.Line)
	for i, e := range list.Content {
		if hasList(e) {
			// json-unit ignores the order of lists inside the elements too;
			// unordered compares an element whole.
			r.problem(e, where, "not supported yet: ignoreArrayOrder on a list whose elements hold lists (%s[%d])", path, i)
			return nil, false
		}
		if e.Kind == yaml.MappingNode {
			m := native.Map(e.Line)
			native.Set(m, "equal", native.Clone(e))
			elems.Content = append(elems.Content, m)
			continue
		}
		elems.Content = append(elems.Content, native.Clone(e))
	}
	op := native.Map(list.Line)
	native.Set(op, "unordered", elems)
	return op, true
}

// holder translates one placeholder on the field fd (nil when unknown)
// into a field test; nil for ignore-element, which tests nothing.
func (r *reader) holder(v *yaml.Node, fd protoreflect.FieldDescriptor, path, where string) (*yaml.Node, bool) {
	op := native.Map(v.Line)
	native.Set(op, "present", native.Bool(v.Line, true))
	switch {
	case v.Value == ignoreElement:
		return nil, true
	case strings.HasPrefix(v.Value, regexHolder):
		re := strings.TrimPrefix(v.Value, regexHolder)
		if _, err := regexp.Compile(re); err != nil {
			r.problem(v, where, "invalid regular expression %q in ${json-unit.regex}: %v", re, err)
			return nil, false
		}
		if !r.holderKind(v, fd, "string", path, where) {
			return nil, false
		}
		// json-unit matches the whole string.
		native.Set(op, "regex", native.Str(v.Line, "^(?:"+re+")$"))
		return op, true
	}
	kind, known := holderKinds[v.Value]
	if !known {
		r.problem(v, where, "not supported yet: the json-unit placeholder %q (want any-string, any-number, any-boolean, ignore, ignore-element or regex)", v.Value)
		return nil, false
	}
	if kind != "" && !r.holderKind(v, fd, kind, path, where) {
		return nil, false
	}
	return op, true
}

// holderKind reports a placeholder whose JSON kind the field's protojson
// never has: such a mapping never matches in WireMock.
func (r *reader) holderKind(v *yaml.Node, fd protoreflect.FieldDescriptor, want, path, where string) bool {
	if fd == nil {
		return true
	}
	got := jsonKind(fd)
	if got == "" || got == want {
		return true
	}
	r.problem(v, where, "%s never matches the field %s: its JSON is a %s", v.Value, path, got)
	return false
}

// jsonKind is the JSON kind of a field in protojson, "" when it varies or
// is not a scalar.
func jsonKind(fd protoreflect.FieldDescriptor) string {
	if fd.IsList() {
		return "list"
	}
	if fd.IsMap() {
		return "object"
	}
	return valueJSONKind(fd)
}

// valueJSONKind is the JSON kind of one value of fd's kind.
func valueJSONKind(fd protoreflect.FieldDescriptor) string {
	switch fd.Kind() {
	case protoreflect.StringKind, protoreflect.BytesKind, protoreflect.EnumKind,
		protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind,
		protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		return "string"
	case protoreflect.BoolKind:
		return "boolean"
	case protoreflect.MessageKind, protoreflect.GroupKind:
		if strings.HasPrefix(string(fd.Message().FullName()), "google.protobuf.") {
			return "" // well-known types print as strings, numbers, anything
		}
		return "object"
	}
	return "number" // int32, uint32, float, double and kin (NaN and Infinity aside)
}

func (r *reader) setField(fields *yaml.Node, path string, op, at *yaml.Node, where string) bool {
	if native.Get(fields, path) != nil {
		r.problem(at, where, "not supported yet: two tests on the field %s", path)
		return false
	}
	native.Set(fields, path, op)
	return true
}
