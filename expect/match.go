package expect

import (
	"bytes"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/grpcdouble/grpcdouble/internal/protodiff"
)

// Matcher decides whether a client message is the one an expectation wants.
// A Matcher that also has a method Diff(got proto.Message) string explains
// its misses with that text (a "(-want +got)" diff).
type Matcher interface {
	Match(got proto.Message) bool
	String() string
}

type differ interface {
	Diff(got proto.Message) string
}

// Equal matches a message equal to want, by proto.Equal.
func Equal(want proto.Message) Matcher { return newEqual(want) }

// Partial matches a message whose fields equal those set in want; fields
// unset in want are ignored, in nested messages too. Repeated and map fields
// set in want must be equal as a whole.
func Partial(want proto.Message) Matcher { return partialMatcher{want} }

// Anything matches every message.
func Anything() Matcher { return anyMatcher{} }

// Func matches the messages of type T for which f returns true; a message of
// another type does not match.
func Func[T proto.Message](f func(T) bool) Matcher { return funcMatcher[T]{f} }

type equalMatcher struct {
	want proto.Message
	fast *equalWire
}

// equalWire is an Equal matcher's fast path, made on its second use: most
// matchers (a test's one call) are used once, and the first use costs
// proto.Equal alone, where making the fast path costs a marshal, an
// unmarshal and a proto.Equal. A Mock made per test paid that at every
// WithRequest.
type equalWire struct {
	uses atomic.Int32
	once sync.Once
	// wire is want's deterministic marshaling, when a message that
	// arrived as exactly these bytes is sure to equal want (see
	// canonical); nil otherwise.
	wire []byte
	name protoreflect.FullName
	made atomic.Bool // once has run (for tests)
}

func newEqual(want proto.Message) equalMatcher {
	return equalMatcher{want: want, fast: &equalWire{}}
}

// wire returns the fast path's bytes and message name, making them on
// first use (nil bytes: no fast path).
func (m equalMatcher) wire() ([]byte, protoreflect.FullName) {
	m.fast.once.Do(func() {
		m.fast.wire = canonical(m.want)
		if m.fast.wire != nil {
			m.fast.name = m.want.ProtoReflect().Descriptor().FullName()
		}
		m.fast.made.Store(true)
	})
	return m.fast.wire, m.fast.name
}

func (m equalMatcher) Match(got proto.Message) bool {
	return proto.Equal(m.want, sameType(m.want, got))
}

// matchWire is Match for a message that arrived as wire (nil: not known).
// Bytes equal to want's deterministic marshaling answer at once; any other
// answer is proto.Equal's. On a unary call, proto.Equal was the largest
// part of what matching cost. The first use is proto.Equal's (see
// equalWire).
func (m equalMatcher) matchWire(got proto.Message, wire []byte) bool {
	if wire == nil || got == nil || m.fast.uses.Add(1) == 1 {
		return m.Match(got)
	}
	if w, name := m.wire(); w != nil && bytes.Equal(w, wire) &&
		got.ProtoReflect().Descriptor().FullName() == name {
		return true
	}
	return m.Match(got)
}

// canonical returns want's deterministic marshaling when a message of
// want's type that arrived as those very bytes is sure to equal want by
// proto.Equal, and nil when that is not sure.
//
// proto.Equal promises that two valid messages with the same deterministic
// marshaling are equal. A message decoded from want's bytes marshals to them
// again, unless want holds what its bytes cannot say back: unknown fields
// that name known ones, say, or a nil message (invalid, so equal to no
// decoded one). So canonical decodes its bytes once and keeps them only if
// the result equals want; it fails safe, to proto.Equal on every call.
func canonical(want proto.Message) []byte {
	if want == nil || !want.ProtoReflect().IsValid() {
		return nil
	}
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(want)
	if err != nil {
		return nil
	}
	back := want.ProtoReflect().New().Interface()
	if proto.Unmarshal(b, back) != nil || !proto.Equal(want, back) {
		return nil
	}
	if b == nil {
		b = []byte{} // an empty message: nil means no fast path
	}
	return b
}

// wireMatcher is a Matcher that can use the bytes a message arrived as.
type wireMatcher interface {
	matchWire(got proto.Message, wire []byte) bool
}

