package expect

import (
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/dynamicpb"

	// Registers google.rpc.ErrorInfo, BadRequest and the other standard
	// error details, so stub files can name them in status details.
	_ "google.golang.org/genproto/googleapis/rpc/errdetails"

	"github.com/grpcdouble/grpcdouble/cassette"
	"github.com/grpcdouble/grpcdouble/internal/newest"
	"github.com/grpcdouble/grpcdouble/mockserver"
)

// NoMatchCode is the status code a client gets, unless WithMissCode says
// another, for a call that no expectation matches, or whose stream broke its
// script. The status message names the call and the nearest expectation
// with a (-want +got) diff.
const NoMatchCode = codes.FailedPrecondition

// Sentinel errors. Errors returned by this package wrap them with %w.
var (
	// ErrNoMatch: a call came that no expectation matches.
	ErrNoMatch = errors.New("no expectation matches")
	// ErrUnmet: an expectation was called fewer times than it wants.
	ErrUnmet = errors.New("expectation not met")
	// ErrScript: a stream did not follow its expectation's script.
	ErrScript = errors.New("stream broke its script")
	// ErrSetup: an expectation is wrongly declared (unknown method, message
	// of the wrong type, bad regular expression, ...).
	ErrSetup = errors.New("bad expectation")
	// ErrStubFile: a stub file could not be read or understood.
	ErrStubFile = errors.New("bad stub file")
	// ErrUnknownStub: no stub has the given ID.
	ErrUnknownStub = errors.New("no such stub")
)

// TB is the part of testing.TB a Mock uses. *testing.T and *testing.B
// satisfy it; tests of test helpers can pass a fake that records reports.
type TB interface {
	Helper()
	Errorf(format string, args ...any)
	Cleanup(func())
}

// Option configures a Mock.
type Option interface{ apply(*config) }

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

type config struct {
	inOrder      bool
	discardCalls bool
	showSecrets  bool
	resolver     mockserver.Methods
	fallback     Fallback
	missCode     codes.Code
}

// Fallback answers the calls no expectation matches, in place of the
// NoMatchCode status: a *record.Proxy forwarding them to a live server is
// one (record.Passthrough). It gets the client messages the Mock already
// read, and whether the client had half-closed.
type Fallback interface {
	Serve(c *mockserver.Call, received []proto.Message, halfClosed bool) error
}

// WithFallback hands the calls no expectation matches to f. They are not
// misses: Unexpected and Verify do not report them.
func WithFallback(f Fallback) Option {
	return optionFunc(func(c *config) { c.fallback = f })
}

// WithMissCode makes the calls no expectation matches, and the streams that
// break their script, fail with code instead of NoMatchCode. A test double
// replacing one that answered misses otherwise keeps its clients' checks:
// gripmock answers them codes.NotFound, WireMock's gRPC extension
// codes.Unimplemented (its older releases codes.NotFound). The message is the
// same whatever the code. A stub's own answer keeps the code it declares,
// and WithFallback still gets every call no expectation matches. code must
// be a status code other than codes.OK; another is a setup error.
func WithMissCode(code codes.Code) Option {
	return optionFunc(func(c *config) { c.missCode = code })
}

func checkMissCode(c codes.Code) error {
	switch {
	case c == codes.OK:
		return errors.New("a miss must fail the call: want a status code other than OK")
	case c > codes.Unauthenticated:
		return errors.New("not a gRPC status code: want one from Canceled (1) to Unauthenticated (16)")
	}
	return nil
}

// WithSecretsShown shows credential metadata as the calls sent it in what
// New reports on the test and in the GRPCDOUBLE_REPORT_DIR report. By
// default the values of every key cassette.DefaultRedacts reports (the keys
// recorders leave out of cassettes and the admin API hides:
// authorization, cookies, tokens, api keys) read [REDACTED] there, so a CI
// log of a failing test does not carry them; a miss still names the key
// that differed. The status a missed call gets redacts them the same way,
// and shows them with this option too. Verify and Unexpected return the
// calls as they came.
func WithSecretsShown() Option { return optionFunc(func(c *config) { c.showSecrets = true }) }

// secretsNote follows a reason a Mock's report redacted.
const secretsNote = " (expect.WithSecretsShown shows it)"

