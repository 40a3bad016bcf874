package mockserver

import (
	"context"
	"errors"
	"io"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// ErrUseBuiltin is what a Handler returns for a call of a service the
// server serves itself (Call.Builtin) to let the server's own service
// answer it, as if the handler had never been asked. It is no miss: a
// handler returns it when none of its stubs is for the call, before it has
// sent anything.
var ErrUseBuiltin = errors.New("mockserver: no override; the server's own service answers")

// BuiltinOverrider is implemented by handlers that may answer calls of the
// health service, grpc.health.v1.Health, which the server serves itself:
// stubs for /grpc.health.v1.Health/Check, Watch or List, with its
// descriptors known whatever the sources (they are linked in).
//
// The server asks OverridesBuiltin on each such call, before the call is
// journaled: when it says false, or the handler is no BuiltinOverrider, the
// server's own health answers, unjournaled, as with no handler at all.
// When it says true the call is journaled and handed to Handle like any
// other, which answers it or returns ErrUseBuiltin.
//
// The overall health, Check or Watch of service "", is never handed over:
// it is what probes ask (a Kubernetes gRPC probe, grpc_health_probe and
// a Docker HEALTHCHECK all default to ""), and it must say whether the
// double itself is serving; a stub saying NOT_SERVING would have the
// double restarted or taken out of rotation, and the test would see no
// server rather than an unhealthy one. A client's health-checking balancer
// names its service (healthCheckConfig.serviceName), which stubs may
// answer. A test that must fake "" too serves with WithoutHealth, where
// grpc.health.v1.Health is an ordinary service the handler answers.
type BuiltinOverrider interface {
	// OverridesBuiltin reports whether the handler has anything that may
	// answer c (its method, metadata, and nothing read yet). It runs on
	// every health call: keep it cheap.
	OverridesBuiltin(c *Call) bool
}

// Builtin reports whether the call is of a service the server serves
// itself (grpc.health.v1.Health): the handler may return ErrUseBuiltin.
func (c *Call) Builtin() bool { return c.builtin }

// healthService is the standard health service's full name.
const healthService protoreflect.FullName = "grpc.health.v1.Health"

// builtin reports whether the server serves the service itself, so the
// sources' and the handler's copies of it are not registered again.
func (s *Server) builtin(name protoreflect.FullName) bool {
	switch name {
	case healthService:
		return s.cfg.health
	case "grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection":
		return s.cfg.reflection
	}
	return false
}

// healthTable is the health service's methods, for overriding calls: the
// linked descriptors, so no source need declare them.
var healthTable = sync.OnceValue(func() *serviceTable {
	return tableOf(healthpb.File_grpc_health_v1_health_proto.Services().ByName(healthService.Name()))
})

// lazyHealth is the grpc.health.v1 service, its health.Server (every
// served service SERVING) made on the first call: most tests never ask,
// and made at every start it was a server, a map and its statuses, and a
// Shutdown at Close, for nothing. A client sees what the health.Server
// answers, made before or after Close began (then all NOT_SERVING),
// unless the handler overrides the call (see BuiltinOverrider).
type lazyHealth struct {
	s        *Server
	services []protoreflect.ServiceDescriptor
	over     BuiltinOverrider // nil: the handler overrides nothing

	mu   sync.Mutex
	srv  *health.Server
	shut bool
}

func (h *lazyHealth) get() *health.Server {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.srv == nil {
		h.srv = health.NewServer()
		for _, sd := range h.services {
			h.srv.SetServingStatus(string(sd.FullName()), healthpb.HealthCheckResponse_SERVING)
		}
		if h.shut {
			h.srv.Shutdown()
		}
	}
	return h.srv
}

// shutdown sets every status NOT_SERVING, now and for a server made later.
func (h *lazyHealth) shutdown() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.shut = true
	if h.srv != nil {
		h.srv.Shutdown()
	}
}

