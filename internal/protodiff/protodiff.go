package protodiff

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/testing/protocmp"
)

// maxFieldDiffs bounds the field lines of one explanation.
const maxFieldDiffs = 20

// Fields lists the fields in which got differs from want. With partial,
// only the fields set in want count.
func Fields(want, got proto.Message, partial bool) []string {
	var out []string
	diffMessage(&out, "", want.ProtoReflect(), got.ProtoReflect(), partial)
	if len(out) > maxFieldDiffs {
		n := len(out) - maxFieldDiffs
		out = append(out[:maxFieldDiffs], fmt.Sprintf("... and %d more", n))
	}
	return out
}

func diffMessage(out *[]string, path string, w, g protoreflect.Message, partial bool) {
	fields := w.Descriptor().Fields()
	for i := range fields.Len() {
		fd := fields.Get(i)
		wh, gh := w.Has(fd), g.Has(fd)
		if !wh && (!gh || partial) {
			continue
		}
		p := fieldPath(path, fd)
		switch {
		case fd.IsList():
			diffList(out, p, fd, w.Get(fd).List(), g.Get(fd).List())
		case fd.IsMap():
			diffMap(out, p, fd, w.Get(fd).Map(), g.Get(fd).Map())
		case fd.Message() != nil && wh && gh:
			diffMessage(out, p, w.Get(fd).Message(), g.Get(fd).Message(), partial)
		case wh != gh || !w.Get(fd).Equal(g.Get(fd)):
			*out = append(*out, fmt.Sprintf("%s: want %s, got %s", p, fieldText(fd, w, wh), fieldText(fd, g, gh)))
		}
	}
}

func fieldPath(path string, fd protoreflect.FieldDescriptor) string {
	name := fd.JSONName()
	if fd.IsExtension() {
		name = "[" + string(fd.FullName()) + "]"
	}
	if path == "" {
		return name
	}
	return path + "." + name
}

// fieldText shows a field's value, or "unset" for a field with presence
// that is not set (a field without presence reads as its zero value).
func fieldText(fd protoreflect.FieldDescriptor, m protoreflect.Message, has bool) string {
	if !has && (fd.HasPresence() || fd.Message() != nil) {
		return "unset"
	}
	return Value(fd, m.Get(fd))
}

func diffList(out *[]string, path string, fd protoreflect.FieldDescriptor, w, g protoreflect.List) {
	if w.Len() != g.Len() {
		*out = append(*out, fmt.Sprintf("%s: want %d elements, got %d", path, w.Len(), g.Len()))
	}
	for i := range max(w.Len(), g.Len()) {
		p := fmt.Sprintf("%s[%d]", path, i)
		switch {
		case i >= g.Len():
			*out = append(*out, fmt.Sprintf("%s: want %s, got none", p, Value(fd, w.Get(i))))
		case i >= w.Len():
			*out = append(*out, fmt.Sprintf("%s: want none, got %s", p, Value(fd, g.Get(i))))
		case fd.Message() != nil:
			diffMessage(out, p, w.Get(i).Message(), g.Get(i).Message(), false)
		case !w.Get(i).Equal(g.Get(i)):
			*out = append(*out, fmt.Sprintf("%s: want %s, got %s", p, Value(fd, w.Get(i)), Value(fd, g.Get(i))))
		}
	}
}

func diffMap(out *[]string, path string, fd protoreflect.FieldDescriptor, w, g protoreflect.Map) {
	var keys []protoreflect.MapKey
	seen := map[any]bool{}
	add := func(k protoreflect.MapKey, _ protoreflect.Value) bool {
		if !seen[k.Interface()] {
			seen[k.Interface()] = true
			keys = append(keys, k)
		}
		return true
	}
	w.Range(add)
	g.Range(add)
	slices.SortFunc(keys, func(a, b protoreflect.MapKey) int { return strings.Compare(keyText(a), keyText(b)) })
	vd := fd.MapValue()
	for _, k := range keys {
		p := fmt.Sprintf("%s[%s]", path, keyText(k))
		wv, gv := w.Get(k), g.Get(k)
		switch {
		case !g.Has(k):
			*out = append(*out, fmt.Sprintf("%s: want %s, got none", p, Value(vd, wv)))
		case !w.Has(k):
			*out = append(*out, fmt.Sprintf("%s: want none, got %s", p, Value(vd, gv)))
		case vd.Message() != nil:
			diffMessage(out, p, wv.Message(), gv.Message(), false)
		case !wv.Equal(gv):
			*out = append(*out, fmt.Sprintf("%s: want %s, got %s", p, Value(vd, wv), Value(vd, gv)))
		}
	}
}

