package expect

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/grpcdouble/grpcdouble/mockserver"
)

// Received is one call an expectation answered: what the server received.
// Once the call has ended, the expectation keeps it packed, as bytes, and
// each Calls decodes it afresh into the method's types (the generated ones
// when linked in, dynamicpb otherwise), as the server's journal does.
type Received struct {
	Method      string
	Metadata    metadata.MD     // incoming headers, keys lower case, -bin values decoded
	Messages    []proto.Message // client messages, in order
	Deadline    time.Time
	HasDeadline bool
}

// Message is the first client message (the request of a unary or
// server-streaming call), or nil.
func (r Received) Message() proto.Message {
	if len(r.Messages) == 0 {
		return nil
	}
	return r.Messages[0]
}

// step is one action of a response script. The Go DSL and stub files both
// compile to a list of steps that one runner (run.exec) interprets, so a new
// behaviour (fault injection: abort after n messages, drop the connection,
// oversize a message) is a new step type and nothing else.
type step interface {
	run(r *run) error
	String() string
}

type sendStep struct {
	msg   proto.Message
	fn    func(r *run) (proto.Message, error)
	padTo int // pad this message to at least padTo bytes
}

func (s sendStep) run(r *run) error {
	if r.e.pace.set() {
		if err := r.e.pace.wait(r); err != nil {
			return err
		}
	}
	msg := s.msg
	if s.fn != nil {
		var err error
		if msg, err = s.fn(r); err != nil {
			return err
		}
	}
	if n := max(s.padTo, r.e.padTo); n > 0 {
		msg = pad(msg, n)
	}
	// The first message carries the headers if they have not gone yet.
	r.headerSent = true
	if err := r.call.Send(msg); err != nil {
		return err
	}
	r.sent++
	return r.checkAbort()
}

func (s sendStep) String() string {
	if s.fn != nil {
		return "send (func)"
	}
	if s.padTo > 0 {
		return fmt.Sprintf("send %s padded to %d bytes", messageText(s.msg), s.padTo)
	}
	return "send " + messageText(s.msg)
}

type waitStep struct{ p pause }

func (s waitStep) run(r *run) error { return s.p.wait(r) }
func (s waitStep) String() string   { return "wait " + s.p.String() }

type recvStep struct{ m Matcher }

func (s recvStep) run(r *run) error {
	msg, err := r.recv()
	if err == io.EOF {
		return r.fail("want a message %s, but the client closed its side", s.m)
	}
	if err != nil {
		return err
	}
	if !matchWith(s.m, msg, r.lastWire) {
		return r.fail("received message does not match: %s", explain(s.m, msg))
	}
	return nil
}
func (s recvStep) String() string { return "recv " + s.m.String() }

type recvAllStep struct{ m ListMatcher }

func (s recvAllStep) run(r *run) error {
	// Keep only what the matcher needs: nothing to count, one past the
	// list it wants (then it fails anyway). A recvAll without a matcher
	// kept every message of a 300 MB stream.
	keep := -1 // all
	switch m := s.m.(type) {
	case nil, countMatcher:
		keep = 0
	case listMatcher:
		keep = len(m) + 1
	}
	var got []proto.Message
	n := 0
	for {
		msg, err := r.recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		n++
		if keep < 0 || len(got) < keep {
			got = append(got, msg)
		}
	}
	if s.m == nil {
		return nil
	}
	ok := false
	switch m := s.m.(type) {
	case countMatcher:
		ok = n == int(m)
	default:
		ok = n == len(got) && s.m.MatchAll(got)
	}
	if ok {
		return nil
	}
	if n != len(got) || keep == 0 {
		return r.fail("received messages do not match: got %d messages, want %s", n, s.m)
	}
	return r.fail("received messages do not match: %s", explainList(s.m, got))
}
func (s recvAllStep) String() string { return "recv until the client closes" }

type headerStep struct{}

func (headerStep) run(r *run) error { return r.sendHeader() }
func (headerStep) String() string   { return "send headers" }