// override returns the Call to hand the handler, or nil when the server's
// own health answers. ss is nil for a unary method.
func (h *lazyHealth) override(ctx context.Context, method string, ss grpc.ServerStream) *Call {
	if h.over == nil {
		return nil
	}
	m := healthTable().byName[method]
	// Frames and foreign codecs are off: the generated handler in front
	// decodes and encodes the messages itself.
	c := &Call{s: h.s, m: m, ctx: ctx, stream: ss, start: time.Now(), builtin: true}
	if !h.s.cfg.noJournal {
		c.md, _ = metadata.FromIncomingContext(ctx)
	}
	if !h.over.OverridesBuiltin(c) {
		return nil
	}
	return c
}

func (h *lazyHealth) Check(ctx context.Context, req *healthpb.HealthCheckRequest) (*healthpb.HealthCheckResponse, error) {
	if req.GetService() == "" { // the overall health is the server's own: see BuiltinOverrider
		return h.get().Check(ctx, req)
	}
	return overrideUnary(h, ctx, "/grpc.health.v1.Health/Check", req, h.get().Check)
}

func (h *lazyHealth) List(ctx context.Context, req *healthpb.HealthListRequest) (*healthpb.HealthListResponse, error) {
	return overrideUnary(h, ctx, "/grpc.health.v1.Health/List", req, h.get().List)
}

// overrideUnary answers a unary health call by the handler, when it
// overrides it, and by the server's own health otherwise.
func overrideUnary[Req, Resp proto.Message](h *lazyHealth, ctx context.Context, method string, req Req, own func(context.Context, Req) (Resp, error)) (Resp, error) {
	c := h.override(ctx, method, nil)
	if c == nil {
		return own(ctx, req)
	}
	s := h.s
	c.unaryReq = req
	s.begin(c)
	c.rec.message(EventRecv, req)
	st := s.handle(c)
	if c.useBuiltin {
		resp, err := own(ctx, req)
		if st = statusOf(err); st == nil {
			st = statusOf(c.Send(resp))
		}
	}
	c.reply() // journals the response
	s.end(c, st)
	var zero Resp
	if st != nil {
		return zero, st.Err()
	}
	return asType[Resp](c.unaryResp)
}

// asType returns msg as the generated type the handler in front wants; a
// handler may have sent a dynamicpb message of the same name.
func asType[T proto.Message](msg proto.Message) (T, error) {
	if t, ok := msg.(T); ok {
		return t, nil
	}
	var t T
	t = t.ProtoReflect().Type().New().Interface().(T)
	b, err := proto.Marshal(msg)
	if err == nil {
		err = proto.Unmarshal(b, t)
	}
	if err != nil {
		var zero T
		return zero, status.Errorf(codes.Internal, "mockserver: response: %v", err)
	}
	return t, nil
}

func (h *lazyHealth) Watch(req *healthpb.HealthCheckRequest, stream healthpb.Health_WatchServer) error {
	if req.GetService() == "" { // see BuiltinOverrider
		return h.get().Watch(req, stream)
	}
	c := h.override(stream.Context(), "/grpc.health.v1.Health/Watch", &readStream{ServerStream: stream, req: req})
	if c == nil {
		return h.get().Watch(req, stream)
	}
	s := h.s
	s.begin(c)
	st := s.handle(c)
	if c.useBuiltin {
		st = statusOf(h.get().Watch(req, watchCall{ServerStream: stream, c: c}))
	}
	s.end(c, st)
	return st.Err()
}

// readStream is a stream whose one client message the generated handler
// has read already: the Call receives it from here, then io.EOF.
type readStream struct {
	grpc.ServerStream
	req  proto.Message
	read bool
}

func (r *readStream) RecvMsg(m any) error {
	if r.read {
		return io.EOF
	}
	r.read = true
	msg, ok := m.(proto.Message)
	if !ok {
		return status.Errorf(codes.Internal, "mockserver: cannot receive into a %T", m)
	}
	proto.Merge(msg, r.req)
	return nil
}

// watchCall is the server's own Watch on an overridden call, so what it
// sends is journaled and it ends when the call's context does.
type watchCall struct {
	grpc.ServerStream
	c *Call
}

func (w watchCall) Send(resp *healthpb.HealthCheckResponse) error { return w.c.Send(resp) }
func (w watchCall) Context() context.Context                      { return w.c.Context() }