// scrub hides, in text the Mock reports, what calls sent for credential
// metadata (unless WithSecretsShown).
func (m *Mock) scrub(text string) string {
	if m.cfg.showSecrets {
		return text
	}
	return cassette.RedactReasons(text, secretsNote)
}

// clientNote follows a reason the status of a missed call redacted.
const clientNote = " (credentials are not sent back to the client)"

// toClient hides, in the status a missed call gets, what the call sent for
// credential metadata and what the nearest expectation wants there (unless
// WithSecretsShown): a client's error is logged as often as a test's, and
// would carry the token. The reason still names the key.
func (m *Mock) toClient(text string) string {
	if m.cfg.showSecrets {
		return text
	}
	return cassette.RedactReasons(text, clientNote)
}

// InOrder makes the expectations of each method match in the order they
// were declared: a call may only use an expectation once every earlier one on
// the same method has been called its minimum number of times. Without it, a
// call uses the first declared expectation that matches and is not used up.
func InOrder() Option { return optionFunc(func(c *config) { c.inOrder = true }) }

// DiscardCalls makes the Mock count calls but keep none for Calls, and keep
// only the newest thousand calls nothing matched. A long-running
// server (the grpcdouble command) answers without end, and the server's
// journal, which has a limit, already keeps what was received; kept here
// too, every call would stay in memory for good.
func DiscardCalls() Option { return optionFunc(func(c *config) { c.discardCalls = true }) }

// WithResolver looks method names up in r (for example a running
// *mockserver.Server, or descriptors loaded from .proto files) before the
// compiled Go types, so expectations on a service known only from a .proto
// file are checked as they are declared. Bind sets it too. For .proto
// files, load them once and hand the result to both the Mock and the
// server:
//
//	files, err := mockserver.Load(ctx, mockserver.ProtoFiles([]string{"protos"}, "routeguide.proto"))
//	m := expect.New(t, expect.WithResolver(files))
//	srv := mockserver.Start(t, m, mockserver.WithSource(files))
func WithResolver(r mockserver.Methods) Option {
	return optionFunc(func(c *config) { c.resolver = r })
}

// Mock is a mockserver.Handler scripted by expectations. Declare them with
// Unary, ServerStream, ClientStream and Bidi (or add stubs from files), start
// a server with mockserver.Start(t, m), and let the code under test call it.
//
// All methods are safe for concurrent use.
type Mock struct {
	tb  TB
	cfg config

	mu       sync.RWMutex
	byMethod map[string]*methodSet
	all      []*expectation // declared order, for listing and verifying
	bound    mockserver.Methods
	setupErr []error
	reported int                // setupErr[:reported] were reported on tb
	misses   *newest.List[Miss] // with DiscardCalls, the newest keptMisses
	nextID   int
	ids      map[string]*expectation // every live expectation by ID

	states scenarioStates
	sink   effectSink // where Then's effects go; nil: the Mock itself
}

// methodSet is the expectations of one method, in declared order.
type methodSet struct {
	mu   sync.Mutex
	exps []*expectation

	idx     *reqIndex // nil: scan (index.go)
	indexed bool      // idx is built for exps as they are
}

// New returns a Mock for a test: setup errors are reported on t at once, and
// at t's cleanup every expectation must have been met and no unexpected call
// may have come. Declare expectations before calling mockserver.Start, which
// registers its own cleanup later, so the server has stopped (and every
// handler returned) by the time the Mock verifies.
func New(t TB, opts ...Option) *Mock {
	t.Helper()
	m := NewMock(opts...)
	m.tb = t
	for _, err := range m.setupErr { // a bad option
		t.Errorf("expect: %v", err)
	}
	m.reported = len(m.setupErr)
	t.Cleanup(func() {
		t.Helper()
		problems := m.problems(true)
		for _, err := range problems {
			t.Errorf("%s", m.scrub(err.Error()))
		}
		switch path, err := m.report(t, problems); {
		case err != nil:
			t.Errorf("grpcdouble: no report of this test's calls: %v", err)
		case path != "":
			t.Errorf("grpcdouble: the calls this test's double received, with its stubs and misses, are in %s (open it in a browser)", path)
		}
	})
	return m
}

