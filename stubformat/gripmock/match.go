package gripmock

import (
	"fmt"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/grpcdouble/grpcdouble/stubformat/internal/native"
)

// matcher translates an input or headers matcher block into alternatives:
// one when there is no anyOf, else one per anyOf element, each the base
// block AND that element, which is what gripmock's anyOf means.
func (r *reader) matcher(block *yaml.Node, where string, headers bool) []alt {
	if native.IsNull(block) {
		return []alt{{}}
	}
	if block.Kind != yaml.MappingNode {
		r.problem(block, where, "want a mapping of equals, contains, matches, glob, anyOf")
		return nil
	}
	base, ok := r.block(block, where, headers, true)
	if !ok {
		return nil
	}
	anyOf := native.Get(block, "anyOf")
	if native.IsNull(anyOf) {
		return []alt{base}
	}
	if anyOf.Kind != yaml.SequenceNode || len(anyOf.Content) == 0 {
		r.problem(anyOf, where+".anyOf", "want a list of one or more matchers")
		return nil
	}
	var out []alt
	for i, el := range anyOf.Content {
		label := fmt.Sprintf("%s.anyOf[%d]", where, i)
		if el.Kind != yaml.MappingNode {
			r.problem(el, label, "want a matcher (equals, contains, matches, glob)")
			return nil
		}
		a, ok := r.block(el, label, headers, false)
		if !ok {
			return nil
		}
		merged, ok := r.merge(base, a, label)
		if !ok {
			return nil
		}
		merged.label = label
		out = append(out, merged)
	}
	return out
}

// merge ANDs two alternatives.
func (r *reader) merge(a, b alt, where string) (alt, bool) {
	out := alt{specificity: a.specificity + b.specificity}
	var ok bool
	if out.partial, ok = r.mergeMaps(a.partial, b.partial, where); !ok {
		return alt{}, false
	}
	if out.metadata, ok = r.mergeMaps(a.metadata, b.metadata, where); !ok {
		return alt{}, false
	}
	return out, true
}

func (r *reader) mergeMaps(a, b *yaml.Node, where string) (*yaml.Node, bool) {
	if a == nil {
		return b, true
	}
	if b == nil {
		return a, true
	}
	out := native.Clone(a)
	ok := true
	native.Pairs(b, func(k, v *yaml.Node) {
		if native.Get(out, k.Value) != nil {
			r.notYet(k, where+"."+k.Value, fmt.Sprintf("two matchers on the field %q", k.Value))
			ok = false
			return
		}
		out.Content = append(out.Content, k, v)
	})
	return out, ok
}

// block translates one matcher block (no anyOf inside when !top).
func (r *reader) block(b *yaml.Node, where string, headers, top bool) (alt, bool) {
	var a alt
	fail := false
	native.Pairs(b, func(k, v *yaml.Node) {
		if !matcherKeys[k.Value] || (k.Value == "anyOf" && !top) || (headers && k.Value == "ignoreArrayOrder") {
			want := "equals, contains, matches, glob, anyOf, ignoreArrayOrder"
			switch {
			case headers:
				want = "equals, contains, matches, glob, anyOf"
			case !top:
				want = "equals, contains, matches, glob, ignoreArrayOrder (anyOf does not nest)"
			}
			r.problem(k, where+"."+k.Value, "unknown matcher (want %s)", want)
			fail = true
		}
	})
	if fail {
		return alt{}, false
	}
	if headers {
		return r.headerBlock(b, where)
	}
	ignoreOrder := false
	if io := native.Get(b, "ignoreArrayOrder"); io != nil {
		ignoreOrder = io.Value == "true"
	}
	fields := r.mapping(b.Line)
	add := func(path string, k, op *yaml.Node, construct string, counts bool) {
		if native.Get(fields, path) != nil {
			r.notYet(k, construct, fmt.Sprintf("two matchers on the field %q", path))
			return
		}
		key := r.str(k.Line, path)
		key.LineComment = k.LineComment // what computed the value (Computed.Annotate)
		fields.Content = append(fields.Content, key, op)
		if counts {
			a.specificity++
		}
	}
	for _, strategy := range []string{"equals", "contains", "matches", "glob"} {
		m := native.Get(b, strategy)
		if native.IsNull(m) {
			continue
		}
		construct := where + "." + strategy
		if m.Kind != yaml.MappingNode {
			r.problem(m, construct, "want a mapping of field names to values")
			return alt{}, false
		}
		native.Pairs(m, func(k, v *yaml.Node) {
			r.field(strategy, r.in, k.Value, k, v, construct+"."+k.Value, ignoreOrder, add)
		})
	}
	if r.failed {
		return alt{}, false
	}
	if len(fields.Content) > 0 {
		a.partial = fields
	}
	return a, true
}

