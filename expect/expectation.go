package expect

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/grpcdouble/grpcdouble/mockserver"
)

// headerTiming says when response headers go out.
type headerTiming int

const (
	headersWithFirstMessage  headerTiming = iota // gRPC's default: with the first message or the status
	headersAtStart                               // as soon as the call is answered
	headersAfterFirstRequest                     // once the first client message arrived
)

// expectation is the one engine behind every RPC kind, the Go DSL and stub
// files alike: what to match, then a script of steps to run.
type expectation struct {
	m      *Mock
	id     string
	method string // "/pkg.Service/Method"
	kind   mockserver.Kind
	md     protoreflect.MethodDescriptor // nil until known
	source string                        // where it was declared
	broken bool                          // a setup error: never matches

	*compiled // what to match and answer: a stub's is shared by every Mock's expectation of it

	deferred []func(md protoreflect.MethodDescriptor) error
	resolver mockserver.Methods // ParseStubs' resolver, for a Mock-less check

	// def is the stub an expectation was built from, as Stub.definition
	// gives it ("" for the Go DSL); shared marks a session's copy of a
	// global stub, tried after the session's own (sessions.go).
	def    string
	shared bool
	seq    int    // declared order, among the Mock's expectations
	answer string // what it answers as (mockserver.Call.SetAnswer), set once it takes calls

	hits     atomic.Int64  // written under the methodSet's lock
	msgHits  atomic.Int64  // the messages its calls' scripts took (.MessageHit)
	ruleHits map[*Rule]int // messages each ForEach rule answered, under mu

	mu       sync.Mutex
	calls    callLog // what it answered, for Calls (kept.go)
	failures []string
}

// compiled is what an expectation matches and answers: what a stub file
// compiles to, once, and what the Go DSL sets. Nothing in it changes once
// calls can see it, so every expectation of a stub (in every Mock and
// session) points at the one its parse built (Stub.compileFor).
type compiled struct {
	mdm      []mdMatcher
	session  string      // answer only calls in this session ("": any)
	req      Matcher     // unary and server-stream: the request (nil: any)
	fields   []Matcher   // unary and server-stream: field tests, all must hold
	reqs     ListMatcher // client-stream: every message (nil: any)
	script   []step
	header   metadata.MD
	headerAt headerTiming
	trailer  metadata.MD
	headerT  []mdTmpl // templated header values
	trailerT []mdTmpl // templated trailer values
	delay    pause    // before the script
	pace     pause    // before every message sent
	padTo    int      // pad every message sent to this many bytes (0: no)
	abort    *abort   // end the stream after n messages sent
	then     []thenOp // effects once it takes a call (then.go)
	dyn               // priority, scenario (dynamic.go)

	min, max int // max < 0: no limit
}

func (e *expectation) hitCount() int { return int(e.hits.Load()) }

func (e *expectation) where() string {
	if e.source == "" {
		return e.method
	}
	return e.source
}

func (e *expectation) describe() string {
	return fmt.Sprintf("expectation %s (%s %s, declared at %s)", e.id, e.kindText(), e.method, e.source)
}

func (e *expectation) kindText() string {
	if e.kind < 0 {
		return "rpc"
	}
	return e.kind.String()
}

func (e *expectation) timesText() string {
	switch {
	case e.min == e.max:
		return fmt.Sprintf("exactly %d", e.min)
	case e.max < 0:
		return fmt.Sprintf("at least %d", e.min)
	}
	return fmt.Sprintf("between %d and %d", e.min, e.max)
}

// setMethod records the method's descriptor, checks the declared kind and
// runs the checks that waited for it.
func (e *expectation) setMethod(md protoreflect.MethodDescriptor) []error {
	e.md = md
	got := mockserver.KindOf(md)
	if e.kind >= 0 && e.kind != got {
		e.broken = true
		return []error{fmt.Errorf("%s is a %s method, declared as %s (use Mock.%s)", e.method, got, e.kind, dslName(got))}
	}
	e.kind = got
	var errs []error
	for _, f := range e.deferred {
		if err := f(md); err != nil {
			errs = append(errs, err)
		}
	}
	e.deferred = nil
	if len(errs) > 0 {
		e.broken = true
	}
	return errs
}

func dslName(k mockserver.Kind) string {
	switch k {
	case mockserver.ServerStream:
		return "ServerStream"
	case mockserver.ClientStream:
		return "ClientStream"
	case mockserver.BidiStream:
		return "Bidi"
	}
	return "Unary"
}

