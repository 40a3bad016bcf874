package expect

import (
	"cmp"
	"encoding/base64"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/grpcdouble/grpcdouble/internal/javatext"
)

// MessageJSON is .Message (the client message received last on a bidi
// stream; the request otherwise), or with at the client message at that
// index of .Requests, as JSON text laid out as protobuf-java's JsonFormat
// printer writes it: what WireMock's gRPC extension shows a template as
// request.body. Unset fields are left out; two spaces of indent; a list
// on one line.
func (d *tmplData) MessageJSON(at ...int) (string, error) {
	var m proto.Message
	switch {
	case len(at) > 1:
		return "", fmt.Errorf("messageJson wants at most one index")
	case len(at) == 1 && (at[0] < 0 || at[0] >= len(d.got)):
		return "", fmt.Errorf("messageJson %d: the call has %d client messages", at[0], len(d.got))
	case len(at) == 1:
		m = d.got[at[0]]
	case d.last != nil:
		m = d.last
	case len(d.got) > 0:
		m = d.got[0]
	}
	if m == nil {
		if d.in == nil {
			return "{\n}", nil
		}
		m = messageType(d.in).Zero().Interface()
	}
	w := &javaJSON{}
	w.message(m.ProtoReflect())
	return w.b.String(), nil
}

// javaWellKnown are the types JsonFormat writes as their JSON values.
var javaWellKnown = map[protoreflect.FullName]bool{
	"google.protobuf.Timestamp": true, "google.protobuf.Duration": true, "google.protobuf.FieldMask": true,
	"google.protobuf.Struct": true, "google.protobuf.Value": true, "google.protobuf.ListValue": true,
	"google.protobuf.Any": true, "google.protobuf.DoubleValue": true, "google.protobuf.FloatValue": true,
	"google.protobuf.Int64Value": true, "google.protobuf.UInt64Value": true, "google.protobuf.Int32Value": true,
	"google.protobuf.UInt32Value": true, "google.protobuf.BoolValue": true, "google.protobuf.StringValue": true,
	"google.protobuf.BytesValue": true,
}

// javaJSON writes as protobuf-java's JsonFormat.printer(): its
// PrettyTextGenerator indents each line by two spaces a level.
type javaJSON struct {
	b      strings.Builder
	indent int
	bol    bool // at the start of a line: the indent comes first
}

func (w *javaJSON) print(s string) {
	for s != "" {
		if w.bol {
			w.b.WriteString(strings.Repeat("  ", w.indent))
			w.bol = false
		}
		line, rest, nl := strings.Cut(s, "\n")
		w.b.WriteString(line)
		if nl {
			w.b.WriteByte('\n')
			w.bol = true
		}
		s = rest
	}
}

func (w *javaJSON) message(m protoreflect.Message) {
	md := m.Descriptor()
	if javaWellKnown[md.FullName()] {
		// Well-known types are written as their JSON values (a Timestamp
		// as its string); protojson's is the same value, written compact.
		b, err := protojson.Marshal(m.Interface())
		if err != nil {
			w.print(`""`)
			return
		}
		w.print(compactProtoJSON(string(b)))
		return
	}
	var fields []protoreflect.FieldDescriptor
	m.Range(func(fd protoreflect.FieldDescriptor, _ protoreflect.Value) bool {
		fields = append(fields, fd)
		return true
	})
	slices.SortFunc(fields, func(a, b protoreflect.FieldDescriptor) int { return cmp.Compare(a.Number(), b.Number()) })
	w.object(len(fields), func(i int) {
		w.print(javaString(fields[i].JSONName()) + ": ")
		w.field(fields[i], m.Get(fields[i]))
	})
}

// object writes n entries in braces, a line each, indented.
func (w *javaJSON) object(n int, entry func(i int)) {
	w.print("{\n")
	w.indent++
	for i := range n {
		if i > 0 {
			w.print(",\n")
		}
		entry(i)
	}
	if n > 0 {
		w.print("\n")
	}
	w.indent--
	w.print("}")
}

