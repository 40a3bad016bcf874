package wiremock

import (
	"fmt"
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
	return hasPlaceholder(n) || ((r.anyOrder || r.extraItems) && hasList(n))
}

// hasMap reports whether the JSON object obj, of the message md, gives a
// map field entries, at any depth.
func (r *reader) hasMap(obj *yaml.Node, md protoreflect.MessageDescriptor) bool {
	if md == nil || obj.Kind != yaml.MappingNode {
		return false
	}
	found := false
	native.Pairs(obj, func(k, v *yaml.Node) {
		fd := field(md, k.Value)
		switch {
		case found || fd == nil:
		case fd.IsMap():
			found = len(v.Content) > 0
		case fd.IsList() && fd.Message() != nil:
			for _, e := range v.Content {
				found = found || r.hasMap(e, fd.Message())
			}
		case fd.Message() != nil:
			found = r.hasMap(v, fd.Message())
		}
	})
	return found
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
			op, good := r.holder(v, fd, false, path, where)
			if !good {
				ok = false
				return
			}
			if op != nil {
				ok = r.setField(fields, path, op, v, where)
			}
		case v.Kind == yaml.SequenceNode && r.fieldwise(v):
			ok = r.listTests(v, fd, path, partial, fields, where)
		case partial && v.Kind == yaml.MappingNode && fd != nil && fd.IsMap() && len(v.Content) > 0:
			// These keys, others besides.
			ok = r.mapTests(v, fd, path, partial, fields, where)
		case !r.fieldwise(v) && !(partial && fd != nil && !fd.IsList() && r.hasMap(v, fd.Message())):
			if partial {
				native.Set(rest, k.Value, native.Clone(v))
				return
			}
			op := native.Map(v.Line)
			native.Set(op, "equal", native.Clone(v))
			ok = r.setField(fields, path, op, v, where)
		case v.Kind == yaml.MappingNode && fd != nil && fd.IsMap():
			ok = r.mapTests(v, fd, path, partial, fields, where)
		case v.Kind == yaml.MappingNode && (fd == nil || (fd.Message() != nil && !fd.IsList())):
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
			r.problem(v, where, "%s is a %s: the JSON never matches it", path, fieldKindText(fd))
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

// listTests translates a list holding placeholders, or whose order
// ignoreArrayOrder ignores: in order, a test of each element by its index
// (with ignoreExtraElements, which ignores extra elements too, no more
// than these; without, exactly as many); in any order, unordered.
func (r *reader) listTests(list *yaml.Node, fd protoreflect.FieldDescriptor, path string, partial bool, fields *yaml.Node, where string) bool {
	var elemMd protoreflect.MessageDescriptor
	if fd != nil {
		if !fd.IsList() {
			r.problem(list, where, "%s is a %s, not a list: the JSON never matches it", path, fieldKindText(fd))
			return false
		}
		elemMd = fd.Message()
	}
	if r.anyOrder {
		op, ok := r.unordered(list, fd, elemMd, partial, path, where)
		return ok && r.setField(fields, path, op, list, where)
	}
	if !partial {
		n := native.Map(list.Line)
		native.Set(n, "len", native.Int(list.Line, len(list.Content)))
		if !r.setField(fields, path, n, list, where) {
			return false
		}
	}
	for i, e := range list.Content {
		at := fmt.Sprintf("%s[%d]", path, i)
		switch {
		case isHolder(e):
			op, ok := r.holder(e, fd, true, at, where)
			if !ok || (op != nil && !r.setField(fields, at, op, e, where)) {
				return false
			}
		case e.Kind == yaml.MappingNode:
			if !r.elementFields(e, elemMd, partial, at+".", fields, where) {
				return false
			}
		default:
			op := native.Map(e.Line)
			native.Set(op, "equal", native.Clone(e))
			if !r.setField(fields, at, op, e, where) {
				return false
			}
		}
	}
	return true
}

// elementFields sets the tests of a message element (a map's message
// value) of a list holding placeholders into fields, below prefix: its
// placeholders, and its other values as equal; exactly, every field it
// leaves out unset.
func (r *reader) elementFields(obj *yaml.Node, md protoreflect.MessageDescriptor, partial bool, prefix string, fields *yaml.Node, where string) bool {
	rest, ok := r.holderLevel(obj, prefix, md, partial, fields, where)
	if !ok || !partial {
		return ok
	}
	return r.partialTests(rest, prefix, md, fields, where)
}

// partialTests sets a partial match's values (what holderLevel leaves of
// an object with ignoreExtraElements) as field tests below prefix: each
// value equal, a map holding these entries, through nested objects.
func (r *reader) partialTests(rest *yaml.Node, prefix string, md protoreflect.MessageDescriptor, fields *yaml.Node, where string) bool {
	ok := true
	native.Pairs(rest, func(k, v *yaml.Node) {
		if !ok {
			return
		}
		var fd protoreflect.FieldDescriptor
		if md != nil {
			fd = field(md, k.Value)
		}
		op := native.Map(v.Line)
		switch {
		case v.Kind == yaml.MappingNode && fd != nil && fd.IsMap():
			native.Set(op, "contains", native.Clone(v))
		case v.Kind == yaml.MappingNode && (fd == nil || fd.Message() != nil) && (fd == nil || !wellKnown(fd.Message())):
			var sub protoreflect.MessageDescriptor
			if fd != nil {
				sub = fd.Message()
			}
			ok = r.partialTests(v, prefix+k.Value+".", sub, fields, where)
			return
		default:
			native.Set(op, "equal", native.Clone(v))
		}
		ok = r.setField(fields, prefix+k.Value, op, v, where)
	})
	return ok
}

// mapTests translates a map holding placeholders: a test of each value by
// its key (without ignoreExtraElements, the map has no other keys).
func (r *reader) mapTests(obj *yaml.Node, fd protoreflect.FieldDescriptor, path string, partial bool, fields *yaml.Node, where string) bool {
	if !partial {
		n := native.Map(obj.Line)
		native.Set(n, "len", native.Int(obj.Line, len(obj.Content)/2))
		if !r.setField(fields, path, n, obj, where) {
			return false
		}
	}
	ok := true
	native.Pairs(obj, func(k, v *yaml.Node) {
		if !ok {
			return
		}
		if strings.ContainsAny(k.Value, "[]") {
			r.problem(k, where, "not supported yet: the map key %q in a test (it holds [ or ])", k.Value)
			ok = false
			return
		}
		at := path + "[" + k.Value + "]"
		switch {
		case isHolder(v):
			op, good := r.holder(v, fd, true, at, where)
			ok = good && (op == nil || r.setField(fields, at, op, v, where))
		case v.Kind == yaml.MappingNode && fd.MapValue().Message() != nil:
			ok = r.elementFields(v, fd.MapValue().Message(), partial, at+".", fields, where)
		default:
			op := native.Map(v.Line)
			native.Set(op, "equal", native.Clone(v))
			ok = r.setField(fields, at, op, v, where)
		}
	})
	return ok
}

// unordered translates a list whose order ignoreArrayOrder ignores: the
// same elements, each as often, in any order (with ignoreExtraElements,
// others besides); a message element by its
// fields, so that the lists inside it are compared in any order too, as
// json-unit does.
func (r *reader) unordered(list *yaml.Node, fd protoreflect.FieldDescriptor, elemMd protoreflect.MessageDescriptor, partial bool, path, where string) (*yaml.Node, bool) {
	elems := native.Seq(list.Line)
	for i, e := range list.Content {
		at := fmt.Sprintf("%s[%d]", path, i)
		switch {
		case isHolder(e):
			op, ok := r.holder(e, fd, true, at, where)
			if !ok {
				return nil, false
			}
			if elemMd != nil && !wellKnown(elemMd) {
				// ignore or ignore-element standing for a message
				// element (holder refused the others, which want a
				// string, a number or a boolean): any one.
				elems.Content = append(elems.Content, anyMessage(e.Line))
				continue
			}
			if op == nil || native.Get(op, "regex") == nil {
				// Any element of the kind: every one is there.
				op = native.Map(e.Line)
				native.Set(op, "regex", native.Str(e.Line, ""))
			} else {
				native.Delete(op, "present")
			}
			elems.Content = append(elems.Content, op)
		case e.Kind == yaml.MappingNode:
			sub := native.Map(e.Line)
			if !r.elementFields(e, elemMd, partial, "", sub, where) {
				return nil, false
			}
			m := native.Map(e.Line)
			// {} with ignoreExtraElements (sub empty): any element.
			native.Set(m, "fields", sub)
			elems.Content = append(elems.Content, m)
		default:
			elems.Content = append(elems.Content, native.Clone(e))
		}
	}
	op := native.Map(list.Line)
	if partial {
		// ignoreExtraElements: other elements besides, as json-unit.
		native.Set(op, "includes", elems)
		return op, true
	}
	native.Set(op, "unordered", elems)
	return op, true
}

// anyMessage is the test any message element passes: no field tests.
func anyMessage(line int) *yaml.Node {
	m := native.Map(line)
	native.Set(m, "fields", native.Map(line))
	return m
}

// holder translates one placeholder on the field fd (nil when unknown),
// or on one element of it (a map's value) when elem is set, into a field
// test; nil for ignore-element, which tests nothing. A list's element, a
// map's value, is in the JSON even when zero: there it wants the element.
func (r *reader) holder(v *yaml.Node, fd protoreflect.FieldDescriptor, elem bool, path, where string) (*yaml.Node, bool) {
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
		if !r.holderKind(v, fd, elem, "string", path, where) {
			return nil, false
		}
		// json-unit matches the whole string.
		native.Set(op, "regex", native.Str(v.Line, "^(?:"+re+")$"))
		return op, true
	}
	kind, known := holderKinds[v.Value]
	if !known && strings.HasPrefix(v.Value, "${json-unit.matches:") {
		r.problem(v, where, "not supported: the json-unit custom matcher %q is Java code WireMock is started with; a mapping names it and holds no definition to translate", v.Value)
		return nil, false
	}
	if !known {
		r.problem(v, where, "not supported yet: the json-unit placeholder %q (want any-string, any-number, any-boolean, ignore, ignore-element or regex)", v.Value)
		return nil, false
	}
	if kind != "" && !r.holderKind(v, fd, elem, kind, path, where) {
		return nil, false
	}
	return op, true
}

// holderKind reports a placeholder whose JSON kind the field's protojson
// never has: such a mapping never matches in WireMock.
func (r *reader) holderKind(v *yaml.Node, fd protoreflect.FieldDescriptor, elem bool, want, path, where string) bool {
	if fd == nil {
		return true
	}
	got := jsonKind(fd)
	if elem {
		got = elemJSONKind(fd)
	}
	if got == "" || got == want {
		return true
	}
	article := "a"
	if got == "object" {
		article = "an"
	}
	r.problem(v, where, "%s never matches the field %s: its JSON is %s %s", v.Value, path, article, got)
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
