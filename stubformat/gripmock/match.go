package gripmock

import (
	"fmt"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"

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
	partial := native.Map(b.Line)
	add := func(k, v *yaml.Node, construct string) {
		if native.Get(partial, k.Value) != nil {
			r.notYet(k, construct, fmt.Sprintf("two matchers on the field %q", k.Value))
			return
		}
		partial.Content = append(partial.Content, native.Str(k.Line, k.Value), native.Clone(v))
		if !isDefault(v) {
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
		switch strategy {
		case "matches":
			native.Pairs(m, func(k, v *yaml.Node) {
				if v.Kind == yaml.ScalarNode {
					if _, err := regexp.Compile(v.Value); err != nil {
						r.problem(v, construct+"."+k.Value, "invalid regular expression %q: %v", v.Value, err)
						return
					}
				}
				r.notYet(k, construct+"."+k.Value, "a regular expression on a request field")
			})
		case "glob":
			native.Pairs(m, func(k, _ *yaml.Node) {
				r.notYet(k, construct+"."+k.Value, "a glob pattern on a request field")
			})
		case "equals":
			native.Pairs(m, func(k, v *yaml.Node) {
				c := construct + "." + k.Value
				switch {
				case isDefault(v):
					r.notYet(k, c, "equals on a zero value (\"\", 0, false, empty), which needs a field matcher")
				case v.Kind == yaml.MappingNode:
					r.notYet(k, c, "equals on a nested message, compared exactly")
				case ignoreOrder && hasList(v):
					r.notYet(k, c, "ignoreArrayOrder on a list")
				default:
					add(k, v, c)
				}
			})
		case "contains":
			native.Pairs(m, func(k, v *yaml.Node) {
				c := construct + "." + k.Value
				switch {
				case hasList(v):
					r.notYet(k, c, "contains on a list (its elements, in any order)")
				case hasDefault(v):
					r.notYet(k, c, "contains on a zero value (\"\", 0, false, empty), which needs a field matcher")
				default:
					add(k, v, c)
				}
			})
		}
	}
	if r.failed {
		return alt{}, false
	}
	if len(partial.Content) > 0 {
		a.partial = partial
	}
	return a, true
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

func hasDefault(v *yaml.Node) bool {
	if isDefault(v) {
		return true
	}
	if v.Kind == yaml.MappingNode {
		for i := 1; i < len(v.Content); i += 2 {
			if hasDefault(v.Content[i]) {
				return true
			}
		}
	}
	return false
}

func hasList(v *yaml.Node) bool {
	if v.Kind == yaml.SequenceNode {
		return true
	}
	for _, c := range v.Content {
		if hasList(c) {
			return true
		}
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
