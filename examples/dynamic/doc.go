// Package dynamic shows a test against a service known only from its
// .proto file, read at run time: no generated code is linked in (this
// package does not import examples/routeguide). mockserver.Load parses the
// file once; the expectations are checked against it as they are declared
// (expect.WithResolver), messages are built by name (NewMessage, then
// protojson or ProtoReflect), and a client calls through the server's
// *grpc.ClientConn with Invoke.
package dynamic