// complete checks what can only be checked once the declaration is over.
func (e *expectation) complete() error {
	if e.broken {
		return nil
	}
	if e.kind == mockserver.Unary || e.kind == mockserver.ClientStream {
		if len(e.script) == 0 {
			return fmt.Errorf("%s %s has no response: call Return, ReturnError or ReturnFunc", e.kind, e.method)
		}
	}
	if err := e.checkOverallHealth(); err != nil {
		return fmt.Errorf("%s: request: %w", e.method, err)
	}
	return checkScript(e.script)
}

// check runs f against the method's descriptor now if it is known, or at
// Bind otherwise.
func (e *expectation) check(f func(md protoreflect.MethodDescriptor) error) {
	e.tb().Helper()
	if e.broken {
		return
	}
	if e.md == nil {
		e.deferred = append(e.deferred, f)
		return
	}
	if err := f(e.md); err != nil {
		e.setupErr(err)
	}
}

// tb is the test the Mock reports on, or one that drops every report. Every
// function on the way from a user's call to a report calls tb().Helper(), so
// the test output points at the user's line, not at this package's.
func (e *expectation) tb() TB {
	if e.m != nil && e.m.tb != nil {
		return e.m.tb
	}
	return nopTB{}
}

type nopTB struct{}

func (nopTB) Helper()               {}
func (nopTB) Errorf(string, ...any) {}
func (nopTB) Cleanup(func())        {}

func (e *expectation) setupErr(err error) {
	e.tb().Helper()
	e.broken = true
	e.m.setupError(e, err)
}

func checkType(what string, msg proto.Message, want protoreflect.MessageDescriptor) error {
	if msg == nil {
		return fmt.Errorf("%s: nil message, want %s", what, article(want.FullName()))
	}
	if got := msg.ProtoReflect().Descriptor().FullName(); got != want.FullName() {
		return fmt.Errorf("%s: got %s, want %s", what, article(got), article(want.FullName()))
	}
	return nil
}

// article puts "a" or "an" before a name: "an inventory.v1.Item", "a
// routeguide.Feature", "a user.v1.User".
func article(name protoreflect.FullName) string {
	s := strings.ToLower(string(name))
	an := s != "" && strings.IndexByte("aeio", s[0]) >= 0
	if strings.HasPrefix(s, "u") {
		an = true
		for _, p := range []string{"uni", "use", "usa", "usu", "uti", "ura", "ure", "uro", "ufo"} {
			if strings.HasPrefix(s, p) {
				an = false
			}
		}
	}
	if an {
		return "an " + string(name)
	}
	return "a " + string(name)
}

func (e *expectation) checkIn(what string, msgs ...proto.Message) {
	e.tb().Helper()
	for _, msg := range msgs {
		e.check(func(md protoreflect.MethodDescriptor) error {
			return checkType(fmt.Sprintf("%s: %s takes", what, e.method), msg, md.Input())
		})
	}
}

func (e *expectation) checkOut(what string, msgs ...proto.Message) {
	e.tb().Helper()
	for _, msg := range msgs {
		e.check(func(md protoreflect.MethodDescriptor) error {
			return checkType(fmt.Sprintf("%s: %s returns", what, e.method), msg, md.Output())
		})
	}
}

// requestJSON makes the request matcher a partial match of a protojson
// object, parsed once the input type is known.
func (e *expectation) requestJSON(what, js string, set func(Matcher)) {
	e.tb().Helper()
	e.check(func(md protoreflect.MethodDescriptor) error {
		msg := messageType(md.Input()).New().Interface()
		if err := protojson.Unmarshal([]byte(js), msg); err != nil {
			return fmt.Errorf("%s: not %s in protojson: %w", what, article(md.Input().FullName()), err)
		}
		set(Partial(msg))
		return nil
	})
}

func newStatus(code codes.Code, msg string, details []proto.Message) (*status.Status, error) {
	p := &spb.Status{Code: int32(code), Message: msg}
	for _, d := range details {
		a, err := anypb.New(d)
		if err != nil {
			return nil, fmt.Errorf("status detail: %w", err)
		}
		p.Details = append(p.Details, a)
	}
	return status.FromProto(p), nil
}

