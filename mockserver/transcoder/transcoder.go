package transcoder

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"
	"connectrpc.com/vanguard"
	"google.golang.org/grpc/test/bufconn"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/grpcdouble/grpcdouble/mockserver"
)

const (
	// DefaultMaxMessageBytes is the largest message the transcoder buffers
	// by default: gRPC's own default receive limit.
	DefaultMaxMessageBytes = 4 << 20
	// closeGrace bounds Close's wait for running handlers, whose
	// connections it has cut.
	closeGrace = 5 * time.Second
	bufSize    = 1 << 20
)

// Option configures the transcoder.
type Option interface{ apply(*config) }

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

type config struct {
	maxMsg uint32
}

// WithMaxMessageBytes sets the largest request or response message, in
// bytes, that the transcoder buffers (default DefaultMaxMessageBytes); a
// larger one fails the call with ResourceExhausted.
func WithMaxMessageBytes(n uint32) Option {
	return optionFunc(func(c *config) { c.maxMsg = n })
}

// Handler returns an http.Handler answering gRPC-Web, Connect, REST and gRPC
// for every service ms serves. Mount it on an HTTP server that speaks
// HTTP/2 (h2c or TLS) for gRPC and bidirectional streams; the other
// protocols work over HTTP/1.1 too.
func Handler(ms *mockserver.Server, opts ...Option) (http.Handler, error) {
	cfg := config{maxMsg: DefaultMaxMessageBytes}
	for _, o := range opts {
		o.apply(&cfg)
	}
	services := ms.Services()
	files := new(protoregistry.Files)
	for _, sd := range services {
		if err := addFile(files, sd.ParentFile()); err != nil {
			return nil, err
		}
	}
	res := &resolver{files: files, dyn: dynamicpb.NewTypes(files)}
	target := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for _, k := range protocolHeaders {
			r.Header.Del(k)
		}
		r.Body = eofAfterData{r.Body}
		ms.ServeHTTP(w, r)
	})
	vs := make([]*vanguard.Service, 0, len(services))
	for _, sd := range services {
		vs = append(vs, vanguard.NewServiceWithSchema(sd, target, vanguard.WithTypeResolver(res)))
	}
	grpcDirect := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ms.ServeHTTP(w, r.WithContext(mockserver.WithProtocol(r.Context(), mockserver.Protocol{Name: mockserver.ProtocolGRPC, Codec: "proto"})))
	})
	tc, err := vanguard.NewTranscoder(vs,
		vanguard.WithCodec(func(res vanguard.TypeResolver) vanguard.Codec {
			c := vanguard.NewJSONCodec(res)
			c.UnmarshalOptions.DiscardUnknown = false
			return strictJSON{c}
		}),
		vanguard.WithCodec(func(res vanguard.TypeResolver) vanguard.Codec { return strictProto{vanguard.NewProtoCodec(res)} }),
		vanguard.WithDefaultServiceOptions(
			vanguard.WithTargetProtocols(vanguard.ProtocolGRPC),
			vanguard.WithTargetCodecs(vanguard.CodecProto),
			vanguard.WithMaxMessageBufferBytes(cfg.maxMsg),
		),
		vanguard.WithUnknownHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if isGRPC(r) {
				// gRPC answers an unknown method with Unimplemented, naming
				// the closest served ones, and journals it.
				ms.ServeHTTP(w, r)
				return
			}
			http.Error(w, fmt.Sprintf("grpcdouble: no method or REST route for %s %s", r.Method, r.URL.Path), http.StatusNotFound)
		})),
	)
	if err != nil {
		return nil, fmt.Errorf("transcoder: %w", err)
	}
	rpcPaths := map[string]protoreflect.MethodDescriptor{}
	for _, sd := range services {
		for i := 0; i < sd.Methods().Len(); i++ {
			md := sd.Methods().Get(i)
			rpcPaths["/"+string(sd.FullName())+"/"+string(md.Name())] = md
		}
	}
	serve := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := classify(r)
		if p.Name == mockserver.ProtocolGRPCWebText {
			webText(w, r, p, rpcPaths[r.URL.Path], cfg.maxMsg, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				tc.ServeHTTP(w, r.WithContext(mockserver.WithProtocol(r.Context(), p)))
			}))
			return
		}
		if r.Method == http.MethodPost && rpcPaths[r.URL.Path] != nil && !rpcContentType(r) {
			// vanguard would take it for REST and find no route.
			http.Error(w, fmt.Sprintf("grpcdouble: %s: content-type %q is none of the RPC protocols': application/json or application/proto (Connect unary), application/connect+json|proto, application/grpc-web[+json|+proto], application/grpc[+json|+proto]",
				r.URL.Path, r.Header.Get("Content-Type")), http.StatusUnsupportedMediaType)
			return
		}
		if p.Name == mockserver.ProtocolGRPC && p.Codec == "proto" && r.ProtoMajor == 2 {
			grpcDirect(w, r)
			return
		}
		if p.Name == mockserver.ProtocolGRPCWeb {
			// Trailer frames' names in lower case (see webWriter).
			ww := &webWriter{w: w}
			tc.ServeHTTP(ww, r.WithContext(mockserver.WithProtocol(r.Context(), p)))
			ww.finish()
			return
		}
		tc.ServeHTTP(w, r.WithContext(mockserver.WithProtocol(r.Context(), p)))
	})
	return serve, nil
}

