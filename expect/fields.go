package expect

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/grpcdouble/grpcdouble/internal/protodiff"

	"github.com/grpcdouble/grpcdouble/internal/editdistance"
)

// Op is a test on one field of a message, for WithRequestField and Field:
// Eq, Regex, Contains, Prefix, Suffix, Gt, Gte, Lt, Lte, Len, Present,
// Absent, AnyOf, AllOf, Unordered, SomeElement, Fields, Entries, Not,
// and LenOf, Sum, Min, Max, Avg and Stddev on a number computed from it.
// Operands are checked against the field's type when the method's
// descriptor is known (at declaration, or when the server binds).
type Op interface{ spec() *opSpec }

type opKind int

const (
	opEq opKind = iota
	opRegex
	opContains
	opPrefix
	opSuffix
	opGt
	opGte
	opLt
	opLte
	opLen
	opPresent
	opAbsent
	opAnyOf
	opAll // several operators on one field in a stub: all must hold
	opUnordered
	opFields
	opEntries
	opSome     // some element of a list (value of a map) passes
	opIncludes // unordered, other elements besides
	opNot      // the operator it holds fails
	// Numbers computed from a list of numbers, tested by the operator
	// they hold (len, given operators, is one of these too).
	opSum
	opMin
	opMax
	opAvg
	opStddev
)

var opNames = map[opKind]string{
	opEq: "equal", opRegex: "regex", opContains: "contains", opPrefix: "prefix", opSuffix: "suffix",
	opGt: "gt", opGte: "gte", opLt: "lt", opLte: "lte", opLen: "len", opPresent: "present",
	opAbsent: "absent", opAnyOf: "anyOf", opAll: "all of", opUnordered: "unordered",
	opFields: "fields", opEntries: "entries", opSome: "someElement", opIncludes: "includes",
	opNot: "not", opSum: "sum", opMin: "min", opMax: "max", opAvg: "avg", opStddev: "stddev",
}

// opSpec is an operator before it is bound to a field: its operand is
// JSON (from a stub, or marshalled from a Go value), parsed as the field's
// type when bound.
type opSpec struct {
	kind    opKind
	operand json.RawMessage
	text    string // the operand as people read it
	re      *regexp.Regexp
	n       int
	subs    []*opSpec
	match   Matcher  // fields: what the message value must pass
	keys    []string // entries: the map key of each of subs, as text
	err     error    // a bad operand found when the Op was made
}

func (s *opSpec) spec() *opSpec { return s }

func (s *opSpec) String() string {
	switch s.kind {
	case opPresent, opAbsent:
		return opNames[s.kind]
	case opLen:
		if s.subs != nil {
			return "len(" + s.subs[0].String() + ")"
		}
	case opAnyOf, opAll, opUnordered, opSome, opIncludes, opNot, opSum, opMin, opMax, opAvg, opStddev:
		parts := make([]string, len(s.subs))
		for i, sub := range s.subs {
			parts[i] = sub.String()
		}
		if s.kind == opAll {
			return strings.Join(parts, " and ")
		}
		return opNames[s.kind] + "(" + strings.Join(parts, ", ") + ")"
	case opFields:
		return "fields(" + strings.TrimPrefix(fmt.Sprint(s.match), "with ") + ")"
	case opEntries:
		parts := make([]string, len(s.subs))
		for i, sub := range s.subs {
			parts[i] = strconv.Quote(s.keys[i]) + ": " + sub.String()
		}
		return "entries(" + strings.Join(parts, ", ") + ")"
	}
	return opNames[s.kind] + " " + s.text
}

// goOperand turns a Go value into the JSON the operand is parsed from:
// messages as protojson, times as RFC 3339, durations as protojson does.
func goOperand(kind opKind, v any) *opSpec {
	s := &opSpec{kind: kind}
	var b []byte
	var err error
	switch x := v.(type) {
	case proto.Message:
		b, err = protojson.Marshal(x)
	case time.Time:
		b, err = json.Marshal(x.UTC().Format(time.RFC3339Nano))
	case time.Duration:
		b, err = protojson.Marshal(durationpb.New(x))
	case protoreflect.Enum:
		b, err = json.Marshal(int32(x.Number()))
	default:
		b, err = json.Marshal(v)
	}
	if err != nil {
		s.err = fmt.Errorf("%s: operand %v cannot be used: %w", opNames[kind], v, err)
	}
	s.operand = b
	s.text = string(b)
	return s
}

// Eq holds when the field equals v: a number, string, bool, enum (a
// generated enum value or its name), []byte, a message, a time.Time for a
// Timestamp, a time.Duration for a Duration, or a slice for a repeated field.
// An unset field reads as its zero value.
func Eq(v any) Op { return goOperand(opEq, v) }

// Regex holds when a string field matches the regular expression; on a
// number, bool or enum field it matches the value's text (42, 1.5, true,
// an enum's name); on a repeated field, when every element does.
func Regex(expr string) Op {
	s := &opSpec{kind: opRegex, text: fmt.Sprintf("%q", expr)}
	s.re, s.err = regexp.Compile(expr)
	if s.err != nil {
		s.err = fmt.Errorf("regex %q: %w", expr, s.err)
	}
	return s
}

// Contains holds when a string field contains v as a substring, a repeated
// field has an element equal to v, or a map field has the key v.
func Contains(v any) Op { return goOperand(opContains, v) }

// Prefix holds when a string field starts with p.
func Prefix(p string) Op {
	return &opSpec{kind: opPrefix, text: fmt.Sprintf("%q", p), operand: jsonString(p)}
}

// Suffix holds when a string field ends with p.
func Suffix(p string) Op {
	return &opSpec{kind: opSuffix, text: fmt.Sprintf("%q", p), operand: jsonString(p)}
}

// Gt holds when a number, string (in byte order), Timestamp or Duration field is greater than v.
func Gt(v any) Op { return goOperand(opGt, v) }