func (e *expectation) errorStep(code codes.Code, msg string, details []proto.Message) step {
	e.tb().Helper()
	st, err := newStatus(code, msg, details)
	if err != nil {
		e.setupErr(err)
		return statusStep{st: status.New(codes.Internal, err.Error())}
	}
	return statusStep{st: st}
}

//go:generate go run ./internal/methodgen

// base holds what every kind of expectation shares: metadata matchers,
// response headers and trailers, counts, and the calls it matched. Its
// methods return the expectation they were called on, for chaining.
type base[B any] struct {
	e    *expectation
	self B
}

// ID is the expectation's ID, as Mock.Stubs lists it.
func (b base[B]) ID() string {
	b.e.tb().Helper()
	return b.e.id
}

// Calls returns the calls this expectation answered, oldest first. Their
// messages and metadata are copies, decoded afresh on each Calls once the
// call has ended; changing them changes nothing kept.
func (b base[B]) Calls() []Received {
	b.e.tb().Helper()
	e := b.e
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]Received, len(e.calls.calls))
	for i := range out {
		out[i] = e.calls.received(i)
	}
	return out
}

func (b base[B]) addMD(m mdMatcher) B {
	b.e.mdm = append(b.e.mdm, m)
	return b.self
}

// WithSession matches only calls in the named session: calls whose metadata
// SessionKey (or gripmock's GripmockSessionKey) is name. Under Sessions
// such a stub, even a global one, answers in that session alone.
func (b base[B]) WithSession(name string) B {
	b.e.tb().Helper()
	if err := CheckSessionName(name); err != nil {
		b.e.setupErr(fmt.Errorf("WithSession: %w", err))
		return b.self
	}
	b.e.session = name
	return b.self
}

// WithMetadata matches calls whose request metadata key has exactly these
// values (in order). Keys are case-insensitive; -bin keys compare decoded
// bytes.
func (b base[B]) WithMetadata(key string, values ...string) B {
	b.e.tb().Helper()
	return b.addMD(mdEqual(strings.ToLower(key), values))
}

// WithMetadataPresent matches calls that carry the metadata key.
func (b base[B]) WithMetadataPresent(key string) B {
	b.e.tb().Helper()
	return b.addMD(mdPresent(strings.ToLower(key)))
}

// WithMetadataAbsent matches calls that do not carry the metadata key.
func (b base[B]) WithMetadataAbsent(key string) B {
	b.e.tb().Helper()
	return b.addMD(mdAbsent(strings.ToLower(key)))
}

// WithMetadataRegexp matches calls whose metadata key has values, every one
// matching the regular expression.
func (b base[B]) WithMetadataRegexp(key, expr string) B {
	b.e.tb().Helper()
	re, err := regexp.Compile(expr)
	if err != nil {
		b.e.setupErr(fmt.Errorf("WithMetadataRegexp(%q): %w", key, err))
		return b.self
	}
	return b.addMD(mdRegexp(strings.ToLower(key), re))
}

// WithMetadataAnyOf matches calls whose metadata passes every test of
// one of alts (beside the expectation's other metadata tests, which must
// hold too): alternatives sharing the expectation's count and answer.
func (b base[B]) WithMetadataAnyOf(alts ...*MetadataMatch) B {
	b.e.tb().Helper()
	if len(alts) == 0 {
		b.e.setupErr(fmt.Errorf("WithMetadataAnyOf: want one or more alternatives"))
		return b.self
	}
	var ms [][]mdMatcher
	for i, a := range alts {
		if a.tests.err != nil {
			b.e.setupErr(fmt.Errorf("WithMetadataAnyOf: alternative %d: %w", i+1, a.tests.err))
			return b.self
		}
		if len(a.tests.mdm) == 0 {
			b.e.setupErr(fmt.Errorf("WithMetadataAnyOf: alternative %d has no tests", i+1))
			return b.self
		}
		ms = append(ms, a.tests.mdm)
	}
	return b.addMD(mdAnyOf(ms))
}

// MetadataMatch is metadata tests that must all hold: one alternative of
// WithMetadataAnyOf. Make it with Metadata(); its methods add tests as
// the expectation's of the same names do.
type MetadataMatch struct {
	tests Rule // a rule's metadata tests, the same methods made them
}

// Metadata starts a MetadataMatch, for WithMetadataAnyOf:
// expect.Metadata().WithMetadata("x-role", "admin").
func Metadata() *MetadataMatch { return &MetadataMatch{} }

