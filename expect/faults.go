package expect

import (
	"fmt"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// Faults a script can inject into its client. Each is a step (or a setting
// the send step honours) of the one runner, so the Go DSL and stub files
// offer the same ones:
//
//   - abort after n messages with a status (AbortAfter, stub "abortAfter")
//   - drop the connection (DropConnection, stub "dropConnection")
//   - pace every message (Pace, stub "pace"), wait (Wait, stub step "delay")
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

func checkSize(what string, size int) error {
	if size <= 0 {
		return fmt.Errorf("%s: size %d: want a positive number of bytes", what, size)
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
func (b Base[B]) PadTo(size int) B {
	if err := checkSize("PadTo", size); err != nil {
		b.e.setupErr(err)
		return b.self
	}
	b.e.padTo = size
	return b.self
}

func (e *expectation) abortAfter(what string, n int, code codes.Code, msg string, details []proto.Message) {
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
	if err := checkSize("SendOversized", size); err != nil {
		e.setupErr(err)
		return
	}
	e.checkOut("SendOversized", msg)
	e.script = append(e.script, sendStep{msg: msg, padTo: size})
}

// DropConnection answers by closing the connection the call came on, as a
// dropped network would: the client sees Unavailable.
func (u *UnaryExpectation) DropConnection() *UnaryExpectation {
	u.e.script = []step{dropStep{}}
	return u
}

// AbortAfter ends the stream with a status as soon as n messages have been
// sent, whatever the script holds after them: "abort after n messages". A
// script that sends fewer runs as written.
func (s *ServerStreamExpectation) AbortAfter(n int, code codes.Code, msg string, details ...proto.Message) *ServerStreamExpectation {
	s.e.abortAfter("AbortAfter", n, code, msg, details)
	return s
}

// DropConnection closes the connection the call came on, as a dropped
// network would: the client sees Unavailable. Messages sent just before may
// be lost with it, as on a real network.
func (s *ServerStreamExpectation) DropConnection() *ServerStreamExpectation {
	s.e.script = append(s.e.script, dropStep{})
	return s
}

// SendOversized sends msg padded to at least size bytes (see PadTo).
func (s *ServerStreamExpectation) SendOversized(msg proto.Message, size int) *ServerStreamExpectation {
	s.e.sendOversized(msg, size)
	return s
}

// DropConnection answers by closing the connection the call came on: the
// client sees Unavailable.
func (c *ClientStreamExpectation) DropConnection() *ClientStreamExpectation {
	c.e.script = []step{dropStep{}}
	return c
}

// AbortAfter ends the stream with a status as soon as n messages have been
// sent, whatever the script holds after them. A script that sends fewer
// runs as written.
func (b *BidiExpectation) AbortAfter(n int, code codes.Code, msg string, details ...proto.Message) *BidiExpectation {
	b.e.abortAfter("AbortAfter", n, code, msg, details)
	return b
}

// DropConnection closes the connection the call came on: the client sees
// Unavailable.
func (b *BidiExpectation) DropConnection() *BidiExpectation {
	b.e.script = append(b.e.script, dropStep{})
	return b
}

// SendOversized sends msg padded to at least size bytes (see PadTo).
func (b *BidiExpectation) SendOversized(msg proto.Message, size int) *BidiExpectation {
	b.e.sendOversized(msg, size)
	return b
}
