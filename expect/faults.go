package expect

import (
	"fmt"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/grpcdouble/grpcdouble/mockserver"
)

// Faults a script can inject into its client. Each is a step (or a setting
// the send step honours) of the one runner, so the Go DSL and stub files
// offer the same ones:
//
//   - abort after n messages with a status (AbortAfter, stub "abortAfter")
//   - drop the connection (DropConnection, stub "dropConnection")
//   - pace every message (Pace, stub "pace"), pause (Delay, stub "delay" and step "delay")
//   - oversize a message (PadTo and SendOversized, stub "padTo" and step
//     "sendOversized"): above the client's maximum receive size the client
//     fails the call with ResourceExhausted; above the server's
//     grpc.MaxSendMsgSize the server does.

// abort ends a stream with a status once n messages were sent.
type abort struct {
	n  int
	st *status.Status
}

// dropStep closes the call's transport connection, as a dropped network
// would: the client sees Unavailable, and so does every other call on the
// connection.
type dropStep struct{}

func (dropStep) run(r *run) error {
	if err := r.call.CloseConnection(); err != nil {
		return status.Errorf(codes.Internal, "grpcdouble: %s: drop the connection: %v", r.e.describe(), err)
	}
	// The transport notices the closed connection and cancels the call.
	<-r.ctx().Done()
	return status.Error(codes.Unavailable, "grpcdouble: connection dropped by the script")
}
func (dropStep) String() string { return "drop the connection" }

// checkAbort ends the script with the abort status once enough messages
// went out.
func (r *run) checkAbort() error {
	if a := r.e.abort; a != nil && r.sent >= a.n {
		r.final = a.st
		return errStop
	}
	return nil
}

// pad returns msg with an unknown field appended so that it encodes to at
// least size bytes. Unknown fields survive marshalling, so the client's
// decoder sees (and its size check counts) every byte.
func pad(msg proto.Message, size int) proto.Message {
	if msg == nil {
		return nil
	}
	n := size - proto.Size(msg)
	if n <= 0 {
		return msg
	}
	out := proto.Clone(msg)
	m := out.ProtoReflect()
	num := padField(m.Descriptor())
	b := protowire.AppendTag(append([]byte(nil), m.GetUnknown()...), num, protowire.BytesType)
	b = protowire.AppendBytes(b, make([]byte, n))
	m.SetUnknown(b)
	return out
}

// padField is a field number the message does not declare.
func padField(md protoreflect.MessageDescriptor) protowire.Number {
	num := protowire.MaxValidNumber
	for md.Fields().ByNumber(num) != nil || md.ExtensionRanges().Has(num) {
		num--
	}
	return num
}

func checkSize(what string, size, limit int) error {
	if size <= 0 {
		return fmt.Errorf("%s: size %d: want a positive number of bytes", what, size)
	}
	if size > limit+1 {
		return fmt.Errorf("%s: size %d: above the server's maximum send size plus one (%d bytes) there is nothing to test", what, size, limit+1)
	}
	return nil
}

// sizeLimiter is what a server tells of its largest message sent
// (*mockserver.Server is one).
type sizeLimiter interface{ MaxSendSize() int }

// sendLimit is the largest message the server behind r sends, when r says
// (a *mockserver.Server does); else mockserver.DefaultMaxSendSize, and ok
// is false. Pads are bounded by it plus one, at load, so a script cannot
// allocate more than a server could ever send.
func sendLimit(r mockserver.Methods) (limit int, ok bool) {
	if l, isL := r.(sizeLimiter); isL {
		if n := l.MaxSendSize(); n > 0 {
			return n, true
		}
	}
	return mockserver.DefaultMaxSendSize, false
}

// knownSendLimit is the send limit of the server the expectation's Mock is
// bound to (or of its resolver). Not known yet, sizes are checked at Bind.
func (e *expectation) knownSendLimit() (int, bool) {
	r := e.resolver
	if e.m != nil {
		e.m.mu.RLock()
		r = e.m.bound
		if r == nil {
			r = e.m.cfg.resolver
		}
		e.m.mu.RUnlock()
	}
	return sendLimit(r)
}

// checkPad checks one pad against the server's limit, when it is known.
func (e *expectation) checkPad(what string, size int) error {
	limit, ok := e.knownSendLimit()
	if !ok && size > 0 {
		return nil // Bind checks it
	}
	return checkSize(what, size, limit)
}