// Gte holds when a number, string (in byte order), Timestamp or Duration field is at least v.
func Gte(v any) Op { return goOperand(opGte, v) }

// Lt holds when a number, string (in byte order), Timestamp or Duration field is less than v.
func Lt(v any) Op { return goOperand(opLt, v) }

// Lte holds when a number, string (in byte order), Timestamp or Duration field is at most v.
func Lte(v any) Op { return goOperand(opLte, v) }

// Len holds when a repeated or map field has n entries, a string field n
// characters, a bytes field n bytes, or a message n fields set (the keys
// of its JSON object).
func Len(n int) Op {
	s := &opSpec{kind: opLen, n: n, text: fmt.Sprint(n)}
	if n < 0 {
		s.err = fmt.Errorf("len %d: want 0 or more", n)
	}
	return s
}

// Present holds when the field is set. Fields with presence (oneof members,
// optional fields, messages) are set when the client set them, even to a
// zero value; other fields when not zero (repeated and map: not empty).
func Present() Op { return &opSpec{kind: opPresent} }

// Absent holds when the field is not set (see Present).
func Absent() Op { return &opSpec{kind: opAbsent} }

// AllOf holds when every one of ops holds: several tests of one field,
// such as two contains on a repeated field.
func AllOf(ops ...Op) Op { return listOp(opAll, "allOf", ops) }

// AnyOf holds when at least one of ops holds.
func AnyOf(ops ...Op) Op { return listOp(opAnyOf, "anyOf", ops) }

// Unordered holds when a repeated field has as many elements as elems and
// they pair off in any order: each element passes its own one of elems.
// An elem is an Op on one element (Eq, Regex, Gt, ...) or a value, meaning
// Eq, so Unordered("a", "b") holds for [b a] and not for [a a] or [a b c].
func Unordered(elems ...any) Op { return elemsOp(opUnordered, elems) }

// Includes holds when each of elems pairs off with its own element of a
// repeated field, in any order, other elements besides: Includes("a", "a")
// holds for [b a c a], not for [a b]. An elem is an Op on one element or a
// value, meaning Eq, as in Unordered.
func Includes(elems ...any) Op { return elemsOp(opIncludes, elems) }

// elemsOp is an operator with a test for each of elems, an Op or a value.
func elemsOp(kind opKind, elems []any) Op {
	s := &opSpec{kind: kind}
	for _, e := range elems {
		if o, ok := e.(Op); ok {
			s.subs = append(s.subs, o.spec())
			continue
		}
		s.subs = append(s.subs, goOperand(opEq, e))
	}
	return s
}

// SomeElement holds when some element of a repeated field, or some value
// of a map field, passes op: SomeElement(Gt(10)) on a list of numbers,
// SomeElement(Fields(Field("name", Eq("a")))) on a list of messages. An empty list has no element that passes.
func SomeElement(op Op) Op {
	if op == nil {
		return &opSpec{kind: opSome, err: fmt.Errorf("someElement needs an operator")}
	}
	return &opSpec{kind: opSome, subs: []*opSpec{op.spec()}}
}

// Not holds when op does not: Not(SomeElement(Prefix("sale-"))) holds
// for a list with no element so prefixed (an empty one too), Not(Eq("a"))
// for any value but a.
func Not(op Op) Op {
	if op == nil {
		return &opSpec{kind: opNot, err: fmt.Errorf("not needs an operator")}
	}
	return &opSpec{kind: opNot, subs: []*opSpec{op.spec()}}
}

// listOp is an operator over other operators, such as allOf and anyOf.
func listOp(kind opKind, name string, ops []Op) Op {
	s := &opSpec{kind: kind}
	for _, o := range ops {
		s.subs = append(s.subs, o.spec())
	}
	if len(ops) == 0 {
		s.err = fmt.Errorf("%s needs at least one operator", name)
	}
	return s
}

func jsonString(s string) json.RawMessage {
	b, _ := json.Marshal(s)
	return b
}

// fieldCheck is one path and the operator on it.
type fieldCheck struct {
	path string
	op   *opSpec
}

// fieldsMatcher matches a message by tests on single fields; all must
// hold. It binds to the message type on first use, or when the expectation
// learns its method's descriptor (then a bad path is a setup error).
type fieldsMatcher struct {
	checks []fieldCheck

	mu    sync.Mutex
	bound *boundFields // the last binding; replaced for another type
}

// Field matches a message whose field at path (names separated by dots,
// through singular message fields; JSON or .proto names; a list's element
// as items[0], or items[-1] from the end, a map's value as labels[env])
// passes op. Use it
// where a Matcher goes: RecvMatching, Messages, WithRequestMatching.
func Field(path string, op Op) Matcher {
	return &fieldsMatcher{checks: []fieldCheck{{path, op.spec()}}}
}

type boundFields struct {
	desc   protoreflect.MessageDescriptor
	checks []boundCheck
	err    error
}

type boundCheck struct {
	path string
	fds  []protoreflect.FieldDescriptor // the path, resolved
	sels []*selector                    // by step: the element a list's [i] or a map's [key] picks, or nil
	zero protoreflect.Value             // what the path reads where nothing is set
	test func(v protoreflect.Value, has bool) bool
	desc string // the operator, for people

	eqKey string // an Eq on an indexable field: the value, as an index key
	eqOK  bool
}

// bind resolves every check against md; the error names the path.
func (f *fieldsMatcher) bind(md protoreflect.MessageDescriptor) error {
	b := bindFields(f.checks, md)
	f.mu.Lock()
	f.bound = b
	f.mu.Unlock()
	return b.err
}

func bindFields(checks []fieldCheck, md protoreflect.MessageDescriptor) *boundFields {
	b := &boundFields{desc: md}
	for _, c := range checks {
		bc, err := bindCheck(c, md)
		if err != nil {
			b.err = err
			return b
		}
		b.checks = append(b.checks, bc)
	}
	return b
}