// WithMetadata wants the key to have exactly these values (in order).
func (m *MetadataMatch) WithMetadata(key string, values ...string) *MetadataMatch {
	m.tests.WithMetadata(key, values...)
	return m
}

// WithMetadataPresent wants the key carried.
func (m *MetadataMatch) WithMetadataPresent(key string) *MetadataMatch {
	m.tests.WithMetadataPresent(key)
	return m
}

// WithMetadataAbsent wants the key not carried.
func (m *MetadataMatch) WithMetadataAbsent(key string) *MetadataMatch {
	m.tests.WithMetadataAbsent(key)
	return m
}

// WithMetadataRegexp wants the key to have values, every one matching
// the regular expression.
func (m *MetadataMatch) WithMetadataRegexp(key, expr string) *MetadataMatch {
	if m.tests.err == nil {
		m.tests.WithMetadataRegexp(key, expr)
	}
	return m
}

// WithMetadataFunc matches calls for whose metadata values f returns true.
func (b base[B]) WithMetadataFunc(key string, f func(values []string) bool) B {
	b.e.tb().Helper()
	return b.addMD(mdFunc(strings.ToLower(key), f))
}

// ReturnHeader adds a response header. Headers go out with the first
// response message (or the status) unless SendHeaderAtStart or
// SendHeaderAfterFirstRequest says otherwise.
func (b base[B]) ReturnHeader(key string, values ...string) B {
	b.e.tb().Helper()
	b.e.header = metadata.Join(b.e.header, metadata.Pairs(pairs(key, values)...))
	return b.self
}

// SendHeaderAtStart sends the response headers as soon as the call is
// answered, before any message. For unary and server-streaming calls that is
// once the request has arrived; for client streams, when the expectation is
// chosen (at once if only one expectation fits the metadata, else after the
// client half-closes).
func (b base[B]) SendHeaderAtStart() B {
	b.e.tb().Helper()
	b.e.headerAt = headersAtStart
	return b.self
}

// SendHeaderAfterFirstRequest sends the response headers once the first
// client message has arrived.
func (b base[B]) SendHeaderAfterFirstRequest() B {
	b.e.tb().Helper()
	b.e.headerAt = headersAfterFirstRequest
	return b.self
}

// ReturnTrailer adds a response trailer, sent with the final status, OK or not.
func (b base[B]) ReturnTrailer(key string, values ...string) B {
	b.e.tb().Helper()
	b.e.trailer = metadata.Join(b.e.trailer, metadata.Pairs(pairs(key, values)...))
	return b.self
}

func pairs(key string, values []string) []string {
	out := make([]string, 0, 2*len(values))
	for _, v := range values {
		out = append(out, key, v)
	}
	return out
}

// Times wants exactly n calls (the default is 1). A negative n is a setup
// error: AnyTimes says "any number".
func (b base[B]) Times(n int) B {
	b.e.tb().Helper()
	if b.count("Times", n) {
		b.e.min, b.e.max = n, n
	}
	return b.self
}

// Once wants exactly one call.
func (b base[B]) Once() B {
	b.e.tb().Helper()
	return b.Times(1)
}

// AnyTimes accepts any number of calls, none included.
func (b base[B]) AnyTimes() B {
	b.e.tb().Helper()
	b.e.min, b.e.max = 0, -1
	return b.self
}

// MinTimes wants at least n calls (and lifts the upper limit if it was
// below n).
func (b base[B]) MinTimes(n int) B {
	b.e.tb().Helper()
	if !b.count("MinTimes", n) {
		return b.self
	}
	b.e.min = n
	if b.e.max >= 0 && b.e.max < n {
		b.e.max = -1
	}
	return b.self
}

// MaxTimes accepts at most n calls.
func (b base[B]) MaxTimes(n int) B {
	b.e.tb().Helper()
	if !b.count("MaxTimes", n) {
		return b.self
	}
	b.e.max = n
	if b.e.min > n {
		b.e.min = n
	}
	return b.self
}

// count reports whether n is a usable call count, recording a setup error
// when it is not: inside the engine -1 means "no limit", and a count
// written as -1 by mistake must not silently become that.
func (b base[B]) count(what string, n int) bool {
	b.e.tb().Helper()
	if n >= 0 {
		return true
	}
	b.e.setupErr(fmt.Errorf("%s(%d): a call count cannot be negative (AnyTimes accepts any number)", what, n))
	return false
}