// checkSizes checks the expectation's pads against the server's limit, once
// a server binds the Mock (declared before, they were checked against the
// default).
func (e *expectation) checkSizes(limit int) error {
	if e.padTo > 0 {
		if err := checkSize("PadTo", e.padTo, limit); err != nil {
			return err
		}
	}
	for _, st := range e.script {
		if s, ok := st.(sendStep); ok && s.padTo > 0 {
			if err := checkSize("SendOversized", s.padTo, limit); err != nil {
				return err
			}
		}
	}
	return nil
}

// PadTo pads every message the expectation sends with an unknown field, so
// that each encodes to at least size bytes: above the client's maximum
// receive size (4 MiB unless grpc.MaxCallRecvMsgSize says otherwise) the
// client fails the call with ResourceExhausted, and above the server's
// grpc.MaxSendMsgSize (mockserver.WithServerOptions) the server does. The
// padding is an unknown field, so a client that accepts the size decodes the
// message unchanged.
func (b base[B]) PadTo(size int) B {
	b.e.tb().Helper()
	if err := b.e.checkPad("PadTo", size); err != nil {
		b.e.setupErr(err)
		return b.self
	}
	b.e.padTo = size
	return b.self
}

func (e *expectation) abortAfter(what string, n int, code codes.Code, msg string, details []proto.Message) {
	e.tb().Helper()
	if n < 0 {
		e.setupErr(fmt.Errorf("%s: %d messages: want 0 or more", what, n))
		return
	}
	st, err := newStatus(code, msg, details)
	if err != nil {
		e.setupErr(err)
		return
	}
	e.abort = &abort{n: n, st: st}
}

func (e *expectation) sendOversized(msg proto.Message, size int) {
	e.tb().Helper()
	if err := e.checkPad("SendOversized", size); err != nil {
		e.setupErr(err)
		return
	}
	e.checkOut("SendOversized", msg)
	e.script = append(e.script, sendStep{msg: msg, padTo: size})
}

// DropConnection answers by closing the connection the call came on, as a
// dropped network would: the client sees Unavailable.
func (u *UnaryExpectation) DropConnection() *UnaryExpectation {
	u.e.tb().Helper()
	u.e.script = []step{dropStep{}}
	return u
}

// AbortAfter ends the stream with a status as soon as n messages have been
// sent, whatever the script holds after them: "abort after n messages". A
// script that sends fewer runs as written.
func (s *ServerStreamExpectation) AbortAfter(n int, code codes.Code, msg string, details ...proto.Message) *ServerStreamExpectation {
	s.e.tb().Helper()
	s.e.abortAfter("AbortAfter", n, code, msg, details)
	return s
}

// DropConnection closes the connection the call came on, as a dropped
// network would: the client sees Unavailable. Messages sent just before may
// be lost with it, as on a real network.
func (s *ServerStreamExpectation) DropConnection() *ServerStreamExpectation {
	s.e.tb().Helper()
	s.e.script = append(s.e.script, dropStep{})
	return s
}

// SendOversized sends msg padded to at least size bytes (see PadTo).
func (s *ServerStreamExpectation) SendOversized(msg proto.Message, size int) *ServerStreamExpectation {
	s.e.tb().Helper()
	s.e.sendOversized(msg, size)
	return s
}

// DropConnection answers by closing the connection the call came on: the
// client sees Unavailable.
func (c *ClientStreamExpectation) DropConnection() *ClientStreamExpectation {
	c.e.tb().Helper()
	c.e.script = []step{dropStep{}}
	return c
}

// AbortAfter ends the stream with a status as soon as n messages have been
// sent, whatever the script holds after them. A script that sends fewer
// runs as written.
func (b *BidiExpectation) AbortAfter(n int, code codes.Code, msg string, details ...proto.Message) *BidiExpectation {
	b.e.tb().Helper()
	b.e.abortAfter("AbortAfter", n, code, msg, details)
	return b
}

// DropConnection closes the connection the call came on: the client sees
// Unavailable.
func (b *BidiExpectation) DropConnection() *BidiExpectation {
	b.e.tb().Helper()
	b.e.script = append(b.e.script, dropStep{})
	return b
}

// SendOversized sends msg padded to at least size bytes (see PadTo).
func (b *BidiExpectation) SendOversized(msg proto.Message, size int) *BidiExpectation {
	b.e.tb().Helper()
	b.e.sendOversized(msg, size)
	return b
}