func (f *fieldsMatcher) binding(md protoreflect.MessageDescriptor) *boundFields {
	f.mu.Lock()
	b := f.bound
	f.mu.Unlock()
	if b != nil && (b.desc == md || b.desc.FullName() == md.FullName()) {
		return b
	}
	b = bindFields(f.checks, md)
	f.mu.Lock()
	f.bound = b
	f.mu.Unlock()
	return b
}

func (f *fieldsMatcher) Match(got proto.Message) bool {
	if got == nil {
		return false
	}
	m := got.ProtoReflect()
	b := f.binding(m.Descriptor())
	if b.err != nil {
		return false
	}
	for i := range b.checks {
		if !b.checks[i].eval(m) {
			return false
		}
	}
	return true
}

func (f *fieldsMatcher) String() string {
	parts := make([]string, len(f.checks))
	for i, c := range f.checks {
		parts[i] = c.path + " " + c.op.String()
	}
	return "with " + strings.Join(parts, ", ")
}

func (f *fieldsMatcher) Diff(got proto.Message) string {
	if got == nil {
		return "got no message"
	}
	m := got.ProtoReflect()
	b := f.binding(m.Descriptor())
	if b.err != nil {
		return b.err.Error()
	}
	var out []string
	for i := range b.checks {
		c := &b.checks[i]
		if !c.eval(m) {
			v, has := c.value(m)
			shown := "unset"
			if has {
				shown = c.text(v)
			}
			out = append(out, fmt.Sprintf("field %s: want %s, got %s", c.path, c.desc, shown))
		}
	}
	return strings.Join(out, "\n")
}

// value reads the field at the check's path: an unset message on the way
// (or an element past a list's end, a key a map has not) reads as empty,
// and has says whether the last field (element, value) is set.
func (c *boundCheck) value(m protoreflect.Message) (protoreflect.Value, bool) {
	for i, fd := range c.fds {
		if d := m.Descriptor(); fd.ContainingMessage() != d {
			if fd = d.Fields().ByNumber(fd.Number()); fd == nil {
				return protoreflect.Value{}, false
			}
		}
		v, has := m.Get(fd), m.Has(fd)
		if s := c.sels[i]; s != nil {
			v, has = s.pick(v)
		}
		if !has {
			// Every field below an unset message is unset, and zero.
			return c.zero, false
		}
		if i == len(c.fds)-1 {
			return v, true
		}
		m = v.Message()
	}
	return protoreflect.Value{}, false
}

// text shows the value the check read, for a diff.
func (c *boundCheck) text(v protoreflect.Value) string {
	last := len(c.fds) - 1
	fd := c.fds[last]
	switch {
	case c.sels[last] == nil:
		return valueText(fd, v)
	case fd.IsMap():
		return protodiff.Value(fd.MapValue(), v)
	}
	return protodiff.Value(fd, v)
}

// selector is a path's [i] on a list field or [key] on a map field.
type selector struct {
	index int // a list's element; below 0, counted from the end
	key   protoreflect.MapKey
	isMap bool
}

// pick reads the element the selector names from the field's value.
func (s *selector) pick(v protoreflect.Value) (protoreflect.Value, bool) {
	if s.isMap {
		x := v.Map().Get(s.key)
		return x, x.IsValid()
	}
	l := v.List()
	i := s.index
	if i < 0 {
		i += l.Len()
	}
	if i < 0 || i >= l.Len() {
		return protoreflect.Value{}, false
	}
	return l.Get(i), true
}

// parseSelector reads the text between a path step's brackets for the list
// or map field fd.
func parseSelector(fd protoreflect.FieldDescriptor, text string) (*selector, error) {
	if fd.IsList() {
		i, err := strconv.Atoi(text)
		if err != nil {
			return nil, fmt.Errorf("[%s]: want an element's index, such as [0] or [-1] (the last)", text)
		}
		return &selector{index: i}, nil
	}
	if !fd.IsMap() {
		return nil, fmt.Errorf("[%s]: %s is a %s, not a list or a map to pick from", text, fd.JSONName(), fieldKind(fd))
	}
	if len(text) >= 2 && (text[0] == '\'' || text[0] == '"') && text[len(text)-1] == text[0] {
		text = text[1 : len(text)-1]
	}
	key, err := mapKeyOf(fd.MapKey(), text)
	if err != nil {
		return nil, fmt.Errorf("[%s]: %w", text, err)
	}
	return &selector{key: key, isMap: true}, nil
}

// splitPath cuts a path into its steps at the dots outside brackets, each
// a field name and what follows it in brackets ("" for none).
func splitPath(path string) (names, sels []string, ok bool) {
	depth, start := 0, 0
	step := func(s string) bool {
		name, sel, found := strings.Cut(s, "[")
		if found {
			if !strings.HasSuffix(sel, "]") || strings.ContainsAny(sel[:len(sel)-1], "[]") {
				return false
			}
			sel = sel[:len(sel)-1]
		}
		names, sels = append(names, name), append(sels, sel)
		return name != "" && (!found || sel != "")
	}
	for i, r := range path {
		switch r {
		case '[':
			depth++
		case ']':
			depth--
		case '.':
			if depth == 0 {
				if !step(path[start:i]) {
					return nil, nil, false
				}
				start = i + 1
			}
		}
	}
	return names, sels, step(path[start:]) && depth == 0
}

func zeroValue(fd protoreflect.FieldDescriptor) protoreflect.Value {
	// The type may be the generated one of a message whose descriptor
	// came from a parsed .proto: read the field by its own descriptor.
	z := messageType(fd.ContainingMessage()).Zero()
	return z.Get(z.Descriptor().Fields().ByNumber(fd.Number()))
}