// NewMock returns a Mock that belongs to no test, for a standalone server:
// check it with Verify and Err.
func NewMock(opts ...Option) *Mock {
	m := &Mock{byMethod: map[string]*methodSet{}, ids: map[string]*expectation{}}
	m.cfg.missCode = NoMatchCode
	for _, o := range opts {
		o.apply(&m.cfg)
	}
	if err := checkMissCode(m.cfg.missCode); err != nil {
		m.setupErr = append(m.setupErr, fmt.Errorf("%w: WithMissCode(%v): %w", ErrSetup, m.cfg.missCode, err))
		m.cfg.missCode = NoMatchCode
	}
	limit := 0 // a test reports every unexpected call
	if m.cfg.discardCalls {
		limit = keptMisses
	}
	m.misses = newest.New[Miss](limit)
	return m
}

// Methods lists the methods the Mock has expectations for, so that
// mockserver serves their services. It implements mockserver.MethodLister.
//
// Methods is plumbing, exported for integrators who combine a Mock with
// other handlers (as the grpcdouble command does); a test never calls it.
func (m *Mock) Methods() []string {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := make([]string, 0, len(m.byMethod))
	for name := range m.byMethod {
		out = append(out, name)
	}
	slices.Sort(out)
	return out
}

// HasExpectation reports whether any expectation (or stub) is declared for
// method now; unlike Methods it forgets a method whose stubs were all
// deleted. It is cheap enough to ask on every call.
//
// HasExpectation is plumbing, exported for integrators who route each call
// either to a Mock or to another handler (the grpcdouble command sends a
// method with no stubs to its cassettes); a test never calls it.
func (m *Mock) HasExpectation(method string) bool {
	if !strings.HasPrefix(method, "/") {
		method = "/" + method
	}
	m.mu.RLock()
	set := m.byMethod[method]
	m.mu.RUnlock()
	if set == nil {
		return false
	}
	set.mu.Lock()
	defer set.mu.Unlock()
	return len(set.exps) > 0
}

// OverridesBuiltin reports whether an expectation is declared for c's
// method of grpc.health.v1.Health, which the server serves itself: a call
// that one matches gets its answer, and any other the server's own
// health's. It implements mockserver.BuiltinOverrider.
//
// OverridesBuiltin is plumbing, exported for integrators who wrap a Mock
// in a handler of their own; a test never calls it.
func (m *Mock) OverridesBuiltin(c *mockserver.Call) bool { return m.HasExpectation(c.FullMethod()) }

