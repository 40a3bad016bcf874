package expect

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"
)

// pause is every wait a script makes (delay, pace, a step's or a rule's
// delay): fixed, or computed for each call, by a template in a stub file or
// a Go func (DelayFunc, PaceFunc). One type, so a computed delay goes
// wherever a fixed one does.
type pause struct {
	d  time.Duration
	t  *tmpl
	fn func(Attempt) time.Duration
}

func fixedPause(d time.Duration) pause { return pause{d: d} }

// set reports whether the pause may wait at all.
func (p pause) set() bool { return p.d > 0 || p.t != nil || p.fn != nil }

func (p pause) String() string {
	switch {
	case p.t != nil:
		return "the delay of " + p.t.where
	case p.fn != nil:
		return "a computed delay (func)"
	}
	return p.d.String()
}

// Attempt is what a delay computed in Go (DelayFunc, PaceFunc) sees: the
// call as far as it has come. Hit and Index are the values a stub
// template reads as .Hit and .Index.
type Attempt struct {
	// Hit is the call's number among the expectation's calls, from 1: a
	// retry's attempt number. Under Sessions every session counts its own.
	Hit int
	// Index is how many messages the call has sent before this pause.
	Index int
	// Requests are the client messages received before the script ran
	// (the request of a unary or server-streaming call).
	Requests []proto.Message
	// Message is the client message received last (bidi), else the first.
	Message  proto.Message
	Metadata metadata.MD
	// MessageIndex is Message's index among the client's messages, from 0.
	MessageIndex int
	// MessageHit, on a bidi call, is Message's number among the messages
	// the expectation's calls received, from 1, over all of them (each
	// session its own): the attempt number of an answer to one message.
	MessageHit int
	// RuleHit, in a ForEach rule, is the message's number among those the
	// rule answered, from 1 (0 elsewhere).
	RuleHit int
}

// wait pauses for p, honouring the call's context. A computed length of
// zero or less is no pause, as in gripmock; one that is not a duration
// fails the call with INTERNAL naming the stub and the value.
func (p pause) wait(r *run) error {
	d, err := p.length(r)
	if err != nil {
		return err
	}
	if d <= 0 {
		return nil
	}
	return sleep(r.ctx(), d)
}

func (p pause) length(r *run) (time.Duration, error) {
	switch {
	case p.fn != nil:
		a := Attempt{Hit: r.hit, Index: r.sent, Requests: r.got, Message: r.last, Metadata: r.call.Metadata(),
			MessageIndex: max(0, r.nrecv-1), MessageHit: r.msgHit, RuleHit: r.ruleHit}
		if a.Message == nil {
			a.Message = r.first()
		}
		return p.fn(a), nil
	case p.t != nil:
		s, err := p.t.render(r.data())
		if err != nil {
			return 0, r.tmplFail(err)
		}
		d, err := delayValue(s)
		if err != nil {
			return 0, r.tmplFail(fmt.Errorf("%s: %w", p.t.where, err))
		}
		return d, nil
	}
	return p.d, nil
}

// delayValue reads what a delay template rendered: empty is no pause, as
// is a negative duration (gripmock's rules); anything else must be a
// duration no longer than MaxStubDelay.
func delayValue(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("the template gave %q, want a duration like 250ms or 2s", s)
	}
	if d > MaxStubDelay {
		return 0, fmt.Errorf("the template gave %v, longer than the longest allowed, %v", d, MaxStubDelay)
	}
	return max(d, 0), nil
}