// zeroAt is what a path ending at fd reads where nothing is set: the
// field's zero value, or, for an element (a map's value) it picks, the
// element's.
func zeroAt(fd protoreflect.FieldDescriptor, picked bool) protoreflect.Value {
	if !picked {
		return zeroValue(fd)
	}
	parent := messageType(fd.ContainingMessage()).New()
	own := parent.Descriptor().Fields().ByNumber(fd.Number())
	if fd.IsMap() {
		return parent.Mutable(own).Map().NewValue()
	}
	return parent.Mutable(own).List().NewElement()
}

func (c *boundCheck) eval(m protoreflect.Message) bool {
	v, has := c.value(m)
	if !v.IsValid() {
		return false
	}
	return c.test(v, has)
}

// resolvePath finds the fields of a dotted path, JSON or .proto names,
// and the selectors of its steps ([i] on a list, [key] on a map).
func resolvePath(md protoreflect.MessageDescriptor, path string) ([]protoreflect.FieldDescriptor, []*selector, error) {
	if path == "" {
		return nil, nil, fmt.Errorf("empty field path")
	}
	parts, brackets, ok := splitPath(path)
	if !ok {
		return nil, nil, fmt.Errorf("field %s: want names joined by dots, each with at most one [index] or [key]", path)
	}
	var fds []protoreflect.FieldDescriptor
	var sels []*selector
	cur := md
	for i, name := range parts {
		fd := fieldByName(cur, name)
		if fd == nil {
			return nil, nil, fmt.Errorf("field %s: %s has no field %q%s", path, cur.FullName(), name, didYouMean(name, fieldNames(cur)))
		}
		var sel *selector
		if brackets[i] != "" {
			var err error
			if sel, err = parseSelector(fd, brackets[i]); err != nil {
				return nil, nil, fmt.Errorf("field %s: %w", path, err)
			}
		}
		fds, sels = append(fds, fd), append(sels, sel)
		if i == len(parts)-1 {
			break
		}
		switch {
		case sel != nil && fd.IsMap() && fd.MapValue().Message() != nil:
			cur = fd.MapValue().Message()
		case sel != nil && fd.IsList() && fd.Message() != nil:
			cur = fd.Message()
		case sel == nil && (fd.IsList() || fd.IsMap()):
			return nil, nil, fmt.Errorf("field %s: %s is a %s: pick an element to go through (%s[0], or [key] on a map), or test them with someElement", path, name, fieldKind(fd), name)
		case sel != nil || fd.Message() == nil:
			return nil, nil, fmt.Errorf("field %s: %s is a %s, not a message the path can go through", path, name, fieldKind(fd))
		default:
			cur = fd.Message()
		}
	}
	return fds, sels, nil
}

func fieldByName(md protoreflect.MessageDescriptor, name string) protoreflect.FieldDescriptor {
	fs := md.Fields()
	if fd := fs.ByJSONName(name); fd != nil {
		return fd
	}
	return fs.ByName(protoreflect.Name(name))
}

func fieldNames(md protoreflect.MessageDescriptor) []string {
	var out []string
	for i := range md.Fields().Len() {
		out = append(out, md.Fields().Get(i).JSONName())
	}
	return out
}

func fieldKind(fd protoreflect.FieldDescriptor) string {
	var k string
	switch {
	case fd.Message() != nil:
		k = string(fd.Message().FullName())
	case fd.Enum() != nil:
		k = string(fd.Enum().FullName())
	default:
		k = fd.Kind().String()
	}
	switch {
	case fd.IsMap():
		return "map field"
	case fd.IsList():
		return "repeated " + k
	}
	return k
}

// didYouMean suggests the nearest of names, or "".
func didYouMean(name string, names []string) string {
	best, bestD := "", 1<<30
	for _, n := range names {
		if d := editdistance.Of(strings.ToLower(name), strings.ToLower(n)); d < bestD {
			best, bestD = n, d
		}
	}
	if best == "" || bestD > max(2, len(name)/2) {
		if len(names) > 0 {
			return fmt.Sprintf(" (it has %s)", strings.Join(names, ", "))
		}
		return ""
	}
	return fmt.Sprintf(" (did you mean %s?)", best)
}

func bindCheck(c fieldCheck, md protoreflect.MessageDescriptor) (boundCheck, error) {
	fds, sels, err := resolvePath(md, c.path)
	if err != nil {
		return boundCheck{}, err
	}
	fd, picked := fds[len(fds)-1], sels[len(sels)-1] != nil
	var test func(protoreflect.Value, bool) bool
	kind := fieldKind(fd)
	switch {
	case picked && fd.IsMap():
		kind = "value of a " + kind
		test, err = bindOpOn(c.op, fd.MapValue(), atElement)
	case picked:
		kind = "element of a " + kind
		test, err = bindOpOn(c.op, fd, atElement)
	default:
		test, err = bindOp(c.op, fd)
	}
	if err != nil {
		return boundCheck{}, fmt.Errorf("field %s (%s): %w", c.path, kind, err)
	}
	bc := boundCheck{path: c.path, fds: fds, sels: sels, zero: zeroAt(fd, picked), test: test, desc: c.op.String()}
	if !slices.ContainsFunc(sels, func(s *selector) bool { return s != nil }) && c.op.kind == opEq && indexable(fd) {
		if v, err := parseOperand(fd, c.op.operand, false); err == nil {
			bc.eqKey, bc.eqOK = valueKey(fd, v), true
		}
	}
	return bc, nil
}

