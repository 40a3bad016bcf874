package record

import (
	"context"
	"io"
	"sync"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/grpcdouble/grpcdouble/cassette"
	"github.com/grpcdouble/grpcdouble/mockserver"
)

// DialOptions returns the two client interceptors as dial options, to
// record every call made on a connection.
func (r *Recorder) DialOptions() []grpc.DialOption {
	return []grpc.DialOption{
		grpc.WithChainUnaryInterceptor(r.UnaryClientInterceptor()),
		grpc.WithChainStreamInterceptor(r.StreamClientInterceptor()),
	}
}

// clone copies a message the caller may reuse after the call.
func clone(m any) proto.Message {
	if pm, ok := m.(proto.Message); ok {
		return proto.Clone(pm)
	}
	return nil
}

// anyMessage records a copy of m.
func (c *capture) anyMessage(t cassette.EventType, m any) {
	if c == nil {
		return
	}
	c.cloned(t, clone(m))
}

// cloned records a message already copied by clone (nil: not a
// proto.Message, recorded as an empty raw message).
func (c *capture) cloned(t cassette.EventType, pm proto.Message) {
	if pm != nil {
		c.message(t, pm)
		return
	}
	c.event(cassette.Event{Type: t, Message: cassette.NewRawMessage("", nil)})
}

// UnaryClientInterceptor records unary calls from the client side.
func (r *Recorder) UnaryClientInterceptor() grpc.UnaryClientInterceptor {
	return func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		md, _ := metadata.FromOutgoingContext(ctx)
		capt := r.begin(ctx, method, mockserver.Unary, md)
		capt.anyMessage(cassette.ClientMessage, req)
		capt.event(cassette.Event{Type: cassette.HalfClose})
		var header, trailer metadata.MD
		err := invoker(ctx, method, req, reply, cc, append(opts, grpc.Header(&header), grpc.Trailer(&trailer))...)
		if header != nil {
			capt.header(header)
		}
		if err == nil {
			capt.anyMessage(cassette.ServerMessage, reply)
		}
		capt.canceled(ctx)
		capt.finish(trailer, status.Convert(err))
		return err
	}
}

// StreamClientInterceptor records streaming calls from the client side. A
// call is recorded when the client sees its end (RecvMsg returns an error,
// or the one response of a client-streaming call), or when its context
// ends; a stream abandoned without either is not recorded.
func (r *Recorder) StreamClientInterceptor() grpc.StreamClientInterceptor {
	return func(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
		md, _ := metadata.FromOutgoingContext(ctx)
		kind := mockserver.Unary
		switch {
		case desc.ClientStreams && desc.ServerStreams:
			kind = mockserver.BidiStream
		case desc.ClientStreams:
			kind = mockserver.ClientStream
		case desc.ServerStreams:
			kind = mockserver.ServerStream
		}
		capt := r.begin(ctx, method, kind, md)
		cs, err := streamer(ctx, desc, cc, method, opts...)
		if err != nil {
			capt.canceled(ctx)
			capt.finish(nil, status.Convert(err))
			return nil, err
		}
		s := &recordingStream{ClientStream: cs, capt: capt, desc: desc, ctx: ctx}
		s.stop = context.AfterFunc(ctx, func() {
			capt.canceled(ctx)
			capt.finish(nil, status.FromContextError(ctx.Err()))
		})
		return s, nil
	}
}

type recordingStream struct {
	grpc.ClientStream
	capt *capture
	desc *grpc.StreamDesc
	ctx  context.Context
	stop func() bool

	headerOnce sync.Once
}

func (s *recordingStream) SendMsg(m any) error {
	msg := clone(m)
	err := s.ClientStream.SendMsg(m)
	if err == nil {
		s.capt.cloned(cassette.ClientMessage, msg)
	}
	return err
}

func (s *recordingStream) CloseSend() error {
	err := s.ClientStream.CloseSend()
	s.capt.event(cassette.Event{Type: cassette.HalfClose})
	return err
}

func (s *recordingStream) header() {
	s.headerOnce.Do(func() {
		// A message or the end has arrived, so this does not block.
		if h, err := s.ClientStream.Header(); err == nil && h != nil {
			s.capt.header(h)
		}
	})
}

func (s *recordingStream) RecvMsg(m any) error {
	err := s.ClientStream.RecvMsg(m)
	s.header()
	switch {
	case err == nil:
		s.capt.anyMessage(cassette.ServerMessage, m)
		if !s.desc.ServerStreams { // the one response: the call is over
			s.end(nil)
		}
	case err == io.EOF:
		s.end(nil)
	default:
		s.end(status.Convert(err))
	}
	return err
}

func (s *recordingStream) end(st *status.Status) {
	s.stop()
	s.capt.canceled(s.ctx)
	s.capt.finish(s.ClientStream.Trailer(), st)
}