// protocolHeaders are the Connect and gRPC-Web transport headers left once
// vanguard has translated a request to gRPC. They are dropped, so a handler
// (and a cassette) sees the same metadata from every protocol, as gRPC's
// own transport headers are not metadata either.
var protocolHeaders = []string{
	"Connect-Protocol-Version", "Connect-Timeout-Ms", "Connect-Accept-Encoding", "Connect-Content-Encoding",
	"X-User-Agent", "X-Grpc-Web", "Accept-Encoding", "Content-Length",
}

// strictJSON is vanguard's JSON codec that rejects unknown fields (a typo
// in a test's request should not pass unnoticed) and says a body that does
// not decode is the client's fault: InvalidArgument, HTTP 400, where
// vanguard would answer Unknown.
type strictJSON struct{ *vanguard.JSONCodec }

func (c strictJSON) Unmarshal(b []byte, msg proto.Message) error {
	if err := c.JSONCodec.Unmarshal(b, msg); err != nil {
		return invalidBody("JSON", msg, err)
	}
	return nil
}

// strictProto is vanguard's proto codec, with strictJSON's errors.
type strictProto struct{ *vanguard.ProtoCodec }

func (c strictProto) Unmarshal(b []byte, msg proto.Message) error {
	if err := c.ProtoCodec.Unmarshal(b, msg); err != nil {
		return invalidBody("protobuf", msg, err)
	}
	return nil
}

func invalidBody(format string, msg proto.Message, err error) error {
	return connect.NewError(connect.CodeInvalidArgument,
		fmt.Errorf("the message is not valid %s for %s: %w", format, msg.ProtoReflect().Descriptor().FullName(), err))
}

// eofAfterData holds back an io.EOF that comes with data. Vanguard's
// transcoded request body (v0.4.0) returns one after the envelope of an
// empty message (a Point{} marshals to no bytes) even when more messages
// follow, and gRPC takes it as the client's half-close. Read again, it
// goes on to the next message, or says EOF with no data at the real end.
type eofAfterData struct{ io.ReadCloser }

func (b eofAfterData) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if n > 0 && errors.Is(err, io.EOF) {
		err = nil
	}
	return n, err
}

// rpcContentType reports a content-type one of the RPC protocols posts.
func rpcContentType(r *http.Request) bool {
	base, _, _ := strings.Cut(r.Header.Get("Content-Type"), ";")
	base = strings.TrimSpace(strings.ToLower(base))
	switch base {
	case "application/json", "application/proto":
		return true
	}
	return strings.HasPrefix(base, "application/connect+") || strings.HasPrefix(base, "application/grpc")
}

func isGRPC(r *http.Request) bool {
	ct := r.Header.Get("Content-Type")
	return ct == "application/grpc" || strings.HasPrefix(ct, "application/grpc+") || strings.HasPrefix(ct, "application/grpc;")
}