// parseOperand reads a JSON operand as a value of field fd (as an element
// when elem is set and fd is repeated), by parsing {"field": operand} into
// the field's message: protojson then takes care of enums by name, bytes in
// base64, Timestamps, Durations and nested messages.
func parseOperand(fd protoreflect.FieldDescriptor, raw json.RawMessage, elem bool) (protoreflect.Value, error) {
	if len(raw) == 0 {
		return protoreflect.Value{}, fmt.Errorf("no operand")
	}
	shown, kind := raw, fieldKind(fd)
	if elem && fd.IsList() {
		raw = append(append(json.RawMessage{'['}, raw...), ']')
		kind = strings.TrimPrefix(kind, "repeated ")
	}
	js := append(append([]byte(`{"`+string(fd.Name())+`":`), raw...), '}')
	parent := messageType(fd.ContainingMessage()).New()
	if err := (protojson.UnmarshalOptions{}).Unmarshal(js, parent.Interface()); err != nil {
		text := protoErrPrefix.ReplaceAllString(strings.ReplaceAll(err.Error(), "\u00a0", " "), "")
		return protoreflect.Value{}, fmt.Errorf("operand %s is not a %s: %s", shown, kind, text)
	}
	// The parent may be the generated type of a message whose descriptor
	// came from a parsed .proto: read the field by its own descriptor.
	v := parent.Get(parent.Descriptor().Fields().ByNumber(fd.Number()))
	if elem && fd.IsList() {
		if v.List().Len() != 1 {
			return protoreflect.Value{}, fmt.Errorf("operand %s: want one element", raw)
		}
		return v.List().Get(0), nil
	}
	return v, nil
}

func stringOperand(s *opSpec) (string, error) {
	var str string
	if err := json.Unmarshal(s.operand, &str); err != nil {
		return "", fmt.Errorf("%s: want a string operand, got %s", opNames[s.kind], s.operand)
	}
	return str, nil
}

// bindOp makes the test of one operator on field fd, checking the operand.
func bindOp(s *opSpec, fd protoreflect.FieldDescriptor) (func(protoreflect.Value, bool) bool, error) {
	return bindOpOn(s, fd, onField)
}

// target is what an operator tests: a field, or one element of a list
// field (or a map field's value).
type target int

const (
	onField   target = iota
	inList           // each element in turn: unordered, someElement
	atElement        // the one a path's [i] or [key] picks: present when there
)

