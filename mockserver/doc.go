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
// The server listens in memory on a bufconn listener by default (or on TCP),
// hands out a ready *grpc.ClientConn, serves reflection and health, and keeps
// a journal of every call received: metadata, messages in order, headers,
// trailers, status and deadline.
//
// Behaviour lives elsewhere: package expect scripts it, package replay plays
// back cassettes, package record proxies to a live server. Each is a Handler.
package mockserver