// pause reads a stub's delay or pace: a duration, or a template rendering
// one for each call (for a pace, before each message: .Index counts the
// messages sent). The template is checked at load, and rendered once for
// a request with every field zero: a result that is not a duration then
// (a constant, say) is an error at load too.
func (s Stub) pause(n *yaml.Node, field string, env tmplEnv) (pause, error) {
	if !present(*n) {
		return pause{}, nil
	}
	if n.Kind != yaml.ScalarNode || !isTemplate(n.Value) {
		d, err := s.duration(n, field)
		return fixedPause(d), err
	}
	where := s.where(n, field)
	t, err := parseTemplate(where, n.Value, env)
	if err != nil {
		return pause{}, s.errf(n, field, "%v", err)
	}
	d := &tmplData{in: env.in, method: env.method, hit: 1, md: metadata.MD{}, start: time.Now()}
	if out, err := t.render(d); err == nil {
		if _, err := delayValue(out); err != nil {
			return pause{}, s.errf(n, field, "for a request with every field zero, %v", err)
		}
	}
	return pause{t: t}, nil
}

// Delay-curve template functions, with gripmock's names and curves
// (regressive, backoff, jitter, and duration to turn a number into one).
// Arguments that are not numbers or durations fail the call, where
// gripmock's give 0s.

// durationArg reads a duration: a time.Duration, a string like 250ms, or
// a number of milliseconds (a number or a numeric string).
func durationArg(name string, v any) (time.Duration, error) {
	switch x := v.(type) {
	case time.Duration:
		return x, nil
	case string:
		if d, err := time.ParseDuration(x); err == nil {
			return d, nil
		}
	}
	f, err := toFloat(v)
	if err != nil {
		return 0, fmt.Errorf("%s: %v is not a duration (like 250ms) or a number of milliseconds", name, v)
	}
	return clampDuration(f * float64(time.Millisecond)), nil
}

// clampDuration converts nanoseconds to a Duration, staying in range (a
// float out of int64's range converts to an unspecified value).
func clampDuration(ns float64) time.Duration {
	switch {
	case math.IsNaN(ns):
		return 0
	case ns >= math.MaxInt64:
		return math.MaxInt64
	case ns <= math.MinInt64:
		return math.MinInt64
	}
	return time.Duration(ns)
}

var durationUnits = map[string]time.Duration{
	"ns": time.Nanosecond, "us": time.Microsecond, "µs": time.Microsecond, "ms": time.Millisecond,
	"s": time.Second, "m": time.Minute, "h": time.Hour,
}

// durationOf is gripmock's duration: a number of units (ms unless given)
// as a duration string, duration (mulf 100 .Index) is "0s", "100ms", ...
func durationOf(v any, unit ...string) (string, error) {
	f, err := toFloat(v)
	if err != nil {
		return "", fmt.Errorf("duration: %w", err)
	}
	scale := time.Millisecond
	if len(unit) > 1 {
		return "", errors.New("duration: want a number and at most one unit")
	}
	if len(unit) == 1 {
		var ok bool
		if scale, ok = durationUnits[unit[0]]; !ok {
			return "", fmt.Errorf("duration: unknown unit %q (want ns, us, ms, s, m or h)", unit[0])
		}
	}
	return clampDuration(f * float64(scale)).String(), nil
}

// regressive is start less step for every attempt after the first, never
// below zero: regressive .Hit "3s" "500ms" is 3s, 2.5s, 2s, ... 0s.
func regressive(attempt, start, step any) (string, error) {
	n, err := toFloat(attempt)
	if err != nil {
		return "", fmt.Errorf("regressive: attempt %w", err)
	}
	from, err := durationArg("regressive", start)
	if err != nil {
		return "", err
	}
	by, err := durationArg("regressive", step)
	if err != nil {
		return "", err
	}
	return max(0, from-clampDuration(math.Floor(max(0, n-1)))*by).String(), nil
}

// backoff doubles base for every attempt after the first, up to the cap
// when one is given: backoff .Hit "100ms" "5s" is 100ms, 200ms, 400ms, ...
func backoff(attempt, base any, limit ...any) (string, error) {
	n, err := toFloat(attempt)
	if err != nil {
		return "", fmt.Errorf("backoff: attempt %w", err)
	}
	first, err := durationArg("backoff", base)
	if err != nil {
		return "", err
	}
	d := clampDuration(float64(first) * math.Pow(2, max(0, n-1)))
	switch len(limit) {
	case 0:
	case 1:
		capped, err := durationArg("backoff", limit[0])
		if err != nil {
			return "", err
		}
		d = min(d, capped)
	default:
		return "", errors.New("backoff: want an attempt, a base and at most one cap")
	}
	return d.String(), nil
}

