package replay

import (
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/grpcdouble/grpcdouble/cassette"
	"github.com/grpcdouble/grpcdouble/internal/newest"
	"github.com/grpcdouble/grpcdouble/mockserver"
)

// ErrNoMatch is wrapped by the error of a call no interaction matches.
var ErrNoMatch = errors.New("no interaction matches")

// ErrUnused is wrapped by Verify's report of interactions never used.
var ErrUnused = errors.New("interaction never used")

// ErrCassetteNotFound is wrapped by Open when a cassette file is missing.
var ErrCassetteNotFound = cassette.ErrNotFound

// NoMatchCode is the status code a call no interaction matches gets (the
// same as package expect's), unless WithMissCode says another.
const NoMatchCode = codes.FailedPrecondition

// clientNote follows a reason the status of a missed call redacted.
const clientNote = " (credentials are not sent back to the client)"

// Fallback serves calls no interaction matches (see WithFallback). received
// holds the client messages replay already read, and halfClosed says
// whether it also read the client's half-close; *record.Proxy is one.
type Fallback interface {
	Serve(call *mockserver.Call, received []proto.Message, halfClosed bool) error
}

// Handler is a mockserver.Handler that answers calls from cassettes. It
// implements mockserver.MethodLister, so a server serves the recorded
// methods' services without being told, and mockserver.Binder, so every
// recorded message is checked against the served descriptors at start.
type Handler struct {
	cfg       *config
	cassettes []*cassette.Cassette
	methods   map[string]*methodIndex
	names     []string
	order     []*entry

	mu        sync.Mutex
	misses    *newest.List[error] // the newest KeptMisses
	orderNext int                 // InOrder: order before it is used for good
}

// KeptMisses is how many misses a Handler keeps for Misses and Verify: the
// newest. Unmatched traffic to a long-running server must not grow it for
// ever (400,000 misses held 200 MB); MissesDropped counts the rest.
const KeptMisses = 1000

type methodIndex struct {
	name    string
	entries []*entry
	// classes group the entries any call matches alike (see class), in
	// the order of their first members.
	classes []*class
	// byFirst finds the classes whose first client message hashes to a
	// key (see msgKey), in order; nil unless every entry starts with a
	// client message and there are at least minIndexed entries. It spares
	// each call a scan of every interaction of its method: 10,000 recorded
	// calls to one method took 0.8 ms each to replay with the scan.
	byFirst map[uint64][]*class

	mu    sync.Mutex
	ready bool
	err   error
}

type entry struct {
	in      *cassette.Interaction
	where   string
	path    string // the cassette file
	idx     int    // its place among its method's entries: the preference order
	cls     *class
	steps   []step
	trailer metadata.MD
	err     error // the recorded status as an error; nil for OK
	md      metadata.MD

	// Guarded by Handler.mu.
	owner *callState // the call holding it (for once-only use)
	used  int
}

// A class is the interactions of a method that every call matches alike:
// the same recorded metadata, the same kinds of steps in the same order,
// and equal client messages (ignored fields cleared). A call compares its
// requests with a class once, not with each member, and takes its members
// in recorded order: a cassette of 10,000 identical calls compared each
// call with every unused one, and answered 71 calls/s against 2,804 with
// 100.
type class struct {
	rep     *entry   // the first member, which comparisons use
	members []*entry // in preference order
	// next is the first member not used for good (used, without
	// Reusable); guarded by Handler.mu.
	next int
}

// sameRequest reports whether every call matches a and b alike.
func sameRequest(a, b *entry) bool {
	if len(a.steps) != len(b.steps) || !mdEqual(a.md, b.md) {
		return false
	}
	for i := range a.steps {
		sa, sb := a.steps[i], b.steps[i]
		if sa.typ != sb.typ || (sa.typ == cassette.ClientMessage && !proto.Equal(sa.norm, sb.norm)) {
			return false
		}
	}
	return true
}

