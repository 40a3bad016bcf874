package wiremock

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/grpcdouble/grpcdouble/stubformat/internal/native"
)

// WireMock's matchesJsonPath reads the request as the extension prints it
// (protojson, zero fields left out) with Jayway's JsonPath. A string
// expression matches when it finds a value that is neither null nor an
// empty list or object; the object form {"expression", "equalTo" |
// "contains" | "matches" | "absent"} matches when one of the values found
// (each element, when it finds a list) passes. Both are translated into
// native field tests: alternatives, one of which must hold, each tests of
// the request's fields all of which must.

// segKind is the kind of one step of a JSON path.
type segKind int

const (
	segField  segKind = iota // .name or ['name']
	segIndex                 // [N]
	segAll                   // [*]
	segFilter                // [?(...)]
	segDeep                  // ..name
	segFunc                  // .length() (.size()), .sum() and the other aggregations
	segPicks                 // a slice [a:b] or a union [0,1]: some of a list's elements
	segNames                 // a union of names ['a','b']
)

type pathSeg struct {
	kind  segKind
	name  string // a field's, or a function's (size() is length())
	index int
	alts  [][]cond // a filter: alternatives (||) of conditions (&&)
	// last: [-1] stands for last(), which Jayway finds only in a list of
	// two elements or more (it takes the index from the end to be > 0).
	last  bool
	picks []pick   // a slice's or a union's elements
	names []string // a union's names
}

// cond is a filter's condition: @.a.b OP value, @ OP value, or @.a.b (set),
// the path maybe ending in a function (@.tags.length() > 2).
type cond struct {
	path []string // nil: @, the value filtered itself
	fn   string   // the function the path ends in, or ""
	op   string   // "" when the condition is that the path is set
	lit  string
	not  bool // the condition negated (!)
}