// matchWith reports whether m accepts got, which arrived as wire (nil when
// the server did not keep its bytes).
func matchWith(m Matcher, got proto.Message, wire []byte) bool {
	if w, ok := m.(wireMatcher); ok {
		return w.matchWire(got, wire)
	}
	return m.Match(got)
}
func (m equalMatcher) String() string { return "equal to " + messageText(m.want) }
func (m equalMatcher) Diff(got proto.Message) string {
	got = sameType(m.want, got)
	wd, gd := m.want.ProtoReflect().Descriptor(), got.ProtoReflect().Descriptor()
	if wd.FullName() != gd.FullName() {
		return fmt.Sprintf("got %s, want %s", article(gd.FullName()), article(wd.FullName()))
	}
	var head string
	if wd == gd {
		head = fieldLines(protodiff.Fields(m.want, got, false))
	}
	return head + "(-want +got):\n" + protodiff.Diff(m.want, got)
}

// fieldLines renders field differences as the head of an explanation.
func fieldLines(diffs []string) string {
	switch len(diffs) {
	case 0:
		return ""
	case 1:
		return diffs[0] + "\n"
	}
	return fmt.Sprintf("%d fields differ:\n  %s\n", len(diffs), strings.Join(diffs, "\n  "))
}

type partialMatcher struct{ want proto.Message }

func (m partialMatcher) Match(got proto.Message) bool {
	got = sameType(m.want, got)
	if got.ProtoReflect().Descriptor() != m.want.ProtoReflect().Descriptor() {
		return false
	}
	return partialEqual(m.want.ProtoReflect(), got.ProtoReflect())
}
func (m partialMatcher) String() string { return "with fields " + messageText(m.want) }
func (m partialMatcher) Diff(got proto.Message) string {
	got = sameType(m.want, got)
	if got.ProtoReflect().Descriptor() != m.want.ProtoReflect().Descriptor() {
		return fmt.Sprintf("got %s, want %s", article(got.ProtoReflect().Descriptor().FullName()), article(m.want.ProtoReflect().Descriptor().FullName()))
	}
	return strings.TrimSuffix(fieldLines(protodiff.Fields(m.want, got, true)), "\n")
}

type anyMatcher struct{}

func (anyMatcher) Match(proto.Message) bool { return true }
func (anyMatcher) String() string           { return "any message" }

type funcMatcher[T proto.Message] struct{ f func(T) bool }

func (m funcMatcher[T]) Match(got proto.Message) bool {
	t, ok := got.(T)
	return ok && m.f(t)
}
func (m funcMatcher[T]) String() string {
	var zero T
	return fmt.Sprintf("accepted by a func(%T)", zero)
}

// sameType returns got as a message of want's descriptor when the two have
// the same full name but different descriptors (a dynamic message against a
// generated one, or two parses of one .proto file).
func sameType(want, got proto.Message) proto.Message {
	wd, gd := want.ProtoReflect().Descriptor(), got.ProtoReflect().Descriptor()
	if wd == gd || wd.FullName() != gd.FullName() {
		return got
	}
	b, err := proto.Marshal(got)
	if err != nil {
		return got
	}
	out := want.ProtoReflect().New().Interface()
	if proto.Unmarshal(b, out) != nil {
		return got
	}
	return out
}

func partialEqual(w, g protoreflect.Message) bool {
	ok := true
	w.Range(func(fd protoreflect.FieldDescriptor, wv protoreflect.Value) bool {
		switch {
		case fd.Message() != nil && !fd.IsList() && !fd.IsMap():
			ok = g.Has(fd) && partialEqual(wv.Message(), g.Get(fd).Message())
		case fd.HasPresence():
			// A oneof member or an optional field set in want, even to
			// its zero value, must be set in got: Get alone reads an
			// unset field as zero.
			ok = g.Has(fd) && wv.Equal(g.Get(fd))
		default:
			ok = wv.Equal(g.Get(fd))
		}
		return ok
	})
	return ok
}

// messageText is a one-line rendering of a message for messages to people.
func messageText(m proto.Message) string { return protodiff.Text(m) }

// explain says why got does not match m.
func explain(m Matcher, got proto.Message) string {
	if d, ok := m.(differ); ok {
		// cmp marks its output with non-breaking spaces to discourage
		// parsing; people and line-based tools read plain ones better.
		return strings.TrimRight(strings.ReplaceAll(d.Diff(got), "\u00a0", " "), "\n ")
	}
	return fmt.Sprintf("want %s, got %s", m, messageText(got))
}

// ListMatcher decides whether the messages of a client stream are the ones
// an expectation wants.
type ListMatcher interface {
	MatchAll(got []proto.Message) bool
	String() string
}

// Messages matches a stream whose messages are, in order, accepted by ms.
func Messages(ms ...Matcher) ListMatcher { return listMatcher(ms) }

// Count matches a stream of exactly n messages.
func Count(n int) ListMatcher { return countMatcher(n) }