// Jitter is a duration drawn in [lo, hi) (lo when they are equal) from the
// call's seeded numbers, as randInt's: the same stub and call number give
// the same pause on every run.
func (d *tmplData) Jitter(lo, hi any) (string, error) {
	from, err := durationArg("jitter", lo)
	if err != nil {
		return "", err
	}
	to, err := durationArg("jitter", hi)
	if err != nil {
		return "", err
	}
	switch {
	case to < from:
		return "", fmt.Errorf("jitter %v %v: want min <= max", from, to)
	case to == from:
		return from.String(), nil
	}
	// In uint64: to-from may pass int64's range. It wraps back into [from, to).
	return (from + time.Duration(d.rand().Uint64N(uint64(to)-uint64(from)))).String(), nil //nolint:gosec
}

// funcPause is f as a pause; a nil f is a setup error of e.
func (e *expectation) funcPause(what string, f func(Attempt) time.Duration) pause {
	e.tb().Helper()
	if f == nil {
		e.setupErr(fmt.Errorf("%s: nil func", what))
		return pause{}
	}
	return pause{fn: f}
}

// DelayFunc delays the answer by what f computes for each call: a retry's
// backoff from a.Hit, a pause the request asks for. It is Delay computed
// per call (a stub file's templated delay); zero or less is no pause.
func (u *UnaryExpectation) DelayFunc(f func(a Attempt) time.Duration) *UnaryExpectation {
	u.e.tb().Helper()
	u.e.delay = u.e.funcPause("DelayFunc", f)
	return u
}

// DelayFunc delays the answer by what f computes for each call, once the
// client half-closed.
func (c *ClientStreamExpectation) DelayFunc(f func(a Attempt) time.Duration) *ClientStreamExpectation {
	c.e.tb().Helper()
	c.e.delay = c.e.funcPause("DelayFunc", f)
	return c
}

// DelayFunc pauses the stream here for what f computes for each call.
func (s *ServerStreamExpectation) DelayFunc(f func(a Attempt) time.Duration) *ServerStreamExpectation {
	s.e.tb().Helper()
	s.e.script = append(s.e.script, waitStep{s.e.funcPause("DelayFunc", f)})
	return s
}

// PaceFunc waits what f computes before every message sent; a.Index is
// the number of messages sent before.
func (s *ServerStreamExpectation) PaceFunc(f func(a Attempt) time.Duration) *ServerStreamExpectation {
	s.e.tb().Helper()
	s.e.pace = s.e.funcPause("PaceFunc", f)
	return s
}

// DelayFunc pauses the stream here for what f computes for each call.
func (b *BidiExpectation) DelayFunc(f func(a Attempt) time.Duration) *BidiExpectation {
	b.e.tb().Helper()
	b.e.script = append(b.e.script, waitStep{b.e.funcPause("DelayFunc", f)})
	return b
}

// PaceFunc waits what f computes before every message sent.
func (b *BidiExpectation) PaceFunc(f func(a Attempt) time.Duration) *BidiExpectation {
	b.e.tb().Helper()
	b.e.pace = b.e.funcPause("PaceFunc", f)
	return b
}

// DelayFunc pauses for what f computes (a.Message is the message
// answered) where it is chained, as Delay; a nil f is no pause.
func (r *Rule) DelayFunc(f func(a Attempt) time.Duration) *Rule {
	if f != nil {
		r.answer = append(r.answer, waitStep{pause{fn: f}})
	}
	return r
}

// PaceFunc waits what f computes before every message the rule sends;
// a nil f is no pause.
func (r *Rule) PaceFunc(f func(a Attempt) time.Duration) *Rule {
	if f != nil {
		r.pace = pause{fn: f}
	}
	return r
}
