package expect

import (
	"fmt"
	"reflect"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"
)

var (
	stubDocType  = reflect.TypeFor[stubDoc]()
	yamlNodeType = reflect.TypeFor[yaml.Node]()
)

// knownFields reports whether every key of the mappings in n that decode
// into a struct of type t (and into the structs inside it) names one of its
// fields: what yaml's decoder checks with KnownFields(true), done on a tree
// already parsed, so that a stub file is parsed once. It answers false as
// well for what it does not follow (merge keys, inline fields): the file is
// then decoded whole by yaml's decoder, whose answer is the one that counts.
func knownFields(n *yaml.Node, t reflect.Type) bool {
	return known(n, t, 0)
}

func known(n *yaml.Node, t reflect.Type, depth int) bool {
	if n == nil || depth > 100 {
		return depth <= 100
	}
	for n.Kind == yaml.AliasNode {
		if n.Alias == nil {
			return false
		}
		n = n.Alias
		depth++
		if depth > 100 {
			return false
		}
	}
	if n.Kind == yaml.DocumentNode {
		if len(n.Content) == 0 {
			return true
		}
		return known(n.Content[0], t, depth+1)
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == yamlNodeType {
		return true // kept as nodes: read by compile, which names what it does not know
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			return true // a type error, which Decode reported
		}
		fields, ok := structFields(t)
		if !ok {
			return false
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind != yaml.ScalarNode || k.ShortTag() != "!!str" || k.Value == "<<" {
				return false
			}
			ft, ok := fields[k.Value]
			if !ok {
				return false
			}
			if !known(n.Content[i+1], ft, depth+1) {
				return false
			}
		}
	case reflect.Slice, reflect.Array:
		if n.Kind == yaml.SequenceNode {
			for _, c := range n.Content {
				if !known(c, t.Elem(), depth+1) {
					return false
				}
			}
		}
	case reflect.Map:
		if n.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(n.Content); i += 2 {
				if !known(n.Content[i+1], t.Elem(), depth+1) {
					return false
				}
			}
		}
	}
	return true
}

var fieldsOf sync.Map // reflect.Type -> map[string]reflect.Type, or nil

// structFields maps the yaml names of t's fields to their types, as yaml
// names them: the tag's name, else the field's name in lower case. ok is
// false for what knownFields does not follow (inline fields).
func structFields(t reflect.Type) (map[string]reflect.Type, bool) {
	if v, ok := fieldsOf.Load(t); ok {
		m := v.(map[string]reflect.Type)
		return m, m != nil
	}
	m := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() && !f.Anonymous {
			continue
		}
		tag := f.Tag.Get("yaml")
		if tag == "" && !strings.Contains(string(f.Tag), ":") {
			tag = string(f.Tag)
		}
		if tag == "-" {
			continue
		}
		name, flags, _ := strings.Cut(tag, ",")
		if strings.Contains(flags, "inline") || f.Anonymous {
			m = nil
			break
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		m[name] = f.Type
	}
	fieldsOf.Store(t, m)
	return m, m != nil
}

// nullItem finds a null item in a list of mappings of t (steps, then,
// putStubs, forEach): yaml's decoder drops such an item without a word,
// which would leave the items after it named by the wrong index and line.
// It answers the item's node and its field path, or nil.
func nullItem(n *yaml.Node, t reflect.Type, field string, depth int) (*yaml.Node, string) {
	if n == nil || depth > 100 {
		return nil, ""
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t.Kind() == reflect.Struct && t != yamlNodeType && n.Kind == yaml.MappingNode:
		fields, ok := structFields(t)
		if !ok {
			return nil, ""
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			ft, ok := fields[k.Value]
			if !ok || k.Kind != yaml.ScalarNode {
				continue
			}
			name := k.Value
			if field != "" {
				name = field + "." + name
			}
			if bad, at := nullItem(n.Content[i+1], ft, name, depth+1); bad != nil {
				return bad, at
			}
		}
	case t.Kind() == reflect.Slice && n.Kind == yaml.SequenceNode:
		et := t.Elem()
		for et.Kind() == reflect.Pointer {
			et = et.Elem()
		}
		if et.Kind() != reflect.Struct || et == yamlNodeType {
			return nil, ""
		}
		for i, c := range n.Content {
			at := fmt.Sprintf("%s[%d]", field, i)
			if c.Kind == yaml.ScalarNode && c.ShortTag() == "!!null" {
				return c, at
			}
			if bad, at := nullItem(c, et, at, depth+1); bad != nil {
				return bad, at
			}
		}
	}
	return nil, ""
}

// unknownKey finds a key in n that names no field of t where it stands
// (knownFields' question, answered with the key and its field path), or
// nil. It is for nodes no file's decoder reads whole: a put stub rendered
// from a template when its effect runs.
func unknownKey(n *yaml.Node, t reflect.Type, field string) (*yaml.Node, string) {
	return unknownIn(n, t, field, 0)
}

func unknownIn(n *yaml.Node, t reflect.Type, field string, depth int) (*yaml.Node, string) {
	if n == nil || depth > 100 {
		return nil, ""
	}
	n = resolveAlias(n)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == yamlNodeType {
		return nil, ""
	}
	join := func(k string) string {
		if field == "" {
			return k
		}
		return field + "." + k
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			return nil, ""
		}
		fields, ok := structFields(t)
		if !ok {
			return nil, ""
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			ft, ok := fields[k.Value]
			if !ok {
				return k, join(k.Value)
			}
			if bad, at := unknownIn(n.Content[i+1], ft, join(k.Value), depth+1); bad != nil {
				return bad, at
			}
		}
	case reflect.Slice, reflect.Array:
		if n.Kind == yaml.SequenceNode {
			for i, c := range n.Content {
				if bad, at := unknownIn(c, t.Elem(), fmt.Sprintf("%s[%d]", field, i), depth+1); bad != nil {
					return bad, at
				}
			}
		}
	case reflect.Map:
		if n.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(n.Content); i += 2 {
				if bad, at := unknownIn(n.Content[i+1], t.Elem(), join(n.Content[i].Value), depth+1); bad != nil {
					return bad, at
				}
			}
		}
	}
	return nil, ""
}
