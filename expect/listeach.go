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

// Latest matches as Some does, and ranks the match by the last message m
// accepts: among the expectations of equal priority that match a call,
// the one whose match ends latest in the stream answers (a match by any
// other ListMatcher ends at the last message). So of two stubs that each
// look for one message, the one about the later message wins, as gripmock
// picks among client-stream stubs with input.
func Latest(m Matcher) ListMatcher { return eachMatcher{m: m, latest: true} }

type eachMatcher struct {
	m      Matcher
	all    bool // Each; else Some or Latest
	latest bool // Latest
}

// matchEnd is the index of the last message a Latest accepts, or -1; a
// call ranks Latest matches by it (see methodSet.latestFrom). Each and Some
// judge the whole stream: theirs end at its last message.
func (e eachMatcher) matchEnd(got []proto.Message) int {
	if !e.latest {
		return len(got) - 1
	}
	if e.m == nil {
		return -1
	}
	for i := len(got) - 1; i >= 0; i-- {
		if e.m.Match(got[i]) {
			return i
		}
	}
	return -1
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
	switch {
	case e.all:
		return fmt.Sprintf("one or more messages, each %s", e.m)
	case e.latest:
		return fmt.Sprintf("some message %s (the latest such wins)", e.m)
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

// listEach reads a stub's requests: {each: match}, {some: match} or
// {latest: match}.
func (s Stub) listEach(n *yaml.Node, field string, l *listDoc, md protoreflect.MessageDescriptor) (ListMatcher, error) {
	given := 0
	for _, d := range []*matchDoc{l.Each, l.Some, l.Latest} {
		if d != nil {
			given++
		}
	}
	if given != 1 || l.Equal != nil || l.Partial != nil || l.Count != nil || l.Fields != nil {
		return nil, s.errf(n, field, "give one of equal, partial, count, fields, each, some or latest")
	}
	key, d, mk := "each", l.Each, Each
	switch {
	case l.Some != nil:
		key, d, mk = "some", l.Some, Some
	case l.Latest != nil:
		key, d, mk = "latest", l.Latest, Latest
	}
	m, err := s.matcher(mapChild(n, key), field+"."+key, d, md)
	if err != nil {
		return nil, err
	}
	return mk(m), nil
}
