// Package mockserver is grpcdouble's engine: a gRPC server whose services are
// built at run time from protobuf descriptors and whose every call goes to one
// Handler.
//
// Descriptors come from a Source: compiled Go types (GoTypes), .proto files
// parsed at run time (ProtoFiles), descriptor sets (Protoset), or a live
// server's reflection (Reflection). Messages decode into the generated Go
// type when it is linked into the binary and into dynamicpb messages
// otherwise.
//
// A test against a service known only from a .proto file loads it once
// with Load: the Descriptors it returns are a Source for the server and a
// resolver for expect.WithResolver, and both they and a Server build
// messages by name (NewMessage("routeguide.Feature")). Package
// examples/dynamic shows such a test start to finish.
//
// The server listens in memory on a bufconn listener by default (or on TCP),
// hands out a ready *grpc.ClientConn, serves reflection and health, and keeps
// a journal of every call received: metadata, messages in order, headers,
// trailers, status and deadline. A handler that is a BuiltinOverrider (an
// expect.Mock is) may answer health calls for named services, with no
// descriptors of its own; the rest, and the overall health (""), the server
// answers itself.
//
// Stopping is orderly. Close cancels the calls still running (a handler sees
// its Context end, with context.Cause saying the server stopped), lets each
// client receive codes.Unavailable, and returns once every handler has.
// GracefulStop first lets running calls finish, for as long as its context
// allows, while new calls get Unavailable.
//
// The HTTP protocols (gRPC-Web, Connect, REST) reach the same handlers
// through ServeHTTP; package mockserver/transcoder puts them in front of it
// and hands out an *http.Client and base URL for connect-go clients. The
// journal records which protocol and codec each call came in on.
//
// Behaviour lives elsewhere: package expect scripts it, package replay plays
// back cassettes, package record proxies to a live server. Each is a Handler.
package mockserver