// bindOpOn binds s to field fd, or to one element of the repeated field
// fd (to a map's value, fd being the map's MapValue), as t says.
func bindOpOn(s *opSpec, fd protoreflect.FieldDescriptor, t target) (func(protoreflect.Value, bool) bool, error) {
	if s.err != nil {
		return nil, s.err
	}
	elem := t != onField
	name := opNames[s.kind]
	list := fd.IsList() && !elem
	isString := !list && !fd.IsMap() && fd.Kind() == protoreflect.StringKind
	switch s.kind {
	case opPresent, opAbsent:
		if t == inList {
			return nil, fmt.Errorf("%s tests a field, not one element of a list", name)
		}
		if s.kind == opAbsent {
			return func(_ protoreflect.Value, has bool) bool { return !has }, nil
		}
		return func(_ protoreflect.Value, has bool) bool { return has }, nil
	case opUnordered, opIncludes:
		if !list {
			what := fieldKind(fd)
			if elem {
				what = "element of a list"
			}
			return nil, fmt.Errorf("%s works on repeated fields, not a %s", name, what)
		}
		tests := make([]func(protoreflect.Value, bool) bool, len(s.subs))
		for i, sub := range s.subs {
			t, err := bindOpOn(sub, fd, inList)
			if err != nil {
				return nil, fmt.Errorf("%s[%d]: %w", name, i, err)
			}
			tests[i] = t
		}
		exact := s.kind == opUnordered
		return func(v protoreflect.Value, _ bool) bool { return pairOff(v.List(), tests, exact) }, nil
	case opSome:
		switch {
		case list:
			test, err := bindOpOn(s.subs[0], fd, inList)
			if err != nil {
				return nil, fmt.Errorf("someElement: %w", err)
			}
			return func(v protoreflect.Value, _ bool) bool {
				l := v.List()
				for i := range l.Len() {
					if test(l.Get(i), true) {
						return true
					}
				}
				return false
			}, nil
		case fd.IsMap() && !elem:
			test, err := bindOpOn(s.subs[0], fd.MapValue(), inList)
			if err != nil {
				return nil, fmt.Errorf("someElement: %w", err)
			}
			return func(v protoreflect.Value, _ bool) bool {
				found := false
				v.Map().Range(func(_ protoreflect.MapKey, x protoreflect.Value) bool {
					found = test(x, true)
					return !found
				})
				return found
			}, nil
		}
		return nil, fmt.Errorf("someElement works on repeated and map fields")
	case opNot:
		test, err := bindOpOn(s.subs[0], fd, t)
		if err != nil {
			return nil, fmt.Errorf("not: %w", err)
		}
		return func(v protoreflect.Value, has bool) bool { return !test(v, has) }, nil
	case opAnyOf, opAll:
		tests := make([]func(protoreflect.Value, bool) bool, len(s.subs))
		for i, sub := range s.subs {
			t, err := bindOpOn(sub, fd, t)
			if err != nil {
				return nil, err
			}
			tests[i] = t
		}
		if s.kind == opAll {
			return func(v protoreflect.Value, has bool) bool {
				for _, t := range tests {
					if !t(v, has) {
						return false
					}
				}
				return true
			}, nil
		}
		return func(v protoreflect.Value, has bool) bool {
			for _, t := range tests {
				if t(v, has) {
					return true
				}
			}
			return false
		}, nil
	case opFields:
		if fd.IsMap() || fd.Message() == nil {
			what := fieldKind(fd)
			if elem {
				what = "element of a list of " + strings.TrimPrefix(what, "repeated ")
			}
			return nil, fmt.Errorf("fields works on message fields, lists of messages and a map's message values (in entries), not a %s", what)
		}
		for _, b := range binders(s.match) {
			if err := b.bind(fd.Message()); err != nil {
				return nil, fmt.Errorf("fields: %w", err)
			}
		}
		m := s.match
		if list {
			// Every element passes (an empty list too: pair it with len).
			return func(v protoreflect.Value, _ bool) bool {
				l := v.List()
				for i := range l.Len() {
					if !m.Match(l.Get(i).Message().Interface()) {
						return false
					}
				}
				return true
			}, nil
		}
		return func(v protoreflect.Value, _ bool) bool { return m.Match(v.Message().Interface()) }, nil
	case opEntries:
		if !fd.IsMap() {
			what := fieldKind(fd)
			if elem {
				what = "element of a list"
			}
			return nil, fmt.Errorf("entries works on map fields, not a %s", what)
		}
		keys := make([]protoreflect.MapKey, len(s.subs))
		tests := make([]func(protoreflect.Value, bool) bool, len(s.subs))
		for i, sub := range s.subs {
			k, err := mapKeyOf(fd.MapKey(), s.keys[i])
			if err != nil {
				return nil, fmt.Errorf("entries: %w", err)
			}
			t, err := bindOpOn(sub, fd.MapValue(), onField)
			if err != nil {
				return nil, fmt.Errorf("entries[%s]: %w", strconv.Quote(s.keys[i]), err)
			}
			keys[i], tests[i] = k, t
		}
		return func(v protoreflect.Value, _ bool) bool {
			m := v.Map()
			for i, k := range keys {
				ev := m.Get(k)
				if !ev.IsValid() || !tests[i](ev, true) {
					return false
				}
			}
			return true
		}, nil
	case opEq:
		want, err := parseOperand(fd, s.operand, elem)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if elem {
			return func(v protoreflect.Value, _ bool) bool { return elemEqual(fd, want, v) }, nil
		}
		return func(v protoreflect.Value, _ bool) bool { return valuesEqual(fd, want, v) }, nil
	case opRegex:
		re := s.re
		if isString {
			return func(v protoreflect.Value, _ bool) bool { return re.MatchString(v.String()) }, nil
		}
		if list {
			// Every element matches (an empty list too: pair it with len).
			text := scalarText(fd)
			if fd.Kind() == protoreflect.StringKind {
				text = func(v protoreflect.Value) string { return v.String() }
			}
			if text == nil {
				return nil, fmt.Errorf("regex works on string, number, bool, enum and bytes fields, and lists of them")
			}
			return func(v protoreflect.Value, _ bool) bool {
				l := v.List()
				for i := range l.Len() {
					if !re.MatchString(text(l.Get(i))) {
						return false
					}
				}
				return true
			}, nil
		}
		text := scalarText(fd)
		if text == nil {
			return nil, fmt.Errorf("regex works on string, number, bool, enum and bytes fields, and lists of them")
		}
		return func(v protoreflect.Value, _ bool) bool { return re.MatchString(text(v)) }, nil
	case opPrefix, opSuffix:
		if !isString {
			return nil, fmt.Errorf("%s works on string fields", name)
		}
		p, err := stringOperand(s)
		if err != nil {
			return nil, err
		}
		if s.kind == opPrefix {
			return func(v protoreflect.Value, _ bool) bool { return strings.HasPrefix(v.String(), p) }, nil
		}
		return func(v protoreflect.Value, _ bool) bool { return strings.HasSuffix(v.String(), p) }, nil
	case opContains:
		switch {
		case list:
			want, err := parseOperand(fd, s.operand, true)
			if err != nil {
				return nil, fmt.Errorf("contains: %w", err)
			}
			elem := fd
			return func(v protoreflect.Value, _ bool) bool {
				l := v.List()
				for i := range l.Len() {
					if elemEqual(elem, want, l.Get(i)) {
						return true
					}
				}
				return false
			}, nil
		case fd.IsMap() && len(s.operand) > 0 && s.operand[0] == '{':
			// A mapping: these entries are among the map's, values equal.
			want, err := parseOperand(fd, s.operand, false)
			if err != nil {
				return nil, fmt.Errorf("contains: %w", err)
			}
			return func(v protoreflect.Value, _ bool) bool {
				got, holds := v.Map(), true
				want.Map().Range(func(k protoreflect.MapKey, wv protoreflect.Value) bool {
					gv := got.Get(k)
					holds = gv.IsValid() && elemEqual(fd.MapValue(), wv, gv)
					return holds
				})
				return holds
			}, nil
		case fd.IsMap():
			var key any
			if err := json.Unmarshal(s.operand, &key); err != nil {
				return nil, fmt.Errorf("contains: %w", err)
			}
			k := fmt.Sprint(key)
			return func(v protoreflect.Value, _ bool) bool {
				found := false
				v.Map().Range(func(mk protoreflect.MapKey, _ protoreflect.Value) bool {
					found = mk.String() == k
					return !found
				})
				return found
			}, nil
		case isString:
			sub, err := stringOperand(s)
			if err != nil {
				return nil, err
			}
			return func(v protoreflect.Value, _ bool) bool { return strings.Contains(v.String(), sub) }, nil
		}
		return nil, fmt.Errorf("contains works on string, repeated and map fields")
	case opLen:
		n := s.n
		if s.subs != nil {
			return computedTest(s, fd, t, countOf)
		}
		switch {
		case list:
			return func(v protoreflect.Value, _ bool) bool { return v.List().Len() == n }, nil
		case fd.IsMap():
			return func(v protoreflect.Value, _ bool) bool { return v.Map().Len() == n }, nil
		case fd.Kind() == protoreflect.StringKind:
			return func(v protoreflect.Value, _ bool) bool { return utf8.RuneCountInString(v.String()) == n }, nil
		case fd.Kind() == protoreflect.BytesKind:
			return func(v protoreflect.Value, _ bool) bool { return len(v.Bytes()) == n }, nil
		case fd.Message() != nil:
			return func(v protoreflect.Value, _ bool) bool { return setFields(v.Message()) == n }, nil
		}
		return nil, fmt.Errorf("len works on repeated, map, string, bytes and message fields")
	case opSum, opMin, opMax, opAvg, opStddev:
		return computedTest(s, fd, t, aggregateOf)
	case opGt, opGte, opLt, opLte:
		if list || fd.IsMap() {
			return nil, fmt.Errorf("%s works on a single number, string, Timestamp or Duration, not a %s", name, fieldKind(fd))
		}
		cmpTo, err := comparer(fd)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		want, err := parseOperand(fd, s.operand, elem)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		ok := map[opKind]func(int) bool{
			opGt: func(c int) bool { return c > 0 }, opGte: func(c int) bool { return c >= 0 },
			opLt: func(c int) bool { return c < 0 }, opLte: func(c int) bool { return c <= 0 },
		}[s.kind]
		return func(v protoreflect.Value, _ bool) bool {
			c, comparable := cmpTo(v, want)
			return comparable && ok(c)
		}, nil
	}
	return nil, fmt.Errorf("unknown operator")
}

