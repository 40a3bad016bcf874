package expect

import (
	"strconv"

	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/grpcdouble/grpcdouble/mockserver"
)

// minIndexed is the number of expectations on a method from which calls
// look them up by an index instead of trying each in turn.
const minIndexed = 16

// reqIndex finds the expectations of a unary or server-stream method that
// can match a request, by the value of one field that most of them pin
// (an equal or partial matcher, or a field's Eq): a call tries only those
// with the request's value and those that do not pin the field, in the
// methodSet's order, so the result is the one the full scan gives.
type reqIndex struct {
	path    []protoreflect.FieldDescriptor
	buckets map[string][]int // value -> positions in the methodSet, ascending
	rest    []int            // positions of the expectations that do not pin the path
}

// pin is one field value an expectation requires.
type pin struct {
	path []protoreflect.FieldDescriptor
	key  string
}

func pathKey(path []protoreflect.FieldDescriptor) string {
	b := make([]byte, 0, 8*len(path))
	for _, fd := range path {
		b = strconv.AppendInt(b, int64(fd.Number()), 10)
		b = append(b, '.')
	}
	return string(b)
}

// indexable reports whether a field's value can be an index key: a single
// scalar that compares by equality of its bits (floats do not: NaN, -0).
func indexable(fd protoreflect.FieldDescriptor) bool {
	if fd.IsList() || fd.IsMap() || fd.Message() != nil {
		return false
	}
	k := fd.Kind()
	return k != protoreflect.FloatKind && k != protoreflect.DoubleKind
}

func valueKey(fd protoreflect.FieldDescriptor, v protoreflect.Value) string {
	switch fd.Kind() {
	case protoreflect.BoolKind:
		if v.Bool() {
			return "t"
		}
		return "f"
	case protoreflect.EnumKind:
		return strconv.FormatInt(int64(v.Enum()), 10)
	case protoreflect.StringKind:
		return v.String()
	case protoreflect.BytesKind:
		return string(v.Bytes())
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind, protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		return strconv.FormatUint(v.Uint(), 10)
	}
	return strconv.FormatInt(v.Int(), 10)
}

// pinsOf lists the field values e requires of a request.
func (e *expectation) pinsOf() []pin {
	if e.broken || e.md == nil {
		return nil
	}
	var out []pin
	out = appendPins(out, e.req, e.md.Input())
	for _, f := range e.fields {
		out = appendPins(out, f, e.md.Input())
	}
	return out
}

func appendPins(out []pin, m Matcher, in protoreflect.MessageDescriptor) []pin {
	switch x := m.(type) {
	case equalMatcher:
		return messagePins(out, x.want.ProtoReflect(), nil, in, true)
	case partialMatcher:
		return messagePins(out, x.want.ProtoReflect(), nil, in, false)
	case andMatcher:
		for _, sub := range x {
			out = appendPins(out, sub, in)
		}
	case *fieldsMatcher:
		b := x.binding(in)
		if b.err != nil {
			return out
		}
		for _, c := range b.checks {
			if c.eqOK {
				out = append(out, pin{path: c.fds, key: c.eqKey})
			}
		}
	}
	return out
}

// messagePins: an equal matcher pins every scalar field (set or not), a
// partial one the fields it sets; one level of singular messages down.
func messagePins(out []pin, w protoreflect.Message, prefix []protoreflect.FieldDescriptor, in protoreflect.MessageDescriptor, all bool) []pin {
	if w.Descriptor().FullName() != in.FullName() && prefix == nil {
		return out
	}
	fields := w.Descriptor().Fields()
	for i := range fields.Len() {
		fd := fields.Get(i)
		path := append(append([]protoreflect.FieldDescriptor(nil), prefix...), fd)
		switch {
		case indexable(fd):
			if all || w.Has(fd) {
				out = append(out, pin{path: path, key: valueKey(fd, w.Get(fd))})
			}
		case fd.Message() != nil && !fd.IsList() && !fd.IsMap() && len(prefix) == 0 && w.Has(fd):
			out = messagePins(out, w.Get(fd).Message(), path, in, all)
		}
	}
	return out
}

// requestKey reads the index path of a request, by field number (the
// request may be a dynamic message of the type): an unset message on the
// way reads as zero.
func (x *reqIndex) requestKey(msg proto.Message) (string, bool) {
	m := msg.ProtoReflect()
	for i, fd := range x.path {
		if d := m.Descriptor(); fd.ContainingMessage() != d {
			if fd = d.Fields().ByNumber(fd.Number()); fd == nil {
				return "", false
			}
		}
		if i == len(x.path)-1 {
			return valueKey(fd, m.Get(fd)), true
		}
		m = m.Get(fd).Message()
	}
	return "", false
}

// buildIndex picks the field most expectations pin with the most distinct
// values, or returns nil when no index would help.
func (s *methodSet) buildIndex() *reqIndex {
	if len(s.exps) < minIndexed {
		return nil
	}
	pins := make([][]pin, len(s.exps))
	type stat struct {
		path   []protoreflect.FieldDescriptor
		values map[string]bool
	}
	stats := map[string]*stat{}
	for i, e := range s.exps {
		if e.kind != mockserver.Unary && e.kind != mockserver.ServerStream {
			return nil
		}
		pins[i] = e.pinsOf()
		for _, p := range pins[i] {
			k := pathKey(p.path)
			st := stats[k]
			if st == nil {
				st = &stat{path: p.path, values: map[string]bool{}}
				stats[k] = st
			}
			st.values[p.key] = true
		}
	}
	var best *stat
	var bestKey string
	for k, st := range stats {
		if best == nil || len(st.values) > len(best.values) || (len(st.values) == len(best.values) && k < bestKey) {
			best, bestKey = st, k
		}
	}
	if best == nil || len(best.values) < 2 {
		return nil
	}
	x := &reqIndex{path: best.path, buckets: make(map[string][]int, len(best.values))}
	for i := range s.exps {
		key, pinned := "", false
		for _, p := range pins[i] {
			if pathKey(p.path) == bestKey {
				if pinned && p.key != key {
					pinned = false // two values: it matches nothing, but the scan would try it
					break
				}
				key, pinned = p.key, true
			}
		}
		if pinned {
			x.buckets[key] = append(x.buckets[key], i)
		} else {
			x.rest = append(x.rest, i)
		}
	}
	return x
}

// pickIndexed is pick through the index; ok is false when the methodSet
// has none (then the caller scans). The caller holds s.mu.
func (s *methodSet) pickIndexed(md metadata.MD, got []proto.Message, wire []byte) (e *expectation, ok bool) {
	if !s.indexed {
		s.idx = s.buildIndex()
		s.indexed = true
	}
	if s.idx == nil || len(got) != 1 || got[0] == nil {
		return nil, false
	}
	key, ok := s.idx.requestKey(got[0])
	if !ok {
		return nil, false
	}
	a, b := s.idx.buckets[key], s.idx.rest
	for len(a) > 0 || len(b) > 0 {
		var i int
		if len(b) == 0 || (len(a) > 0 && a[0] < b[0]) {
			i, a = a[0], a[1:]
		} else {
			i, b = b[0], b[1:]
		}
		if c := s.exps[i]; c.usable() && c.matches(md, got, wire) {
			return c, true
		}
	}
	return nil, true
}