// field translates one key of an input matcher into field tests, added
// with add(path, key, operator, construct, counts). md is the message the
// key is a field of, when known.
func (r *reader) field(strategy string, md protoreflect.MessageDescriptor, path string, k, v *yaml.Node, construct string, ignoreOrder bool, add func(path string, k, op *yaml.Node, construct string, counts bool)) {
	fd := fieldOf(md, path)
	counts := !isDefault(v)
	op := func(name string, operand *yaml.Node) *yaml.Node {
		m := native.Map(v.Line)
		native.Set(m, name, operand)
		return m
	}
	nested := func(f func(sub string, sk, sv *yaml.Node)) {
		native.Pairs(v, func(sk, sv *yaml.Node) { f(path+"."+sk.Value, sk, sv) })
	}
	var sub protoreflect.MessageDescriptor
	if fd != nil && fd.Message() != nil && !fd.IsMap() && !fd.IsList() {
		sub = fd.Message()
	}
	isMap := fd != nil && fd.IsMap()
	// A template left for the call (or any, in a .json file) is text to
	// gripmock's matchers, compared as written; so are native matchers'.
	// Only one written unquoted, which YAML reads as a mapping, is not.
	if unquotedTemplate(v) && !r.rendered {
		r.problem(k, construct, "holds a template YAML reads as a mapping ({{ ... }} unquoted): quote it, as gripmock compares a matcher's template as text")
		return
	}
	if v.Kind == yaml.SequenceNode && fd != nil && !fd.IsList() {
		// gripmock compares a list only with a list.
		r.problem(v, construct, "a list never matches the %s field %s, which is not a list (gripmock compares a list only with a list)", fieldKindText(fd), fd.Name())
		return
	}
	if v.Kind == yaml.MappingNode && fd != nil && sub == nil && !isMap {
		r.problem(k, construct, "%s is a %s field, not a message", fd.Name(), fieldKind(fd))
		return
	}
	switch strategy {
	case "equals":
		switch {
		case v.Kind == yaml.SequenceNode && ignoreOrder:
			// gripmock compares the elements in any order, and lists
			// inside them in any order too.
			elems := native.Seq(v.Line)
			for i, e := range v.Content {
				t := r.anyOrder(fd, e, fmt.Sprintf("%s[%d]", construct, i))
				if t == nil {
					return
				}
				elems.Content = append(elems.Content, t)
			}
			add(path, k, op("unordered", elems), construct, counts)
		case v.Kind == yaml.MappingNode:
			add(path, k, op("equal", v), construct, counts)
		default:
			add(path, k, v, construct, counts)
		}
	case "contains":
		switch {
		case v.Kind == yaml.MappingNode && !isMap:
			// A nested message, as a subset: its fields one by one.
			if len(v.Content) == 0 {
				return
			}
			nested(func(p string, sk, sv *yaml.Node) {
				r.field(strategy, sub, p, sk, sv, construct+"."+sk.Value, ignoreOrder, add)
			})
		case v.Kind == yaml.MappingNode:
			// These entries among the map's; gripmock compares message
			// values as subsets, field by field: entries of fields.
			if len(v.Content) == 0 {
				return
			}
			if fd.MapValue().Message() != nil {
				r.entries(strategy, fd, path, k, v, construct, ignoreOrder, add)
				return
			}
			add(path, k, op("contains", v), construct, counts)
		case v.Kind == yaml.SequenceNode:
			switch len(v.Content) {
			case 0:
			case 1:
				add(path, k, op("contains", v.Content[0]), construct, counts)
			default:
				// Every element among the request's, in any order.
				all := native.Seq(v.Line)
				for _, e := range v.Content {
					all.Content = append(all.Content, op("contains", e))
				}
				add(path, k, op("allOf", all), construct, counts)
			}
		default:
			add(path, k, v, construct, counts) // strings compare whole, as in gripmock
		}
	case "matches", "glob":
		switch v.Kind {
		case yaml.MappingNode:
			if isMap {
				// gripmock matches the map's entries as a subset: these
				// keys, each value by its pattern (a message's by fields).
				if len(v.Content) > 0 {
					r.entries(strategy, fd, path, k, v, construct, ignoreOrder, add)
				}
				return
			}
			nested(func(p string, sk, sv *yaml.Node) {
				r.field(strategy, sub, p, sk, sv, construct+"."+sk.Value, ignoreOrder, add)
			})
		case yaml.SequenceNode:
			if strategy == "glob" {
				// gripmock's glob tests text and the fields of messages,
				// and fails on a list: such a stub never matches there.
				r.problem(v, construct, "a glob on a list never matches (gripmock's glob tests text and the fields of messages, not lists): use matches, with a pattern per element")
				return
			}
			messages := fd != nil && fd.Message() != nil
			for _, e := range v.Content {
				if e.Kind == yaml.MappingNode {
					messages = fd == nil || messages
				}
			}
			if messages {
				r.messageList(strategy, fd, path, k, v, construct, ignoreOrder, add)
				return
			}
			// As many elements as patterns, each matching one: with one
			// pattern for all, every element matches it, in any order.
			same := len(v.Content) > 0
			tests := make([]*yaml.Node, len(v.Content))
			for i, e := range v.Content {
				if e.Kind != yaml.ScalarNode {
					r.problem(e, construct, "a list of patterns never matches here: its entries are not patterns")
					return
				}
				if tests[i] = r.scalarTest(strategy, fd, e, fmt.Sprintf("%s[%d]", construct, i)); tests[i] == nil {
					return
				}
				same = same && e.Value == v.Content[0].Value && e.Tag == "!!str"
			}
			if !same {
				// One test per element, paired off in any order.
				add(path, k, op("unordered", native.Seq(v.Line, tests...)), construct, true)
				return
			}
			all := native.Seq(v.Line, op("len", native.Int(v.Line, len(v.Content))), tests[0])
			add(path, k, op("allOf", all), construct, true)
		default:
			if fd != nil && (fd.IsMap() || fd.Kind() == protoreflect.MessageKind || fd.Kind() == protoreflect.GroupKind) {
				// gripmock tests a pattern against text, which a message
				// or map is not: such a stub never matches there.
				r.problem(v, construct, "a pattern on the %s field %s never matches (gripmock tests patterns against text): name the fields inside, %s: {%s: {field: pattern}}",
					fieldKindText(fd), fd.Name(), strategy, k.Value)
				return
			}
			if t := r.scalarTest(strategy, fd, v, construct); t != nil {
				add(path, k, t, construct, true)
			}
		}
	}
}

