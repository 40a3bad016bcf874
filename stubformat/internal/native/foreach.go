package native

import (
	"cmp"
	"slices"

	"go.yaml.in/yaml/v3"
)

// ForEach gathers, by method, the rules of one native forEach step from
// foreign stubs that each answer single messages of a bidi stream (gripmock's
// bidi stubs with input, WireMock's bidi mappings): both formats match each
// message against every such stub of the method, so the stubs of a method
// become the rules of one native stub.
type ForEach struct {
	rules map[string][]Rule
	order []string
}

// Rule is one forEach rule: recv, and delay, send, status or then.
type Rule struct {
	Node   *yaml.Node
	Line   int        // the foreign stub's line
	Order  int        // as Stub.Order: a higher Order is tried first
	Method *yaml.Node // the foreign node naming the method
}

// Add gathers a rule of the method full.
func (f *ForEach) Add(full string, r Rule) {
	if f.rules == nil {
		f.rules = map[string][]Rule{}
	}
	if _, ok := f.rules[full]; !ok {
		f.order = append(f.order, full)
	}
	f.rules[full] = append(f.rules[full], r)
}

// Stubs makes one native stub per method gathered: a forEach step with its
// rules, best first. comment heads each stub; rankNote is its Stub.RankNote.
func (f *ForEach) Stubs(comment func(full string) string, rankNote string) []Stub {
	var out []Stub
	for _, full := range f.order {
		rules := f.rules[full]
		slices.SortStableFunc(rules, func(a, b Rule) int { return cmp.Compare(b.Order, a.Order) })
		first := rules[0]
		m := Map(first.Line)
		m.HeadComment = comment(full)
		Set(m, "method", Str(first.Method.Line, full))
		list := Seq(first.Line)
		for _, rl := range rules {
			list.Content = append(list.Content, rl.Node)
		}
		step := Map(first.Line)
		Set(step, "forEach", list)
		Set(m, "steps", Seq(first.Line, step))
		out = append(out, Stub{Node: m, Line: first.Line, Method: full, Order: first.Order, RankNote: rankNote})
	}
	return out
}