func keyText(k protoreflect.MapKey) string {
	if s, ok := k.Interface().(string); ok {
		return strconv.Quote(s)
	}
	return k.String()
}

// Value shows one value of fd's kind (a list's element, a map's
// value, a singular field): messages in protojson, strings quoted, enums
// by name.
func Value(fd protoreflect.FieldDescriptor, v protoreflect.Value) string {
	switch {
	case fd.Message() != nil:
		return Text(v.Message().Interface())
	case fd.Enum() != nil:
		if ev := fd.Enum().Values().ByNumber(v.Enum()); ev != nil {
			return string(ev.Name())
		}
		return strconv.Itoa(int(v.Enum()))
	case fd.Kind() == protoreflect.StringKind:
		return strconv.Quote(v.String())
	case fd.Kind() == protoreflect.BytesKind:
		return fmt.Sprintf("%q", v.Bytes())
	}
	return fmt.Sprint(v.Interface())
}

var (
	// The first line of a protocmp diff: "(*pkg.Msg)(Inverse(protocmp.Transform, protocmp.Message{".
	diffHead = regexp.MustCompile(`^(\s*)(?:\(\*[\w.]+\)|any)\(Inverse\(protocmp\.Transform, protocmp\.Message\{$`)
	// An unchanged "@type" line: the type is the message's, said once above.
	diffType = regexp.MustCompile(`^\s+"@type":\s+s"[^"]*",$`)
	// Scalars in Go syntax: int32(5), string("a").
	diffScalar = regexp.MustCompile(`\b(?:u?int(?:32|64)|float(?:32|64)|string|bool)\((.*)\)(,?)$`)
	// A message inside another value: "(*pkg.Msg)(Inverse(protocmp.Transform, protocmp.Message{".
	diffInner = regexp.MustCompile(`(?:(?:\(\*[\w.]+\)|any)\()?Inverse\(protocmp\.Transform, protocmp\.Message\{`)
	// Where such a message ends: "}))" or "})".
	diffClose = regexp.MustCompile(`\}\)\)?(,?)$`)
	// Enum values: s"TERRAIN_FOREST".
	diffEnum = regexp.MustCompile(`(:\s+)s"([^"]*)"(,?)$`)
)

// Diff is cmp.Diff(want, got, protocmp.Transform(), opts...), readable:
// the transform's wrapping and Go type annotations removed, "" when equal.
func Diff(want, got proto.Message, opts ...cmp.Option) string {
	return DiffAny(want, got, opts...)
}

// DiffAny is Diff for values that hold messages (a slice of status details,
// a struct of them), or messages themselves.
func DiffAny(want, got any, opts ...cmp.Option) string {
	d := cmp.Diff(want, got, append([]cmp.Option{protocmp.Transform()}, opts...)...)
	if d == "" {
		return ""
	}
	head := "{"
	if m, ok := want.(proto.Message); ok && m != nil {
		head = string(m.ProtoReflect().Descriptor().FullName()) + "{"
	}
	// cmp marks its output with non-breaking spaces to discourage parsing;
	// people and line-based tools read plain ones better.
	lines := strings.Split(strings.TrimRight(strings.ReplaceAll(d, "\u00a0", " "), "\n "), "\n")
	out := lines[:0]
	for i, l := range lines {
		switch {
		case i == 0 && diffHead.MatchString(l):
			l = diffHead.ReplaceAllString(l, "${1}"+head)
		case diffType.MatchString(l):
			continue
		}
		l = diffInner.ReplaceAllString(l, "{")
		l = diffClose.ReplaceAllString(l, "}$1")
		l = strings.ReplaceAll(l, "protocmp.Message{", "{")
		l = diffScalar.ReplaceAllString(l, "$1$2")
		l = diffEnum.ReplaceAllString(l, "$1$2$3")
		out = append(out, l)
	}
	return strings.Join(out, "\n")
}

// Text is a one-line rendering of a message for people: its full name and
// compact protojson ("routeguide.Point {"latitude":1}").
func Text(m proto.Message) string {
	if m == nil {
		return "<nil>"
	}
	b, err := protojson.MarshalOptions{}.Marshal(m)
	if err != nil {
		return prototext.MarshalOptions{}.Format(m)
	}
	// protojson's spacing is deliberately unstable; make it stable for text.
	s := strings.Join(strings.Fields(string(b)), " ")
	return fmt.Sprintf("%s %s", m.ProtoReflect().Descriptor().FullName(), s)
}