// Optional lets the expectation go uncalled, keeping its upper limit.
func (b base[B]) Optional() B {
	b.e.tb().Helper()
	b.e.min = 0
	return b.self
}

// request adds to base the request matchers of the kinds whose client sends
// exactly one message: unary and server streaming.
type request[B any] struct {
	base[B]
}

// WithRequest matches a request equal to msg (proto.Equal).
func (r request[B]) WithRequest(msg proto.Message) B {
	r.e.tb().Helper()
	r.e.checkIn("WithRequest", msg)
	r.e.req = Equal(msg)
	return r.self
}

// WithRequestPartial matches a request whose fields equal those set in msg.
func (r request[B]) WithRequestPartial(msg proto.Message) B {
	r.e.tb().Helper()
	r.e.checkIn("WithRequestPartial", msg)
	r.e.req = Partial(msg)
	return r.self
}

// WithRequestJSON matches a request that has every field of a protojson
// object (a subset match, like WithRequestPartial).
func (r request[B]) WithRequestJSON(js string) B {
	r.e.tb().Helper()
	r.e.requestJSON("WithRequestJSON", js, func(m Matcher) { r.e.req = m })
	return r.self
}

// WithRequestMatching matches requests with any Matcher, for example
// expect.Func(func(p *pb.Point) bool { ... }) or expect.Anything().
func (r request[B]) WithRequestMatching(m Matcher) B {
	r.e.tb().Helper()
	r.e.bindInput("WithRequestMatching", m)
	r.e.req = m
	return r.self
}

// UnaryExpectation scripts a unary method. Declare it with Mock.Unary.
type UnaryExpectation struct {
	request[*UnaryExpectation]
}

// Return answers with msg.
func (u *UnaryExpectation) Return(msg proto.Message) *UnaryExpectation {
	u.e.tb().Helper()
	u.e.checkOut("Return", msg)
	u.e.script = []step{sendStep{msg: msg}}
	return u
}

// ReturnError answers with a status: any code, a message, and details
// (google.rpc.ErrorInfo, BadRequest, ... or any message) packed as Any.
func (u *UnaryExpectation) ReturnError(code codes.Code, msg string, details ...proto.Message) *UnaryExpectation {
	u.e.tb().Helper()
	u.e.script = []step{u.e.errorStep(code, msg, details)}
	return u
}

// ReturnStatus answers with st.
func (u *UnaryExpectation) ReturnStatus(st *status.Status) *UnaryExpectation {
	u.e.tb().Helper()
	u.e.script = []step{statusStep{st: st}}
	return u
}

// ReturnFunc answers with what f makes of the request: a response, or an
// error that becomes the status (keep its code with status.Error).
func (u *UnaryExpectation) ReturnFunc(f func(ctx context.Context, req proto.Message) (proto.Message, error)) *UnaryExpectation {
	u.e.tb().Helper()
	u.e.script = []step{sendStep{fn: func(r *run) (proto.Message, error) { return f(r.ctx(), r.first()) }}}
	return u
}

// Delay delays the answer by d. The delay honours the call's context: a
// client deadline shorter than d gets DeadlineExceeded.
func (u *UnaryExpectation) Delay(d time.Duration) *UnaryExpectation {
	u.e.tb().Helper()
	u.e.delay = fixedPause(d)
	return u
}

// ServerStreamExpectation scripts a server-streaming method. Declare it
// with Mock.ServerStream.
type ServerStreamExpectation struct {
	request[*ServerStreamExpectation]
}

// Send sends messages, in order.
func (s *ServerStreamExpectation) Send(msgs ...proto.Message) *ServerStreamExpectation {
	s.e.tb().Helper()
	s.e.checkOut("Send", msgs...)
	for _, m := range msgs {
		s.e.script = append(s.e.script, sendStep{msg: m})
	}
	return s
}

// Delay pauses the stream for d (honouring the call's context).
func (s *ServerStreamExpectation) Delay(d time.Duration) *ServerStreamExpectation {
	s.e.tb().Helper()
	s.e.script = append(s.e.script, waitStep{fixedPause(d)})
	return s
}

// Pace waits d before every message sent.
func (s *ServerStreamExpectation) Pace(d time.Duration) *ServerStreamExpectation {
	s.e.tb().Helper()
	s.e.pace = fixedPause(d)
	return s
}