// Bind checks every expectation against the descriptors the server serves:
// the method exists, has the declared kind, and every message has the right
// type. It implements mockserver.Binder: Start calls it before serving and
// fails on the error it returns.
//
// Bind is plumbing between a Mock and a server, exported for integrators
// who serve a Mock some other way; a test never calls it.
//
// For a Mock made with NewMock the error joins every setup error so far.
// For one made with New, each setup error is reported on the test once: an
// error found while declaring was reported then, at the test's line, and
// Bind returns only the errors it found itself, for the caller (Start) to
// report; when it found none but earlier ones were reported, its error wraps
// mockserver.ErrReported.
func (m *Mock) Bind(methods mockserver.Methods) error {
	m.mu.Lock()
	m.bound = methods
	exps := slices.Clone(m.all)
	before := len(m.setupErr)
	m.mu.Unlock()
	for _, e := range exps {
		if e.md == nil && !e.broken {
			md, err := methods.Method(e.method)
			if err != nil {
				e.broken = true
				m.addSetupError(e, fmt.Errorf("%s: %w", e.method, err), false)
				continue
			}
			for _, err := range e.setMethod(md) {
				m.addSetupError(e, err, false)
			}
		}
		if err := e.complete(); err != nil {
			e.broken = true
			m.addSetupError(e, err, false)
			continue
		}
		if limit, _ := sendLimit(methods); !e.broken {
			err := e.checkSizes(limit)
			if err == nil {
				continue
			}
			e.broken = true
			m.addSetupError(e, fmt.Errorf("%w: %s: %w", ErrSetup, e.where(), err), false)
		}
	}
	for _, method := range m.Methods() {
		m.reorder(method) // stubs learn their priority once their method is known
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.tb == nil {
		return errors.Join(m.setupErr...)
	}
	found := slices.Clone(m.setupErr[before:])
	// The caller reports what Bind returns (Start does, at the test's line).
	m.reported = len(m.setupErr)
	if len(found) > 0 {
		return errors.Join(found...)
	}
	if len(m.setupErr) > 0 {
		return fmt.Errorf("%w (%w)", errors.Join(m.setupErr...), mockserver.ErrReported)
	}
	return nil
}

// Err joins the setup errors found so far (each wraps ErrSetup or
// ErrStubFile), or is nil.
func (m *Mock) Err() error {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return errors.Join(m.setupErr...)
}

// setupError records a setup error found while declaring, and reports it
// on the test at once.
func (m *Mock) setupError(e *expectation, err error) {
	e.tb().Helper()
	m.addSetupError(e, err, true)
}

// addSetupError records a setup error; with report, and a test, it also
// reports it there (the caller's line: every function on the way calls
// Helper).
func (m *Mock) addSetupError(e *expectation, err error, report bool) {
	e.tb().Helper()
	if !errors.Is(err, ErrSetup) && !errors.Is(err, ErrStubFile) {
		err = fmt.Errorf("%w: %s: %w", ErrSetup, e.where(), err)
	}
	m.mu.Lock()
	m.setupErr = append(m.setupErr, err)
	report = report && m.tb != nil && m.reported == len(m.setupErr)-1
	if report {
		m.reported++
	}
	m.mu.Unlock()
	if report {
		m.tb.Errorf("expect: %v", err)
	}
}

// lookup finds a method's descriptor: in the bound server, the resolver,
// then the compiled Go types. A nil descriptor with a nil error means "not
// known yet": Bind will tell.
func (m *Mock) lookup(full string) (protoreflect.MethodDescriptor, error) {
	m.mu.RLock()
	bound, res := m.bound, m.cfg.resolver
	m.mu.RUnlock()
	if bound != nil {
		return bound.Method(full)
	}
	return lookupWith(res, full)
}

// globalMethod finds a method among the compiled Go types. With strict
// false, a service that is not there is no error (nil, nil): it may come from
// the server's sources.
func globalMethod(full string, strict bool) (protoreflect.MethodDescriptor, error) {
	svc, name, _ := strings.Cut(strings.TrimPrefix(full, "/"), "/")
	d, err := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(svc))
	if err != nil {
		if strict {
			return nil, fmt.Errorf("service %s is not known (neither compiled in nor given by a resolver)", svc)
		}
		return nil, nil
	}
	sd, ok := d.(protoreflect.ServiceDescriptor)
	if !ok {
		return nil, fmt.Errorf("%s is a %T, not a service", svc, d)
	}
	md := sd.Methods().ByName(protoreflect.Name(name))
	if md == nil {
		var have []string
		for i := 0; i < sd.Methods().Len(); i++ {
			have = append(have, string(sd.Methods().Get(i).Name()))
		}
		return nil, fmt.Errorf("service %s has no method %s (it has %s)", svc, name, strings.Join(have, ", "))
	}
	return md, nil
}

// messageType is the type mockserver decodes a message into: the generated
// Go type when linked in, dynamicpb otherwise.
func messageType(md protoreflect.MessageDescriptor) protoreflect.MessageType {
	if mt, err := protoregistry.GlobalTypes.FindMessageByName(md.FullName()); err == nil {
		return mt
	}
	return dynamicpb.NewMessageType(md)
}

// prepare makes an expectation for a method, with its descriptor when it
// is known already. kind < 0 means "whatever the method is" (stubs).
func (m *Mock) prepare(method string, kind mockserver.Kind, source string) (*expectation, error) {
	return m.prepareWith(method, kind, source, &compiled{min: 1, max: 1})
}

// prepareWith is prepare with what the expectation matches and answers:
// a stub's, shared (nothing here writes to it).
func (m *Mock) prepareWith(method string, kind mockserver.Kind, source string, c *compiled) (*expectation, error) {
	e := &expectation{m: m, kind: kind, source: source, compiled: c}
	full, err := mockserver.NormalizeMethod(method)
	if err != nil {
		e.method = method
		return e, err
	}
	e.method = full
	md, err := m.lookup(full)
	if err != nil {
		return e, err
	}
	if md != nil {
		if errs := e.setMethod(md); len(errs) > 0 {
			return e, errors.Join(errs...)
		}
	}
	return e, nil
}