type statusStep struct {
	st  *status.Status
	msg *tmpl // a templated message, or nil
}

func (s statusStep) run(r *run) error {
	st, err := r.statusText(s.st, s.msg)
	if err != nil {
		return err
	}
	r.final = st
	return errStop
}
func (s statusStep) String() string { return fmt.Sprintf("end with %s", s.st.Code()) }

type holdStep struct{}

func (holdStep) run(r *run) error {
	ctx := r.ctx()
	<-ctx.Done()
	return ctx.Err()
}
func (holdStep) String() string { return "keep open until the client cancels" }

type funcStep struct{ f func(r *run) error }

func (s funcStep) run(r *run) error { return s.f(r) }
func (funcStep) String() string     { return "run func" }

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// run is one call being answered by one expectation.
type run struct {
	m    *Mock
	call *mockserver.Call
	e    *expectation
	rec  *Received

	got        []proto.Message // messages received before the script ran
	gotWire    [][]byte        // what each of got arrived as, or nil (mockserver.Call.Wire)
	pending    []proto.Message // of those, the ones no step consumed yet
	closed     bool            // the client half-closed
	headerSent bool
	headerWait bool // send headers with the first message received
	stepNo     int
	sent       int // messages sent
	final      *status.Status
	one        [1]proto.Message // got's backing array for a single request
	oneWire    [1][]byte        // gotWire's

	recWire  [][]byte // what each of rec.Messages arrived as, or nil
	lastWire []byte   // what last arrived as, or nil
	logAt    int      // rec's place in e.calls

	hit   int           // this call's number among the expectation's calls
	last  proto.Message // the client message received last
	hdr   metadata.MD   // response headers, templates rendered
	tdata *tmplData

	inRule  bool // effects of a ForEach rule are running: r.last is the message it answers
	ruleHit int  // the message's number among those the answering ForEach rule answered
	nrecv   int  // client messages the script has taken, r.last the latest
	msgHit  int  // r.last's number among the messages the expectation's calls took
}

// ctx is the call's context. It is asked for only when a step waits: a
// call's context is one more the server has to track (mockserver's
// Call.Context), which a plain unary answer never needs.
func (r *run) ctx() context.Context { return r.call.Context() }

func (r *run) first() proto.Message {
	if len(r.got) == 0 {
		return nil
	}
	return r.got[0]
}

func (r *run) recv() (proto.Message, error) {
	if len(r.pending) > 0 {
		msg := r.pending[0]
		r.pending = r.pending[1:]
		r.took()
		r.last, r.lastWire = msg, nil
		if len(r.got) > 0 && msg == r.got[0] {
			r.lastWire = r.gotWire[0]
		}
		return msg, nil
	}
	if r.closed {
		return nil, io.EOF
	}
	msg, err := r.call.Recv()
	if err == io.EOF {
		r.closed = true
	}
	if err != nil {
		return nil, err
	}
	r.took()
	r.last, r.lastWire = msg, r.call.Wire(msg)
	if r.rec != nil {
		r.e.mu.Lock()
		r.rec.Messages = append(r.rec.Messages, msg)
		r.recWire = append(r.recWire, r.lastWire)
		r.e.mu.Unlock()
	}
	if r.headerWait {
		r.headerWait = false
		if err := r.sendHeader(); err != nil {
			return nil, err
		}
	}
	return msg, nil
}

// took counts a message the script takes, in the call and over the
// expectation's calls (.MessageHit: gripmock's attempt number on a bidi
// stub counts the messages it answers).
func (r *run) took() {
	r.nrecv++
	if r.e != nil {
		r.msgHit = int(r.e.msgHits.Add(1))
	}
}

func (r *run) sendHeader() error {
	if r.headerSent {
		return nil
	}
	r.headerSent = true
	return r.call.SendHeader(r.hdr)
}

