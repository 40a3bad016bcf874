package record

import (
	"context"
	"io"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/grpcdouble/grpcdouble/cassette"
	"github.com/grpcdouble/grpcdouble/mockserver"
)

// Proxy is a mockserver.Handler that forwards every call to an upstream
// connection and, when it has a Recorder, records it.
type Proxy struct {
	upstream grpc.ClientConnInterface
	rec      *Recorder
}

// Proxy returns a handler forwarding to upstream and recording every call.
func (r *Recorder) Proxy(upstream grpc.ClientConnInterface) *Proxy {
	return &Proxy{upstream: upstream, rec: r}
}

// Passthrough returns a handler forwarding to upstream without recording.
func Passthrough(upstream grpc.ClientConnInterface) *Proxy {
	return &Proxy{upstream: upstream}
}

// Handle forwards one call.
func (p *Proxy) Handle(c *mockserver.Call) error { return p.forward(c, nil, false) }

// Serve forwards a call of which the client messages received were already
// read (and, if halfClosed, the client's half-close): it is the
// replay.Fallback that records the calls a cassette lacks.
func (p *Proxy) Serve(c *mockserver.Call, received []proto.Message, halfClosed bool) error {
	return p.forward(c, received, halfClosed)
}

func (p *Proxy) forward(c *mockserver.Call, prefix []proto.Message, prefixEOF bool) error {
	md := c.Method()
	inMD := c.Metadata()
	capt := p.rec.begin(c.Context(), c.FullMethod(), c.Kind(), inMD)

	ctx, cancel := context.WithCancel(c.Context())
	defer cancel()
	ctx = metadata.NewOutgoingContext(ctx, cleanMD(inMD))
	desc := &grpc.StreamDesc{
		StreamName:    string(md.Name()),
		ServerStreams: md.IsStreamingServer(),
		ClientStreams: md.IsStreamingClient(),
	}
	cs, err := p.upstream.NewStream(ctx, desc, c.FullMethod())
	if err != nil {
		st := status.Convert(err)
		capt.canceled(c.Context())
		capt.finish(nil, st)
		return st.Err()
	}

	// Client to upstream, on its own goroutine. It ends at the client's
	// half-close, or when the call ends (Recv then fails: clientGone).
	clientGone := make(chan struct{})
	go func() {
		send := func(m proto.Message) bool {
			capt.message(cassette.ClientMessage, m)
			return cs.SendMsg(m) == nil // on failure RecvMsg below has the status
		}
		for _, m := range prefix {
			if !send(m) {
				return
			}
		}
		if !prefixEOF {
			for {
				m, err := c.Recv()
				if err == io.EOF {
					break
				}
				if err != nil {
					close(clientGone)
					cancel() // the client is gone: so is the upstream call
					return
				}
				if !send(m) {
					return
				}
			}
		}
		capt.event(cassette.Event{Type: cassette.HalfClose})
		_ = cs.CloseSend()
	}()

	// Upstream to client, here.
	if h, _ := cs.Header(); h != nil {
		h = cleanMD(h)
		capt.header(h)
		_ = c.SendHeader(h) // if the client is gone, RecvMsg below says so
	}
	var st *status.Status
	for {
		m := c.NewResponse()
		err := cs.RecvMsg(m)
		if err == io.EOF {
			break
		}
		if err != nil {
			st = status.Convert(err)
			break
		}
		capt.message(cassette.ServerMessage, m)
		if err := c.Send(m); err != nil {
			cancel()
			st = status.Convert(err)
			if c.Context().Err() != nil {
				st = status.FromContextError(c.Context().Err())
			}
			break
		}
	}
	trailer := cleanMD(cs.Trailer())
	if len(trailer) > 0 {
		c.SetTrailer(trailer)
	}
	reason := proxyEndReason(c.Context(), st)
	if reason == "" {
		select {
		case <-clientGone:
			// Recv woke as the stream's context ended, before that
			// reached c.Context(), derived from it (a context's Done
			// closes before its children are cancelled): it does at once.
			select {
			case <-c.Context().Done():
			case <-time.After(time.Second):
			}
			reason = proxyEndReason(c.Context(), st)
		default:
		}
	}
	capt.cancelEvent(reason)
	if reason == "deadline exceeded" && st.Code() == codes.Canceled {
		// What the client saw (its own gRPC ended the call), not the
		// reset's echo from the upstream.
		st = status.FromContextError(context.DeadlineExceeded)
	}
	capt.finish(trailer, st)
	if st == nil || st.Code() == codes.OK {
		return nil
	}
	return st.Err()
}