var (
	identRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*`)
	condRe  = regexp.MustCompile(`^@((?:\.[A-Za-z_][A-Za-z0-9_]*)*)(\(\))?\s*(?:(==|>=|<=|>|<|=~)\s*(.+?))?$`)
)

// parseJSONPath cuts a JSON path into its steps; what the reader does not
// translate is an error saying what.
func parseJSONPath(expr string) ([]pathSeg, error) {
	s := strings.TrimSpace(expr)
	if !strings.HasPrefix(s, "$") {
		return nil, errors.New("a JSON path starts with $")
	}
	s = s[1:]
	var out []pathSeg
	for s != "" {
		if n := len(out); n > 0 && out[n-1].kind == segFunc {
			return nil, fmt.Errorf("%s() ends a path: it gives a number", out[n-1].name)
		}
		switch {
		case strings.HasPrefix(s, ".."):
			name := identRe.FindString(s[2:])
			if name == "" {
				return nil, fmt.Errorf("a deep scan of %q (the reader takes ..name)", s)
			}
			out = append(out, pathSeg{kind: segDeep, name: name})
			s = s[2+len(name):]
		case s[0] == '.':
			name := identRe.FindString(s[1:])
			if name == "" {
				return nil, fmt.Errorf("%q (want .name)", s)
			}
			s = s[1+len(name):]
			if strings.HasPrefix(s, "()") {
				seg, err := function(name)
				if err != nil {
					return nil, err
				}
				if len(out) > 0 && out[0].kind == segDeep {
					// Jayway reads $..a.f() as f($..a): f of every value
					// the scan finds together.
					return nil, fmt.Errorf("%s() after a path starting with a deep scan (Jayway reads $..a.%s() as %s() of all that $..a finds)", name, name, name)
				}
				out = append(out, seg)
				s = s[2:]
				continue
			}
			out = append(out, pathSeg{kind: segField, name: name})
		case s[0] == '[':
			end := closing(s)
			if end < 0 {
				return nil, fmt.Errorf("%q has no closing ]", s)
			}
			inner := strings.TrimSpace(s[1:end])
			s = s[end+1:]
			switch {
			case inner == "*":
				out = append(out, pathSeg{kind: segAll})
			case strings.HasPrefix(inner, "?(") && strings.HasSuffix(inner, ")"):
				alts, err := parseFilter(strings.TrimSpace(inner[2 : len(inner)-1]))
				if err != nil {
					return nil, err
				}
				out = append(out, pathSeg{kind: segFilter, alts: alts})
			case quotedName(inner) != "":
				out = append(out, pathSeg{kind: segField, name: quotedName(inner)})
			case strings.Contains(inner, ":"):
				seg, err := slice(inner)
				if err != nil {
					return nil, err
				}
				out = append(out, seg)
			case strings.Contains(inner, ","):
				seg, err := union(inner)
				if err != nil {
					return nil, err
				}
				out = append(out, seg)
			default:
				n, err := strconv.Atoi(inner)
				if err != nil {
					return nil, fmt.Errorf("[%s] (the reader takes [N], [*], ['name'], [?(filter)], slices [a:b] and unions [0,1], ['a','b'], not scripts)", inner)
				}
				out = append(out, pathSeg{kind: segIndex, index: n})
			}
		default:
			return nil, fmt.Errorf("%q", s)
		}
	}
	return out, nil
}

// closing finds the ] that closes the [ s starts with, past quoted text
// and nested brackets and parentheses (a regular expression's [a-z]).
func closing(s string) int {
	depth := 0
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case inQuote(s, &i, &quote):
		case c == '[' || c == '(':
			depth++
		case c == ']' || c == ')':
			depth--
			if depth == 0 && c == ']' {
				return i
			}
		}
	}
	return -1
}

// inQuote reports whether s[*i] is inside quoted text (or opens or
// closes it), moving past an escaped character; quote is the open quote.
func inQuote(s string, i *int, quote *byte) bool {
	c := s[*i]
	switch {
	case *quote != 0:
		if c == '\\' {
			*i++
		} else if c == *quote {
			*quote = 0
		}
		return true
	case c == '\'' || c == '"':
		*quote = c
		return true
	}
	return false
}

// splitTop cuts s at sep where sep stands outside parentheses, quoted
// text and a regular expression literal (/.../ after =~).
func splitTop(s, sep string) []string {
	var out []string
	var quote byte
	start, depth := 0, 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case inQuote(s, &i, &quote):
		case c == '/' && strings.HasSuffix(strings.TrimSpace(s[:i]), "=~"):
			quote = '/'
		case c == '(':
			depth++
		case c == ')':
			depth--
		case depth == 0 && strings.HasPrefix(s[i:], sep):
			out = append(out, s[start:i])
			i += len(sep) - 1
			start = i + 1
		}
	}
	return append(out, s[start:])
}

// parseFilter reads a filter's expression into alternatives (||) of
// conditions (&&): && binds tighter, as in Jayway; parentheses group, and
// ! negates what follows it (!@.a: a is not set), pushed down to the
// conditions (not (a and b) is not a or not b).
func parseFilter(text string) ([][]cond, error) {
	return filterAlts(strings.TrimSpace(text), false, 0)
}

func filterAlts(text string, neg bool, depth int) ([][]cond, error) {
	if depth > 32 {
		return nil, errors.New("a filter nested more than 32 deep")
	}
	all := func(parts []string, and bool) ([][]cond, error) {
		var out [][]cond
		for i, part := range parts {
			alts, err := filterAlts(strings.TrimSpace(part), neg, depth+1)
			if err != nil {
				return nil, err
			}
			switch {
			case !and || i == 0:
				out = append(out, alts...)
			default:
				var both [][]cond
				for _, a := range out {
					for _, b := range alts {
						both = append(both, append(append([]cond{}, a...), b...))
					}
				}
				out = both
			}
			if len(out) > maxAlternatives {
				return nil, unsupported("a filter of more than %d alternatives", maxAlternatives)
			}
		}
		return out, nil
	}
	if parts := splitTop(text, "||"); len(parts) > 1 {
		return all(parts, neg) // not (a or b) is not a and not b
	}
	if parts := splitTop(text, "&&"); len(parts) > 1 {
		return all(parts, !neg)
	}
	if rest, ok := strings.CutPrefix(text, "!"); ok {
		rest = strings.TrimSpace(rest)
		if strings.HasPrefix(rest, "@") {
			c, err := filterCond(rest)
			if err != nil {
				return nil, err
			}
			if c.op != "" {
				return nil, fmt.Errorf("the filter condition %q (! before @ negates @.field being set: write !(%s))", text, rest)
			}
			c.not = !neg
			return [][]cond{{c}}, nil
		}
		return filterAlts(rest, !neg, depth+1)
	}
	if strings.HasPrefix(text, "(") && strings.HasSuffix(text, ")") {
		return filterAlts(strings.TrimSpace(text[1:len(text)-1]), neg, depth+1)
	}
	c, err := filterCond(text)
	if err != nil {
		return nil, err
	}
	c.not = neg
	return [][]cond{{c}}, nil
}

func filterCond(text string) (cond, error) {
	m := condRe.FindStringSubmatch(text)
	if m == nil {
		return cond{}, fmt.Errorf("the filter condition %q (want @.field OP value, OP one of == < <= > >= =~, or @.field, joined by && and ||, grouped by parentheses, negated by !; @.field may end in a function, @.tags.length())", text)
	}
	var path []string
	if m[1] != "" {
		path = strings.Split(strings.TrimPrefix(m[1], "."), ".")
	}
	c := cond{path: path, op: m[3], lit: m[4]}
	if m[2] != "" {
		if len(path) == 0 {
			return cond{}, fmt.Errorf("the filter condition %q: a function after @. (@.length())", text)
		}
		c.fn, c.path = path[len(path)-1], path[:len(path)-1]
		if len(c.path) == 0 {
			c.path = nil
		}
		if !numberFuncs[c.fn] {
			return cond{}, fmt.Errorf("the function %s() in the filter condition %q (a filter takes length(), size(), min(), max(), avg(), sum() and stddev())", c.fn, text)
		}
		if c.op == "" || c.op == "=~" {
			return cond{}, fmt.Errorf("the filter condition %q (compare %s() with a number: == < <= > >=)", text, c.fn)
		}
	}
	return c, nil
}

// pathErr is why a JSON path cannot be translated: never (it never
// matches a request of the method), or not supported yet.
type pathErr struct {
	never bool
	msg   string
}

func (e *pathErr) Error() string { return e.msg }

func unsupported(format string, args ...any) error {
	return &pathErr{msg: fmt.Sprintf(format, args...)}
}

func never(format string, args ...any) error {
	return &pathErr{never: true, msg: fmt.Sprintf(format, args...)}
}

// conj is field tests that must all hold.
type conj []fieldTest

// maxAlternatives bounds the alternatives a JSON path (or several) make:
// a deep scan of a big message could make many.
const maxAlternatives = 64

// pos is where a JSON path has got to in the request: a field's value,
// one element of a list, or the request itself.
type pos struct {
	path  string // the native path to the value ("" at the request, or at the element being tested)
	fd    protoreflect.FieldDescriptor
	md    protoreflect.MessageDescriptor // the value's message type, when it is a message
	elem  bool                           // the value is one element of the list fd (or a value of the map fd)
	known bool                           // the types are known (the method's descriptors)
}

func (p pos) list() bool  { return p.fd != nil && !p.elem && p.fd.IsList() }
func (p pos) isMap() bool { return p.fd != nil && !p.elem && p.fd.IsMap() }

// message reports whether the value is a message the path can read
// fields of (unknown types are taken for one).
func (p pos) message() bool {
	return !p.known || (p.md != nil && !p.list() && !p.isMap() && !wellKnown(p.md))
}

func wellKnown(md protoreflect.MessageDescriptor) bool {
	return strings.HasPrefix(string(md.FullName()), "google.protobuf.")
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// elemPos is the position of one element of the list (value of the map)
// at p, tested on its own.
func elemPos(p pos) pos {
	e := pos{fd: p.fd, elem: true, known: p.known}
	switch {
	case p.fd == nil:
	case p.fd.IsMap():
		e.md = p.fd.MapValue().Message()
	default:
		e.md = p.fd.Message()
	}
	return e
}

// pathTr translates one JSON path.
type pathTr struct {
	lf   *yaml.Node // the object form's operator (equalTo, ...) on the value found; nil for the string form
	kind string     // the object form's matcher
	line int
	// indefinite: the path went through [*], a filter or a deep scan, so
	// it finds a list of values.
	indefinite bool
	// negate: absent on an indefinite path, translated as the path
	// finding nothing, the tests then negated.
	negate bool
}

// translate is the alternatives of field tests the path makes from p.
func (t *pathTr) translate(segs []pathSeg, p pos) ([]conj, error) {
	alts, err := t.walk(segs, p)
	if err != nil || !t.negate {
		return alts, err
	}
	return negate(alts, t.line)
}

// negate is the alternatives that hold when none of alts does: each
// alternative has a test that fails (not (a and b) or not c is
// (not a or not b) and not c), made alternatives again.
func negate(alts []conj, line int) ([]conj, error) {
	out := []conj{{}}
	for _, a := range alts {
		if len(a) == 0 {
			return nil, never("absent on a path that finds a value in every request")
		}
		var ors []conj
		for _, ft := range a {
			if ft.path == "" {
				return nil, unsupported("absent on a test of the request itself")
			}
			ors = append(ors, conj{{path: ft.path, op: notOp(ft.op, line)}})
		}
		var err error
		if out, err = cross(out, ors); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// notOp is the operator that holds where op fails.
func notOp(op *yaml.Node, line int) *yaml.Node {
	n := native.Map(line)
	if len(op.Content) == 2 && op.Content[1].Value == "true" {
		switch op.Content[0].Value {
		case "present":
			native.Set(n, "absent", native.Bool(line, true))
			return n
		case "absent":
			native.Set(n, "present", native.Bool(line, true))
			return n
		}
	}
	native.Set(n, "not", op)
	return n
}

func (t *pathTr) walk(segs []pathSeg, p pos) ([]conj, error) {
	if len(segs) == 0 {
		return t.leaf(p)
	}
	s, rest := segs[0], segs[1:]
	switch s.kind {
	case segField:
		switch {
		case p.isMap():
			// A map is a JSON object: .key is its value.
			v := elemPos(p)
			v.path, v.elem = p.path+"["+s.name+"]", true
			return t.walk(rest, v)
		case p.list():
			return nil, unsupported(".%s on the list %s (write %s[*].%s or %s[0].%s)", s.name, p.path, p.path, s.name, p.path, s.name)
		case !p.message():
			return nil, never("%s is a %s, which has no field %s", p.path, kind(p), s.name)
		case !p.known:
			return t.walk(rest, pos{path: join(p.path, s.name)})
		}
		fd := field(p.md, s.name)
		if fd == nil {
			return nil, never("%s has no field %q", p.md.FullName(), s.name)
		}
		next := pos{path: join(p.path, s.name), fd: fd, known: true}
		if !fd.IsList() && !fd.IsMap() {
			next.md = fd.Message()
		}
		return t.walk(rest, next)
	case segIndex:
		if p.known && !p.list() {
			return nil, never("%s is not a list", nonEmpty(p.path))
		}
		e := elemPos(p)
		e.path = fmt.Sprintf("%s[%d]", p.path, s.index)
		if s.last && p.path == "" {
			return nil, unsupported("last() of the request")
		}
		more, err := t.walk(rest, e)
		if err != nil || !s.last {
			return more, err
		}
		// last() of a list of one element fails in Jayway.
		two := native.Map(t.line)
		atLeast := native.Map(t.line)
		native.Set(atLeast, "gte", native.Int(t.line, 2))
		native.Set(two, "len", atLeast)
		return cross([]conj{{{path: p.path, op: two}}}, more)
	case segAll:
		switch {
		case !p.known || p.list() || p.isMap():
			// A map is a JSON object: [*] finds its values.
			t.indefinite = true
			return t.some(p, nil, rest)
		case p.md != nil && wellKnown(p.md):
			return nil, unsupported("[*] on %s, a %s", nonEmpty(p.path), p.md.FullName())
		case p.md != nil:
			t.indefinite = true
			return t.fieldValues(p, rest)
		}
		return nil, never("[*] on %s, a %s, finds nothing (it takes a list or an object)", p.path, kind(p))
	case segFilter:
		t.indefinite = true
		if p.list() || (!p.known && p.path != "" && scalarConds(s.alts)) {
			return t.some(p, s.alts, rest)
		}
		if !p.known && p.path != "" {
			return nil, unsupported("a filter on %s, which may be a list or a message: it takes the method's descriptors (--proto or --protoset) to convert", p.path)
		}
		if !p.message() {
			return nil, never("%s is a %s, not a list or a message to filter", nonEmpty(p.path), kind(p))
		}
		// A filter on a message tests the message itself.
		conds, err := t.conds(s.alts, p)
		if err != nil {
			return nil, err
		}
		more, err := t.walk(rest, p)
		if err != nil {
			return nil, err
		}
		return cross(conds, more)
	case segDeep:
		if !p.known {
			return nil, unsupported("a deep scan (..%s) takes the method's descriptors (--proto or --protoset) to convert", s.name)
		}
		t.indefinite = true
		alts, err := t.deep(s.name, rest, p, map[protoreflect.FullName]bool{})
		if err != nil {
			return nil, err
		}
		if len(alts) == 0 {
			return nil, never("no field of %s, at any depth, is called %s", nonEmpty(p.path), s.name)
		}
		return alts, nil
	case segFunc:
		return t.function(s.name, p)
	case segPicks:
		return t.picks(s, rest, p)
	case segNames:
		return t.names(s, rest, p)
	}
	return nil, unsupported("the path")
}

func nonEmpty(path string) string {
	if path == "" {
		return "the request"
	}
	return path
}

func kind(p pos) string {
	if p.fd == nil {
		return "message"
	}
	if p.elem {
		return "element of a " + fieldKindText(p.fd)
	}
	return fieldKindText(p.fd)
}

func fieldKindText(fd protoreflect.FieldDescriptor) string {
	k := fd.Kind().String()
	switch {
	case fd.Message() != nil:
		k = string(fd.Message().FullName())
	case fd.Enum() != nil:
		k = string(fd.Enum().FullName())
	}
	switch {
	case fd.IsMap():
		return "map"
	case fd.IsList():
		return "repeated " + k
	}
	return k
}

func field(md protoreflect.MessageDescriptor, name string) protoreflect.FieldDescriptor {
	if fd := md.Fields().ByJSONName(name); fd != nil {
		return fd
	}
	return md.Fields().ByName(protoreflect.Name(name))
}

// scalarConds reports whether every condition tests the value itself (@).
func scalarConds(alts [][]cond) bool {
	for _, a := range alts {
		for _, c := range a {
			if c.path != nil {
				return false
			}
		}
	}
	return true
}

// some makes the test that some element of the list at p passes the
// filter's conditions (none for [*]) and the rest of the path.
func (t *pathTr) some(p pos, filter [][]cond, rest []pathSeg) ([]conj, error) {
	e := elemPos(p)
	alts := []conj{{}}
	if filter != nil {
		var err error
		if alts, err = t.conds(filter, e); err != nil {
			return nil, err
		}
	}
	more, err := t.walk(rest, e)
	if err != nil {
		return nil, err
	}
	if alts, err = cross(alts, more); err != nil {
		return nil, err
	}
	op := native.Map(t.line)
	switch x := elementOp(alts, e, t.line); {
	case x == nil:
		native.Set(op, "present", native.Bool(t.line, true))
	case p.list() && len(x.Content) == 2 && x.Content[0].Value == "equal" && x.Content[1].Kind == yaml.ScalarNode:
		native.Set(op, "contains", x.Content[1])
	default:
		native.Set(op, "someElement", x)
	}
	return []conj{{{path: p.path, op: op}}}, nil
}

// elementOp is the operator on one element that alternatives of tests on
// it make: on the element itself (path ""), or on its fields; nil when one
// alternative tests nothing, so any element passes.
func elementOp(alts []conj, e pos, line int) *yaml.Node {
	var ops []*yaml.Node
	for _, a := range alts {
		if len(a) == 0 {
			return nil
		}
		self := native.Map(line)
		fields := native.Map(line)
		for _, ft := range a {
			if ft.path == "" {
				mergeOp(self, ft.op)
				continue
			}
			mergeTest(fields, ft)
		}
		if len(fields.Content) > 0 {
			native.Set(self, "fields", fields)
		}
		ops = append(ops, self)
	}
	if len(ops) == 1 {
		return ops[0]
	}
	any := native.Map(line)
	native.Set(any, "anyOf", native.Seq(line, ops...))
	return any
}

// cross makes every alternative of a with every one of b: both must hold.
func cross(a, b []conj) ([]conj, error) {
	if len(a)*len(b) > maxAlternatives {
		return nil, unsupported("more than %d alternatives", maxAlternatives)
	}
	var out []conj
	for _, x := range a {
		for _, y := range b {
			out = append(out, append(append(conj{}, x...), y...))
		}
	}
	return out, nil
}

// conds translates a filter's conditions on the value at p.
func (t *pathTr) conds(alts [][]cond, p pos) ([]conj, error) {
	var out []conj
	for _, a := range alts {
		var c conj
		for _, x := range a {
			ft, ok, err := t.cond(x, p)
			if err != nil {
				return nil, err
			}
			if ok {
				c = append(c, ft)
			}
		}
		out = append(out, c)
	}
	return out, nil
}

// cond translates one condition; ok is false when it tests nothing (@ on
// an element the path found).
func (t *pathTr) cond(c cond, p pos) (fieldTest, bool, error) {
	ft, ok, err := t.positive(c, p)
	var pe *pathErr
	switch {
	case !c.not:
		return ft, ok, err
	case errors.As(err, &pe) && pe.never:
		return fieldTest{}, false, fmt.Errorf("!: %v, so its negation holds for every request (drop the condition)", err)
	case err != nil:
		return fieldTest{}, false, err
	case !ok:
		return fieldTest{}, false, never("!@ never holds: the value filtered is there")
	}
	ft.op = notOp(ft.op, t.line)
	return ft, true, nil
}

// positive translates the condition c without its !.
func (t *pathTr) positive(c cond, p pos) (fieldTest, bool, error) {
	target, path := p, p.path
	for _, name := range c.path {
		switch {
		case !target.known:
			target = pos{}
		case !target.message():
			return fieldTest{}, false, never("the filter's @.%s: %s is a %s", strings.Join(c.path, "."), nonEmpty(path), kind(target))
		default:
			fd := field(target.md, name)
			if fd == nil {
				return fieldTest{}, false, never("%s has no field %q", target.md.FullName(), name)
			}
			target = pos{fd: fd, known: true}
			if !fd.IsList() && !fd.IsMap() {
				target.md = fd.Message()
			}
		}
		path = join(path, name)
	}
	if c.fn != "" {
		at := target
		at.path = path
		if isLength(c.fn) && !countable(at) {
			return fieldTest{}, false, never("%s() of %s, a %s, is null (Jayway counts a list's elements or an object's keys), so %s %s never holds", c.fn, nonEmpty(path), kind(at), c.op, c.lit)
		}
		op, err := t.funcOp(c.fn, at, c.op, c.lit, false)
		if err != nil {
			return fieldTest{}, false, err
		}
		return fieldTest{path: path, op: op}, true, nil
	}
	if c.path == nil && c.op != "" && p.known && p.message() {
		return fieldTest{}, false, never("@ %s %s compares a message with a value", c.op, c.lit)
	}
	op := native.Map(t.line)
	if c.op == "" {
		if c.path == nil {
			return fieldTest{}, false, nil
		}
		native.Set(op, "present", native.Bool(t.line, true))
		return fieldTest{path: path, op: op}, true, nil
	}
	if target.known && (target.list() || target.isMap() || (target.md != nil && !target.elem)) && c.op != "" {
		return fieldTest{}, false, never("@%s %s %s compares a %s with a value", dotted(c.path), c.op, c.lit, kind(target))
	}
	x, err := comparison(c.op, c.lit, t.line, target)
	if err != nil {
		return fieldTest{}, false, err
	}
	return fieldTest{path: path, op: x}, true, nil
}

func dotted(path []string) string {
	if len(path) == 0 {
		return ""
	}
	return "." + strings.Join(path, ".")
}

// comparison is a filter's OP value as an operator on the value at p.
// Jayway compares a number with a number and a string with a string for
// < <= > >= (strings as Java's compareTo, which is native's order but
// for characters past U+FFFF), and == takes a number and its text for
// equal; an int64's JSON is a string.
func comparison(cmp, lit string, line int, p pos) (*yaml.Node, error) {
	op := native.Map(line)
	if cmp == "=~" {
		if len(lit) < 2 || !strings.HasPrefix(lit, "/") || !strings.HasSuffix(lit, "/") {
			return nil, fmt.Errorf("want =~ /regular expression/, got %s", lit)
		}
		re := lit[1 : len(lit)-1]
		if _, err := regexp.Compile(re); err != nil {
			return nil, fmt.Errorf("invalid regular expression %q: %v", re, err)
		}
		// Jayway's =~ matches the whole value.
		native.Set(op, "regex", native.Str(line, "^(?:"+re+")$"))
		return op, nil
	}
	v, err := operand(lit, line)
	if err != nil {
		return nil, err
	}
	got := ""
	if p.known && p.fd != nil {
		got = jsonKind(p.fd)
		if p.elem {
			got = elemJSONKind(p.fd)
		}
	}
	want := map[string]string{"!!str": "string", "!!bool": "boolean", "!!int": "number", "!!float": "number"}[v.Tag]
	if cmp == "==" {
		if got == "string" && want == "number" {
			v = native.Str(line, lit) // Jayway takes 5 for "5"
		} else if got != "" && got != want && !(got == "number" && want == "string") {
			return nil, never("%s %s never matches: the field's JSON is a %s", cmp, lit, got)
		}
		native.Set(op, "equal", v)
		return op, nil
	}
	switch {
	case want == "string" && got == "":
		// Jayway compares strings with strings: an int64's JSON text too.
		return nil, unsupported("%s with a string takes the method's descriptors (--proto or --protoset) to convert", cmp)
	case want == "string" && got == "string" && valueKind(p) != protoreflect.StringKind:
		return nil, unsupported("%s with a string on a %s (Jayway compares its JSON text)", cmp, kind(p))
	case want == "string" && got != "string":
		return nil, never("%s %s never matches: the field's JSON is a %s", cmp, lit, got)
	case want != "number" && want != "string":
		return nil, unsupported("%s with a %s (the reader compares numbers and strings)", cmp, want)
	case want == "number" && got != "" && got != "number":
		return nil, never("%s %s never matches: the field's JSON is a %s", cmp, lit, got)
	}
	native.Set(op, map[string]string{">": "gt", ">=": "gte", "<": "lt", "<=": "lte"}[cmp], v)
	return op, nil
}

// valueKind is the kind of the value at p: a map's value's for one.
func valueKind(p pos) protoreflect.Kind {
	if p.elem && p.fd.IsMap() {
		return p.fd.MapValue().Kind()
	}
	return p.fd.Kind()
}

// elemJSONKind is the JSON kind of one element of a list field (one value
// of a map field).
func elemJSONKind(fd protoreflect.FieldDescriptor) string {
	if fd.IsMap() {
		return valueJSONKind(fd.MapValue())
	}
	return valueJSONKind(fd)
}

func operand(lit string, line int) (*yaml.Node, error) {
	switch {
	case len(lit) >= 2 && (lit[0] == '\'' || lit[0] == '"') && lit[len(lit)-1] == lit[0]:
		return native.Str(line, lit[1:len(lit)-1]), nil
	case lit == "true" || lit == "false":
		return native.Bool(line, lit == "true"), nil
	}
	if _, err := strconv.ParseFloat(lit, 64); err == nil {
		n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!float", Value: lit, Line: line}
		if _, err := strconv.Atoi(lit); err == nil {
			n.Tag = "!!int"
		}
		return n, nil
	}
	return nil, fmt.Errorf("want a string, number or boolean to compare with, got %s", lit)
}

// deep translates a deep scan for the field name from the message at p:
// the field at any depth, through messages, lists of messages and maps
// (a map's key is a JSON object's field too).
func (t *pathTr) deep(name string, rest []pathSeg, p pos, seen map[protoreflect.FullName]bool) ([]conj, error) {
	if p.md == nil || wellKnown(p.md) {
		return nil, nil
	}
	if seen[p.md.FullName()] {
		return nil, unsupported("a deep scan (..%s) through the recursive message %s", name, p.md.FullName())
	}
	seen[p.md.FullName()] = true
	defer delete(seen, p.md.FullName())
	var out []conj
	add := func(alts []conj) error {
		out = append(out, alts...)
		if len(out) > maxAlternatives {
			return unsupported("a deep scan (..%s) finding more than %d fields", name, maxAlternatives)
		}
		return nil
	}
	fields := p.md.Fields()
	for i := range fields.Len() {
		fd := fields.Get(i)
		at := pos{path: join(p.path, fd.JSONName()), fd: fd, known: true}
		if !fd.IsList() && !fd.IsMap() {
			at.md = fd.Message()
		}
		if fd.JSONName() == name || string(fd.Name()) == name {
			alts, err := t.walk(rest, at)
			if err := errOr(err, add(alts)); err != nil {
				return nil, err
			}
		}
		if fd.IsMap() && fd.MapKey().Kind() == protoreflect.StringKind {
			// A key of the map's JSON object may be the name.
			v := elemPos(at)
			v.path = at.path + "[" + name + "]"
			alts, err := t.walk(rest, v)
			if err := errOr(err, add(alts)); err != nil {
				return nil, err
			}
		}
		switch {
		case (fd.IsList() && fd.Message() != nil) || (fd.IsMap() && fd.MapValue().Message() != nil):
			// Inside some element of the list (value of the map).
			e := elemPos(at)
			inner, err := t.deep(name, rest, e, seen)
			if err != nil {
				return nil, err
			}
			if len(inner) > 0 {
				op := native.Map(t.line)
				if x := elementOp(inner, e, t.line); x != nil {
					native.Set(op, "someElement", x)
				} else {
					native.Set(op, "present", native.Bool(t.line, true))
				}
				if err := add([]conj{{{path: at.path, op: op}}}); err != nil {
					return nil, err
				}
			}
		case at.md != nil:
			inner, err := t.deep(name, rest, at, seen)
			if err := errOr(err, add(inner)); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

func errOr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// leaf is the test of the value the path found at p: set and not empty
// (the string form), or the object form's matcher.
func (t *pathTr) leaf(p pos) ([]conj, error) {
	one := func(op *yaml.Node) []conj { return []conj{{{path: p.path, op: op}}} }
	op := native.Map(t.line)
	if t.lf == nil {
		if p.path == "" {
			return []conj{{}}, nil // the request, or an element found: there
		}
		native.Set(op, "present", native.Bool(t.line, true))
		return one(op), nil
	}
	if t.kind == "absent" && t.indefinite {
		// WireMock's absent holds when the path finds no value (or only
		// JSON null: a google.protobuf.Value's null is never tested here).
		if p.known && p.fd != nil && nullable(p.fd) {
			return nil, unsupported("absent on a path finding a %s, which may be JSON null", kind(p))
		}
		// absent: false is the path finding a value, as the string form.
		t.negate = t.lf.Value == "true"
		return (&pathTr{line: t.line}).leaf(p)
	}
	if t.kind == "absent" {
		if p.path == "" {
			return nil, never("absent on the request itself")
		}
		if t.lf.Value == "true" {
			native.Set(op, "absent", native.Bool(t.line, true))
		} else {
			native.Set(op, "present", native.Bool(t.line, true))
		}
		return one(op), nil
	}
	if p.known && (p.fd == nil || p.isMap() || (p.md != nil && !wellKnown(p.md))) {
		return nil, unsupported("%s on %s, a message or map (WireMock compares its JSON text)", t.kind, nonEmpty(p.path))
	}
	scalar := native.Map(t.line)
	switch t.kind {
	case "equalTo":
		native.Set(scalar, "equal", native.Str(t.lf.Line, t.lf.Value))
	case "contains":
		// On a number, bool or enum: its text, as WireMock's.
		if p.known && jsonKindAt(p) != "string" {
			native.Set(scalar, "regex", native.Str(t.lf.Line, regexp.QuoteMeta(t.lf.Value)))
		} else {
			native.Set(scalar, "contains", native.Str(t.lf.Line, t.lf.Value))
		}
	case "matches":
		if _, err := regexp.Compile(t.lf.Value); err != nil {
			return nil, fmt.Errorf("invalid regular expression %q: %v", t.lf.Value, err)
		}
		native.Set(scalar, "regex", native.Str(t.lf.Line, "^(?:"+t.lf.Value+")$"))
	}
	if p.list() {
		// WireMock tests each element of a list found.
		if p.fd.Message() != nil && !wellKnown(p.fd.Message()) {
			return nil, unsupported("%s on the list of messages %s (WireMock compares each one's text)", t.kind, p.path)
		}
		native.Set(op, "someElement", scalar)
		return one(op), nil
	}
	if p.known && p.fd != nil && !p.elem {
		// The extension's JSON leaves a zero field out, where the path
		// finds nothing: only a field set is tested (present), and
		// equalTo a zero never holds where zero is never written.
		if t.kind == "equalTo" && !p.fd.HasPresence() && isZeroText(p.fd, t.lf.Value) {
			return nil, never("%s is left out of the request's JSON when zero, so equalTo %q finds nothing", p.path, t.lf.Value)
		}
		native.Set(scalar, "present", native.Bool(t.line, true))
	}
	return one(scalar), nil
}

// isZeroText reports whether text is how the JSON would write fd's zero
// value, had it been written.
func isZeroText(fd protoreflect.FieldDescriptor, text string) bool {
	switch fd.Kind() {
	case protoreflect.StringKind, protoreflect.BytesKind:
		return text == ""
	case protoreflect.BoolKind:
		return text == "false"
	case protoreflect.EnumKind:
		zero := fd.Enum().Values().ByNumber(0)
		return text == "0" || zero != nil && text == string(zero.Name())
	case protoreflect.MessageKind, protoreflect.GroupKind:
		return false
	}
	f, err := strconv.ParseFloat(text, 64)
	return err == nil && f == 0
}

// nullable reports whether the JSON of fd (of an element of it) may be
// null: google.protobuf.Value and NullValue.
func nullable(fd protoreflect.FieldDescriptor) bool {
	if fd.IsMap() {
		fd = fd.MapValue()
	}
	return (fd.Message() != nil && fd.Message().FullName() == "google.protobuf.Value") ||
		(fd.Enum() != nil && fd.Enum().FullName() == "google.protobuf.NullValue")
}

func jsonKindAt(p pos) string {
	if p.elem {
		return elemJSONKind(p.fd)
	}
	return jsonKind(p.fd)
}

// mergeOp adds the operators of b to the operator mapping a; one a holds
// already makes the two an allOf.
func mergeOp(a, b *yaml.Node) {
	for i := 0; i+1 < len(b.Content); i += 2 {
		if native.Get(a, b.Content[i].Value) != nil {
			both := native.Map(a.Line)
			native.Set(both, "allOf", native.Seq(a.Line, native.Clone(a), native.Clone(b)))
			*a = *both
			return
		}
	}
	a.Content = append(a.Content, b.Content...)
}