// scalarTest is the test of one matches or glob value on a field of fd's
// kind (an element of it, when a list), as gripmock tests it: a string
// pattern against the field's text, which glob wants to be a string
// (enums and bytes are, as names and base64) and matches a bool never; a
// number or bool written as such (no quotes) equals the field, as it is
// compared whole. nil, with a problem, when it never matches there.
func (r *reader) scalarTest(strategy string, fd protoreflect.FieldDescriptor, v *yaml.Node, construct string) *yaml.Node {
	test := func(name string, operand *yaml.Node) *yaml.Node {
		m := native.Map(v.Line)
		native.Set(m, name, operand)
		return m
	}
	never := func(why string) *yaml.Node {
		r.problem(v, construct, "never matches: %s", why)
		return nil
	}
	var kind protoreflect.Kind
	if fd != nil {
		kind = fd.Kind()
	}
	text := fd == nil || kind == protoreflect.StringKind || kind == protoreflect.EnumKind || kind == protoreflect.BytesKind
	if v.Tag != "!!str" {
		switch {
		case strategy == "glob":
			return never(fmt.Sprintf("gripmock's glob takes a pattern in quotes, not %s", v.Value))
		case fd == nil:
			return native.Clone(v)
		case v.Tag == "!!bool" && kind == protoreflect.BoolKind:
			return native.Clone(v)
		case v.Tag == "!!int" && !text && kind != protoreflect.BoolKind && kind != protoreflect.FloatKind && kind != protoreflect.DoubleKind:
			return native.Clone(v)
		}
		return never(fmt.Sprintf("gripmock compares %s, unquoted, with the %s field %s whole, and they never equal (quote it to have it a pattern)", v.Value, kind, fd.Name()))
	}
	switch {
	case strategy == "glob" && !text:
		return never(fmt.Sprintf("gripmock's glob tests text, and the %s field %s is not text", kind, fd.Name()))
	case strategy == "matches" && kind == protoreflect.BoolKind:
		return never(fmt.Sprintf("gripmock tests no pattern against a bool (%s is one): write true or false, unquoted, to compare it", fd.Name()))
	}
	expr, ok := r.pattern(strategy, v, construct)
	if !ok {
		return nil
	}
	return test("regex", native.Str(v.Line, expr))
}

