package mockserver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
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
// an error stops the server from starting.
type Binder interface {
	Bind(methods Methods) error
}

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
	m      *method
	ctx    context.Context
	stream grpc.ServerStream // nil for unary calls

	unaryReq  proto.Message // unary: the request, until Recv takes it
	unaryDone bool
	unaryResp proto.Message // unary: what Send stored

	rec *record // nil when the server keeps no journal
}

// Context is the call's context: cancelled when the client cancels, the
// deadline passes or the server stops. When the server stopped it,
// context.Cause says so, and a handler that returns an error then answers
// codes.Unavailable.
func (c *Call) Context() context.Context { return c.ctx }

// Method is the descriptor of the called method.
func (c *Call) Method() protoreflect.MethodDescriptor { return c.m.desc }

// FullMethod is the method's name as gRPC sends it: "/pkg.Service/Method".
func (c *Call) FullMethod() string { return c.m.fullName }

// Kind is the RPC's kind.
func (c *Call) Kind() Kind { return c.m.kind }

// Metadata is the incoming metadata (request headers), keys lower case.
// The returned map is a copy the caller may keep.
func (c *Call) Metadata() metadata.MD {
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
	if err := c.stream.RecvMsg(msg); err != nil {
		if err == io.EOF {
			c.rec.event(EventHalfClose, nil)
		}
		return nil, err
	}
	c.rec.event(EventRecv, msg)
	return msg, nil
}

// Send sends a message to the client. Unary and client-streaming calls take
// exactly one.
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
		if c.stream != nil { // client stream: the reply goes out on the stream
			if err := c.stream.SendMsg(msg); err != nil {
				return err
			}
		}
		c.rec.event(EventSend, msg)
		return nil
	}
	if err := c.stream.SendMsg(msg); err != nil {
		return err
	}
	c.rec.event(EventSend, msg)
	return nil
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
// While the call runs the record reads metadata, peer and deadline from the
// call's context; when it ends it keeps copies and lets the context go. The
// context holds the server transport and, through it, the connection and its
// buffers (2 MiB on bufconn): a journal kept after Close must not keep those.
// All methods are no-ops on a nil record (no journal).
type record struct {
	mu          sync.Mutex
	method      string
	kind        Kind
	ctx         context.Context // nil once the call ended
	md          metadata.MD     // captured at the end
	peer        string
	deadline    time.Time
	hasDeadline bool
	start       time.Time
	end         time.Time
	done        bool
	events      eventLog
	header      metadata.MD
	trailer     metadata.MD
	status      *status.Status
}

func newRecord(m *method, ctx context.Context) *record {
	r := &record{method: m.fullName, kind: m.kind, ctx: ctx, start: time.Now()}
	r.events.cur = r.events.first[:0]
	r.deadline, r.hasDeadline = ctx.Deadline()
	return r
}

func (r *record) event(t EventType, msg proto.Message) {
	if r == nil {
		return
	}
	at := time.Since(r.start) // monotonic; read outside the lock
	r.mu.Lock()
	r.events.add(event{typ: t, msg: msg, at: at})
	r.mu.Unlock()
}

// event is the journal's compact form of an Event: 40 bytes, the time as an
// offset from the call's start. Snapshots expand it.
type event struct {
	typ EventType
	msg proto.Message
	md  metadata.MD
	at  time.Duration
}

// eventLog appends without ever copying what it holds: events fill chunks
// of doubling size. The first two live in the record itself, so a unary
// call's request and response cost no allocation.
type eventLog struct {
	first [2]event
	cur   []event   // the chunk being filled
	full  [][]event // chunks filled before cur
	n     int
}

func (l *eventLog) add(e event) {
	if len(l.cur) == cap(l.cur) {
		l.full = append(l.full, l.cur)
		l.cur = make([]event, 0, 2*cap(l.cur))
	}
	l.cur = append(l.cur, e)
	l.n++
}

// expand returns the events as Events, times made absolute from start.
func (l *eventLog) expand(start time.Time) []Event {
	if l.n == 0 {
		return nil
	}
	out := make([]Event, 0, l.n)
	for _, chunk := range append(l.full, l.cur) {
		for _, e := range chunk {
			out = append(out, Event{Type: e.typ, Message: e.msg, Metadata: e.md, Time: start.Add(e.at)})
		}
	}
	return out
}

func (r *record) addHeader(md metadata.MD, sent bool) {
	if r == nil {
		return
	}
	r.mu.Lock()
	r.header = metadata.Join(r.header, md)
	if sent {
		r.events.add(event{typ: EventHeader, md: r.header.Copy(), at: time.Since(r.start)})
	}
	r.mu.Unlock()
}

func (r *record) addTrailer(md metadata.MD) {
	if r == nil {
		return
	}
	r.mu.Lock()
	r.trailer = metadata.Join(r.trailer, md)
	r.mu.Unlock()
}

func (r *record) finish(st *status.Status) {
	if r == nil {
		return
	}
	now := time.Now()
	r.mu.Lock()
	r.md, r.peer = incoming(r.ctx)
	r.ctx = nil
	r.end = now
	r.done = true
	r.status = st
	r.mu.Unlock()
}

// incoming reads a call's metadata and peer address from its context.
func incoming(ctx context.Context) (metadata.MD, string) {
	md, _ := metadata.FromIncomingContext(ctx)
	var addr string
	if p, ok := peer.FromContext(ctx); ok && p.Addr != nil {
		addr = p.Addr.String()
	}
	return md, addr
}