// pairOff reports whether the list's elements and tests pair off one to
// one, each element passing its test: a bipartite matching, found by
// augmenting paths, so an element that passes two tests never takes the
// only element another test could have.
func pairOff(l protoreflect.List, tests []func(protoreflect.Value, bool) bool, exact bool) bool {
	n, m := len(tests), l.Len()
	if m < n || (exact && m != n) {
		return false
	}
	passes := make([][]bool, n) // passes[i][j]: test i holds for element j
	for i, t := range tests {
		passes[i] = make([]bool, m)
		for j := range m {
			passes[i][j] = t(l.Get(j), true)
		}
	}
	owner := make([]int, m) // owner[j]: the test element j is paired with, or -1
	for j := range owner {
		owner[j] = -1
	}
	var seen []bool
	var try func(i int) bool
	try = func(i int) bool {
		for j := range m {
			if passes[i][j] && !seen[j] {
				seen[j] = true
				if owner[j] < 0 || try(owner[j]) {
					owner[j] = i
					return true
				}
			}
		}
		return false
	}
	for i := range n {
		seen = make([]bool, m)
		if !try(i) {
			return false
		}
	}
	return true
}

// comparer orders two values of field fd: numbers, Timestamps, Durations.
// It reports false for values that do not compare (NaN).
func comparer(fd protoreflect.FieldDescriptor) (func(a, b protoreflect.Value) (int, bool), error) {
	switch fd.Kind() {
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind,
		protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		return func(a, b protoreflect.Value) (int, bool) { return cmpOrdered(a.Int(), b.Int()), true }, nil
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind, protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		return func(a, b protoreflect.Value) (int, bool) { return cmpOrdered(a.Uint(), b.Uint()), true }, nil
	case protoreflect.StringKind:
		// Byte order, which for UTF-8 is the order of code points.
		return func(a, b protoreflect.Value) (int, bool) { return cmpOrdered(a.String(), b.String()), true }, nil
	case protoreflect.FloatKind, protoreflect.DoubleKind:
		return func(a, b protoreflect.Value) (int, bool) {
			x, y := a.Float(), b.Float()
			if math.IsNaN(x) || math.IsNaN(y) {
				return 0, false
			}
			return cmpOrdered(x, y), true
		}, nil
	case protoreflect.MessageKind:
		switch fd.Message().FullName() {
		case "google.protobuf.Timestamp", "google.protobuf.Duration":
			sec, nanos := fd.Message().Fields().ByNumber(1), fd.Message().Fields().ByNumber(2)
			return func(a, b protoreflect.Value) (int, bool) {
				am, bm := a.Message(), b.Message()
				if c := cmpOrdered(am.Get(sec).Int(), bm.Get(sec).Int()); c != 0 {
					return c, true
				}
				return cmpOrdered(am.Get(nanos).Int(), bm.Get(nanos).Int()), true
			}, nil
		}
	}
	return nil, fmt.Errorf("works on numbers, strings, Timestamps and Durations, not a %s", fieldKind(fd))
}

