package mockserver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/grpcdouble/grpcdouble/internal/mdpack"
)

// Handler is the one seam between transport and behaviour: the server decodes
// each incoming call into a *Call and hands it to Handle. Expectations,
// cassettes and the recording proxy are all Handlers.
//
// Handle runs on the call's own goroutine and must return once the call's
// context is done. The error it returns becomes the call's status: nil is OK,
// an error from the status package keeps its code, message and details, a
// context error becomes Canceled or DeadlineExceeded, and anything else is
// Unknown.
type Handler interface {
	Handle(call *Call) error
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(call *Call) error

// Handle calls f(call).
func (f HandlerFunc) Handle(call *Call) error { return f(call) }

// MethodLister is implemented by handlers that know which methods they answer.
// The server serves the services of those methods, looking them up in its
// sources first and then among the compiled Go types linked into the binary,
// so a test need not name its services twice.
type MethodLister interface {
	Methods() []string
}

// Binder is implemented by handlers that check themselves against the
// descriptors the server will serve. Start calls Bind once, before serving;
// an error stops the server from starting. A Binder that belongs to a test
// and has already reported its errors on it wraps ErrReported, and Start
// then fails the test without saying them again.
type Binder interface {
	Bind(methods Methods) error
}

// ErrReported marks an error that was already reported on the test, for
// example the setup errors an expect.Mock made with expect.New reports at
// the test's line as they happen.
var ErrReported = errors.New("already reported on the test")

// Methods looks up the methods a server serves.
type Methods interface {
	// Method returns the descriptor of a served method, by full name in either
	// of the forms "/pkg.Service/Method" or "pkg.Service/Method".
	Method(name string) (protoreflect.MethodDescriptor, error)
}

// Kind is the shape of an RPC.
type Kind int

// The four kinds of RPC.
const (
	Unary Kind = iota
	ServerStream
	ClientStream
	BidiStream
)

func (k Kind) String() string {
	switch k {
	case Unary:
		return "unary"
	case ServerStream:
		return "server-stream"
	case ClientStream:
		return "client-stream"
	case BidiStream:
		return "bidi-stream"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// KindOf reports the kind of a method.
func KindOf(md protoreflect.MethodDescriptor) Kind {
	switch {
	case md.IsStreamingClient() && md.IsStreamingServer():
		return BidiStream
	case md.IsStreamingClient():
		return ClientStream
	case md.IsStreamingServer():
		return ServerStream
	}
	return Unary
}

// ErrNoResponse is the status error a unary or client-streaming call gets
// when its handler returns nil without sending a response.
var ErrNoResponse = errors.New("mockserver: handler returned without a response")

// Call is one RPC in progress, as a Handler sees it. For unary and
// client-streaming methods Send may be called once; for the server the call
// looks like a stream in every case, so one handler serves all four kinds.
//
// A Call is safe for use by one goroutine at a time for receiving and one for
// sending, like grpc.ServerStream.
type Call struct {
	s      *Server
	m      *method
	ctx    context.Context   // gRPC's, for the call
	stream grpc.ServerStream // nil for unary calls

	// Context's own, made on first use: only a handler that asks for the
	// context needs one the server can cancel when it stops (see
	// Server.live), and most unary handlers never ask.
	ctxMu  sync.Mutex
	cctx   context.Context
	cancel context.CancelCauseFunc
	ended  bool

	// md is the incoming metadata, read once at the start for the journal
	// and the codec; the first Metadata call hands it over.
	md      metadata.MD
	mdGiven atomic.Bool

	unaryReq  proto.Message // unary: the request, until Recv takes it
	unaryDone bool
	unaryResp proto.Message // unary: what Send stored

	rec    *record   // nil when the server keeps no journal
	start  time.Time // when the call arrived
	answer string    // see SetAnswer
	frames bool      // see Server.frames
	// Of a health call the server serves itself (Builtin), and whether
	// its handler returned ErrUseBuiltin: beside frames, in its padding.
	builtin    bool
	useBuiltin bool
	frame      wireFrame // the frame being sent
	rframe     recvFrame // the frame being received

	// The message Recv returned last and the bytes it came as, when the
	// journal kept them (see Wire).
	lastMsg  proto.Message
	lastWire []byte
	codec    encoding.CodecV2 // see foreign; nil for proto
}

// Context is the call's context: cancelled when the client cancels, the
// deadline passes or the server stops. When the server stopped it,
// context.Cause says so, and a handler that returns an error then answers
// codes.Unavailable.
func (c *Call) Context() context.Context {
	c.ctxMu.Lock()
	defer c.ctxMu.Unlock()
	if c.cctx == nil {
		if c.ended || c.s == nil {
			// The call is over, and gRPC has ended its context.
			return c.ctx
		}
		c.cctx, c.cancel = context.WithCancelCause(c.ctx)
		c.s.track(c, c.cancel)
	}
	return c.cctx
}

// stoppedByServer reports whether the server's stopping cancelled the
// call's context.
func (c *Call) stoppedByServer() bool {
	c.ctxMu.Lock()
	cctx := c.cctx
	c.ctxMu.Unlock()
	return cctx != nil && context.Cause(cctx) == errStopping
}

// Method is the descriptor of the called method.
func (c *Call) Method() protoreflect.MethodDescriptor { return c.m.desc }

// FullMethod is the method's name as gRPC sends it: "/pkg.Service/Method".
func (c *Call) FullMethod() string { return c.m.fullName }

// Kind is the RPC's kind.
func (c *Call) Kind() Kind { return c.m.kind }

// SetAnswer records what answered the call, for the journal
// (CallRecord.Answer) and for whoever wraps the handler (Answer). The
// packages of this module write "stub:ID" (an expectation), "cassette",
// "upstream" (a proxy) and "miss" (nothing matched). A later call
// replaces an earlier one.
func (c *Call) SetAnswer(source string) {
	c.answer = source
	if r := c.rec; r != nil {
		r.mu.Lock()
		r.answer = source
		r.mu.Unlock()
	}
}

// MaxSendSize is the largest message the server sends (Server.MaxSendSize).
func (c *Call) MaxSendSize() int {
	if c.s == nil {
		return DefaultMaxSendSize
	}
	return c.s.MaxSendSize()
}

// Answer is what SetAnswer last recorded, or "".
func (c *Call) Answer() string { return c.answer }

// Metadata is the incoming metadata (request headers), keys lower case.
// The returned map is a copy the caller may keep.
func (c *Call) Metadata() metadata.MD {
	if c.md != nil && c.mdGiven.CompareAndSwap(false, true) {
		return c.md // the journal packed its own copy at the start
	}
	md, _ := metadata.FromIncomingContext(c.ctx)
	return md
}

// Peer is the client's address and auth information, or nil.
func (c *Call) Peer() *peer.Peer {
	p, _ := peer.FromContext(c.ctx)
	return p
}

// Deadline is the client's deadline, if it set one.
func (c *Call) Deadline() (time.Time, bool) { return c.ctx.Deadline() }

// Start is when the call arrived at the server.
func (c *Call) Start() time.Time { return c.start }

// NewRequest returns an empty message of the method's input type: the
// generated Go type when it is linked in, a dynamicpb message otherwise.
func (c *Call) NewRequest() proto.Message { return c.m.in.New().Interface() }

// NewResponse returns an empty message of the method's output type.
func (c *Call) NewResponse() proto.Message { return c.m.out.New().Interface() }

// Recv returns the next client message, or io.EOF once the client has
// half-closed. The message is the generated Go type when linked in.
func (c *Call) Recv() (proto.Message, error) {
	if c.stream == nil {
		if c.unaryDone {
			return nil, io.EOF
		}
		c.unaryDone = true
		// The journal recorded the request when it arrived.
		return c.unaryReq, nil
	}
	msg := c.NewRequest()
	var in any = c.onWire(msg)
	if c.frames {
		c.rframe = recvFrame{rec: c.rec, msg: msg}
		in = &c.rframe
	}
	if err := c.stream.RecvMsg(in); err != nil {
		if err == io.EOF {
			c.rec.add(EventHalfClose, 0, 0)
		}
		return nil, err
	}
	if c.frames {
		c.rec.addRecv(&c.rframe)
		c.lastMsg, c.lastWire = msg, c.rframe.b
		c.rframe = recvFrame{}
	} else {
		c.rec.message(EventRecv, msg)
	}
	return msg, nil
}

// Wire returns the bytes msg arrived as, when msg is the message Recv
// returned last (for a unary call, its request) and the server kept its
// bytes: a journaled call on gRPC's proto codec. Otherwise it returns nil.
//
// Wire is plumbing, for matchers that compare a request with a wanted
// message's deterministic marshaling before they fall back to proto.Equal,
// and for keeping what a call received without marshaling it again. The
// bytes are the journal's and stay valid: read them, never change them.
func (c *Call) Wire(msg proto.Message) []byte {
	if msg == nil || msg != c.lastMsg {
		return nil
	}
	return c.lastWire
}

// Send sends a message to the client. Unary and client-streaming calls take
// exactly one. A unary response goes out when the handler returns, as the
// handler left it; a streamed one before Send returns.
func (c *Call) Send(msg proto.Message) error {
	if msg == nil {
		return status.Errorf(codes.Internal, "mockserver: %s: nil response message", c.m.fullName)
	}
	if got, want := msg.ProtoReflect().Descriptor().FullName(), c.m.outName; got != want {
		return status.Errorf(codes.Internal, "mockserver: %s: response is a %s, want %s", c.m.fullName, got, want)
	}
	if c.m.kind == Unary || c.m.kind == ClientStream {
		if c.unaryResp != nil {
			return status.Errorf(codes.Internal, "mockserver: %s: a %s method sends one response, not two", c.m.fullName, c.m.kind)
		}
		c.unaryResp = msg
		if c.stream == nil {
			// gRPC marshals a unary response once the handler returns, so
			// the journal does too (see reply): until then it keeps msg.
			c.rec.pending(msg)
			return nil
		}
	}
	return c.send(msg)
}

// send sends msg on the stream and journals it. With frames, msg is
// marshaled once, into the journal, and gRPC sends those bytes.
func (c *Call) send(msg proto.Message) error {
	if c.frames {
		if b, off, ok := c.rec.marshal(msg); ok {
			c.frame.b = b
			err := c.stream.SendMsg(&c.frame)
			c.frame.b = nil
			if err != nil {
				return err
			}
			if off < 0 { // too large to keep whole: see keepCut
				c.rec.keepCut(EventSend, b)
			} else {
				c.rec.add(EventSend, off, len(b))
			}
			return nil
		}
		// msg does not marshal: let gRPC's codec fail it as it would.
	}
	if err := c.stream.SendMsg(c.onWire(msg)); err != nil {
		return err
	}
	c.rec.message(EventSend, msg)
	return nil
}

// onWire is what gRPC is handed for msg.
func (c *Call) onWire(msg proto.Message) any {
	if c.codec != nil {
		return &foreign{codec: c.codec, msg: msg}
	}
	return msg
}

// reply is what a unary call answers once its handler has returned: the
// response as the handler left it, which is what goes on the wire.
func (c *Call) reply() any {
	if c.unaryResp == nil {
		return nil
	}
	if b, ok := c.rec.settle(c.frames); ok {
		c.frame.b = b
		return &c.frame
	}
	return c.onWire(c.unaryResp)
}

// SetHeader adds response headers, sent with the first message or at the end.
func (c *Call) SetHeader(md metadata.MD) error {
	var err error
	if c.stream == nil {
		err = grpc.SetHeader(c.ctx, md)
	} else {
		err = c.stream.SetHeader(md)
	}
	if err == nil {
		c.rec.addHeader(md, false)
	}
	return err
}

// SendHeader sends response headers now, with any set before.
func (c *Call) SendHeader(md metadata.MD) error {
	var err error
	if c.stream == nil {
		err = grpc.SendHeader(c.ctx, md)
	} else {
		err = c.stream.SendHeader(md)
	}
	if err == nil {
		c.rec.addHeader(md, true)
	}
	return err
}

// SetTrailer adds trailers, sent with the status whatever it is.
func (c *Call) SetTrailer(md metadata.MD) {
	if c.stream == nil {
		_ = grpc.SetTrailer(c.ctx, md)
	} else {
		c.stream.SetTrailer(md)
	}
	c.rec.addTrailer(md)
}

// statusOf turns what a handler returned into a status.
func statusOf(err error) *status.Status {
	if err == nil {
		return nil
	}
	if s, ok := status.FromError(err); ok {
		return s
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return status.FromContextError(err)
	}
	return status.New(codes.Unknown, err.Error())
}

// record is the journal's view of a call. The handler's goroutine writes it
// while tests read snapshots, so it has its own lock.
//
// The record copies metadata, peer and deadline from the call's context at
// the start and keeps no reference to the context (see newRecord). All
// methods are no-ops on a nil record (no journal).
//
// Messages are kept marshaled, back to back in wire, and decoded only when a
// snapshot is taken. A journal keeps every call until the test ends: kept as
// messages, a 100-message stream left hundreds of pointer-ful objects per
// call for the GC to mark on every cycle, and marking was most of what the
// journal cost. Neither wire nor events holds a pointer, so the GC never
// scans them.
type record struct {
	mu          sync.Mutex
	j           *journal      // for the byte bound; nil: none
	id          uint64        // CallRecord.ID
	gen         atomic.Uint64 // the journal's generation when it last changed
	m           *method       // its message types decode wire
	mdN         int           // wire[:mdN] is the incoming metadata (see mdpack)
	peer        string
	protocol    Protocol
	deadline    time.Time
	hasDeadline bool
	start       time.Time
	end         time.Time
	done        bool
	wire        []byte        // the messages, marshaled; gRPC may hold some, so only appended to
	events      []entry       // in order
	first       [2]entry      // events' first backing array: a unary call allocates none
	side        []any         // what wire does not hold: headers sent, messages that would not marshal
	reply       proto.Message // a unary response, until its handler returns
	replyAt     int           // reply's entry
	header      metadata.MD
	trailer     metadata.MD
	status      *status.Status
	answer      string // Call.SetAnswer

	// The byte bound (see WithJournalBytes). size is what the record
	// holds, counted in j.bytes; an evicted record (dropped from the
	// journal) holds and keeps nothing more.
	size         int
	evicted      bool
	cuts         []cut // messages kept truncated
	droppedMsgs  int   // messages not kept at all: the call was over its share
	droppedBytes int
	mdCut        bool // the incoming metadata was truncated

	// inline is wire's first backing array, so a small call's metadata and
	// messages cost no allocation of their own. It comes last, after every
	// pointer, so the GC does not scan it.
	inline [inlineWire]byte
}

// inlineWire holds a unary call's usual metadata, request and response.
const inlineWire = 256

// cut is a message too large to keep whole: wire[off:off+n] holds its
// leading whole fields, of full bytes.
type cut struct {
	off, n, full int
}

// entry is an event with its payload out of line: wire[off:off+n] for a
// message, side[off] when n is inSide, reply when n is isReply, nothing
// for a half-close.
type entry struct {
	at  time.Duration // since the call's start
	off int
	n   int32
	typ EventType
}

const (
	inSide  = -1
	isReply = -2
	isCut   = -3 // cuts[off]
)

// entrySize is what one event costs the journal, counted in its bytes.
const entrySize = int(unsafe.Sizeof(entry{}))

// newRecord starts the record of a call for journal j with its incoming
// metadata, which a call cannot change, and its peer and deadline. It keeps
// nothing of ctx, which holds the server transport and, through it, the
// connection and its buffers: a journal kept after Close must not keep
// those.
func newRecord(m *method, ctx context.Context, md metadata.MD, j *journal) *record {
	r := &record{m: m, j: j, start: time.Now()}
	r.events = r.first[:0]
	limit := -1
	if j != nil && j.budget > 0 {
		limit = int(j.msgMax())
	}
	r.wire, r.mdCut = mdpack.Append(r.inline[:0], md, limit)
	r.mdN = len(r.wire)
	r.grow(r.mdN)
	r.deadline, r.hasDeadline = ctx.Deadline()
	if p, ok := peer.FromContext(ctx); ok && p.Addr != nil {
		r.peer = p.Addr.String()
	}
	r.protocol = protocolOf(ctx, md)
	return r
}

var (
	// wireMarshal marshals what is sent as gRPC's proto codec does: a
	// message missing a required field is an error.
	wireMarshal = proto.MarshalOptions{}
	// journalMarshal marshals what the journal keeps of what went on the
	// wire or came off it.
	journalMarshal = proto.MarshalOptions{AllowPartial: true}

	// The same, for a message whose size the caller has just computed
	// (to check the journal's bound), which marshaling need not compute
	// again.
	wireMarshalSized    = proto.MarshalOptions{UseCachedSize: true}
	journalMarshalSized = proto.MarshalOptions{AllowPartial: true, UseCachedSize: true}
)

// appendTo marshals msg onto wire.
func (r *record) appendTo(o proto.MarshalOptions, msg proto.Message) (off, n int, err error) {
	off = len(r.wire)
	wire, err := o.MarshalAppend(r.wire, msg)
	if err != nil {
		return 0, 0, err
	}
	r.wire = wire
	r.grow(len(wire) - off)
	return off, len(wire) - off, nil
}

// grow counts n more bytes held. The caller holds r.mu, and calls r.trim
// once it has let go of it.
func (r *record) grow(n int) {
	r.size += n
	if r.j != nil {
		r.j.bytes.Add(int64(n))
	}
}

// trim drops the oldest calls while the journal is over its byte bound.
// The caller must not hold r.mu.
func (r *record) trim() {
	if r.j != nil && r.j.budget > 0 && r.j.bytes.Load() > r.j.budget {
		r.j.trim()
	}
}

// fits reports whether a message of n bytes is kept whole: it is below the
// journal's largest message, and the call is within its share. The caller
// holds r.mu.
func (r *record) fits(n int) bool {
	if r.evicted {
		return false
	}
	if r.j == nil || r.j.budget <= 0 {
		return true
	}
	return int64(n) <= r.j.msgMax() && int64(r.size+n) <= r.j.callMax()
}

// keepCut keeps a message that does not fit: its leading whole fields, up
// to cutKeep bytes, marked as cut; nothing but a count once the call is
// over its share of the journal.
func (r *record) keepCut(t EventType, b []byte) {
	if r == nil {
		return
	}
	at := time.Since(r.start)
	r.mu.Lock()
	r.keepCutLocked(t, b, at)
	r.mu.Unlock()
	r.trim()
}

func (r *record) keepCutLocked(t EventType, b []byte, at time.Duration) {
	if r.evicted {
		return
	}
	i, ok := r.cut(b)
	if !ok {
		r.droppedMsgs++
		r.droppedBytes += len(b)
		return
	}
	r.events = append(r.events, entry{at: at, off: i, n: isCut, typ: t})
	r.grow(entrySize)
}

// cut keeps b's leading whole fields and returns their index in cuts; false
// when the call is over its share. The caller holds r.mu.
func (r *record) cut(b []byte) (int, bool) {
	if r.j != nil && r.j.budget > 0 && int64(r.size) >= r.j.callMax() {
		return 0, false
	}
	p := wholeFields(b[:min(len(b), cutKeep)])
	off := len(r.wire)
	r.wire = append(r.wire, p...)
	r.cuts = append(r.cuts, cut{off: off, n: len(p), full: len(b)})
	r.grow(len(p) + int(unsafe.Sizeof(cut{})))
	return len(r.cuts) - 1, true
}

// cutKeep is how much of a message too large for the journal it keeps.
const cutKeep = 4 << 10

// wholeFields is the longest prefix of b made of whole fields, so a cut
// message still decodes (to its leading fields).
func wholeFields(b []byte) []byte {
	n := 0
	for n < len(b) {
		_, _, k := protowire.ConsumeField(b[n:])
		if k < 0 {
			break
		}
		n += k
	}
	return b[:n]
}

// message records msg, as it is now, as sent or received.
func (r *record) message(t EventType, msg proto.Message) {
	if r == nil {
		return
	}
	at := time.Since(r.start) // monotonic; read outside the lock
	size := proto.Size(msg)
	r.mu.Lock()
	defer r.trim()
	defer r.mu.Unlock()
	if r.evicted {
		return
	}
	if !r.fits(size) {
		if b, err := journalMarshal.Marshal(msg); err == nil {
			r.keepCutLocked(t, b, at)
			return
		}
	}
	if off, n, err := r.appendTo(journalMarshalSized, msg); err == nil {
		r.events = append(r.events, entry{at: at, off: off, n: int32(n), typ: t})
	} else { // keep the message itself rather than lose it
		r.events = append(r.events, entry{at: at, off: len(r.side), n: inSide, typ: t})
		r.side = append(r.side, msg)
	}
	r.grow(entrySize)
}

// marshal marshals msg onto wire for sending and returns its bytes, which
// are not an event until add says they went out. A message that does not
// fit (see fits) is marshaled apart, off -1: keepCut keeps what it can.
func (r *record) marshal(msg proto.Message) (b []byte, off int, ok bool) {
	size := proto.Size(msg)
	r.mu.Lock()
	defer r.trim()
	defer r.mu.Unlock()
	if !r.fits(size) {
		b, err := wireMarshal.Marshal(msg)
		return b, -1, err == nil
	}
	off, n, err := r.appendTo(wireMarshalSized, msg)
	if err != nil {
		return nil, 0, false
	}
	return r.wire[off : off+n : off+n], off, true
}

// unmarshal receives into f.msg, as gRPC's proto codec would, and keeps the
// bytes in wire; add makes them an event.
func (r *record) unmarshal(data mem.BufferSlice, f *recvFrame) error {
	r.mu.Lock()
	if !r.fits(data.Len()) {
		r.mu.Unlock()
		b := data.Materialize()
		if err := proto.Unmarshal(b, f.msg); err != nil {
			return err
		}
		f.off, f.n, f.apart, f.b = -1, len(b), b, b
		return nil
	}
	off := len(r.wire)
	for _, b := range data {
		r.wire = append(r.wire, b.ReadOnlyData()...)
	}
	b := r.wire[off:len(r.wire):len(r.wire)]
	r.grow(len(b))
	r.mu.Unlock()
	if err := proto.Unmarshal(b, f.msg); err != nil {
		r.mu.Lock()
		if !r.evicted && len(r.wire) == off+len(b) { // nobody appended since: take them back
			r.wire = r.wire[:off]
			r.grow(-len(b))
		}
		r.mu.Unlock()
		return err
	}
	r.trim()
	f.off, f.n, f.b = off, len(b), b
	return nil
}

// addRecv records a message unmarshal received.
func (r *record) addRecv(f *recvFrame) {
	if f.off < 0 {
		r.keepCut(EventRecv, f.apart)
		return
	}
	r.add(EventRecv, f.off, f.n)
}

// add records an event whose message, if any, unmarshal or marshal put at
// wire[off:off+n].
func (r *record) add(typ EventType, off, n int) {
	if r == nil {
		return
	}
	at := time.Since(r.start)
	r.mu.Lock()
	if !r.evicted {
		r.events = append(r.events, entry{at: at, off: off, n: int32(n), typ: typ})
		r.grow(entrySize)
	}
	r.mu.Unlock()
	r.trim()
}

// pending records a unary response, which gRPC marshals only once the
// handler returns: until settle, the journal keeps msg itself.
func (r *record) pending(msg proto.Message) {
	if r == nil {
		return
	}
	at := time.Since(r.start)
	r.mu.Lock()
	if !r.evicted {
		r.reply, r.replyAt = msg, len(r.events)
		r.events = append(r.events, entry{at: at, n: isReply, typ: EventSend})
		r.grow(entrySize)
	}
	r.mu.Unlock()
}

// settle marshals the pending response once its handler has returned. With
// frames it marshals as gRPC would and returns the bytes to send; ok false
// means: send the message itself.
func (r *record) settle(frames bool) (b []byte, ok bool) {
	if r == nil {
		return nil, false
	}
	r.mu.Lock()
	defer r.trim()
	defer r.mu.Unlock()
	if r.reply == nil || r.evicted {
		return nil, false
	}
	e := &r.events[r.replyAt]
	if size := proto.Size(r.reply); !r.fits(size) {
		o := journalMarshal
		if frames {
			o = wireMarshal
		}
		b, err := o.Marshal(r.reply)
		if err != nil {
			return nil, false
		}
		r.reply = nil
		if i, ok := r.cut(b); ok {
			e.off, e.n = i, isCut
		} else {
			r.events = slices.Delete(r.events, r.replyAt, r.replyAt+1)
			r.grow(-entrySize)
			r.droppedMsgs++
			r.droppedBytes += len(b)
		}
		return b, frames
	}
	if frames {
		if off, n, err := r.appendTo(wireMarshalSized, r.reply); err == nil {
			e.off, e.n, r.reply = off, int32(n), nil
			return r.wire[off : off+n : off+n], true
		}
	}
	if off, n, err := r.appendTo(journalMarshalSized, r.reply); err == nil {
		e.off, e.n, r.reply = off, int32(n), nil
	}
	return nil, false
}

// expand returns the events as Events, messages decoded afresh and times
// made absolute. The caller holds r.mu.
func (r *record) expand() []Event {
	if len(r.events) == 0 {
		return nil
	}
	out := make([]Event, len(r.events))
	for i, e := range r.events {
		ev := Event{Type: e.typ, Time: r.start.Add(e.at)}
		switch {
		case e.n == isReply:
			ev.Message = r.reply
		case e.n == isCut:
			c := r.cuts[e.off]
			mt := r.m.in
			if e.typ == EventSend {
				mt = r.m.out
			}
			ev.Message = decode(mt, r.wire[c.off:c.off+c.n])
			ev.Truncated, ev.Size = true, c.full
		case e.n == inSide:
			switch v := r.side[e.off].(type) {
			case proto.Message:
				ev.Message = v
			case metadata.MD:
				ev.Metadata = v.Copy()
			}
		case e.typ == EventRecv:
			ev.Message = decode(r.m.in, r.wire[e.off:e.off+int(e.n)])
		case e.typ == EventSend:
			ev.Message = decode(r.m.out, r.wire[e.off:e.off+int(e.n)])
		}
		out[i] = ev
	}
	return out
}

// decode unmarshals what the journal kept. That cannot fail on bytes this
// package marshaled or gRPC accepted; should it, the bytes are kept as the
// message's unknown fields rather than lost.
func decode(mt protoreflect.MessageType, b []byte) proto.Message {
	m := mt.New().Interface()
	if err := (proto.UnmarshalOptions{AllowPartial: true}).Unmarshal(b, m); err != nil {
		m = mt.New().Interface()
		m.ProtoReflect().SetUnknown(slices.Clone(b))
	}
	return m
}

func (r *record) addHeader(md metadata.MD, sent bool) {
	if r == nil {
		return
	}
	r.mu.Lock()
	if r.evicted {
		r.mu.Unlock()
		return
	}
	r.header = metadata.Join(r.header, md)
	r.grow(mdSize(md))
	if sent {
		r.events = append(r.events, entry{at: time.Since(r.start), off: len(r.side), n: inSide, typ: EventHeader})
		r.side = append(r.side, r.header.Copy())
		r.grow(entrySize + mdSize(r.header))
	}
	r.mu.Unlock()
	r.trim()
}

// mdSize is about what md holds, in bytes.
func mdSize(md metadata.MD) int {
	n := 0
	for k, vs := range md {
		n += len(k)
		for _, v := range vs {
			n += len(v)
		}
	}
	return n
}

func (r *record) addTrailer(md metadata.MD) {
	if r == nil {
		return
	}
	r.mu.Lock()
	if !r.evicted {
		r.trailer = metadata.Join(r.trailer, md)
		r.grow(mdSize(md))
	}
	r.mu.Unlock()
	r.trim()
}

func (r *record) finish(st *status.Status) {
	if r == nil {
		return
	}
	now := time.Now()
	r.mu.Lock()
	r.end = now
	r.done = true
	r.status = st
	r.mu.Unlock()
	r.trim()
}

// evict empties a record dropped from the journal, giving its bytes back;
// it keeps nothing more. The caller holds the journal's lock.
func (r *record) evict() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.evicted {
		return
	}
	r.evicted = true
	if r.j != nil {
		r.j.bytes.Add(-int64(r.size))
	}
	r.size = 0
	r.wire, r.events, r.side, r.cuts, r.mdN = nil, nil, nil, nil, 0
	r.reply = nil
}