// FuncAll matches the streams for which f returns true.
func FuncAll(f func([]proto.Message) bool) ListMatcher { return funcListMatcher{f} }

type listMatcher []Matcher

func (l listMatcher) MatchAll(got []proto.Message) bool {
	if len(got) != len(l) {
		return false
	}
	for i, m := range l {
		if !m.Match(got[i]) {
			return false
		}
	}
	return true
}
func (l listMatcher) String() string { return fmt.Sprintf("%d messages", len(l)) }
func (l listMatcher) explain(got []proto.Message) string {
	var out []string
	if len(got) != len(l) {
		out = append(out, fmt.Sprintf("got %d messages, want %d", len(got), len(l)))
	}
	for i := range min(len(got), len(l)) {
		if !l[i].Match(got[i]) {
			out = append(out, fmt.Sprintf("message %d: %s", i+1, explain(l[i], got[i])))
		}
	}
	return strings.Join(out, "\n")
}

type countMatcher int

func (c countMatcher) MatchAll(got []proto.Message) bool { return len(got) == int(c) }
func (c countMatcher) String() string                    { return fmt.Sprintf("exactly %d messages", int(c)) }

type funcListMatcher struct{ f func([]proto.Message) bool }

func (f funcListMatcher) MatchAll(got []proto.Message) bool { return f.f(got) }
func (funcListMatcher) String() string                      { return "messages accepted by a func" }

func explainList(m ListMatcher, got []proto.Message) string {
	if l, ok := m.(listMatcher); ok {
		return l.explain(got)
	}
	return fmt.Sprintf("want %s, got %d messages", m, len(got))
}

// mdMatcher checks one incoming metadata key, or, with anyOf, holds when
// every test of one of its alternatives does.
type mdMatcher struct {
	key   string
	desc  string
	match func(vals []string) bool
	anyOf [][]mdMatcher
}

func (m mdMatcher) holds(md metadata.MD) bool {
	if m.anyOf == nil {
		return m.match(md[m.key])
	}
	for _, alt := range m.anyOf {
		if mdAll(alt, md) {
			return true
		}
	}
	return false
}

func mdAll(ms []mdMatcher, md metadata.MD) bool {
	for _, m := range ms {
		if !m.holds(md) {
			return false
		}
	}
	return true
}

// mdAnyOf holds when every test of one of alts does.
func mdAnyOf(alts [][]mdMatcher) mdMatcher {
	parts := make([]string, len(alts))
	for i, alt := range alts {
		var tests []string
		for _, m := range alt {
			tests = append(tests, fmt.Sprintf("%q %s", m.key, m.desc))
		}
		parts[i] = strings.Join(tests, " and ")
	}
	return mdMatcher{desc: "any of (" + strings.Join(parts, "; ") + ")", anyOf: alts}
}

func (m mdMatcher) check(md metadata.MD) string {
	if m.anyOf != nil {
		if m.holds(md) {
			return ""
		}
		var why []string
		for i, alt := range m.anyOf {
			for _, sub := range alt {
				if r := sub.check(md); r != "" {
					why = append(why, fmt.Sprintf("alternative %d: %s", i+1, r))
				}
			}
		}
		return "metadata: no alternative of anyOf holds: " + strings.Join(why, "; ")
	}
	vals := md[m.key]
	if m.match(vals) {
		return ""
	}
	if len(vals) == 0 {
		return fmt.Sprintf("metadata %q: want %s, got none", m.key, m.desc)
	}
	return fmt.Sprintf("metadata %q: want %s, got %q", m.key, m.desc, vals)
}

func mdEqual(key string, want []string) mdMatcher {
	return mdMatcher{key: key, desc: fmt.Sprintf("%q", want), match: func(v []string) bool { return slices.Equal(v, want) }}
}

func mdPresent(key string) mdMatcher {
	return mdMatcher{key: key, desc: "present", match: func(v []string) bool { return len(v) > 0 }}
}

func mdAbsent(key string) mdMatcher {
	return mdMatcher{key: key, desc: "absent", match: func(v []string) bool { return len(v) == 0 }}
}

func mdRegexp(key string, re *regexp.Regexp) mdMatcher {
	return mdMatcher{key: key, desc: "matching /" + re.String() + "/", match: func(v []string) bool {
		if len(v) == 0 {
			return false
		}
		for _, s := range v {
			if !re.MatchString(s) {
				return false
			}
		}
		return true
	}}
}

func mdFunc(key string, f func([]string) bool) mdMatcher {
	return mdMatcher{key: key, desc: "accepted by a func", match: f}
}
