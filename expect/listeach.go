package expect

import (
	"fmt"

	"go.yaml.in/yaml/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// Each matches a client stream of one or more messages, every one of
// which m accepts, however many there are.
func Each(m Matcher) ListMatcher { return eachMatcher{m: m, all: true} }

// Some matches a client stream in which at least one message is accepted
// by m.
func Some(m Matcher) ListMatcher { return eachMatcher{m: m} }

type eachMatcher struct {
	m   Matcher
	all bool // Each; else Some
}

func (e eachMatcher) MatchAll(got []proto.Message) bool {
	if e.m == nil || len(got) == 0 {
		return false
	}
	for _, msg := range got {
		if e.m.Match(msg) != e.all {
			return !e.all
		}
	}
	return e.all
}

func (e eachMatcher) String() string {
	if e.all {
		return fmt.Sprintf("one or more messages, each %s", e.m)
	}
	return fmt.Sprintf("some message %s", e.m)
}

// bind binds the field matchers inside, as binders does for the others.
func (e eachMatcher) bind(md protoreflect.MessageDescriptor) error {
	for _, b := range binders(e.m) {
		if err := b.bind(md); err != nil {
			return err
		}
	}
	return nil
}

// listEach reads a stub's requests: {each: match} or {some: match}.
func (s Stub) listEach(n *yaml.Node, field string, l *listDoc, md protoreflect.MessageDescriptor) (ListMatcher, error) {
	if (l.Each != nil) == (l.Some != nil) || l.Equal != nil || l.Partial != nil || l.Count != nil || l.Fields != nil {
		return nil, s.errf(n, field, "give one of equal, partial, count, fields, each or some")
	}
	key, d, mk := "each", l.Each, Each
	if l.Some != nil {
		key, d, mk = "some", l.Some, Some
	}
	m, err := s.matcher(mapChild(n, key), field+"."+key, d, md)
	if err != nil {
		return nil, err
	}
	return mk(m), nil
}