// classify says which protocol and codec a request speaks, as vanguard
// decides it.
func classify(r *http.Request) mockserver.Protocol {
	ct := r.Header.Get("Content-Type")
	base, _, _ := strings.Cut(ct, ";")
	base = strings.TrimSpace(strings.ToLower(base))
	sub := func(prefix string) string {
		if s, ok := strings.CutPrefix(base, prefix+"+"); ok && s != "" {
			return s
		}
		return "proto"
	}
	switch {
	case base == grpcWebTextType || strings.HasPrefix(base, grpcWebTextType+"+"):
		return mockserver.Protocol{Name: mockserver.ProtocolGRPCWebText, Codec: sub(grpcWebTextType)}
	case base == "application/grpc-web" || strings.HasPrefix(base, "application/grpc-web+"):
		return mockserver.Protocol{Name: mockserver.ProtocolGRPCWeb, Codec: sub("application/grpc-web")}
	case base == "application/grpc" || strings.HasPrefix(base, "application/grpc+"):
		return mockserver.Protocol{Name: mockserver.ProtocolGRPC, Codec: sub("application/grpc")}
	case strings.HasPrefix(base, "application/connect+"):
		return mockserver.Protocol{Name: mockserver.ProtocolConnect, Codec: sub("application/connect")}
	}
	if r.Header.Get("Connect-Protocol-Version") == "1" && r.Method == http.MethodPost {
		return mockserver.Protocol{Name: mockserver.ProtocolConnect, Codec: strings.TrimPrefix(base, "application/")}
	}
	if r.Method == http.MethodGet {
		if q := r.URL.Query(); q.Get("connect") == "v1" || r.Header.Get("Connect-Protocol-Version") == "1" {
			codec := q.Get("encoding")
			if codec == "" {
				codec = "proto"
			}
			return mockserver.Protocol{Name: mockserver.ProtocolConnect, Codec: codec}
		}
	}
	return mockserver.Protocol{Name: mockserver.ProtocolREST, Codec: "json"}
}

// resolver finds the message types of the served files: the generated Go
// type when it is linked in and built from the very descriptor served (as
// with GoTypes), a dynamicpb type otherwise. Vanguard sets fields by the
// served schema's descriptors, so a Go type of the same name built from
// another descriptor (a .proto parsed at run time while the generated
// package is linked too) will not do; the server still decodes into the
// Go type, from the bytes vanguard hands on.
type resolver struct {
	files *protoregistry.Files
	dyn   *dynamicpb.Types
}

func (r *resolver) goType(mt protoreflect.MessageType) bool {
	d, err := r.files.FindDescriptorByName(mt.Descriptor().FullName())
	return err != nil || d == mt.Descriptor() // not served (inside an Any): any Go type will do
}

func (r *resolver) FindMessageByName(name protoreflect.FullName) (protoreflect.MessageType, error) {
	if mt, err := protoregistry.GlobalTypes.FindMessageByName(name); err == nil && r.goType(mt) {
		return mt, nil
	}
	return r.dyn.FindMessageByName(name)
}

func (r *resolver) FindMessageByURL(url string) (protoreflect.MessageType, error) {
	if mt, err := protoregistry.GlobalTypes.FindMessageByURL(url); err == nil && r.goType(mt) {
		return mt, nil
	}
	return r.dyn.FindMessageByURL(url)
}

func (r *resolver) FindExtensionByName(name protoreflect.FullName) (protoreflect.ExtensionType, error) {
	if xt, err := protoregistry.GlobalTypes.FindExtensionByName(name); err == nil {
		return xt, nil
	}
	return r.dyn.FindExtensionByName(name)
}

func (r *resolver) FindExtensionByNumber(message protoreflect.FullName, field protoreflect.FieldNumber) (protoreflect.ExtensionType, error) {
	if xt, err := protoregistry.GlobalTypes.FindExtensionByNumber(message, field); err == nil {
		return xt, nil
	}
	return r.dyn.FindExtensionByNumber(message, field)
}

// addFile adds f and, first, its imports; a path already there is skipped,
// so the same well-known file from two sources is no conflict.
func addFile(files *protoregistry.Files, f protoreflect.FileDescriptor) error {
	if _, err := files.FindFileByPath(f.Path()); err == nil {
		return nil
	}
	for i := 0; i < f.Imports().Len(); i++ {
		if err := addFile(files, f.Imports().Get(i).FileDescriptor); err != nil {
			return err
		}
	}
	if err := files.RegisterFile(f); err != nil {
		return fmt.Errorf("transcoder: descriptors: %s: %w", f.Path(), err)
	}
	return nil
}

// Server serves Handler on an in-memory listener.
type Server struct {
	ms      *mockserver.Server
	lis     *bufconn.Listener
	hs      *http.Server
	url     string
	tls     *tls.Config // the client's, nil for cleartext
	served  chan struct{}
	running sync.WaitGroup // handlers
	once    sync.Once

	mu         sync.Mutex
	h2, h1     *http.Client
	h2tr, h1tr *http.Transport
	closed     bool
}