func (w *javaJSON) field(fd protoreflect.FieldDescriptor, v protoreflect.Value) {
	switch {
	case fd.IsList():
		l := v.List()
		w.print("[")
		for i := range l.Len() {
			if i > 0 {
				w.print(", ")
			}
			w.single(fd, l.Get(i))
		}
		w.print("]")
	case fd.IsMap():
		mv := v.Map()
		keys := make([]protoreflect.MapKey, 0, mv.Len())
		mv.Range(func(k protoreflect.MapKey, _ protoreflect.Value) bool {
			keys = append(keys, k)
			return true
		})
		// Java writes a map in the order its entries came; here, by key.
		slices.SortFunc(keys, func(a, b protoreflect.MapKey) int { return strings.Compare(a.String(), b.String()) })
		w.object(len(keys), func(i int) {
			w.print(javaString(keys[i].String()) + ": ")
			w.single(fd.MapValue(), mv.Get(keys[i]))
		})
	default:
		w.single(fd, v)
	}
}

func (w *javaJSON) single(fd protoreflect.FieldDescriptor, v protoreflect.Value) {
	switch fd.Kind() {
	case protoreflect.MessageKind, protoreflect.GroupKind:
		w.message(v.Message())
	case protoreflect.BoolKind:
		w.print(strconv.FormatBool(v.Bool()))
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		w.print(strconv.FormatInt(v.Int(), 10))
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		w.print(strconv.FormatUint(v.Uint(), 10))
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		w.print(`"` + strconv.FormatInt(v.Int(), 10) + `"`)
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		w.print(`"` + strconv.FormatUint(v.Uint(), 10) + `"`)
	case protoreflect.FloatKind, protoreflect.DoubleKind:
		f := v.Float()
		switch {
		case math.IsNaN(f) || math.IsInf(f, 0):
			w.print(`"` + javatext.Double(f) + `"`)
		case fd.Kind() == protoreflect.FloatKind:
			w.print(javaFloat(float32(f)))
		default:
			w.print(javatext.Double(f))
		}
	case protoreflect.StringKind:
		w.print(javaString(v.String()))
	case protoreflect.BytesKind:
		w.print(`"` + base64.StdEncoding.EncodeToString(v.Bytes()) + `"`)
	case protoreflect.EnumKind:
		if fd.Enum().FullName() == "google.protobuf.NullValue" {
			w.print("null")
			return
		}
		if ev := fd.Enum().Values().ByNumber(v.Enum()); ev != nil {
			w.print(`"` + string(ev.Name()) + `"`)
			return
		}
		w.print(strconv.Itoa(int(v.Enum())))
	}
}

// javaFloat writes a float32 as Java's Float.toString: as javaDouble, with
// a float's shortest digits.
func javaFloat(f float32) string {
	if a := math.Abs(float64(f)); a == 0 || (a >= 1e-3 && a < 1e7) {
		s := strconv.FormatFloat(float64(f), 'f', -1, 32)
		if !strings.Contains(s, ".") {
			s += ".0"
		}
		return s
	}
	mant, exp, _ := strings.Cut(strconv.FormatFloat(float64(f), 'E', -1, 32), "E")
	if !strings.Contains(mant, ".") {
		mant += ".0"
	}
	e, _ := strconv.Atoi(exp)
	return mant + "E" + strconv.Itoa(e)
}

// javaString quotes s as Gson does for protobuf-java's printer: HTML-safe,
// so < > & = ' are \u escapes too.
func javaString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\t':
			b.WriteString(`\t`)
		case '\b':
			b.WriteString(`\b`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\f':
			b.WriteString(`\f`)
		case '<', '>', '&', '=', '\'', '\u2028', '\u2029':
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			if r < 0x20 {
				fmt.Fprintf(&b, `\u%04x`, r)
				continue
			}
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// compactProtoJSON drops the spaces protojson puts between tokens.
func compactProtoJSON(s string) string {
	out, err := formatJSON(s, false)
	if err != nil {
		return s
	}
	return out
}

// MatchedIndex is the index among the client's messages of the one a
// requests: {some: ...} matcher accepted (the first such), or {latest:
// ...} (the last such); 0 for any other stub.
func (d *tmplData) MatchedIndex() int {
	if d.matched == nil {
		i := 0
		if e, ok := d.listMatch.(eachMatcher); ok && !e.all && e.m != nil {
			i = max(0, e.matchEnd(d.got))
			if !e.latest {
				i = max(0, slices.IndexFunc(d.got, e.m.Match))
			}
		}
		d.matched = &i
	}
	return *d.matched
}

// Matched is the client message MatchedIndex names, as .Request is.
func (d *tmplData) Matched() map[string]any {
	if i := d.MatchedIndex(); i < len(d.got) {
		return d.object(d.got[i])
	}
	return d.Request()
}
