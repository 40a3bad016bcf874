package expect

import (
	"fmt"
	"sort"
	"strconv"

	"google.golang.org/protobuf/reflect/protoreflect"
)

// Operators on what holds messages and entries: a message value's own
// fields (a list's elements, a map's values) and a map's values by key.

// Fields holds when a message field passes every one of ms, field tests
// (Field) or any other Matcher: Unordered(Fields(Field("name",
// Regex("^a")))) tests each element of a list of messages by its own
// fields, and Entries("k", Fields(...)) a map's message value. On a
// repeated message field it holds when every element passes.
func Fields(ms ...Matcher) Op {
	// Field tests side by side are one fieldsMatcher: they read as a list.
	var checks []fieldCheck
	var others []Matcher
	for _, m := range ms {
		if f, ok := m.(*fieldsMatcher); ok {
			checks = append(checks, f.checks...)
			continue
		}
		others = append(others, m)
	}
	if len(checks) > 0 {
		others = append([]Matcher{&fieldsMatcher{checks: checks}}, others...)
	}
	s := &opSpec{kind: opFields, match: and(others...)}
	if s.match == nil {
		s.err = fmt.Errorf("fields needs at least one matcher")
	}
	return s
}

// Entries holds when a map field has every key of entries, each value
// passing its test: an Op (Regex, Fields, ...) or a value, meaning Eq.
// Keys are written as text: "7" for an int32 key, "true" for a bool one.
// Entries(map[string]any{"env": Regex("^pr")}) holds for {env: prod,
// team: web}; Contains(map[string]string{...}) is the same with every
// value equal.
func Entries(entries map[string]any) Op {
	s := &opSpec{kind: opEntries}
	keys := make([]string, 0, len(entries))
	for k := range entries {
		keys = append(keys, k)
	}
	sort.Strings(keys) // one order for the text people read
	for _, k := range keys {
		s.keys = append(s.keys, k)
		if o, ok := entries[k].(Op); ok {
			s.subs = append(s.subs, o.spec())
			continue
		}
		s.subs = append(s.subs, goOperand(opEq, entries[k]))
	}
	if len(keys) == 0 {
		s.err = fmt.Errorf("entries needs at least one key")
	}
	return s
}

// mapKeyOf reads a map key written as text ("7", "true", "env") as a key
// of kind fd.
func mapKeyOf(fd protoreflect.FieldDescriptor, text string) (protoreflect.MapKey, error) {
	var v protoreflect.Value
	bad := func() (protoreflect.MapKey, error) {
		return protoreflect.MapKey{}, fmt.Errorf("key %q is not a %s", text, fd.Kind())
	}
	switch fd.Kind() {
	case protoreflect.StringKind:
		v = protoreflect.ValueOfString(text)
	case protoreflect.BoolKind:
		b, err := strconv.ParseBool(text)
		if err != nil {
			return bad()
		}
		v = protoreflect.ValueOfBool(b)
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		n, err := strconv.ParseInt(text, 10, 32)
		if err != nil {
			return bad()
		}
		v = protoreflect.ValueOfInt32(int32(n))
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		n, err := strconv.ParseInt(text, 10, 64)
		if err != nil {
			return bad()
		}
		v = protoreflect.ValueOfInt64(n)
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		n, err := strconv.ParseUint(text, 10, 32)
		if err != nil {
			return bad()
		}
		v = protoreflect.ValueOfUint32(uint32(n))
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		n, err := strconv.ParseUint(text, 10, 64)
		if err != nil {
			return bad()
		}
		v = protoreflect.ValueOfUint64(n)
	default:
		return protoreflect.MapKey{}, fmt.Errorf("a map key of kind %s", fd.Kind())
	}
	return v.MapKey(), nil
}