// Start serves ms's HTTP protocols in memory for a test and closes them at
// the test's cleanup, which comes before ms's own. Setup errors fail the
// test at once.
func Start(t testing.TB, ms *mockserver.Server, opts ...Option) *Server {
	t.Helper()
	s, err := New(ms, opts...)
	if err != nil {
		t.Fatalf("transcoder: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// New serves ms's HTTP protocols on an in-memory listener: HTTP/2
// cleartext and HTTP/1.1, or TLS (with HTTP/2 by ALPN) when ms serves TLS,
// with ms's own TLS configuration. Close it before ms.
func New(ms *mockserver.Server, opts ...Option) (*Server, error) {
	h, err := Handler(ms, opts...)
	if err != nil {
		return nil, err
	}
	s := &Server{ms: ms, lis: bufconn.Listen(bufSize), served: make(chan struct{}), url: "http://bufconn"}
	var protocols http.Protocols
	protocols.SetHTTP1(true)
	protocols.SetHTTP2(true)
	protocols.SetUnencryptedHTTP2(true)
	s.hs = &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s.running.Add(1)
			defer s.running.Done()
			h.ServeHTTP(w, r)
		}),
		Protocols:         &protocols,
		ReadHeaderTimeout: 10 * time.Second,
	}
	serverTLS, clientTLS := ms.TLSConfig()
	go func() {
		defer close(s.served)
		if serverTLS != nil {
			s.hs.TLSConfig = serverTLS.Clone()
			_ = s.hs.ServeTLS(listener{s.lis}, "", "")
			return
		}
		_ = s.hs.Serve(listener{s.lis})
	}()
	if serverTLS != nil {
		s.url = "https://bufconn"
		s.tls = clientTLS.Clone()
		if s.tls == nil {
			s.tls = &tls.Config{}
		}
		if s.tls.ServerName == "" {
			s.tls.ServerName = "bufconn"
		}
	}
	return s, nil
}

// URL is the base URL the clients reach the server at ("http://bufconn",
// or "https://bufconn" with TLS); pass it to a connect-go client
// constructor, or add a REST path to it.
func (s *Server) URL() string { return s.url }

// Client is an *http.Client speaking HTTP/2 to the server (cleartext, or
// TLS with ms's client configuration), for every RPC kind. It is closed
// with the server.
func (s *Server) Client() *http.Client { return s.client(true) }

// HTTP1Client is an *http.Client speaking HTTP/1.1 to the server, as a
// browser or curl might: unary and server streams work, bidirectional ones
// do not.
func (s *Server) HTTP1Client() *http.Client { return s.client(false) }

func (s *Server) client(h2 bool) *http.Client {
	s.mu.Lock()
	defer s.mu.Unlock()
	if h2 && s.h2 != nil {
		return s.h2
	}
	if !h2 && s.h1 != nil {
		return s.h1
	}
	var p http.Protocols
	switch {
	case !h2:
		p.SetHTTP1(true)
	case s.tls != nil:
		p.SetHTTP2(true)
	default:
		p.SetUnencryptedHTTP2(true)
	}
	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			c, err := s.lis.DialContext(ctx)
			if err != nil {
				return nil, err
			}
			return conn{c}, nil
		},
		TLSClientConfig:   s.tls.Clone(), // a Transport adds its protocols to it
		Protocols:         &p,
		ForceAttemptHTTP2: h2,
	}
	if s.closed {
		tr.DialContext = func(context.Context, string, string) (net.Conn, error) { return nil, errors.New("transcoder: closed") }
	}
	c := &http.Client{Transport: tr}
	if h2 {
		s.h2, s.h2tr = c, tr
	} else {
		s.h1, s.h1tr = c, tr
	}
	return c
}

// Close cuts every connection, waits (a few seconds at most) for the
// handlers still running, which see their calls cancelled, to return, and
// closes the clients. It is safe to call more than once.
func (s *Server) Close() error {
	s.once.Do(func() {
		s.mu.Lock()
		s.closed = true
		for _, tr := range []*http.Transport{s.h2tr, s.h1tr} {
			if tr != nil {
				tr.CloseIdleConnections()
			}
		}
		s.mu.Unlock()
		_ = s.hs.Close()
		<-s.served
		done := make(chan struct{})
		go func() { s.running.Wait(); close(done) }()
		timer := time.NewTimer(closeGrace)
		defer timer.Stop()
		select {
		case <-done:
		case <-timer.C:
		}
	})
	return nil
}

// conn drops deadlines on in-memory connections: bufconn keeps a pipe,
// buffers and all, alive until a deadline's timer fires (see mockserver's
// noDeadlineConn); in memory there is no network to time out.
type conn struct{ net.Conn }

func (conn) SetDeadline(time.Time) error      { return nil }
func (conn) SetReadDeadline(time.Time) error  { return nil }
func (conn) SetWriteDeadline(time.Time) error { return nil }

type listener struct{ *bufconn.Listener }

func (l listener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return conn{c}, nil
}