// fail records that the stream broke its script and ends the call with
// the miss code (NoMatchCode, or WithMissCode's) and the same words.
func (r *run) fail(format string, args ...any) error {
	msg := fmt.Sprintf("step %d (%s): %s", r.stepNo+1, r.e.script[r.stepNo], fmt.Sprintf(format, args...))
	r.e.mu.Lock()
	r.e.failures = append(r.e.failures, msg)
	r.e.mu.Unlock()
	return status.Errorf(r.m.cfg.missCode, "grpcdouble: %v: %s: %s", ErrScript, r.e.describe(), msg)
}

// exec is the one runner every expectation's script goes through.
func (r *run) exec() error {
	e, c := r.e, r.call
	trailer, err := r.outMD(e.trailer, e.trailerT)
	if err != nil {
		return err
	}
	if len(trailer) > 0 {
		c.SetTrailer(trailer)
	}
	if r.hdr, err = r.outMD(e.header, e.headerT); err != nil {
		return err
	}
	switch e.headerAt {
	case headersAtStart:
		if err := r.sendHeader(); err != nil {
			return err
		}
	case headersAfterFirstRequest:
		if len(r.got) > 0 {
			if err := r.sendHeader(); err != nil {
				return err
			}
		} else {
			r.headerWait = true
		}
	default:
		if len(r.hdr) > 0 {
			if err := c.SetHeader(r.hdr); err != nil {
				return err
			}
		}
	}
	if e.delay.set() {
		if err := e.delay.wait(r); err != nil {
			return err
		}
	}
	if err := r.checkAbort(); errors.Is(err, errStop) { // abort after 0 messages
		return r.final.Err()
	}
	for r.stepNo = 0; r.stepNo < len(e.script); r.stepNo++ {
		if err := e.script[r.stepNo].run(r); err != nil {
			if errors.Is(err, errStop) {
				return r.final.Err()
			}
			return err
		}
	}
	if e.kind == mockserver.BidiStream {
		// The script is done: the client must now half-close.
		r.stepNo = len(e.script) - 1
		msg, err := r.recv()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if len(e.script) == 0 {
			return status.Errorf(r.m.cfg.missCode, "grpcdouble: %s has an empty script but got %s", e.describe(), messageText(msg))
		}
		return r.fail("the client sent %s after the script's last step", messageText(msg))
	}
	return nil
}

// Handle answers a call with the expectation it matches. It implements
// mockserver.Handler. A call nothing matches gets NoMatchCode (or
// WithMissCode's code) and a message naming the nearest expectation with a
// (-want +got) diff; the test fails at cleanup with the same words.
//
// Handle is plumbing: the server calls it for every call. It is exported for
// integrators who wrap a Mock in a handler of their own; a test never calls
// it.
func (m *Mock) Handle(c *mockserver.Call) error {
	m.mu.RLock()
	set := m.byMethod[c.FullMethod()]
	inOrder := m.cfg.inOrder
	m.mu.RUnlock()
	a := answers.Get().(*answer)
	a.run = run{m: m, call: c, logAt: -1}
	defer a.done()
	r := &a.run
	md := c.Metadata()
	switch c.Kind() {
	case mockserver.Unary, mockserver.ServerStream:
		msg, err := c.Recv()
		if err != nil {
			return err
		}
		r.one[0], r.oneWire[0] = msg, c.Wire(msg)
		r.got, r.gotWire = r.one[:], r.oneWire[:]
	case mockserver.ClientStream:
		if e := set.only(md); e != nil && e.headerAt == headersAtStart && len(e.header) > 0 && len(e.headerT) == 0 {
			// One expectation fits: its headers may go before the messages.
			if err := c.SendHeader(e.header); err != nil {
				return err
			}
			r.headerSent = true
		}
		for {
			msg, err := c.Recv()
			if err == io.EOF {
				r.closed = true
				break
			}
			if err != nil {
				return err
			}
			r.got = append(r.got, msg)
			r.gotWire = append(r.gotWire, c.Wire(msg))
		}
	case mockserver.BidiStream:
		if set.needPeek(md) {
			msg, err := c.Recv()
			switch {
			case err == io.EOF:
				r.closed = true
			case err != nil:
				return err
			default:
				r.one[0], r.oneWire[0] = msg, c.Wire(msg)
				r.got, r.gotWire = r.one[:], r.oneWire[:]
				r.pending = r.got
			}
		}
	}
	var keep *answer
	if !m.cfg.discardCalls {
		keep = a
	}
	e, hit := set.claim(c, md, r.got, r.gotWire, inOrder, keep)
	if e == nil {
		if c.Builtin() && !r.headerSent {
			// A health call no stub answers gets the server's own health:
			// no miss (see mockserver.BuiltinOverrider).
			return mockserver.ErrUseBuiltin
		}
		if f := m.cfg.fallback; f != nil && !r.headerSent {
			return f.Serve(c, r.got, r.closed)
		}
		c.SetAnswer("miss")
		ms := set.nearest(c.FullMethod(), md, slices.Clone(r.got))
		m.miss(ms)
		return status.Errorf(m.cfg.missCode, "grpcdouble: %v: %s", ErrNoMatch, m.toClient(ms.String()))
	}
	c.SetAnswer(e.answer)
	r.e, r.hit = e, hit
	if len(e.then) > 0 {
		if err := m.applyThen(r, e.then, "then"); err != nil {
			return err
		}
	}
	return r.exec()
}

