// Command grpcdouble serves gRPC test doubles on a TCP port, for clients in
// any language.
//
// Usage:
//
//	grpcdouble serve   [flags]  serve stubs and cassettes
//	grpcdouble record  [flags]  proxy to a live server, recording a cassette
//	grpcdouble verify  [flags]  check cassettes against the live server
//	grpcdouble lint    [flags]  check stubs and cassettes against the .proto
//	grpcdouble convert [flags]  convert gripmock or WireMock stub files to native ones
//	grpcdouble version          print the version
//	grpcdouble help [command]   print help
//
// serve loads service descriptors from .proto files (--proto, --import-path),
// descriptor sets (--protoset) or a live server's reflection (--reflect),
// answers calls from stub files (--stubs) and cassettes (--cassette), and
// serves reflection and grpc.health.v1 so grpcurl and grpc_health_probe work
// with no extra flags. record forwards every call to --upstream and writes
// each finished call to --cassette. serve reads gripmock and WireMock stub
// files as they are (told by their shape, or --stubs-format), and convert
// writes them as native stub files (docs/MIGRATING.md).
//
// With --http ADDR both also answer gRPC-Web, Connect and REST (from the
// services' google.api.http annotations) on a port of their own, h2c and
// HTTP/1.1 (TLS with --tls-cert), through the same stubs, cassettes and
// recording proxy; --cors-origin lets browser pages call it. gRPC stays on
// --listen, on grpc-go's own transport: serving it through net/http would
// share the port but reached 40% of the throughput.
//
// Both print "listening on ADDR" on standard output once ready (and
// "admin listening on ADDR" when --admin is set, "http listening on ADDR"
// with --http), log with log/slog to
// standard error, and stop gracefully on SIGINT or SIGTERM with every
// finished call saved.
//
// verify sends each interaction of --cassette to the live --upstream and
// reports how its answers differ (replay.Check); it exits 0 when all match,
// 1 on drift and 2 when it could not check, and --update rewrites what
// drifted. lint checks --stubs and --cassette against the descriptors with
// serve's own loaders, reporting every problem as file:line: field: what.
//
// The admin API (--admin ADDR, JSON over HTTP, optional --admin-token bearer
// token) adds, lists and deletes stubs, lists received calls, verifies how
// often stubs were hit, explains why a request missed, and resets state. It
// is package github.com/grpcdouble/grpcdouble/admin, which in-process tests
// can open too. See README.md beside this file.
package main