// requestKey hashes what sameRequest compares; ok is false when a message
// does not marshal (the entry then has a class of its own).
func requestKey(e *entry) (uint64, bool) {
	var hh maphash.Hash
	hh.SetSeed(keySeed)
	keys := slices.Sorted(maps.Keys(e.md))
	for _, k := range keys {
		hh.WriteString(k)
		hh.WriteByte(0)
		for _, v := range e.md[k] {
			hh.WriteString(v)
			hh.WriteByte(0)
		}
		hh.WriteByte(1)
	}
	for _, st := range e.steps {
		hh.WriteString(string(st.typ))
		hh.WriteByte(0)
		if st.typ == cassette.ClientMessage {
			k, ok := msgKey(st.norm)
			if !ok {
				return 0, false
			}
			var b [8]byte
			for i := range b {
				b[i] = byte(k >> (8 * i))
			}
			hh.Write(b[:])
		}
	}
	return hh.Sum64(), true
}

type step struct {
	typ       cassette.EventType
	at        time.Duration
	msg       proto.Message
	norm      proto.Message // msg with ignored fields cleared
	md        metadata.MD
	setHeader bool // a header step right before a message: send them together
}

// Open loads one cassette file and builds a Handler from it.
func Open(path string, opts ...Option) (*Handler, error) { return OpenAll([]string{path}, opts...) }

// OpenAll loads cassette files and builds one Handler from all of them.
// A missing file is an error wrapping ErrCassetteNotFound.
func OpenAll(paths []string, opts ...Option) (*Handler, error) {
	cs := make([]*cassette.Cassette, 0, len(paths))
	for _, p := range paths {
		c, err := cassette.Load(p)
		if err != nil {
			return nil, fmt.Errorf("replay: %w", err)
		}
		cs = append(cs, c)
	}
	return New(cs, opts...)
}

// New builds a Handler from loaded cassettes. Messages are decoded when a
// server binds the handler (or on a method's first call).
func New(cassettes []*cassette.Cassette, opts ...Option) (*Handler, error) {
	h := &Handler{cfg: newConfig(opts), cassettes: cassettes, methods: map[string]*methodIndex{}, misses: newest.New[error](KeptMisses)}
	if err := h.cfg.check(); err != nil {
		return nil, err
	}
	for _, c := range cassettes {
		for _, in := range c.Interactions {
			e := &entry{in: in, where: in.Where(c.Path), path: c.Path}
			mi := h.methods[in.Method]
			if mi == nil {
				mi = &methodIndex{name: in.Method}
				h.methods[in.Method] = mi
				h.names = append(h.names, in.Method)
			}
			e.idx = len(mi.entries)
			mi.entries = append(mi.entries, e)
			h.order = append(h.order, e)
		}
	}
	sort.Strings(h.names)
	if t := h.cfg.t; t != nil {
		t.Helper()
		for _, c := range cassettes {
			if c.Torn != nil {
				t.Logf("replay: %s: %v", c.Path, c.Torn)
			}
		}
		t.Cleanup(h.report)
	}
	return h, nil
}

// Methods lists the recorded methods (mockserver.MethodLister).
func (h *Handler) Methods() []string { return append([]string(nil), h.names...) }