func cmpOrdered[T int64 | uint64 | float64 | string](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// valuesEqual compares two values of field fd (lists as a whole).
func valuesEqual(fd protoreflect.FieldDescriptor, a, b protoreflect.Value) bool {
	switch {
	case fd.IsList():
		la, lb := a.List(), b.List()
		if la.Len() != lb.Len() {
			return false
		}
		for i := range la.Len() {
			if !elemEqual(fd, la.Get(i), lb.Get(i)) {
				return false
			}
		}
		return true
	case fd.IsMap():
		ma, mb := a.Map(), b.Map()
		if ma.Len() != mb.Len() {
			return false
		}
		eq := true
		ma.Range(func(k protoreflect.MapKey, v protoreflect.Value) bool {
			w := mb.Get(k)
			eq = w.IsValid() && elemEqual(fd.MapValue(), v, w)
			return eq
		})
		return eq
	}
	return elemEqual(fd, a, b)
}

// elemEqual compares two single values of fd's kind.
func elemEqual(fd protoreflect.FieldDescriptor, a, b protoreflect.Value) bool {
	if fd.Message() != nil {
		am, bm := a.Message().Interface(), b.Message().Interface()
		return proto.Equal(am, sameType(am, bm))
	}
	if fd.Kind() == protoreflect.FloatKind || fd.Kind() == protoreflect.DoubleKind {
		return a.Float() == b.Float()
	}
	return a.Equal(b)
}

// scalarText writes a single number, bool, enum or bytes field's value as
// text, for regex: integers in decimal, floats in the shortest form that
// reads back (1.5, 1e+21), bools as true or false, enums by name (by number
// when the value has none), bytes in base64 as protojson writes them (and
// stub files, and gripmock's matchers); nil for other fields.
func scalarText(fd protoreflect.FieldDescriptor) func(protoreflect.Value) string {
	if fd.IsMap() {
		return nil
	}
	switch fd.Kind() {
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind,
		protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		return func(v protoreflect.Value) string { return strconv.FormatInt(v.Int(), 10) }
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind, protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		return func(v protoreflect.Value) string { return strconv.FormatUint(v.Uint(), 10) }
	case protoreflect.FloatKind:
		return func(v protoreflect.Value) string { return strconv.FormatFloat(v.Float(), 'g', -1, 32) }
	case protoreflect.DoubleKind:
		return func(v protoreflect.Value) string { return strconv.FormatFloat(v.Float(), 'g', -1, 64) }
	case protoreflect.BoolKind:
		return func(v protoreflect.Value) string { return strconv.FormatBool(v.Bool()) }
	case protoreflect.EnumKind:
		values := fd.Enum().Values()
		return func(v protoreflect.Value) string {
			if ev := values.ByNumber(v.Enum()); ev != nil {
				return string(ev.Name())
			}
			return strconv.Itoa(int(v.Enum()))
		}
	case protoreflect.BytesKind:
		return func(v protoreflect.Value) string { return base64.StdEncoding.EncodeToString(v.Bytes()) }
	}
	return nil
}

func valueText(fd protoreflect.FieldDescriptor, v protoreflect.Value) string {
	switch {
	case fd.IsList():
		parts := make([]string, v.List().Len())
		for i := range parts {
			parts[i] = protodiff.Value(fd, v.List().Get(i))
		}
		return "[" + strings.Join(parts, " ") + "]"
	case fd.IsMap():
		return fmt.Sprint(v.Interface())
	}
	return protodiff.Value(fd, v)
}

// andMatcher holds when every matcher holds.
type andMatcher []Matcher

func (a andMatcher) Match(got proto.Message) bool { return a.matchWire(got, nil) }

func (a andMatcher) matchWire(got proto.Message, wire []byte) bool {
	for _, m := range a {
		if !matchWith(m, got, wire) {
			return false
		}
	}
	return true
}

func (a andMatcher) String() string {
	parts := make([]string, len(a))
	for i, m := range a {
		parts[i] = m.String()
	}
	return strings.Join(parts, " and ")
}

func (a andMatcher) Diff(got proto.Message) string {
	var out []string
	for _, m := range a {
		if !m.Match(got) {
			out = append(out, explain(m, got))
		}
	}
	return strings.Join(out, "\n")
}

// AnyOfMatchers matches a message that one of ms accepts: alternatives
// for a whole request, client-stream message or bidi step, where AnyOf is
// alternatives for one field. Counts (Times) and answers are the
// expectation's, shared by every alternative.
func AnyOfMatchers(ms ...Matcher) Matcher { return anyOfMatcher(ms) }

// anyOfMatcher holds when one of its matchers holds.
type anyOfMatcher []Matcher

func (a anyOfMatcher) Match(got proto.Message) bool {
	for _, m := range a {
		if m != nil && m.Match(got) {
			return true
		}
	}
	return false
}

func (a anyOfMatcher) String() string {
	parts := make([]string, len(a))
	for i, m := range a {
		parts[i] = fmt.Sprint(m)
	}
	return "any of (" + strings.Join(parts, "; ") + ")"
}

func (a anyOfMatcher) Diff(got proto.Message) string {
	if len(a) == 0 {
		return "no alternatives to match"
	}
	out := make([]string, len(a))
	for i, m := range a {
		out[i] = fmt.Sprintf("alternative %d: %s", i+1, explain(m, got))
	}
	return strings.Join(out, "\n")
}

// and combines matchers; nil ones are skipped.
func and(ms ...Matcher) Matcher {
	var out andMatcher
	for _, m := range ms {
		switch x := m.(type) {
		case nil:
		case andMatcher:
			out = append(out, x...)
		default:
			out = append(out, m)
		}
	}
	switch len(out) {
	case 0:
		return nil
	case 1:
		return out[0]
	}
	return out
}

// binder is a matcher that resolves itself against a message type; the
// expectation binds it when the method's input type is known, so a bad
// path is a setup error rather than a silent miss.
type binder interface {
	bind(md protoreflect.MessageDescriptor) error
}

// binders finds the matchers inside m that bind.
func binders(m any) []binder {
	switch x := m.(type) {
	case binder:
		return []binder{x}
	case andMatcher:
		var out []binder
		for _, sub := range x {
			out = append(out, binders(sub)...)
		}
		return out
	case listMatcher:
		var out []binder
		for _, sub := range x {
			out = append(out, binders(sub)...)
		}
		return out
	case anyOfMatcher:
		var out []binder
		for _, sub := range x {
			out = append(out, binders(sub)...)
		}
		return out
	}
	return nil
}

// bindInput binds the field matchers inside m to the method's input type.
func (e *expectation) bindInput(what string, m any) {
	e.tb().Helper()
	bs := binders(m)
	if len(bs) == 0 {
		return
	}
	e.check(func(md protoreflect.MethodDescriptor) error {
		for _, b := range bs {
			if err := b.bind(md.Input()); err != nil {
				return fmt.Errorf("%s: %w", what, err)
			}
		}
		return nil
	})
}

// WithRequestField matches a request whose field at path (dotted, through
// singular message fields; JSON or .proto names; items[0] or labels[key]
// picks a list's element or a map's value, as in Field) passes op, for example
// WithRequestField("location.latitude", expect.Gt(0)). Several field tests
// and a WithRequest... matcher must all hold.
func (r request[B]) WithRequestField(path string, op Op) B {
	r.e.tb().Helper()
	f := &fieldsMatcher{checks: []fieldCheck{{path, op.spec()}}}
	r.e.bindInput("WithRequestField", f)
	r.e.fields = append(r.e.fields, f)
	return r.self
}
