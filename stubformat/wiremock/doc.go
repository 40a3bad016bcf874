// Package wiremock reads the stub mappings of WireMock's gRPC extension and
// translates them into grpcdouble's own stubs, which expect serves: a
// reader, not a second engine. A mapping matches a gRPC call by
// request.urlPath "/pkg.Service/Method" and answers with response.jsonBody;
// the grpc-status-name and grpc-status-reason response headers make it an
// error. Errors and constructs that cannot be honoured name the mapping
// file's line and the construct.
package wiremock