// Bind decodes every recorded message with the served descriptors
// (mockserver.Binder). Errors name the cassette file, line and field.
//
// Every problem is reported, each an *InteractionError: every interaction
// of a method the server does not serve, of another RPC kind than the
// method's, or with a message or status detail that does not decode.
// grpcdouble serve and grpcdouble lint both check cassettes through here.
func (h *Handler) Bind(methods mockserver.Methods) error {
	var errs []error
	for _, name := range h.names {
		mi := h.methods[name]
		md, err := methods.Method(name)
		if err != nil {
			for _, e := range mi.entries {
				errs = append(errs, e.problem(fmt.Errorf("method: %w", err)))
			}
			continue
		}
		if err := h.prepare(mi, md); err != nil {
			if j, ok := err.(interface{ Unwrap() []error }); ok {
				errs = append(errs, j.Unwrap()...) // one flat list
			} else {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// InteractionError is a problem with one recorded interaction, found when
// a Handler is bound to a server's descriptors.
type InteractionError struct {
	Path  string // the cassette file
	Line  int    // the line the interaction starts on
	Index int    // its position in the file, from 0
	// Err says what is wrong; its text starts with the field:
	// "method: ...", "kind: ...", "events[3].message: ...",
	// "status.details[0]: ...".
	Err error
}

func (e *InteractionError) Error() string {
	where := (&cassette.Interaction{Line: e.Line, Index: e.Index}).Where(e.Path)
	return fmt.Sprintf("replay: %s: %v", where, e.Err)
}

func (e *InteractionError) Unwrap() error { return e.Err }

func (e *entry) problem(err error) error {
	return &InteractionError{Path: e.path, Line: e.in.Line, Index: e.in.Index, Err: err}
}

// messageType picks the type a mockserver uses for a descriptor: the
// generated Go type when linked in, else dynamicpb, so proto.Equal holds.
func messageType(md protoreflect.MessageDescriptor) protoreflect.MessageType {
	if mt, err := protoregistry.GlobalTypes.FindMessageByName(md.FullName()); err == nil {
		return mt
	}
	return dynamicpb.NewMessageType(md)
}

func (h *Handler) prepare(mi *methodIndex, md protoreflect.MethodDescriptor) error {
	mi.mu.Lock()
	defer mi.mu.Unlock()
	if mi.ready {
		return mi.err
	}
	mi.ready = true
	in, out := messageType(md.Input()), messageType(md.Output())
	var errs []error
	kind := mockserver.KindOf(md).String()
	for _, e := range mi.entries {
		if e.in.Kind != "" && e.in.Kind != kind {
			errs = append(errs, e.problem(fmt.Errorf("kind: recorded as %s, but %s is %s", e.in.Kind, mi.name, kind)))
			continue
		}
		if err := oneResponse(e.in, mockserver.KindOf(md)); err != nil {
			mi.err = fmt.Errorf("replay: %s: %w", e.where, err)
			return mi.err
		}
		if perrs := h.prepareEntry(e, in, out); len(perrs) > 0 {
			for _, err := range perrs {
				errs = append(errs, e.problem(err))
			}
			continue
		}
	}
	if len(errs) > 0 {
		mi.err = errors.Join(errs...)
		return mi.err
	}
	groups := map[uint64][]*class{}
	for _, e := range mi.entries {
		key, ok := requestKey(e)
		if ok {
			for _, c := range groups[key] {
				if sameRequest(c.rep, e) {
					e.cls = c
					c.members = append(c.members, e)
					break
				}
			}
		}
		if e.cls == nil {
			e.cls = &class{rep: e, members: []*entry{e}}
			mi.classes = append(mi.classes, e.cls)
			if ok {
				groups[key] = append(groups[key], e.cls)
			}
		}
	}
	if len(mi.entries) < minIndexed {
		return nil
	}
	index := map[uint64][]*class{}
	for _, c := range mi.classes {
		key, ok := uint64(0), len(c.rep.steps) > 0 && c.rep.steps[0].typ == cassette.ClientMessage
		if ok {
			key, ok = msgKey(c.rep.steps[0].norm)
		}
		if !ok {
			return nil
		}
		index[key] = append(index[key], c)
	}
	mi.byFirst = index
	return nil
}

// minIndexed is how many interactions a method needs before its calls are
// looked up by key: below it, comparing each costs less than hashing the
// request (a marshal) on every call.
const minIndexed = 16

var keySeed = maphash.MakeSeed()

// msgKey hashes a message's deterministic encoding. Messages proto.Equal
// calls equal almost always encode alike (-0.0 and 0.0 do not), so a lookup
// by key is only a shortcut: when it finds nothing, the call falls back to
// comparing every interaction.
func msgKey(m proto.Message) (uint64, bool) {
	b, err := proto.MarshalOptions{Deterministic: true, AllowPartial: true}.Marshal(m)
	if err != nil {
		return 0, false
	}
	return maphash.Bytes(keySeed, b), true
}

// oneResponse refuses a unary or client-stream interaction with more than
// one server message, which no server can play back: it loaded, then failed
// every call with "SendHeader called multiple times".
func oneResponse(in *cassette.Interaction, kind mockserver.Kind) error {
	if kind != mockserver.Unary && kind != mockserver.ClientStream {
		return nil
	}
	n := 0
	for i, ev := range in.Events {
		if ev.Type == cassette.ServerMessage {
			if n++; n > 1 {
				return fmt.Errorf("events[%d].type: a second server_message in a %s call, which answers with one", i, kind)
			}
		}
	}
	return nil
}

// prepareEntry decodes an interaction's messages and status for in and
// out; it returns every problem, each message's and the status's apart.
func (h *Handler) prepareEntry(e *entry, in, out protoreflect.MessageType) []error {
	var errs []error
	e.md = e.in.Metadata
	e.trailer = e.in.Trailer
	e.steps = make([]step, len(e.in.Events))
	for i, ev := range e.in.Events {
		s := step{typ: ev.Type, at: ev.At, md: ev.Metadata}
		switch ev.Type {
		case cassette.ClientMessage, cassette.ServerMessage:
			mt := in
			if ev.Type == cassette.ServerMessage {
				mt = out
			}
			m, err := ev.Message.Decode(mt)
			if err != nil {
				errs = append(errs, fmt.Errorf("events[%d].message: %w", i, err))
				continue
			}
			s.msg, s.norm = m, m
			if ev.Type == cassette.ClientMessage {
				s.norm = h.normalize(m)
			}
		case cassette.Header:
			if s.md == nil {
				s.md = metadata.MD{}
			}
		}
		e.steps[i] = s
	}
	for i := range e.steps {
		if e.steps[i].typ == cassette.Header && i+1 < len(e.steps) && e.steps[i+1].typ == cassette.ServerMessage {
			e.steps[i].setHeader = true
		}
	}
	st, err := e.in.Status.Proto()
	if err != nil {
		errs = append(errs, err)
	} else {
		e.err = st.Err()
	}
	return errs
}

// normalize clears ignored fields, wherever their message type appears.
func (h *Handler) normalize(m proto.Message) proto.Message {
	if len(h.cfg.ignoreFields) == 0 {
		return m
	}
	c := proto.Clone(m)
	h.clear(c.ProtoReflect())
	return c
}

func (h *Handler) clear(m protoreflect.Message) {
	if names, ok := h.cfg.ignoreFields[m.Descriptor().FullName()]; ok {
		for _, n := range names {
			if fd := m.Descriptor().Fields().ByName(n); fd != nil {
				m.Clear(fd)
			}
		}
	}
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.IsList() && fd.Message() != nil:
			l := v.List()
			for i := 0; i < l.Len(); i++ {
				h.clear(l.Get(i).Message())
			}
		case fd.IsMap() && fd.MapValue().Message() != nil:
			v.Map().Range(func(_ protoreflect.MapKey, mv protoreflect.Value) bool {
				h.clear(mv.Message())
				return true
			})
		case !fd.IsList() && !fd.IsMap() && fd.Message() != nil:
			h.clear(v.Message())
		}
		return true
	})
}

// callState is one call being replayed.
type callState struct {
	h          *Handler
	c          *mockserver.Call
	mi         *methodIndex
	start      time.Time
	received   []proto.Message
	halfClosed bool
	emitted    bool
	held       *entry // the interaction answering; owned by the call unless Reusable
	// sent are the server steps replayed so far: an interaction stays a
	// candidate only if it recorded the same ones.
	sent []sentStep
}

type sentStep struct {
	pos int
	s   step
}

// A cand is a class of interactions the call may still match: every member
// recorded what the call sent and was sent so far, client side (checked once
// for the class) and server side (checked member by member, see member).
type cand struct {
	cls  *class
	only *entry // InOrder: the one member the call may use
}

// Handle replays one call.
func (h *Handler) Handle(c *mockserver.Call) error {
	mi := h.methods[c.FullMethod()]
	cs := &callState{h: h, c: c, mi: mi, start: time.Now()}
	if mi == nil {
		return cs.miss(nil, fmt.Sprintf("the cassettes hold no call to this method; they hold %s", h.methodList()))
	}
	if err := h.prepare(mi, c.Method()); err != nil {
		return status.Error(codes.Internal, err.Error())
	}
	done := false
	defer func() {
		if !done {
			cs.release()
		}
	}()
	md := c.Metadata()
	// With an index, the first client message picks the few classes
	// worth comparing; every interaction starts with one, so receiving it
	// first is what the loop below would do anyway.
	var ahead *received
	var cands []cand
	if mi.byFirst != nil && !h.cfg.inOrder {
		m, err := c.Recv()
		ahead = &received{m, err}
		if err == nil {
			// Kept now, so that a miss right below still names it.
			cs.received = append(cs.received, m)
			if key, ok := msgKey(h.normalize(m)); ok {
				cands = h.candidatesIn(mi.byFirst[key], md)
			}
		}
	}
	if len(cands) == 0 {
		cands = h.candidates(mi, md)
	}
	// recv returns the next client message, and whether it is new to
	// cs.received.
	recv := func() (proto.Message, bool, error) {
		if ahead != nil {
			r := ahead
			ahead = nil
			return r.msg, false, r.err
		}
		m, err := c.Recv()
		return m, true, err
	}
	for pos := 0; ; pos++ {
		first := cs.first(cands)
		if first == nil {
			return cs.miss(nil, "")
		}
		if pos == len(first.steps) {
			ended := filter(cands, func(k cand) bool { return len(k.cls.rep.steps) == pos })
			e, busy := cs.claim(ended)
			if e == nil {
				return cs.miss(busy, "")
			}
			c.SetAnswer("cassette")
			done = true
			return cs.finish(e)
		}
		switch first.steps[pos].typ {
		case cassette.ClientMessage, cassette.HalfClose:
			m, fresh, err := recv()
			switch {
			case err == io.EOF:
				cs.halfClosed = true
				cands = filter(cands, func(k cand) bool {
					r := k.cls.rep
					return pos < len(r.steps) && r.steps[pos].typ == cassette.HalfClose
				})
			case err != nil:
				return err
			default:
				if fresh {
					cs.received = append(cs.received, m)
				}
				nm := h.normalize(m)
				cands = filter(cands, func(k cand) bool {
					r := k.cls.rep
					return pos < len(r.steps) && r.steps[pos].typ == cassette.ClientMessage && proto.Equal(r.steps[pos].norm, nm)
				})
			}
		default: // a server step: header, message, or the client's cancel
			typ := first.steps[pos].typ
			eligible := filter(cands, func(k cand) bool {
				r := k.cls.rep
				return pos < len(r.steps) && r.steps[pos].typ == typ
			})
			e, busy := cs.claim(eligible)
			if e == nil {
				return cs.miss(busy, "")
			}
			c.SetAnswer("cassette")
			s := e.steps[pos]
			// From now on, only interactions that recorded this step.
			cands = eligible
			cs.sent = append(cs.sent, sentStep{pos, s})
			if err := cs.wait(s.at); err != nil {
				return err
			}
			if s.typ == cassette.Cancel {
				done = true
				return cs.cancelled(e)
			}
			cs.emitted = true
			if err := cs.emit(s); err != nil {
				return err
			}
		}
	}
}

func filter(cands []cand, keep func(cand) bool) []cand {
	out := cands[:0]
	for _, k := range cands {
		if keep(k) {
			out = append(out, k)
		}
	}
	return out
}

func sameStep(a, b step) bool {
	if a.typ != b.typ {
		return false
	}
	switch a.typ {
	case cassette.ServerMessage:
		return proto.Equal(a.msg, b.msg)
	case cassette.Header:
		return mdEqual(a.md, b.md)
	}
	return true
}

func mdEqual(a, b metadata.MD) bool { return maps.EqualFunc(a, b, slices.Equal[[]string]) }

// received is a message received ahead of the step that uses it.
type received struct {
	msg proto.Message
	err error
}

// candidates are the classes of the method the call may use, metadata
// matched.
func (h *Handler) candidates(mi *methodIndex, md metadata.MD) []cand {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.cfg.inOrder {
		for i := h.orderNext; i < len(h.order); i++ {
			e := h.order[i]
			if !h.cfg.reusable && e.used > 0 {
				if i == h.orderNext {
					h.orderNext++ // used for good: never looked at again
				}
				continue
			}
			if e.owner == nil && (e.used == 0 || h.cfg.reusable) {
				if e.in.Method == mi.name && h.mdMatch(e.md, md) == "" {
					return []cand{{cls: e.cls, only: e}}
				}
				return nil
			}
		}
		return nil
	}
	return h.candidatesLocked(mi.classes, md)
}

// candidatesIn is candidates among classes (of one method), for the
// any-order case.
func (h *Handler) candidatesIn(classes []*class, md metadata.MD) []cand {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.candidatesLocked(classes, md)
}

func (h *Handler) candidatesLocked(classes []*class, md metadata.MD) []cand {
	var out []cand
	for _, c := range classes {
		if h.mdMatch(c.rep.md, md) == "" && h.member(nil, cand{cls: c}, false) != nil {
			out = append(out, cand{cls: c})
		}
	}
	return out
}

// member is the first member of k (in preference order) that recorded
// what the call was sent so far and that the call may use: with claim, one
// no other call holds; without, one not used for good (the lead of the
// class). The caller holds h.mu; cs may be nil before any step.
func (h *Handler) member(cs *callState, k cand, claim bool) *entry {
	fits := func(e *entry) bool {
		if !h.cfg.reusable && e.owner != cs && (e.used > 0 || (claim && e.owner != nil)) {
			return false
		}
		if cs != nil {
			for _, x := range cs.sent {
				if !sameStep(e.steps[x.pos], x.s) {
					return false
				}
			}
		}
		return true
	}
	if k.only != nil {
		if fits(k.only) {
			return k.only
		}
		return nil
	}
	c := k.cls
	if !h.cfg.reusable {
		for c.next < len(c.members) && c.members[c.next].used > 0 {
			c.next++
		}
	}
	for _, e := range c.members[c.next:] {
		if fits(e) {
			return e
		}
	}
	return nil
}

// first is the interaction whose next step the call takes: the one it
// holds while that is still a candidate, else the first candidate in
// preference order; nil when there is none.
func (cs *callState) first(cands []cand) *entry {
	if len(cands) == 0 {
		return nil
	}
	h := cs.h
	h.mu.Lock()
	defer h.mu.Unlock()
	if e := cs.holds(cands); e != nil {
		return e
	}
	var best *entry
	for _, k := range cands {
		if e := h.member(cs, k, false); e != nil && (best == nil || e.idx < best.idx) {
			best = e
		}
	}
	return best
}

// holds returns the interaction the call holds if it is among cands. The
// caller holds h.mu.
func (cs *callState) holds(cands []cand) *entry {
	e := cs.held
	if e == nil {
		return nil
	}
	for _, k := range cands {
		if k.cls == e.cls && (k.only == nil || k.only == e) {
			return e
		}
	}
	return nil
}

// claim takes the interaction of cands the call holds, else the first free
// one, releasing the one it held before. With none free, busy names the
// first one another call holds, for the miss.
func (cs *callState) claim(cands []cand) (e *entry, busy []*entry) {
	h := cs.h
	h.mu.Lock()
	defer h.mu.Unlock()
	if e := cs.holds(cands); e != nil {
		return e, nil
	}
	var best, lead *entry
	for _, k := range cands {
		if e := h.member(cs, k, true); e != nil && (best == nil || e.idx < best.idx) {
			best = e
		}
		if e := h.member(cs, k, false); e != nil && (lead == nil || e.idx < lead.idx) {
			lead = e
		}
	}
	if best == nil {
		if lead != nil {
			return nil, []*entry{lead}
		}
		return nil, nil
	}
	if !h.cfg.reusable {
		if cs.held != nil && cs.held.owner == cs {
			cs.held.owner = nil
		}
		best.owner = cs
	}
	cs.held = best
	return best, nil
}

func (cs *callState) release() {
	if cs.held == nil {
		return
	}
	cs.h.mu.Lock()
	if cs.held.owner == cs && cs.held.used == 0 {
		cs.held.owner = nil
	}
	cs.h.mu.Unlock()
}

func (cs *callState) markUsed(e *entry) {
	cs.h.mu.Lock()
	e.used++
	cs.h.mu.Unlock()
}

// mdMatch returns "" when the call's metadata matches the recorded, else
// what differs.
func (h *Handler) mdMatch(rec, got metadata.MD) string {
	if h.cfg.matchMD != nil {
		for _, k := range h.cfg.matchMD {
			if d := valuesDiffer(k, rec[k], got[k]); d != "" {
				return d
			}
		}
		return ""
	}
	for k, rv := range rec {
		if h.cfg.ignoreMD[k] || cassette.TransportHeader(k) {
			continue
		}
		if d := valuesDiffer(k, rv, got[k]); d != "" {
			return d
		}
	}
	for k, gv := range got {
		if h.cfg.ignoreMD[k] || cassette.TransportHeader(k) {
			continue
		}
		if _, ok := rec[k]; !ok {
			return fmt.Sprintf("metadata %q: not recorded, got %q (replay.IgnoreMetadata leaves it out)", k, gv)
		}
	}
	return ""
}

func valuesDiffer(k string, rec, got []string) string {
	redacted := len(rec) > 0
	for _, v := range rec {
		if v != cassette.Redacted {
			redacted = false
		}
	}
	if redacted && len(got) > 0 {
		return ""
	}
	if slices.Equal(rec, got) {
		return ""
	}
	return fmt.Sprintf("metadata %q: recorded %q, got %q", k, rec, got)
}

func (cs *callState) wait(at time.Duration) error {
	if !cs.h.cfg.timing || at <= 0 {
		return nil
	}
	d := time.Until(cs.start.Add(at))
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-cs.c.Context().Done():
		return cs.c.Context().Err()
	}
}

