package mockserver

import (
	"context"
	"crypto/tls"
	"net/http"
	"strings"

	"google.golang.org/grpc/metadata"
)

// ServeHTTP serves gRPC over net/http, to the same handlers as the server's
// own listener: it is grpc.Server.ServeHTTP. It is how the HTTP protocols
// reach the server (see package mockserver/transcoder, which puts
// gRPC-Web, Connect and REST in front of it). It needs HTTP/2 requests
// with a gRPC content-type; grpc-go's own transport, on the server's
// listener, is faster. Calls served this way have no connection the server
// accepted, so Call.CloseConnection returns ErrNoConnection, and stopping
// ends them at once rather than letting them finish.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.srv.ServeHTTP(w, r) }

// TLSConfig returns the TLS configurations the server was given: the
// server's own (WithTLS) and the one ClientConn dials with
// (WithClientTLS). Both are nil for a plaintext server; callers must not
// change them.
func (s *Server) TLSConfig() (server, client *tls.Config) {
	return s.cfg.tlsConfig, s.cfg.clientTLS
}

// The protocols a call may come in on, as CallRecord.Protocol names them.
const (
	ProtocolGRPC    = "grpc"
	ProtocolGRPCWeb = "grpc-web"
	// ProtocolGRPCWebText is gRPC-Web's text mode
	// (application/grpc-web-text): gRPC-Web with base64 bodies.
	ProtocolGRPCWebText = "grpc-web-text"
	ProtocolConnect     = "connect"
	ProtocolREST        = "rest"
)

// Protocol is the wire protocol and codec a call came in on.
type Protocol struct {
	Name  string // ProtocolGRPC, ProtocolGRPCWeb, ProtocolGRPCWebText, ProtocolConnect or ProtocolREST
	Codec string // "proto", "json", ...
}

type protocolKey struct{}

// WithProtocol returns a context that says the call it carries came in on
// p. A transcoder in front of ServeHTTP sets it on each request's context,
// and the journal records it; a call without it is gRPC.
func WithProtocol(ctx context.Context, p Protocol) context.Context {
	return context.WithValue(ctx, protocolKey{}, p)
}

// ProtocolFrom returns the protocol WithProtocol put in ctx.
func ProtocolFrom(ctx context.Context) (Protocol, bool) {
	p, ok := ctx.Value(protocolKey{}).(Protocol)
	return p, ok
}

// protocolOf is the protocol a call's context says, else gRPC with the
// codec its content-type names.
func protocolOf(ctx context.Context, md metadata.MD) Protocol {
	if p, ok := ctx.Value(protocolKey{}).(Protocol); ok {
		return p
	}
	codec := "proto"
	if ct := md.Get("content-type"); len(ct) > 0 {
		if sub, ok := strings.CutPrefix(ct[0], "application/grpc"); ok && len(sub) > 1 && (sub[0] == '+' || sub[0] == ';') {
			codec = sub[1:]
		}
	}
	return Protocol{Name: ProtocolGRPC, Codec: codec}
}