// insert makes an expectation live, under the given ID or a new one.
func (m *Mock) insert(e *expectation, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if id == "" {
		id = m.freeID(nil)
	} else if o, dup := m.ids[id]; dup {
		return fmt.Errorf("duplicate stub id %q (first at %s)", id, o.source)
	} else {
		m.nextID++
	}
	m.ids[id] = e
	e.id = id
	set := m.byMethod[e.method]
	if set == nil {
		set = &methodSet{}
		m.byMethod[e.method] = set
	}
	e.seq = m.nextID
	set.mu.Lock()
	set.add(e)
	set.mu.Unlock()
	m.all = append(m.all, e)
	return nil
}

// freeID hands out the next number no expectation has as its ID, nor one
// in also. The caller holds m.mu.
func (m *Mock) freeID(also map[string]string) string {
	for {
		m.nextID++
		id := strconv.Itoa(m.nextID)
		if _, taken := m.ids[id]; taken {
			continue
		}
		if _, taken := also[id]; taken {
			continue
		}
		return id
	}
}

// declare is add for the Go DSL: errors are setup errors, and the
// expectation is returned either way so the builder chain goes on.
func (m *Mock) declare(method string, kind mockserver.Kind) *expectation {
	_, file, line, _ := runtime.Caller(2)
	if i := strings.LastIndexByte(file, '/'); i >= 0 {
		file = file[i+1:]
	}
	e, err := m.prepare(method, kind, fmt.Sprintf("%s:%d", file, line))
	if err == nil {
		err = m.insert(e, "")
	}
	if err != nil {
		if m.tb != nil {
			m.tb.Helper()
		}
		e.setupErr(err)
	}
	return e
}

// Unary declares an expectation for a unary method.
func (m *Mock) Unary(method string) *UnaryExpectation {
	if m.tb != nil {
		m.tb.Helper()
	}
	u := &UnaryExpectation{}
	u.base = base[*UnaryExpectation]{e: m.declare(method, mockserver.Unary), self: u}
	return u
}

// ServerStream declares an expectation for a server-streaming method.
func (m *Mock) ServerStream(method string) *ServerStreamExpectation {
	if m.tb != nil {
		m.tb.Helper()
	}
	s := &ServerStreamExpectation{}
	s.base = base[*ServerStreamExpectation]{e: m.declare(method, mockserver.ServerStream), self: s}
	return s
}

// ClientStream declares an expectation for a client-streaming method.
func (m *Mock) ClientStream(method string) *ClientStreamExpectation {
	if m.tb != nil {
		m.tb.Helper()
	}
	c := &ClientStreamExpectation{}
	c.base = base[*ClientStreamExpectation]{e: m.declare(method, mockserver.ClientStream), self: c}
	return c
}

// Bidi declares an expectation for a bidirectional-streaming method: a
// script of steps run in order.
func (m *Mock) Bidi(method string) *BidiExpectation {
	if m.tb != nil {
		m.tb.Helper()
	}
	b := &BidiExpectation{}
	b.base = base[*BidiExpectation]{e: m.declare(method, mockserver.BidiStream), self: b}
	return b
}

// Miss is a call that no expectation matched.
type Miss struct {
	Method   string
	Metadata metadata.MD
	Messages []proto.Message // the client messages that were considered
	// Nearest names the expectation that came closest ("" when the method
	// has none), and Reasons says why it did not match, with (-want +got)
	// diffs for messages.
	Nearest string
	Reasons []string
}

func (m Miss) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s", m.Method)
	for i, msg := range m.Messages {
		fmt.Fprintf(&b, "\n  message %d: %s", i+1, messageText(msg))
	}
	if m.Nearest == "" {
		b.WriteString("\n  no expectation is declared for this method")
	}
	if m.Nearest != "" {
		fmt.Fprintf(&b, "\n  nearest expectation: %s", m.Nearest)
	}
	b.WriteString(reasonList(m.Reasons))
	return b.String()
}

// Unexpected returns the calls no expectation matched, oldest first.
func (m *Mock) Unexpected() []Miss {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return slices.Clone(m.misses.Items())
}