// only returns the one expectation that fits the metadata, if exactly one
// does.
func (s *methodSet) only(md metadata.MD) *expectation {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var found *expectation
	for _, e := range s.exps {
		if e.usable() && e.mdMatch(md) {
			if found != nil {
				return nil
			}
			found = e
		}
	}
	return found
}

// needPeek reports whether bidi expectations can only be told apart by the
// first client message: more than one fits the metadata and every one of
// them starts by receiving.
func (s *methodSet) needPeek(md metadata.MD) bool {
	if s == nil {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, e := range s.exps {
		if !e.usable() || !e.mdMatch(md) {
			continue
		}
		if len(e.script) == 0 {
			return false
		}
		if firstRecv(e.script, md) == nil {
			return false
		}
		n++
	}
	return n > 1
}

func (e *expectation) usable() bool {
	return !e.broken && (e.max < 0 || e.hitCount() < e.max) && e.inState()
}

// pick returns the expectation a call would use, or nil; wire is what
// got's first message arrived as, or nil (see mockserver.Call.Wire). The
// caller holds s.mu.
func (s *methodSet) pick(md metadata.MD, got []proto.Message, wire []byte, inOrder bool) *expectation {
	if !inOrder {
		if e, ok := s.pickIndexed(md, got, wire); ok {
			return e
		}
	}
	return s.pickScan(md, got, wire, inOrder)
}

// pickScan is pick by trying every expectation in turn.
func (s *methodSet) pickScan(md metadata.MD, got []proto.Message, wire []byte, inOrder bool) *expectation {
	for i, e := range s.exps {
		if e.usable() && e.matches(md, got, wire) {
			if !inOrder {
				return s.latestFrom(i, md, got, wire)
			}
			return e
		}
		if inOrder && !e.broken && e.hitCount() < e.min {
			return nil
		}
	}
	return nil
}

// ender is a ListMatcher whose match may end before the last message:
// Latest.
type ender interface {
	matchEnd(got []proto.Message) int
}

// latestFrom returns, of s.exps[i] (which matches) and the expectations
// ranked equal to it after it, the matching one whose match ends latest in
// the stream, the first of those among ties (see Latest). The caller holds
// s.mu.
func (s *methodSet) latestFrom(i int, md metadata.MD, got []proto.Message, wire []byte) *expectation {
	best := s.exps[i]
	en, ok := best.reqs.(ender)
	if best.kind != mockserver.ClientStream || !ok {
		return best
	}
	end := en.matchEnd(got)
	for _, e := range s.exps[i+1:] {
		if e.priority != best.priority || e.shared != best.shared {
			break
		}
		if !e.usable() || !e.matches(md, got, wire) {
			continue
		}
		n := len(got) - 1
		if en, ok := e.reqs.(ender); ok {
			n = en.matchEnd(got)
		}
		if n > end {
			best, end = e, n
		}
	}
	return best
}

// answer is what answering one call needs: the run, and the Received that
// Calls returns while the call runs. Answers are reused: when the call
// ends its Received is packed into the expectation's log (see callLog).
type answer struct {
	run
	rec Received
	one [1]proto.Message // rec.Messages' first backing array
}

var answers = sync.Pool{New: func() any { return new(answer) }}

// done packs the call's Received, if it was kept, and puts the answer back
// for another call.
func (a *answer) done() {
	if e := a.e; e != nil && a.run.rec != nil {
		e.mu.Lock()
		e.calls.pack(a.logAt, a.run.rec, a.recWire)
		e.mu.Unlock()
	}
	*a = answer{}
	answers.Put(a)
}

// claim picks the expectation for a call and counts the call against it;
// wires are what got arrived as (see pick). With keep it also starts the
// call's Received in keep, which Calls will return.
func (s *methodSet) claim(c *mockserver.Call, md metadata.MD, got []proto.Message, wires [][]byte, inOrder bool, keep *answer) (*expectation, int) {
	if s == nil {
		return nil, 0
	}
	var wire []byte
	if len(wires) > 0 {
		wire = wires[0]
	}
	s.mu.Lock()
	found := s.pick(md, got, wire, inOrder)
	if found == nil {
		s.mu.Unlock()
		return nil, 0
	}
	hit := int(found.hits.Add(1))
	found.enterState()
	s.mu.Unlock()
	if keep == nil {
		return found, hit
	}
	rec := &keep.rec
	*rec = Received{Method: c.FullMethod(), Metadata: md, Messages: append(keep.one[:0:len(keep.one)], got...)}
	rec.Deadline, rec.HasDeadline = c.Deadline()
	keep.recWire = wires
	keep.run.rec = rec
	found.mu.Lock()
	keep.logAt = found.calls.add(rec)
	found.mu.Unlock()
	return found, hit
}

// mdMatch reports whether the metadata matchers accept md; mdReasons says
// why not, for misses only.
func (e *expectation) mdMatch(md metadata.MD) bool {
	if e.session != "" && SessionOf(md) != e.session {
		return false
	}
	return mdAll(e.mdm, md)
}

func (e *expectation) matches(md metadata.MD, got []proto.Message, wire []byte) bool {
	if !e.mdMatch(md) {
		return false
	}
	switch e.kind {
	case mockserver.Unary, mockserver.ServerStream:
		return e.reqMatch(got, wire)
	case mockserver.ClientStream:
		return e.reqs == nil || e.reqs.MatchAll(got)
	case mockserver.BidiStream:
		if len(got) > 0 && len(e.script) > 0 {
			if m := firstRecv(e.script, md); m != nil {
				return matchWith(m, got[0], wire)
			}
		}
	}
	return true
}

func (e *expectation) mdReasons(md metadata.MD) []string {
	var out []string
	if got := SessionOf(md); e.session != "" && got != e.session {
		if got == "" {
			got = "none: the global session"
		} else {
			got = fmt.Sprintf("%q", got)
		}
		out = append(out, fmt.Sprintf("session: it answers only calls in session %q (metadata %s); this call's session: %s", e.session, SessionKey, got))
	}
	for _, m := range e.mdm {
		if r := m.check(md); r != "" {
			out = append(out, r)
		}
	}
	return out
}

// reasons says everything that keeps a call from matching e.
func (e *expectation) reasons(md metadata.MD, got []proto.Message) []string {
	if e.broken {
		return []string{"it has a setup error"}
	}
	out := e.mdReasons(md)
	switch e.kind {
	case mockserver.Unary, mockserver.ServerStream:
		out = append(out, e.reqReasons(got)...)
	case mockserver.ClientStream:
		if e.reqs != nil && !e.reqs.MatchAll(got) {
			out = append(out, "messages: "+explainList(e.reqs, got))
		}
	case mockserver.BidiStream:
		if len(got) > 0 && len(e.script) > 0 {
			if m := firstRecv(e.script, md); m != nil && !m.Match(got[0]) {
				out = append(out, "first message: "+explain(m, got[0]))
			}
		}
	}
	out = append(out, e.stateReasons()...)
	if n := e.hitCount(); e.max >= 0 && n >= e.max {
		out = append(out, fmt.Sprintf("it was already called %d time(s), and wants %s", n, e.timesText()))
	}
	return out
}

// nearest finds the expectation closest to matching a call, to explain a
// miss.
func (s *methodSet) nearest(method string, md metadata.MD, got []proto.Message) Miss {
	ms := Miss{Method: method, Metadata: md, Messages: got}
	if s == nil {
		return ms
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var best *expectation
	var bestReasons []string
	for _, e := range closest(s.exps, md, got) {
		rs := e.reasons(md, got)
		if best == nil || len(rs) < len(bestReasons) || (bestReasons != nil && len(rs) == len(bestReasons) && best.broken && !e.broken) {
			best, bestReasons = e, rs
		}
	}
	if best == nil {
		return ms
	}
	if len(bestReasons) == 0 {
		bestReasons = []string{"an earlier expectation on this method has not been met yet (InOrder)"}
	}
	ms.Nearest = best.describe()
	ms.Reasons = bestReasons
	return ms
}

// Explanation says which expectation a call would use, or why none would.
type Explanation struct {
	Method  string
	Match   string   // ID of the expectation the call would use; "" if none
	Nearest string   // when none: the closest expectation
	Reasons []string // when none: why the closest does not match
}

func (x Explanation) String() string {
	if x.Match != "" {
		return fmt.Sprintf("%s: matches expectation %s", x.Method, x.Match)
	}
	if x.Nearest == "" {
		return fmt.Sprintf("%s: %v: no expectation is declared for this method", x.Method, ErrNoMatch)
	}
	return fmt.Sprintf("%s: %v; nearest: %s%s", x.Method, ErrNoMatch, x.Nearest, reasonList(x.Reasons))
}

// Explain says which expectation a call would use without making it: method,
// the request in protojson (for client streams a JSON array of messages; may
// be empty for bidi), and the request metadata. Use it to find out why a
// request misses.
func (m *Mock) Explain(method string, requestJSON []byte, md metadata.MD) (Explanation, error) {
	full, err := mockserver.NormalizeMethod(method)
	if err != nil {
		return Explanation{}, err
	}
	x := Explanation{Method: full}
	desc, err := m.lookup(full)
	if err == nil && desc == nil {
		desc, err = globalMethod(full, true)
	}
	if err != nil {
		return x, err
	}
	got, err := parseMessages(desc, requestJSON)
	if err != nil {
		return x, err
	}
	if md == nil {
		md = metadata.MD{}
	}
	m.mu.RLock()
	set := m.byMethod[full]
	inOrder := m.cfg.inOrder
	m.mu.RUnlock()
	if set == nil {
		return x, nil
	}
	set.mu.Lock()
	if e := set.pick(md, got, nil, inOrder); e != nil {
		x.Match = e.id
	}
	set.mu.Unlock()
	if x.Match == "" {
		ms := set.nearest(full, md, got)
		x.Nearest, x.Reasons = ms.Nearest, ms.Reasons
	}
	return x, nil
}

// reasonList renders reasons as an indented bullet list.
func reasonList(reasons []string) string {
	var b strings.Builder
	for _, r := range reasons {
		fmt.Fprintf(&b, "\n  - %s", strings.ReplaceAll(r, "\n", "\n    "))
	}
	return b.String()
}
