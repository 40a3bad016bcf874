package replay

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// Option configures a Handler.
type Option interface{ apply(*config) }

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

type config struct {
	t            testing.TB
	inOrder      bool
	reusable     bool
	allowUnused  bool
	timing       bool
	cancelWait   time.Duration
	matchMD      []string // nil: every key
	ignoreMD     map[string]bool
	ignoreFields map[protoreflect.FullName][]protoreflect.Name
	fallback     Fallback
	missCode     codes.Code
	showSecrets  bool
}

func newConfig(opts []Option) *config {
	c := &config{missCode: NoMatchCode, cancelWait: 10 * time.Second, ignoreMD: map[string]bool{}, ignoreFields: map[protoreflect.FullName][]protoreflect.Name{}}
	for _, o := range opts {
		o.apply(c)
	}
	return c
}

// WithT ties the handler to a test: at the test's cleanup, every call that
// matched no interaction fails the test (with the nearest interaction and
// a diff), and so does every interaction never used unless AllowUnused.
// Nothing is reported from the calls' goroutines.
func WithT(t testing.TB) Option { return optionFunc(func(c *config) { c.t = t }) }

// InOrder makes calls match interactions in recorded order: each call must
// match the earliest interaction not yet used, whatever its method. Meant
// for clients that make one call at a time.
func InOrder() Option { return optionFunc(func(c *config) { c.inOrder = true }) }

// Reusable lets an interaction answer any number of calls (by default each
// answers one).
func Reusable() Option { return optionFunc(func(c *config) { c.reusable = true }) }

// AllowUnused reports interactions never used with t.Logf instead of
// failing the test.
func AllowUnused() Option { return optionFunc(func(c *config) { c.allowUnused = true }) }

// WithTiming waits, before each server event, until as long after the
// call's start as it happened when recorded. By default replay answers at
// once.
func WithTiming() Option { return optionFunc(func(c *config) { c.timing = true }) }

// WithCancelWait bounds how long replay of a call that the client cancelled
// (or whose deadline passed) when recorded waits for the client to do so
// again, before answering with the recorded status. Default 10s.
func WithCancelWait(d time.Duration) Option {
	return optionFunc(func(c *config) { c.cancelWait = d })
}

// MatchMetadata matches request metadata on these keys only. By default
// every recorded key must match (a redacted value matches any value), and
// the call may have no keys the recording lacks.
func MatchMetadata(keys ...string) Option {
	return optionFunc(func(c *config) {
		for _, k := range keys {
			c.matchMD = append(c.matchMD, strings.ToLower(k))
		}
	})
}

// IgnoreMetadata leaves these request metadata keys out of matching.
func IgnoreMetadata(keys ...string) Option {
	return optionFunc(func(c *config) {
		for _, k := range keys {
			c.ignoreMD[strings.ToLower(k)] = true
		}
	})
}

// IgnoreFields leaves the named fields of messages of msg's type out of
// matching, wherever such a message appears in a request (like
// protocmp.IgnoreFields).
func IgnoreFields(msg proto.Message, names ...protoreflect.Name) Option {
	full := msg.ProtoReflect().Descriptor().FullName()
	return optionFunc(func(c *config) { c.ignoreFields[full] = append(c.ignoreFields[full], names...) })
}

// WithFallback hands calls that match no interaction to f instead of
// failing them, as long as replay has sent the client nothing yet.
func WithFallback(f Fallback) Option { return optionFunc(func(c *config) { c.fallback = f }) }

// WithMissCode makes the calls no interaction matches fail with code
// instead of NoMatchCode, as expect.WithMissCode does for stubs (the
// grpcdouble command's --miss-code sets both). A recorded answer keeps its
// own code, and WithFallback still gets every miss. New refuses codes.OK.
func WithMissCode(code codes.Code) Option { return optionFunc(func(c *config) { c.missCode = code }) }

func (c *config) check() error {
	switch {
	case c.missCode == codes.OK:
		return errors.New("replay: WithMissCode(OK): a miss must fail the call: want a status code other than OK")
	case c.missCode > codes.Unauthenticated:
		return fmt.Errorf("replay: WithMissCode(%v): not a gRPC status code: want one from Canceled (1) to Unauthenticated (16)", c.missCode)
	}
	return nil
}

// WithSecretsShown shows credential metadata as the calls sent it in what
// WithT reports and in the status a missed call gets, as
// expect.WithSecretsShown does for a Mock. By default the values of every
// key cassette.DefaultRedacts reports read [REDACTED] there, so a CI log
// does not carry them; the reason still names the key. Misses and Verify
// return the misses as they came.
func WithSecretsShown() Option { return optionFunc(func(c *config) { c.showSecrets = true }) }
