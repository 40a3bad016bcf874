// Package transcoder answers gRPC-Web, Connect and REST, beside gRPC, for a
// mockserver.Server: every stub, expectation, cassette and recording proxy a
// gRPC client reaches, a connect-go client, a browser or curl reaches too,
// through the same Handler.
//
// It puts connectrpc.com/vanguard in front of the server's gRPC handlers
// (mockserver.Server.ServeHTTP). Vanguard is told each service's schema as
// the server loaded it (vanguard.NewServiceWithSchema) with a type resolver
// that prefers the generated Go types and falls back to dynamicpb, so all
// four descriptor sources work, REST included when the methods carry
// google.api.http annotations. It translates Connect (proto and JSON,
// unary and streaming, POST, and GET for methods marked idempotency_level =
// NO_SIDE_EFFECTS), gRPC-Web (binary; text mode below) and REST into gRPC
// and back: errors with their details, headers, trailers, and deadlines
// (connect-timeout-ms as grpc-timeout). Plain gRPC with the proto codec
// skips vanguard and goes straight to the server.
//
// gRPC-Web's text mode (application/grpc-web-text[+proto], what grpc-web's
// JavaScript client sends in its grpcwebtext mode), which vanguard does
// not serve, is done here in front of it: the base64 request body (in
// chunks each padded on its own, if the client flushed so) is decoded to
// binary gRPC-Web, and each response frame, messages and trailers, is
// base64-encoded and flushed as it comes, under the content-type
// application/grpc-web-text+proto. For unary and server-streaming methods
// the request is decoded and checked whole before the call, so a body that
// is not base64 or ends inside a frame gets InvalidArgument saying where.
// In both gRPC-Web modes the trailer frame names its trailers in lower
// case, as the spec says and grpc-web's JavaScript client needs (vanguard
// writes Grpc-Status, which that client does not find).
//
// Handler gives the http.Handler to mount on any server; New and Start also
// serve it on an in-memory listener, speaking HTTP/2 cleartext (TLS when the
// mockserver has TLS) and HTTP/1.1, and hand out an *http.Client and base
// URL for connect-go clients:
//
//	srv := mockserver.Start(t, m)
//	web := transcoder.Start(t, srv)
//	client := routeguideconnect.NewRouteGuideClient(web.Client(), web.URL())
//
// The journal (mockserver.Server.Calls) says which protocol and codec each
// call came in on.
//
// The package is apart from mockserver so that a test using only gRPC does
// not link vanguard and connect-go.
//
// Not supported: bidirectional streams over HTTP/1.1, which the protocol
// cannot carry.
package transcoder