// ReturnCode ends the stream with a status code (codes.OK is a normal end;
// without any ReturnCode the stream ends OK after its last message).
func (s *ServerStreamExpectation) ReturnCode(code codes.Code) *ServerStreamExpectation {
	s.e.tb().Helper()
	s.e.script = append(s.e.script, statusStep{st: status.New(code, code.String())})
	return s
}

// ReturnError ends the stream with a status with message and details.
func (s *ServerStreamExpectation) ReturnError(code codes.Code, msg string, details ...proto.Message) *ServerStreamExpectation {
	s.e.tb().Helper()
	s.e.script = append(s.e.script, s.e.errorStep(code, msg, details))
	return s
}

// ReturnStatus ends the stream with st.
func (s *ServerStreamExpectation) ReturnStatus(st *status.Status) *ServerStreamExpectation {
	s.e.tb().Helper()
	s.e.script = append(s.e.script, statusStep{st: st})
	return s
}

// KeepOpen keeps the stream open, after what was sent, until the client
// cancels or its deadline passes: a long-lived subscription.
func (s *ServerStreamExpectation) KeepOpen() *ServerStreamExpectation {
	s.e.tb().Helper()
	s.e.script = append(s.e.script, holdStep{})
	return s
}

// Run hands the call to f, an escape hatch for behaviour no step offers. The
// request has already been received: it is the first element of the
// expectation's recorded messages and Recv returns io.EOF.
func (s *ServerStreamExpectation) Run(f func(req proto.Message, call *mockserver.Call) error) *ServerStreamExpectation {
	s.e.tb().Helper()
	s.e.script = append(s.e.script, funcStep{func(r *run) error { return f(r.first(), r.call) }})
	return s
}

// ClientStreamExpectation scripts a client-streaming method: it reads every
// client message, then answers once. Declare it with Mock.ClientStream.
type ClientStreamExpectation struct {
	base[*ClientStreamExpectation]
}

// WithRequests matches a stream of exactly these messages, each by
// proto.Equal, in order.
func (c *ClientStreamExpectation) WithRequests(msgs ...proto.Message) *ClientStreamExpectation {
	c.e.tb().Helper()
	c.e.checkIn("WithRequests", msgs...)
	ms := make([]Matcher, len(msgs))
	for i, m := range msgs {
		ms[i] = Equal(m)
	}
	c.e.reqs = Messages(ms...)
	return c
}

// WithRequestCount matches a stream of exactly n messages.
func (c *ClientStreamExpectation) WithRequestCount(n int) *ClientStreamExpectation {
	c.e.tb().Helper()
	c.e.reqs = Count(n)
	return c
}

// WithRequestsMatching matches the stream with any ListMatcher, for example
// expect.Messages(expect.Partial(a), expect.Anything()) or expect.FuncAll.
func (c *ClientStreamExpectation) WithRequestsMatching(m ListMatcher) *ClientStreamExpectation {
	c.e.tb().Helper()
	c.e.bindInput("WithRequestsMatching", m)
	c.e.reqs = m
	return c
}

// Return answers with msg once the client has half-closed.
func (c *ClientStreamExpectation) Return(msg proto.Message) *ClientStreamExpectation {
	c.e.tb().Helper()
	c.e.checkOut("Return", msg)
	c.e.script = []step{sendStep{msg: msg}}
	return c
}

// ReturnError answers with a status with message and details.
func (c *ClientStreamExpectation) ReturnError(code codes.Code, msg string, details ...proto.Message) *ClientStreamExpectation {
	c.e.tb().Helper()
	c.e.script = []step{c.e.errorStep(code, msg, details)}
	return c
}

// ReturnStatus answers with st.
func (c *ClientStreamExpectation) ReturnStatus(st *status.Status) *ClientStreamExpectation {
	c.e.tb().Helper()
	c.e.script = []step{statusStep{st: st}}
	return c
}

// ReturnFunc answers with what f makes of every message received.
func (c *ClientStreamExpectation) ReturnFunc(f func(ctx context.Context, reqs []proto.Message) (proto.Message, error)) *ClientStreamExpectation {
	c.e.tb().Helper()
	c.e.script = []step{sendStep{fn: func(r *run) (proto.Message, error) { return f(r.ctx(), r.got) }}}
	return c
}