// messageList translates matches with a list of messages: as many
// elements as the list, each passing the fields of its own entry, in any
// order, as gripmock pairs them.
func (r *reader) messageList(strategy string, fd protoreflect.FieldDescriptor, path string, k, v *yaml.Node, construct string, ignoreOrder bool, add func(path string, k, op *yaml.Node, construct string, counts bool)) {
	var md protoreflect.MessageDescriptor
	if fd != nil {
		md = fd.Message()
	}
	elems := native.Seq(v.Line)
	for i, e := range v.Content {
		where := fmt.Sprintf("%s[%d]", construct, i)
		if e.Kind != yaml.MappingNode {
			r.problem(e, where, "a pattern on a message never matches (gripmock tests patterns against text): name the fields inside, %s: {%s: [{field: pattern}]}", strategy, k.Value)
			return
		}
		f := r.messageFields(strategy, md, e, where, ignoreOrder)
		if r.failed {
			return
		}
		if f == nil {
			f = native.Map(e.Line) // gripmock's {} takes any element
		}
		m := native.Map(e.Line)
		native.Set(m, "fields", f)
		elems.Content = append(elems.Content, m)
	}
	m := native.Map(v.Line)
	native.Set(m, "unordered", elems)
	add(path, k, m, construct, true)
}

// entries translates a matcher on a map's entries (matches, glob, or
// contains on a map of messages): these keys among the map's, each value
// passing its pattern, or, a message, the fields given, as gripmock
// compares a value as a subset.
func (r *reader) entries(strategy string, fd protoreflect.FieldDescriptor, path string, k, v *yaml.Node, construct string, ignoreOrder bool, add func(path string, k, op *yaml.Node, construct string, counts bool)) {
	if fd.MapKey().Kind() != protoreflect.StringKind {
		// gripmock leaves out the entries whose keys are not strings when
		// it reads a request: such a map is empty to its matchers.
		r.problem(k, construct, "%s on the entries of the map field %s never matches: gripmock sees no entries in a map whose keys are not strings", strategy, fd.Name())
		return
	}
	vd := fd.MapValue()
	ents := native.Map(v.Line)
	fail := false
	native.Pairs(v, func(ek, ev *yaml.Node) {
		where := construct + "." + ek.Value
		if fail {
			return
		}
		var test *yaml.Node
		switch {
		case vd.Message() != nil:
			if ev.Kind != yaml.MappingNode {
				r.problem(ev, where, "the map field %s holds messages: a value that is no mapping never matches there (name the fields inside, %s: {%s: {%s: {field: value}}})", fd.Name(), strategy, k.Value, ek.Value)
				fail = true
				return
			}
			f := r.messageFields(strategy, vd.Message(), ev, where, ignoreOrder)
			if f == nil {
				if r.failed {
					fail = true
					return
				}
				test = native.Map(ev.Line) // any message: the key is there
				native.Set(test, "present", native.Bool(ev.Line, true))
				break
			}
			test = native.Map(ev.Line)
			native.Set(test, "fields", f)
		case ev.Kind != yaml.ScalarNode:
			r.problem(ev, where, "the map field %s holds %s values: want a value, not a list or mapping", fd.Name(), vd.Kind())
			fail = true
			return
		default:
			if test = r.scalarTest(strategy, vd, ev, where); test == nil {
				fail = true
				return
			}
		}
		ents.Content = append(ents.Content, native.Str(ek.Line, ek.Value), test)
	})
	if fail {
		return
	}
	m := native.Map(v.Line)
	native.Set(m, "entries", ents)
	add(path, k, m, construct, true)
}