func (m *Mock) miss(ms Miss) {
	m.mu.Lock()
	m.misses.Add(ms)
	m.mu.Unlock()
}

// keptMisses is how many calls nothing matched a DiscardCalls Mock keeps,
// at least.
const keptMisses = 1000

// Verify reports, joined, every setup error, every expectation called fewer
// times than it wants (ErrUnmet), every stream that broke its script
// (ErrScript) and every call nothing matched (ErrNoMatch). New's cleanup
// reports the same through the test.
func (m *Mock) Verify() error { return errors.Join(m.problems(false)...) }

// problems lists what Verify reports. For the test's cleanup (atCleanup) it
// leaves out the setup errors the test was told of already.
func (m *Mock) problems(atCleanup bool) []error {
	m.mu.RLock()
	errs := slices.Clone(m.setupErr)
	if atCleanup {
		errs = slices.Clone(m.setupErr[m.reported:])
	}
	broken := len(m.setupErr) > 0
	exps := slices.Clone(m.all)
	misses := slices.Clone(m.misses.Items())
	m.mu.RUnlock()
	if broken {
		// A broken setup explains every other problem; say it alone.
		return errs
	}
	for _, e := range exps {
		hits := e.hitCount()
		if hits < e.min {
			msg := fmt.Sprintf("%s was called %d time(s), want %s%s", e.describe(), hits, e.timesText(), e.stateNote())
			for _, ms := range misses {
				if ms.Method == e.method {
					msg += " (a call to this method came but did not match it: see the unexpected call reported below)"
					break
				}
			}
			errs = append(errs, fmt.Errorf("%w: %s", ErrUnmet, msg))
		}
		e.mu.Lock()
		for _, f := range e.failures {
			errs = append(errs, fmt.Errorf("%w: %s: %s", ErrScript, e.describe(), f))
		}
		e.mu.Unlock()
	}
	for _, ms := range misses {
		errs = append(errs, fmt.Errorf("%w: unexpected call %s", ErrNoMatch, ms))
	}
	return errs
}

// StubInfo describes one expectation, for listings (the admin API).
type StubInfo struct {
	ID     string
	Method string
	Kind   string // "unary", "server-stream", ...
	Source string // where it was declared: "file.go:12" or "stubs/a.yaml:3"
	Hits   int
	Min    int
	// Max is the most calls the expectation answers; it is 0 and means
	// nothing when Unlimited is set.
	Max       int
	Unlimited bool // no upper bound on the calls
	Met       bool // Hits >= Min
}

// Stubs lists every expectation, stubs and Go declarations alike, in the
// order they were added.
func (m *Mock) Stubs() []StubInfo {
	m.mu.RLock()
	exps := slices.Clone(m.all)
	m.mu.RUnlock()
	out := make([]StubInfo, len(exps))
	for i, e := range exps {
		h := e.hitCount()
		out[i] = StubInfo{ID: e.id, Method: e.method, Kind: e.kindText(), Source: e.source, Hits: h, Min: e.min, Met: h >= e.min}
		if e.max < 0 {
			out[i].Unlimited = true
		} else {
			out[i].Max = e.max
		}
	}
	return out
}

// Delete removes the expectation with the given ID; it wraps ErrUnknownStub
// when there is none.
func (m *Mock) Delete(id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	e := m.ids[id]
	if e == nil {
		return fmt.Errorf("%w: %q", ErrUnknownStub, id)
	}
	delete(m.ids, id)
	m.all = slices.DeleteFunc(m.all, func(o *expectation) bool { return o == e })
	if set := m.byMethod[e.method]; set != nil {
		set.mu.Lock()
		set.exps = slices.DeleteFunc(set.exps, func(o *expectation) bool { return o == e })
		set.changed()
		set.mu.Unlock()
	}
	return nil
}

// Reset removes every expectation and forgets unexpected calls and setup
// errors. Methods already served stay served.
func (m *Mock) Reset() {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, set := range m.byMethod {
		set.mu.Lock()
		set.exps = nil
		set.changed()
		set.mu.Unlock()
	}
	m.all = nil
	m.ids = map[string]*expectation{}
	m.misses.Reset()
	m.setupErr = nil
	m.reported = 0
	m.states.reset()
}
