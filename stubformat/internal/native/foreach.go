package native

import (
	"cmp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// ForEach gathers, by method, the rules of one native forEach step from
// foreign stubs that each answer single messages of a bidi stream (gripmock's
// bidi stubs with input, WireMock's bidi mappings): both formats match each
// message against every such stub of the method, so the stubs of a method
// become the rules of one native stub.
type ForEach struct {
	rules map[forEachKey][]Rule
	order []forEachKey
}

type forEachKey struct{ method, session string }

// Rule is one forEach rule: recv, and delay, send, status or then.
type Rule struct {
	Node   *yaml.Node
	Line   int        // the foreign stub's line
	Order  int        // as Stub.Order: a higher Order is tried first
	Method *yaml.Node // the foreign node naming the method
	// Session, when not "", is the session the rule answers in: its stub
	// has that session and holds the method's global rules too, as a
	// session's calls see both.
	Session string
}

// Add gathers a rule of the method full.
func (f *ForEach) Add(full string, r Rule) {
	if f.rules == nil {
		f.rules = map[forEachKey][]Rule{}
	}
	k := forEachKey{full, r.Session}
	if _, ok := f.rules[k]; !ok {
		f.order = append(f.order, k)
	}
	f.rules[k] = append(f.rules[k], r)
}

// Stubs makes one native stub per method (and session) gathered: a forEach
// step with its rules, best first. comment heads each stub; rankNote is its
// Stub.RankNote.
func (f *ForEach) Stubs(comment func(full, session string) string, rankNote string) []Stub {
	var out []Stub
	for _, k := range f.order {
		full := k.method
		rules := slices.Clone(f.rules[k])
		if k.session != "" {
			for _, g := range f.rules[forEachKey{method: full}] {
				g.Node = Clone(g.Node)
				rules = append(rules, g)
			}
		}
		slices.SortStableFunc(rules, func(a, b Rule) int { return cmp.Compare(b.Order, a.Order) })
		first := rules[0]
		m := Map(first.Line)
		m.HeadComment = comment(full, k.session)
		Set(m, "method", Str(first.Method.Line, full))
		if k.session != "" {
			Set(m, "session", Str(first.Line, k.session))
		}
		list := Seq(first.Line)
		for _, rl := range rules {
			list.Content = append(list.Content, rl.Node)
		}
		step := Map(first.Line)
		Set(step, "forEach", list)
		Set(m, "steps", Seq(first.Line, step))
		out = append(out, Stub{Node: m, Line: first.Line, Method: full, Order: first.Order, RankFormat: strings.ReplaceAll(rankNote, "%", "%%")})
	}
	return out
}

// Merge adds g's rules after f's, in g's order: readers of a big file's
// chunks gather in parallel, and their gatherings joined in chunk order are
// the one a single reader would have made.
func (f *ForEach) Merge(g *ForEach) {
	for _, k := range g.order {
		for _, r := range g.rules[k] {
			f.Add(k.method, r)
		}
	}
}