// messageFields translates a matcher's mapping for one message value (an
// element of a list, a map's value) into native field tests by the rules
// of strategy, as for the request's own fields; nil when it names none.
func (r *reader) messageFields(strategy string, md protoreflect.MessageDescriptor, v *yaml.Node, construct string, ignoreOrder bool) *yaml.Node {
	fields := native.Map(v.Line)
	add := func(path string, k, op *yaml.Node, construct string, _ bool) {
		if native.Get(fields, path) != nil {
			r.notYet(k, construct, fmt.Sprintf("two matchers on the field %q", path))
			return
		}
		fields.Content = append(fields.Content, native.Str(k.Line, path), op)
	}
	native.Pairs(v, func(sk, sv *yaml.Node) {
		r.field(strategy, md, sk.Value, sk, sv, construct+"."+sk.Value, ignoreOrder, add)
	})
	if len(fields.Content) == 0 {
		return nil
	}
	return fields
}

// pattern reads one matches or glob pattern as a regular expression.
func (r *reader) pattern(strategy string, e *yaml.Node, construct string) (string, bool) {
	if strategy == "glob" {
		expr, err := globRegexp(e.Value)
		if err != nil {
			r.problem(e, construct, "invalid glob pattern %q: %v", e.Value, err)
			return "", false
		}
		return expr, true
	}
	if _, err := regexp.Compile(e.Value); err != nil {
		r.problem(e, construct, "invalid regular expression %q: %v", e.Value, err)
		return "", false
	}
	return e.Value, true
}