// Delay delays the answer by d, honouring the call's context.
func (c *ClientStreamExpectation) Delay(d time.Duration) *ClientStreamExpectation {
	c.e.tb().Helper()
	c.e.delay = fixedPause(d)
	return c
}

// BidiExpectation scripts a bidirectional stream as an ordered list of
// steps. Declare it with Mock.Bidi. Unless the script ends with a status
// (Return...) or KeepOpen, the server then waits for the client to
// half-close, and a message that arrives meanwhile breaks the script.
type BidiExpectation struct {
	base[*BidiExpectation]
}

// Recv receives one message, which must equal msg.
func (b *BidiExpectation) Recv(msg proto.Message) *BidiExpectation {
	b.e.tb().Helper()
	b.e.checkIn("Recv", msg)
	return b.RecvMatching(Equal(msg))
}

// RecvPartial receives one message whose fields equal those set in msg.
func (b *BidiExpectation) RecvPartial(msg proto.Message) *BidiExpectation {
	b.e.tb().Helper()
	b.e.checkIn("RecvPartial", msg)
	return b.RecvMatching(Partial(msg))
}

// RecvMatching receives one message that m accepts.
func (b *BidiExpectation) RecvMatching(m Matcher) *BidiExpectation {
	b.e.tb().Helper()
	b.e.bindInput("RecvMatching", m)
	b.e.script = append(b.e.script, recvStep{m})
	return b
}

// RecvAll receives every message until the client half-closes
// (read-everything-then-reply).
func (b *BidiExpectation) RecvAll() *BidiExpectation {
	b.e.tb().Helper()
	b.e.script = append(b.e.script, recvAllStep{})
	return b
}

// RecvAllMatching is RecvAll, then checks the messages with m.
func (b *BidiExpectation) RecvAllMatching(m ListMatcher) *BidiExpectation {
	b.e.tb().Helper()
	b.e.script = append(b.e.script, recvAllStep{m})
	return b
}

// Send sends messages, in order. A script may start with Send: the server
// speaks first.
func (b *BidiExpectation) Send(msgs ...proto.Message) *BidiExpectation {
	b.e.tb().Helper()
	b.e.checkOut("Send", msgs...)
	for _, m := range msgs {
		b.e.script = append(b.e.script, sendStep{msg: m})
	}
	return b
}

// SendHeader sends the response headers (ReturnHeader) now.
func (b *BidiExpectation) SendHeader() *BidiExpectation {
	b.e.tb().Helper()
	b.e.script = append(b.e.script, headerStep{})
	return b
}

// Delay pauses for d (honouring the call's context).
func (b *BidiExpectation) Delay(d time.Duration) *BidiExpectation {
	b.e.tb().Helper()
	b.e.script = append(b.e.script, waitStep{fixedPause(d)})
	return b
}

// Pace waits d before every message sent.
func (b *BidiExpectation) Pace(d time.Duration) *BidiExpectation {
	b.e.tb().Helper()
	b.e.pace = fixedPause(d)
	return b
}

// ReturnCode ends the stream at once with a status code.
func (b *BidiExpectation) ReturnCode(code codes.Code) *BidiExpectation {
	b.e.tb().Helper()
	b.e.script = append(b.e.script, statusStep{st: status.New(code, code.String())})
	return b
}

// ReturnError ends the stream at once with a status with message and details.
func (b *BidiExpectation) ReturnError(code codes.Code, msg string, details ...proto.Message) *BidiExpectation {
	b.e.tb().Helper()
	b.e.script = append(b.e.script, b.e.errorStep(code, msg, details))
	return b
}

// ReturnStatus ends the stream at once with st.
func (b *BidiExpectation) ReturnStatus(st *status.Status) *BidiExpectation {
	b.e.tb().Helper()
	b.e.script = append(b.e.script, statusStep{st: st})
	return b
}

// KeepOpen keeps the stream open until the client cancels.
func (b *BidiExpectation) KeepOpen() *BidiExpectation {
	b.e.tb().Helper()
	b.e.script = append(b.e.script, holdStep{})
	return b
}

// Run hands the raw call to f, an escape hatch: f's error is the status.
func (b *BidiExpectation) Run(f func(call *mockserver.Call) error) *BidiExpectation {
	b.e.tb().Helper()
	b.e.script = append(b.e.script, funcStep{func(r *run) error { return f(r.call) }})
	return b
}

var errStop = errors.New("script ended")