func (cs *callState) emit(s step) error {
	switch s.typ {
	case cassette.Header:
		if s.setHeader {
			return cs.c.SetHeader(s.md)
		}
		return cs.c.SendHeader(s.md)
	case cassette.ServerMessage:
		return cs.c.Send(s.msg)
	}
	return nil
}

func (cs *callState) finish(e *entry) error {
	cs.markUsed(e)
	if len(e.trailer) > 0 {
		cs.c.SetTrailer(e.trailer)
	}
	return e.err
}

// cancelled replays a call the client ended: wait for this client to end
// it too, then answer as recorded.
func (cs *callState) cancelled(e *entry) error {
	cs.markUsed(e)
	ctx := cs.c.Context()
	t := time.NewTimer(cs.h.cfg.cancelWait)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
	}
	if len(e.trailer) > 0 {
		cs.c.SetTrailer(e.trailer)
	}
	return e.err
}

// miss answers a call no interaction matches: with the fallback when there
// is one and nothing was sent yet, else with a status naming the nearest
// interaction, kept for the test's cleanup.
func (cs *callState) miss(claimable []*entry, reason string) error {
	h := cs.h
	if h.cfg.fallback != nil && !cs.emitted {
		cs.release()
		cs.held = nil
		return h.cfg.fallback.Serve(cs.c, cs.received, cs.halfClosed)
	}
	cs.c.SetAnswer("miss")
	if reason == "" {
		reason = cs.nearest(claimable)
	}
	err := fmt.Errorf("replay: %w: %s call (%s): %s", ErrNoMatch, cs.c.FullMethod(), cs.describe(), reason)
	h.mu.Lock()
	h.misses.Add(err)
	h.mu.Unlock()
	// What the call sent for credential metadata stays out of the status
	// (unless WithSecretsShown): the client's error is logged, and would
	// carry its token back.
	return status.Error(h.cfg.missCode, h.redact(err.Error(), clientNote))
}

func (cs *callState) describe() string {
	parts := []string{fmt.Sprintf("%d client message(s)", len(cs.received))}
	if cs.halfClosed {
		parts = append(parts, "half-closed")
	}
	return strings.Join(parts, ", ")
}

func (h *Handler) methodList() string {
	if len(h.names) == 0 {
		return "no calls at all"
	}
	return strings.Join(h.names, ", ")
}