// anyOrder is the test of one value that equals with ignoreArrayOrder
// compares whole, every list inside it in any order: fd is the field the
// value is of (an element of it when fd is a list), nil when not known. A
// value without a list of two or more inside is equal; a message with one
// is its fields, each named one by the same rule and the others absent,
// which takes the message's descriptor. nil when it cannot be written.
func (r *reader) anyOrder(fd protoreflect.FieldDescriptor, v *yaml.Node, construct string) *yaml.Node {
	op := func(name string, operand *yaml.Node) *yaml.Node {
		m := native.Map(v.Line)
		native.Set(m, name, operand)
		return m
	}
	switch {
	case v.Kind == yaml.SequenceNode:
		elems := native.Seq(v.Line)
		for i, e := range v.Content {
			t := r.anyOrder(fd, e, fmt.Sprintf("%s[%d]", construct, i))
			if t == nil {
				return nil
			}
			elems.Content = append(elems.Content, t)
		}
		return op("unordered", elems)
	case v.Kind != yaml.MappingNode:
		return v
	case innerList(v) == nil:
		return op("equal", v)
	case fd == nil || fd.Message() == nil:
		r.notYet(v, construct, "ignoreArrayOrder on a list whose elements hold lists, without the method's descriptors (give --proto or --protoset)")
		return nil
	}
	if fd.IsMap() {
		// As many entries, each value by the same rule.
		ents := native.Map(v.Line)
		for i := 0; i+1 < len(v.Content); i += 2 {
			t := r.anyOrder(fd.MapValue(), v.Content[i+1], construct+"."+v.Content[i].Value)
			if t == nil {
				return nil
			}
			ents.Content = append(ents.Content, native.Str(v.Content[i].Line, v.Content[i].Value), t)
		}
		return op("allOf", native.Seq(v.Line, op("len", native.Int(v.Line, len(v.Content)/2)), op("entries", ents)))
	}
	md := fd.Message()
	fields := native.Map(v.Line)
	named := map[protoreflect.FieldNumber]bool{}
	for i := 0; i+1 < len(v.Content); i += 2 {
		k, sv := v.Content[i], v.Content[i+1]
		sfd := fieldOf(md, k.Value)
		if sfd != nil {
			named[sfd.Number()] = true
		}
		t := r.anyOrder(sfd, sv, construct+"."+k.Value)
		if t == nil {
			return nil
		}
		fields.Content = append(fields.Content, native.Str(k.Line, k.Value), t)
	}
	for i := range md.Fields().Len() {
		if f := md.Fields().Get(i); !named[f.Number()] {
			native.Set(fields, f.JSONName(), op("absent", native.Bool(v.Line, true)))
		}
	}
	return op("fields", fields)
}

// innerList finds a list of two or more elements inside a list's elements.
func innerList(list *yaml.Node) *yaml.Node {
	var find func(n *yaml.Node, top bool) *yaml.Node
	find = func(n *yaml.Node, top bool) *yaml.Node {
		if n.Kind == yaml.SequenceNode && !top && len(n.Content) > 1 {
			return n
		}
		for _, c := range n.Content {
			if f := find(c, false); f != nil {
				return f
			}
		}
		return nil
	}
	return find(list, true)
}

// unquotedTemplate reports a {{ ... }} written unquoted in a matcher's
// value, which YAML parses as a mapping with a mapping for a key.
func unquotedTemplate(v *yaml.Node) bool {
	if v.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(v.Content); i += 2 {
			if v.Content[i].Kind != yaml.ScalarNode {
				return true
			}
		}
	}
	for _, c := range v.Content {
		if unquotedTemplate(c) {
			return true
		}
	}
	return false
}

func fieldKind(fd protoreflect.FieldDescriptor) string {
	if fd.IsList() {
		return "repeated " + fd.Kind().String()
	}
	return fd.Kind().String()
}

// fieldOf finds a field by its .proto or JSON name, nil when md is nil or
// has no such field (expect names the nearest one at load).
func fieldOf(md protoreflect.MessageDescriptor, name string) protoreflect.FieldDescriptor {
	if md == nil {
		return nil
	}
	if fd := md.Fields().ByName(protoreflect.Name(name)); fd != nil {
		return fd
	}
	return md.Fields().ByJSONName(name)
}

