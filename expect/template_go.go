package expect

import (
	"context"
	"fmt"
	"io"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/grpcdouble/grpcdouble/mockserver"
)

// tmplStep makes the step of a Go-declared whole-message template, parsed
// and checked once the method's descriptor is known.
func (e *expectation) tmplStep(what, text string, many bool) step {
	mt := &msgTmpl{many: many}
	where := e.where() + ": " + what
	e.check(func(md protoreflect.MethodDescriptor) error {
		env := tmplEnv{in: md.Input(), method: e.method}
		t, err := parseTemplate(where, text, env)
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		*mt = msgTmpl{out: md.Output(), whole: t, where: where, many: many}
		if err := mt.dryRun(env); err != nil {
			return fmt.Errorf("%s: for a request with every field zero, %s", what, trimWhere(err, where))
		}
		return nil
	})
	return tmplStep{mt}
}

// ReturnTemplate answers with the message a text/template renders as
// protojson for each call. The template sees the request (.Request, every
// field present), .Method, .Hit, the scenario's .State and the request
// metadata ({{ header "x-tenant" }}); see STUBS.md for the functions. A
// template that fails for a call answers INTERNAL naming it.
func (u *UnaryExpectation) ReturnTemplate(text string) *UnaryExpectation {
	u.e.script = []step{u.e.tmplStep("ReturnTemplate", text, false)}
	return u
}

// ReturnTemplate answers with the message a text/template renders from
// every client message (.Requests) once the client half-closed.
func (c *ClientStreamExpectation) ReturnTemplate(text string) *ClientStreamExpectation {
	c.e.script = []step{c.e.tmplStep("ReturnTemplate", text, false)}
	return c
}

// SendTemplate sends what a text/template renders as protojson: one
// message, or each message of a JSON array (build a stream with range).
// .Index is the number of messages sent before.
func (s *ServerStreamExpectation) SendTemplate(text string) *ServerStreamExpectation {
	s.e.script = append(s.e.script, s.e.tmplStep("SendTemplate", text, true))
	return s
}

// SendTemplate sends what a text/template renders as protojson (one
// message, or each of a JSON array); .Message is the client message
// received last.
func (b *BidiExpectation) SendTemplate(text string) *BidiExpectation {
	b.e.script = append(b.e.script, b.e.tmplStep("SendTemplate", text, true))
	return b
}

// asType returns msg as a T: msg itself, or (a dynamic message of the same
// type) a copy decoded into T.
func asType[T proto.Message](msg proto.Message) (T, error) {
	if t, ok := msg.(T); ok {
		return t, nil
	}
	var zero T
	if msg == nil {
		return zero, status.Errorf(codes.Internal, "grpcdouble: no message, want a %T", zero)
	}
	out := zero.ProtoReflect().New().Interface()
	if out.ProtoReflect().Descriptor().FullName() != msg.ProtoReflect().Descriptor().FullName() {
		return zero, status.Errorf(codes.Internal, "grpcdouble: got a %s, the func takes a %T", msg.ProtoReflect().Descriptor().FullName(), zero)
	}
	b, err := proto.Marshal(msg)
	if err == nil {
		err = proto.Unmarshal(b, out)
	}
	if err != nil {
		return zero, status.Errorf(codes.Internal, "grpcdouble: %s as %T: %v", msg.ProtoReflect().Descriptor().FullName(), zero, err)
	}
	return out.(T), nil
}

// UnaryFunc adapts a typed func for UnaryExpectation.ReturnFunc, so it gets
// the request as its generated type:
//
//	m.Unary(getFeature).ReturnFunc(expect.UnaryFunc(func(ctx context.Context, p *pb.Point) (*pb.Feature, error) {
//		return &pb.Feature{Location: p}, nil
//	}))
func UnaryFunc[Req, Resp proto.Message](f func(ctx context.Context, req Req) (Resp, error)) func(context.Context, proto.Message) (proto.Message, error) {
	return func(ctx context.Context, msg proto.Message) (proto.Message, error) {
		req, err := asType[Req](msg)
		if err != nil {
			return nil, err
		}
		resp, err := f(ctx, req)
		if err != nil {
			return nil, err
		}
		return resp, nil
	}
}

// ClientStreamFunc adapts a typed func for ClientStreamExpectation.ReturnFunc.
func ClientStreamFunc[Req, Resp proto.Message](f func(ctx context.Context, reqs []Req) (Resp, error)) func(context.Context, []proto.Message) (proto.Message, error) {
	return func(ctx context.Context, msgs []proto.Message) (proto.Message, error) {
		reqs := make([]Req, len(msgs))
		for i, m := range msgs {
			r, err := asType[Req](m)
			if err != nil {
				return nil, err
			}
			reqs[i] = r
		}
		resp, err := f(ctx, reqs)
		if err != nil {
			return nil, err
		}
		return resp, nil
	}
}

// ServerStreamFunc adapts a typed func for ServerStreamExpectation.Run: it
// gets the request and a send func for the generated types; its error is
// the status.
func ServerStreamFunc[Req, Resp proto.Message](f func(ctx context.Context, req Req, send func(Resp) error) error) func(proto.Message, *mockserver.Call) error {
	return func(msg proto.Message, call *mockserver.Call) error {
		req, err := asType[Req](msg)
		if err != nil {
			return err
		}
		return f(call.Context(), req, func(r Resp) error { return call.Send(r) })
	}
}

// BidiFunc adapts a typed func for BidiExpectation.Run: recv returns the
// client's messages as Req (io.EOF once it half-closed), send sends a Resp.
func BidiFunc[Req, Resp proto.Message](f func(ctx context.Context, recv func() (Req, error), send func(Resp) error) error) func(*mockserver.Call) error {
	return func(call *mockserver.Call) error {
		recv := func() (Req, error) {
			msg, err := call.Recv()
			if err != nil {
				var zero Req
				return zero, err
			}
			return asType[Req](msg)
		}
		return f(call.Context(), recv, func(r Resp) error { return call.Send(r) })
	}
}

var _ = io.EOF