func (r *reader) headerBlock(b *yaml.Node, where string) (alt, bool) {
	var a alt
	md := native.Map(b.Line)
	add := func(k *yaml.Node, v *yaml.Node, construct string) {
		key := strings.ToLower(k.Value)
		if native.Get(md, key) != nil {
			r.notYet(k, construct, fmt.Sprintf("two matchers on the header %q", key))
			return
		}
		md.Content = append(md.Content, native.Str(k.Line, key), v)
		a.specificity++
	}
	for _, strategy := range []string{"equals", "contains", "matches", "glob"} {
		m := native.Get(b, strategy)
		if native.IsNull(m) {
			continue
		}
		construct := where + "." + strategy
		if m.Kind != yaml.MappingNode {
			r.problem(m, construct, "want a mapping of header names to values")
			return alt{}, false
		}
		native.Pairs(m, func(k, v *yaml.Node) {
			c := construct + "." + k.Value
			if v.Kind != yaml.ScalarNode {
				r.problem(v, c, "want a string")
				return
			}
			switch strategy {
			case "equals", "contains":
				// gripmock joins a header's values with ";".
				if strings.Contains(v.Value, ";") {
					list := native.Seq(v.Line)
					for _, part := range strings.Split(v.Value, ";") {
						list.Content = append(list.Content, native.Str(v.Line, strings.TrimSpace(part)))
					}
					add(k, list, c)
					return
				}
				add(k, native.Str(v.Line, v.Value), c)
			case "matches":
				if _, err := regexp.Compile(v.Value); err != nil {
					r.problem(v, c, "invalid regular expression %q: %v", v.Value, err)
					return
				}
				rx := native.Map(v.Line)
				native.Set(rx, "regex", native.Str(v.Line, v.Value))
				add(k, rx, c)
			case "glob":
				expr, err := globRegexp(v.Value)
				if err != nil {
					r.problem(v, c, "invalid glob pattern %q: %v", v.Value, err)
					return
				}
				rx := native.Map(v.Line)
				native.Set(rx, "regex", native.Str(v.Line, expr))
				add(k, rx, c)
			}
		})
	}
	if r.failed {
		return alt{}, false
	}
	if len(md.Content) > 0 {
		a.metadata = md
	}
	return a, true
}

// isDefault reports whether a value is what an unset proto field reads as.
func isDefault(v *yaml.Node) bool {
	switch v.Kind {
	case yaml.ScalarNode:
		if v.Tag == "!!null" {
			return true
		}
		switch v.Tag {
		case "!!str":
			return v.Value == ""
		case "!!bool":
			return v.Value == "false"
		case "!!int", "!!float":
			return strings.Trim(v.Value, "0.+-") == "" || v.Value == "0e0"
		}
	case yaml.MappingNode, yaml.SequenceNode:
		return len(v.Content) == 0
	}
	return false
}

// globRegexp turns a path.Match pattern into an anchored regular
// expression: * is any run of characters but /, ? one character but /,
// [...] a class ([!...] negated), \ escapes.
func globRegexp(glob string) (string, error) {
	var b strings.Builder
	b.WriteString("^")
	for i := 0; i < len(glob); i++ {
		c := glob[i]
		switch c {
		case '*':
			b.WriteString("[^/]*")
		case '?':
			b.WriteString("[^/]")
		case '\\':
			if i+1 >= len(glob) {
				return "", fmt.Errorf("trailing backslash")
			}
			i++
			b.WriteString(regexp.QuoteMeta(string(glob[i])))
		case '[':
			end := strings.IndexByte(glob[i+1:], ']')
			if end < 0 {
				return "", fmt.Errorf("unclosed [")
			}
			class := glob[i+1 : i+1+end]
			if strings.HasPrefix(class, "!") || strings.HasPrefix(class, "^") {
				class = "^/" + class[1:]
			}
			b.WriteString("[" + strings.ReplaceAll(class, `\`, `\\`) + "]")
			i += end + 1
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString("$")
	expr := b.String()
	if _, err := regexp.Compile(expr); err != nil {
		return "", err
	}
	return expr, nil
}

func fieldKindText(fd protoreflect.FieldDescriptor) string {
	if fd.IsMap() {
		return "map"
	}
	return fd.Kind().String()
}
